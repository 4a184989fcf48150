/**
 * The reference executor of the hypervisor's generic image (HyperV §IV,
 * Fig. 5). A packet of a vPDP walks its chain's decoupled stages through
 * the stage slots: the condition-binding table evaluates a stage's bound
 * condition and picks the next stage id; the match pipeline looks a table
 * stage's keys up class by class (header, standard metadata, user
 * metadata), intersects the candidates and lets the action-bitmap table
 * pick the winner; the primitive tables run the action's primitives, K per
 * slot. A next stage in an earlier or the same slot costs a resubmission.
 *
 * The image holds only positional copies of tenant programs (see
 * generic-program.ts), so the P4 semantics of parsing, primitives and
 * deparsing are the reference interpreter's own — one definition for both.
 */
import {
  slotOf,
  type DigestMessage,
  type Epoch,
  type GenericColumn,
  type GenericStage,
  type ImageExecutor,
  type InstalledProgram,
  type PacketIn,
  type ProgramState,
  type StoredEntry,
  type TableState,
  type TraceEvent,
  type VirtualResult,
  type VpdpRuntime,
} from '@mpvisor/runtime';
import { toHex, type ActionCall } from '@mpvisor/mpapi';
import { diff, snapshot } from '../reference/control.js';
import { truthy } from '../reference/evaluate.js';
import { better, matches } from '../reference/lookup.js';
import { ProgramLayout, type PacketState } from '../reference/packet-state.js';
import { runAction, type ActionContext, type PassRequests } from '../reference/primitives.js';
import { programStep, runPasses, type StepRunner } from '../reference/process.js';

/** What the image holds for one installed program, resolved once. */
interface Loaded {
  readonly layout: ProgramLayout;
  readonly stages: ReadonlyMap<number, GenericStage>;
  /** The program's registers, counters and meters under their image names: its segments. */
  readonly segments: ProgramState;
  readonly digestNames: readonly string[];
}

/** Where the packet is in the slots during one pass of the chain. */
interface SlotCursor {
  slot: number;
  passes: number;
  tables: number;
  native: number;
}

export class ReferenceSlotEngine implements ImageExecutor {
  readonly name = 'reference-slots';
  private readonly loaded = new WeakMap<InstalledProgram, Loaded>();

  process(epoch: Epoch, vpdp: VpdpRuntime, packet: PacketIn, options: { readonly trace?: boolean; readonly maxPasses: number }): VirtualResult {
    const trace: TraceEvent[] | undefined = options.trace ? [] : undefined;
    const n = epoch.image.slots;
    // config_first_stage is one lookup per pass; the cursor starts before slot 0
    const cursor: SlotCursor = { slot: -1, passes: 1, tables: 0, native: 0 };
    const k = epoch.image.primitivesPerSlot;
    const steps = vpdp.steps.map((installed, i) => {
      const run = this.step(installed, n, k, cursor);
      // a new pass of the chain (the tenant resubmitted or recirculated) starts again before slot 0
      const first: StepRunner = (input) => {
        if (cursor.slot >= 0) {
          cursor.passes++;
          cursor.slot = -1;
        }
        return run(input);
      };
      return { program: installed.generic.name, run: i === 0 ? first : run };
    });
    const result = runPasses(
      { steps, multicastGroups: vpdp.device.multicastGroups, cloneSessions: vpdp.device.cloneSessions, digests: vpdp.digests, maxPasses: options.maxPasses },
      packet,
      trace,
    );
    // the egress filter: nothing leaves through a port outside the vPDP
    const outputs = result.outputs.filter((o) => vpdp.ports.has(o.port));
    const contained = result.outputs.length - outputs.length;
    const slots = { slotPasses: cursor.passes, tablesUsed: cursor.tables + cursor.passes, nativeTables: cursor.native, contained };
    const base = { vpdp: vpdp.spec.id, epoch: epoch.number, slots, passes: result.passes, outputs, ...(trace ? { trace } : {}) };
    if (result.dropped) return { ...base, dropped: result.dropped };
    if (outputs.length === 0 && contained > 0) return { ...base, dropped: 'outsideVpdp' };
    return base;
  }

