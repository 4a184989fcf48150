/**
 * The compiled executor of the hypervisor's generic image. The image holds
 * positional copies of tenant programs (generic-program.ts); on the first
 * packet after a change, each installed program's copy is generated as
 * specialised JavaScript (the compiled target's code generator) — the
 * image partially evaluated on the configuration it holds, the way a
 * hypervisor on a CPU would run it — and bound to the vPDP's state.
 *
 * The stage slots are kept exactly as the reference executor keeps them
 * (slot-engine.ts): each decoupled stage's slot, `(base + id) mod N`, is
 * bound with the program's state, and the generated code moves the slot
 * cursor (in the pass state, pass-loop.ts SLOT_CURSOR) with it, counts a
 * resubmission when a stage falls in an earlier or the same slot, counts
 * the generic tables a stage looks up (a condition binding; one match table
 * per class of key plus the action-bitmap table; one primitive table per
 * primitive, K per slot, continuing into the next slots). So outputs,
 * drops, digests, state and the slot figures are the reference executor's,
 * byte for byte; the differential tests check it.
 *
 * Code is shared by shape: a program's constants are lifted out of its code
 * and bound with its state, like the action parameters HyperV's primitives
 * read from tables, and stage slots are bound the same way. So every vPDP
 * whose program has the same shape — a thousand tenants each with its own
 * L2 switch flooding to its own multicast group — runs one generated
 * function, one thing for the JIT to optimise, bound to its own state.
 *
 * A vPDP's chain runs in a pass loop generated for it (pass-loop.ts, the
 * virtualized flavour): the pass loop, the egress filter, the slot figures
 * and the vPDP's counters in one function, a run of packets in one call.
 *
 * Per-packet consistency comes from the epochs: a chain is built for one
 * VpdpRuntime (one epoch's view of a vPDP) and never changes; a program
 * kept across a change keeps its bound state. Entry
 * writes reach the lookup structures through the device's write journal
 * before the next packet. Traces, and a vPDP with a program the generator
 * refuses, run on the reference executor over the same state.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import {
  countResult,
  DROP_PORT,
  idSpan,
  slotOf,
  type Epoch,
  type GenericStage,
  type ImageExecutor,
  type InstalledProgram,
  type PacketIn,
  type VirtualResult,
  type VpdpRuntime,
  type WriteJournal,
} from '@mpvisor/runtime';
import { bindProgram, newRequests, syncProgram, type BoundProgram } from '../compiled/binding.js';
import type { ControlHooks } from '../compiled/codegen.js';
import { capsOf, PASS_STATE_SIZE, SLOT_CURSOR, virtualLoop, type VirtualLoop } from '../compiled/pass-loop.js';
import { compileStep, FactoryCache, type StepCode } from '../compiled/step-code.js';
import { ReferenceSlotEngine } from './slot-engine.js';

/** An installed program's generated code and its binding to the vPDP's state. */
interface CompiledProgram {
  readonly code: StepCode;
  /** The stage slot of each of its stage ids (relative to its base). */
  readonly slots: readonly number[];
  bound?: BoundProgram;
}

/** What this executor keeps on a VpdpRuntime (another executor given the same epoch prepares its own). */
interface Prepared {
  readonly engine: CompiledSlotEngine;
  readonly maxPasses: number;
  readonly chain: Chain | null;
}

/** Programs whose generated code is kept for reuse; beyond this many the oldest is dropped. */
const CODE_CACHE_SIZE = 512;

/** One epoch's chain of a vPDP, ready to run; null when a program of it runs on the reference executor. */
interface Chain {
  readonly loop: VirtualLoop;
  readonly programs: readonly BoundProgram[];
  readonly journal: WriteJournal;
}

export class CompiledSlotEngine implements ImageExecutor {
  readonly name = 'compiled-slots';
  private readonly reference = new ReferenceSlotEngine();
  private readonly programs = new WeakMap<InstalledProgram, CompiledProgram>();
  private readonly factories = new FactoryCache();
  /** Generated code by program content, newest last. */
  private readonly code = new Map<string, StepCode>();
  private readonly S = new Float64Array(PASS_STATE_SIZE);
  private readonly R = newRequests();

  process(epoch: Epoch, vpdp: VpdpRuntime, packet: PacketIn, options: { readonly trace?: boolean; readonly maxPasses: number }): VirtualResult {
    if (options.trace) return this.reference.process(epoch, vpdp, packet, options);
    const chain = this.ready(epoch, vpdp, options.maxPasses);
    if (chain === null) return this.reference.process(epoch, vpdp, packet, options);
    return chain.loop.one(packet, epoch.number);
  }

  /** A run of one vPDP's packets, counted: the chain found and its tables brought up to date once for all of them. */
  processRun(epoch: Epoch, vpdp: VpdpRuntime, packets: readonly PacketIn[], from: number, to: number, out: VirtualResult[], options: { readonly maxPasses: number }): void {
    const chain = this.ready(epoch, vpdp, options.maxPasses);
    if (chain === null) {
      for (let k = from; k < to; k++) countResult(vpdp.counters, (out[k] = this.reference.process(epoch, vpdp, packets[k]!, options)));
      return;
    }
    chain.loop.run(packets, from, to, out, epoch.number);
  }