  private load(p: InstalledProgram): Loaded {
    let l = this.loaded.get(p);
    if (!l) {
      const g = p.generic;
      const rename = <T>(names: readonly string[], prefix: string, get: (name: string) => T): Map<string, T> => new Map(names.map((name, i) => [`${prefix}${i}`, get(name)]));
      const orig = p.state.program;
      const segments: ProgramState = {
        program: g.ir,
        tables: new Map(),
        registers: rename(orig.registers.map((r) => r.name), 'r', (name) => p.state.registers.get(name)!),
        counters: rename(orig.counters.map((c) => c.name), 'c', (name) => p.state.counters.get(name)!),
        meters: rename(orig.meters.map((m) => m.name), 'm', (name) => p.state.meters.get(name)!),
      };
      l = { layout: new ProgramLayout(g.ir), stages: new Map(g.stages.map((s) => [s.id, s])), segments, digestNames: orig.digests.map((d) => d.name) };
      this.loaded.set(p, l);
    }
    return l;
  }

  private step(p: InstalledProgram, slots: number, primitivesPerSlot: number, cursor: SlotCursor): StepRunner {
    const l = this.load(p);
    const g = p.generic;
    // parse, the step's condition and deparse are the reference's; the control runs through the slots
    const control = (ctx: ActionContext, trace: TraceEvent[] | undefined): void => {
      const enter = (id: number): void => {
        const slot = slotOf(p.base + id, slots);
        // a stage never branches backwards within one pass: an earlier or the same slot means a resubmission
        if (slot <= cursor.slot) cursor.passes++;
        cursor.slot = slot;
      };
      let at = g.entry;
      while (at !== null) {
        const stage = l.stages.get(at)!;
        enter(stage.id);
        if (stage.cond) {
          cursor.tables++;
          const taken = truthy(stage.cond, { state: ctx.state });
          trace?.push({ kind: 'branch', program: g.name, node: stage.node, taken });
          at = stage.next.kind === 'condition' ? (taken ? stage.next.then : stage.next.else) : null;
          continue;
        }
        at = this.applyStage(p, l, stage, ctx.state, ctx, { cursor, enter, primitivesPerSlot }, trace);
      }
    };
    const run = programStep({ program: g.ir, ...(g.when ? { when: g.when } : {}) }, l.layout, l.segments, control);
    const name = (x: string): string => g.names.get(x) ?? x;
    return (input) => {
      const traced = input.trace?.length ?? 0;
      const sent = input.digests.length;
      const out = run(input);
      // what leaves the image goes under the tenant's names: digests, and the parser's and deparser's trace
      for (let i = sent; i < input.digests.length; i++) {
        const d = input.digests[i]!;
        input.digests[i] = { ...d, digest: l.digestNames[Number(d.digest.slice(1))]! };
      }
      const trace = input.trace;
      for (let i = traced; trace && i < trace.length; i++) {
        const e = trace[i]!;
        if (e.kind === 'parser') trace[i] = { ...e, states: e.states.map(name), extracted: e.extracted.map(name) };
        else if (e.kind === 'deparse') trace[i] = { ...e, emitted: e.emitted.map(name) };
      }
      return out;
    };
  }