  /** The vPDP's chain for this epoch, its lookup structures up to date with the journal; null when it runs on the reference executor. */
  private ready(epoch: Epoch, vpdp: VpdpRuntime, maxPasses: number): Chain | null {
    // prepared once per vPDP and epoch, kept on the epoch's VpdpRuntime
    let prepared = vpdp.prepared as Prepared | undefined;
    if (prepared === undefined || prepared.engine !== this || prepared.maxPasses !== maxPasses) vpdp.prepared = prepared = { engine: this, maxPasses, chain: this.chain(epoch, vpdp, maxPasses) };
    const chain = prepared.chain;
    if (chain === null) return null;
    const journal = chain.journal;
    const programs = chain.programs;
    for (let i = 0; i < programs.length; i++) if (programs[i]!.seen !== journal.end) syncProgram(programs[i]!, journal);
    return chain;
  }

  /** The generated JavaScript of each program of a vPDP's chain (or why it runs on the reference executor). */
  source(epoch: Epoch, vpdp: VpdpRuntime): string {
    return vpdp.steps.map((p) => this.compiled(p, epoch).code.source).join('\n');
  }

  private chain(epoch: Epoch, vpdp: VpdpRuntime, maxPasses: number): Chain | null {
    const journal = vpdp.device.journal;
    const programs: BoundProgram[] = [];
    const steps = [];
    const caps = [];
    for (const p of vpdp.steps) {
      const c = this.compiled(p, epoch);
      if (!c.code.compiled) return null;
      c.bound ??= bindProgram(p.state.program, p.state, c.code.plans, journal, (d) => vpdp.digests.push(d), { slots: c.slots, constants: c.code.constants });
      programs.push(c.bound);
      steps.push(c.code.factory(c.bound.env));
      caps.push(capsOf(p.generic.ir));
    }
    const ports = new Uint8Array(DROP_PORT + 1);
    for (const port of vpdp.ports) ports[port] = 1;
    const loop = virtualLoop(caps, {
      steps,
      cloneSessions: vpdp.device.cloneSessions,
      multicastGroups: vpdp.device.multicastGroups,
      maxPasses,
      S: this.S,
      R: this.R,
      vpdp: vpdp.spec.id,
      ports,
      counters: vpdp.counters,
    });
    return { loop, programs, journal };
  }

  private compiled(p: InstalledProgram, epoch: Epoch): CompiledProgram {
    let c = this.programs.get(p);
    if (!c) {
      const { slots, primitivesPerSlot } = epoch.image;
      const g = p.generic;
      // a program installed before (a reinstall, a neighbour's copy) is not generated again
      const key = JSON.stringify([primitivesPerSlot, g.ir, g.when ?? null]);
      let code = this.code.get(key);
      if (code) this.code.delete(key);
      else code = compileStep(g.ir, g.when, slotHooks(p, primitivesPerSlot), this.factories);
      this.code.set(key, code);
      if (this.code.size > CODE_CACHE_SIZE) this.code.delete(this.code.keys().next().value!);
      c = { code, slots: Array.from({ length: idSpan(g) }, (_, id) => slotOf(p.base + id, slots)) };
      this.programs.set(p, c);
    }
    return c;
  }
}

/**
 * The slot accounting of reference slot-engine.ts as generated code: the
 * image's node `n<i>` is the tenant's i-th control node, realised by one
 * decoupled stage. Slots are read from the binding (`E.slots`), so the code
 * does not depend on where the program's stage ids lie.
 */
function slotHooks(p: InstalledProgram, primitivesPerSlot: number): ControlHooks {
  const nodes = p.state.program.control.nodes;
  const byNode = new Map(p.generic.stages.map((s) => [s.node, s]));
  const stageOf = (id: string): GenericStage => {
    const s = byNode.get(nodes[Number(id.slice(1))]?.id ?? '');
    if (!s) throw new MpvisorError('INTERNAL', `compiled slots: image node ${id} of "${p.generic.name}" has no decoupled stage`);
    return s;
  };
  // the cursor is in the pass state (pass-loop.ts SLOT_CURSOR), so it is right however the control ends (a fault included)
  const { slot, passes, tables, native } = SLOT_CURSOR;
  // a stage never branches backwards within one pass: an earlier or the same slot means a resubmission
  const enter = (id: number): string => `if (S[${slot}] >= SL${id}) S[${passes}]++; S[${slot}] = SL${id};`;
  const prelude = Array.from({ length: idSpan(p.generic) }, (_, id) => `const SL${id} = E.slots[${id}];`);
  return {
    title: 'image program',
    liftConstants: true,
    prelude: ['// the stage slot of each stage id', ...prelude],
    node(id) {
      const s = stageOf(id);
      if (!s.match) return [enter(s.id), `S[${tables}]++;`];
      // one match table per class of key, and the action-bitmap table when there are several
      const classes = new Set(s.match.columns.map((c) => c.class)).size;
      const lookups = classes === 0 ? 0 : classes + (classes > 1 ? 1 : 0);
      return [enter(s.id), lookups > 0 ? `S[${native}]++; S[${tables}] += ${lookups};` : `S[${native}]++;`];
    },
    action(id, action) {
      const s = stageOf(id);
      const length = s.match!.generic.actions[action]!.body.length;
      const lines: string[] = [];
      for (let chunk = 1; chunk * primitivesPerSlot < length; chunk++) lines.push(enter(s.id + chunk));
      if (length > 0) lines.push(`S[${tables}] += ${length};`);
      return lines;
    },
  };
}