  /** The match and action pipelines of one table stage; returns the next stage id. */
  private applyStage(
    p: InstalledProgram,
    l: Loaded,
    stage: GenericStage,
    state: PacketState,
    io: { readonly requests: PassRequests; readonly digests: DigestMessage[]; readonly payload: Uint8Array },
    slots: { readonly cursor: SlotCursor; readonly enter: (id: number) => void; readonly primitivesPerSlot: number },
    trace: TraceEvent[] | undefined,
  ): number | null {
    const { cursor, enter, primitivesPerSlot } = slots;
    const m = stage.match!;
    const table = p.state.tables.get(m.stage)!;
    cursor.native++;
    const keys = m.columns.map((c) => state.get(c.ref));
    const entry = splitLookup(table, m.columns, keys, cursor);
    if (entry) table.hits++;
    else table.misses++;
    const call = entry?.action ?? table.defaultAction;
    const index = m.actionIndex.get(call.action)!;
    const action = m.generic.actions[index]!;
    const unit = table.stage.directCounter;
    if (entry && unit !== undefined) {
      if (unit !== 'bytes') entry.packets += 1n;
      if (unit !== 'packets') entry.bytes += state.standard.packetLength;
    }
    const names = m.paramNames[index]!;
    const genericCall: ActionCall = { kind: 'actionCall', action: action.name, args: Object.fromEntries(names.map((name, j) => [`p${j}`, call.args[name] ?? '0x0'])) };
    const before = trace ? snapshot({ state }) : undefined;
    runAction(action, genericCall, {
      state,
      device: l.segments,
      requests: io.requests,
      digests: io.digests,
      payload: io.payload,
      directMeter: entry?.meter,
      unit: table.stage.directMeter ?? 'bytes',
    });
    // one primitive table per primitive, K per slot; the rest continue in the next slots
    for (let chunk = 1; chunk * primitivesPerSlot < action.body.length; chunk++) enter(stage.id + chunk);
    cursor.tables += action.body.length;
    trace?.push({
      kind: 'stage',
      program: p.generic.name,
      stage: m.stage,
      keys: table.stage.keys.map((k, i) => ({ field: k.field, value: toHex(keys[i]!) })),
      hit: entry !== undefined,
      ...(entry ? { entry: [...table.entries.values()].indexOf(entry) } : {}),
      action: call.action,
      args: call.args,
      // what the action changed, under the tenant's names
      changes: before ? diff(before, snapshot({ state })).map((c) => ({ ...c, field: tenantField(p.generic.names, c.field) })) : [],
    });
    const next = stage.next;
    if (next.kind === 'always') return next.to;
    if (next.kind === 'hitMiss') return entry ? next.hit : next.miss;
    if (next.kind === 'actionRun') return next.cases[call.action] ?? next.default;
    return null;
  }
}

/**
 * HyperV's match pipeline: one table per class of key (header, standard
 * metadata, user metadata) each yields the entries its columns match; their
 * intersection goes to the action-bitmap table, which picks the winner by
 * priority, prefix length and age, as a single table would. Classes a stage
 * does not key on are bypassed; with one class the bitmap table is too.
 */
function splitLookup(table: TableState, columns: readonly GenericColumn[], keys: readonly bigint[], cursor: SlotCursor): StoredEntry | undefined {
  if (columns.length === 0) return undefined;
  const classes = [...new Set(columns.map((c) => c.class))];
  let candidates: StoredEntry[] = [...table.entries.values()];
  for (const cls of classes) {
    cursor.tables++;
    const cols = columns.filter((c) => c.class === cls);
    candidates = candidates.filter((e) => cols.every((c) => matches(e.matches[c.key]!, keys[c.key]!, c.width)));
  }
  if (classes.length > 1) cursor.tables++;
  let best: StoredEntry | undefined;
  for (const e of candidates) if (!best || better(e, best)) best = e;
  return best;
}

/** `h1.f8` → `ipv4.protocol`, `h1.$valid` → `ipv4.$valid`; standard metadata keeps its name. */
function tenantField(names: ReadonlyMap<string, string>, field: string): string {
  const direct = names.get(field);
  if (direct) return direct;
  const dot = field.lastIndexOf('.');
  const head = names.get(field.slice(0, dot));
  return head ? `${head}${field.slice(dot)}` : field;
}
