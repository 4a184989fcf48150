/**
 * The data plane hypervisor (HyperV §IV; DESIGN §5): virtual data planes
 * created and deleted at run time, each with its ports, policy, state and
 * quotas; programs checked for isolation, compiled into the generic image's
 * entries and installed, replaced, toggled and removed while packets flow.
 * Every change builds a new epoch and swaps it in between two packets.
 */
import { canonicalJson, digestOf, fromHex, MpvisorError, type ErrorCode, type Issue, type Program } from '@mpvisor/mpapi';
import { DeviceState, type ProgramState } from '../control/device-state.js';
import type { Atomicity, Entity, ReadRequest, Update, UpdateResult, WriteResult } from '../control/entities.js';
import { readEntities } from '../control/read.js';
import { applyUpdates } from '../control/write.js';
import { loadPipeline, type Pipeline, type PipelineSource } from '../pipeline/pipeline.js';
import { DROP_PORT, type DigestMessage, type PacketIn, type PacketOut } from '../target/target.js';
import { classify, encapsulate, type ClassifierRule, type Encapsulation } from './classifier.js';
import { countResult, type Epoch, type ImageExecutor, type InstalledProgram, type VirtualResult, type VpdpCounters, type VpdpRuntime } from './epoch.js';
import { compileProgram, idSpan } from './generic-program.js';
import { DEFAULT_IMAGE, fitsImage, type ImageConfig } from './image.js';
import { checkIsolation, outputsOf, type Quotas, type VpdpSpec } from './isolation.js';
import { nextIds } from './sequence.js';
import { slotOf, worstCaseSlotPasses } from './slot-map.js';

export const DEFAULT_QUOTAS: Quotas = { stages: 256, tableEntries: 1 << 20, registerCells: 1 << 20, counterCells: 1 << 20, meterCells: 1 << 16 };

export interface VpdpOptions {
  readonly id: number;
  readonly name: string;
  readonly ports: readonly number[];
  readonly multicastGroups?: readonly number[];
  readonly cloneSessions?: readonly number[];
  readonly quotas?: Partial<Quotas>;
}

export interface InstalledReport {
  readonly program: string;
  readonly programId: number;
  readonly stageIds: readonly number[];
  readonly slots: readonly number[];
  /** Most passes a packet can need through this program's stages. */
  readonly worstCasePasses: number;
  /** Its entries and state were kept from the configuration before. */
  readonly kept: boolean;
  /** Registers whose cells were carried into a reloaded program (same name, width and size). */
  readonly carriedRegisters: readonly string[];
}

export interface InstallReport {
  readonly vpdp: number;
  readonly policy: string;
  readonly epoch: number;
  readonly programs: readonly InstalledReport[];
}

/** A packet no vPDP claims. */
export interface UnclassifiedResult {
  readonly vpdp: undefined;
  readonly outputs: readonly PacketOut[];
  readonly dropped: 'unclassified';
  readonly reason: string;
  readonly passes: 0;
  readonly epoch: number;
}

export type HypervisorResult = VirtualResult | UnclassifiedResult;

export type { VpdpCounters } from './epoch.js';

interface VpdpRecord {
  readonly spec: VpdpSpec;
  pipeline: Pipeline | undefined;
  installed: InstalledProgram[];
  disabled: Set<string>;
  device: DeviceState;
  readonly digests: DigestMessage[];
  /** The IR digests of installed programs, by name, where an install computed them: what tells an unchanged program on the next install. */
  programDigests: ReadonlyMap<string, string>;
  readonly counters: VpdpCounters;
}

export interface HypervisorOptions {
  readonly executor: ImageExecutor;
  readonly image?: Partial<ImageConfig>;
  readonly classifier?: readonly ClassifierRule[];
  /** Passes a tenant's own resubmit/recirculate may take (the target's bound). */
  readonly maxPasses?: number;
}

/** Stage and program ids are 16-bit control fields of the image (`hv_stage`, `hv_program`). */
const MAX_ID = 0xffff;

/**
 * The lowest start at or after `from` where `size` ids fit between the
 * taken ranges [start, end); the range is added to `taken`.
 */
function firstFit(taken: [number, number][], size: number, max: number, what: string, from = 0): number {
  taken.sort((a, b) => a[0] - b[0]);
  let at = from;
  for (const [start, end] of taken) {
    if (start - at >= size) break;
    at = Math.max(at, end);
  }
  if (at + size - 1 > max) throw new MpvisorError('RESOURCE_EXHAUSTED', `no room for ${size === 1 ? what : `${size} ${what}`}: ids are 16 bits (0..${max})`);
  taken.push([at, at + size]);
  return at;
}

const EMPTY: Pipeline = { name: '(none)', source: 'policy', steps: [], digest: '' };

/** How an epoch classifies, made as ports are first seen: each port's plan, and the vPDP it sends packets to as they came (null: none). */
interface EpochPlans {
  readonly byPort: (PortPlan | undefined)[];
  readonly direct: (VpdpRuntime | null | undefined)[];
}

/** Ports whose plan is kept: the integers 0..DROP_PORT. */
const plannedPort = (port: number): boolean => Number.isInteger(port) && port >= 0 && port <= DROP_PORT;

/** See Hypervisor.portPlan. */
interface PortPlan {
  readonly rules: readonly ClassifierRule[];
  readonly direct?: VpdpRuntime;
}

const NO_ENCAPSULATION = { encapsulation: { kind: 'none' } } as const;

export interface InstallOptions {
  /** Table entries written into the new configuration before it is swapped in (all or nothing). */
  readonly entries?: readonly Update[];
  /** The IR digest the NF must have (`sha256:…`): a mismatch is DATA_LOSS and installs nothing. */
  readonly digest?: string;
}

export class Hypervisor {
  readonly image: ImageConfig;
  private readonly executor: ImageExecutor;
  private readonly maxPasses: number;
  private readonly runOptions: { readonly maxPasses: number };
  private readonly records = new Map<number, VpdpRecord>();
  private classifier: readonly ClassifierRule[];
  private current: Epoch;

  constructor(options: HypervisorOptions) {
    this.image = { ...DEFAULT_IMAGE, ...options.image };
    for (const [k, v] of Object.entries(this.image))
      if (!Number.isInteger(v) || v < 1) throw new MpvisorError('INVALID_ARGUMENT', `image configuration: ${k} must be a positive integer, not ${v}`);
    this.executor = options.executor;
    this.executor.prepare?.(this.image);
    this.maxPasses = options.maxPasses ?? 16;
    this.runOptions = { maxPasses: this.maxPasses };
    this.classifier = options.classifier ?? [];
    this.current = { number: 0, image: this.image, classifier: this.classifier, vpdps: new Map() };
  }

  /** The configuration packets run on now. */
  get epoch(): Epoch {
    return this.current;
  }

  get vpdps(): readonly VpdpSpec[] {
    return [...this.records.values()].map((r) => r.spec);
  }

  counters(vpdp: number): Readonly<VpdpCounters> {
    return { ...this.record(vpdp).counters };
  }

  /** Replace the classifier rules (which packets belong to which vPDP). */
  setClassifier(rules: readonly ClassifierRule[]): void {
    for (const [i, r] of rules.entries())
      if (r.kind !== 'descriptionHeader' && !this.records.has(r.vpdp)) throw new MpvisorError('NOT_FOUND', `classifier rule ${i}: no vPDP ${r.vpdp}`);
    this.classifier = [...rules];
    this.commit();
  }

  createVpdp(options: VpdpOptions): VpdpSpec {
    if (!Number.isInteger(options.id) || options.id < 0 || options.id > 0xffff) throw new MpvisorError('INVALID_ARGUMENT', `vPDP id must be 0..65535, not ${options.id}`);
    if (this.records.has(options.id)) throw new MpvisorError('ALREADY_EXISTS', `vPDP ${options.id} exists`);
    for (const r of this.records.values()) {
      const clash = (mine: readonly number[] | undefined, theirs: readonly number[], what: string): void => {
        const shared = (mine ?? []).filter((x) => theirs.includes(x));
        if (shared.length > 0) throw new MpvisorError('PERMISSION_DENIED', `vPDP "${options.name}": ${what} ${shared.join(', ')} belong to vPDP "${r.spec.name}"`);
      };
      clash(options.ports, r.spec.ports, 'ports');
      clash(options.multicastGroups, r.spec.multicastGroups, 'multicast groups');
      clash(options.cloneSessions, r.spec.cloneSessions, 'clone sessions');
    }
    for (const p of options.ports) if (!Number.isInteger(p) || p < 0 || p >= DROP_PORT) throw new MpvisorError('INVALID_ARGUMENT', `vPDP "${options.name}": port ${p} is not 0..${DROP_PORT - 1}`);
    // frozen: the spec handed out is the one isolation is checked against
    const spec: VpdpSpec = Object.freeze({
      id: options.id,
      name: options.name,
      ports: Object.freeze([...options.ports]),
      multicastGroups: Object.freeze([...(options.multicastGroups ?? [])]),
      cloneSessions: Object.freeze([...(options.cloneSessions ?? [])]),
      quotas: Object.freeze({ ...DEFAULT_QUOTAS, ...options.quotas }),
    });
    this.records.set(spec.id, {
      spec,
      pipeline: undefined,
      installed: [],
      disabled: new Set(),
      device: new DeviceState(EMPTY),
      digests: [],
      programDigests: new Map(),
      counters: { packets: 0, outputs: 0, dropped: 0, contained: 0, slotPasses: 0 },
    });
    this.commit();
    return spec;
  }

  /** Delete a vPDP with everything it holds; its packets are unclassified from the next one on. */
  deleteVpdp(id: number): void {
    this.record(id);
    this.records.delete(id);
    this.classifier = this.classifier.filter((r) => r.kind === 'descriptionHeader' || r.vpdp !== id);
    this.commit();
  }

  /**
   * Install a program or policy on a vPDP, replacing what it ran (P4NFV's
   * program reload). Everything is checked first — validity, isolation,
   * quotas, the image's areas — and nothing changes if anything fails.
   * Programs identical to ones already installed keep their entries and
   * state; a changed program gets the cells of every register it shares by
   * name, width and size with its predecessor (P4NFV §IV-B).
   *
   * `options.digest`, when given, must be the IR's digest (an NF pulled from
   * a registry: verified on pull, and again here).
   *
   * `options.entries` are written into the new configuration before it is
   * swapped in (all or nothing, with the tenant control plane's checks), so
   * no packet ever runs the new programs with empty tables.
   */
  install(vpdp: number, source: PipelineSource | unknown, options: InstallOptions = {}): InstallReport {
    this.record(vpdp);
    return this.installPipeline(vpdp, loadPipeline(source), options);
  }

  /** `install` for a pipeline already loaded (decoded and validated) with `loadPipeline`. */
  installPipeline(vpdp: number, pipeline: Pipeline, options: InstallOptions = {}): InstallReport {
    const rec = this.record(vpdp);
    // an NF pulled from a registry is checked once more here: what runs is what was published
    if (options.digest !== undefined && pipeline.digest !== options.digest) {
      throw new MpvisorError('DATA_LOSS', `"${pipeline.name}": its IR digest is ${pipeline.digest}, not the expected ${options.digest}; nothing was installed`);
    }
    const programs = unique(pipeline.steps.map((s) => s.program));
    // digests of the programs that replace one of the same name, to tell an unchanged one (a program's is the pipeline's when it is the whole pipeline)
    const programDigests = new Map<string, string>();
    const digestNow = (p: Program): string => {
      let d = programDigests.get(p.name);
      if (d === undefined) programDigests.set(p.name, (d = pipeline.source === 'program' ? pipeline.digest : digestOf(p)));
      return d;
    };
    const violations = checkIsolation(programs, rec.spec);
    if (violations.length > 0) throw new MpvisorError(violations[0]!.code, violations);
    const compiled = pipeline.steps.map((s) => compileProgram(s.program, this.image.primitivesPerSlot, s.when));
    const misfits: Issue[] = [];
    for (const g of compiled) {
      const f = fitsImage(g, this.image);
      if (f) misfits.push({ program: g.name, message: `does not fit the image: needs ${f.need} ${f.resource}, the image has ${f.have}` });
    }
    if (misfits.length > 0) throw new MpvisorError('RESOURCE_EXHAUSTED', misfits);
    const old = rec.device;
    const oldPrograms = new Map([...old.programs].map(([name, st]) => [name, st]));
    const kept = new Set<string>();
    const carried = new Map<string, string[]>();
    const device = new DeviceState(pipeline, {
      device: old,
      carry: (p) => {
        const before = oldPrograms.get(p.name);
        if (before && (rec.programDigests.get(p.name) ?? digestOf(before.program)) === digestNow(p)) {
          kept.add(p.name);
          return before;
        }
        return undefined;
      },
    });
    for (const [name, st] of device.programs) {
      const before = oldPrograms.get(name);
      if (!before || kept.has(name)) continue;
      carried.set(name, carryState(before, st));
    }
    for (const [id, replicas] of old.multicastGroups) device.multicastGroups.set(id, replicas);
    for (const [id, port] of old.cloneSessions) device.cloneSessions.set(id, port);
    // stage ids are unique on the data plane; programs kept as they were keep theirs
    const keptInstalled = new Map(rec.installed.filter((i) => kept.has(i.generic.name)).map((i) => [stepKey(i.generic.name, i.generic.when), i]));
    const ids = this.idsInUse(rec, [...keptInstalled.values()]);
    const installed = compiled.map((g): InstalledProgram => {
      const same = keptInstalled.get(stepKey(g.name, g.when));
      if (same) return same;
      const base = firstFit(ids.stages, idSpan(g), MAX_ID, `stage ids for "${g.name}"`);
      const id = firstFit(ids.programs, 1, MAX_ID, `a program id for "${g.name}"`, 1);
      return { id, base, generic: g, state: device.programs.get(g.name)! };
    });
    if (options.entries && options.entries.length > 0) {
      const staged: VpdpRecord = { ...rec, device };
      const denied = options.entries.map((u) => deny(staged, u.entity, u.type));
      const written = denied.every((d) => d === undefined) ? applyUpdates(device, options.entries, 'rollbackOnError') : undefined;
      if (!written || !written.ok) {
        const results = written?.results ?? denied.map((d) => d ?? { ok: true as const });
        const failures = results.flatMap((r, i): Issue[] => (r.ok ? [] : [{ message: `entries[${i}]: ${r.message}`, path: `$[${i}]` }]));
        const first = results.find((r) => !r.ok && r.code !== 'ABORTED') ?? results.find((r) => !r.ok);
        throw new MpvisorError(first && !first.ok ? (first.code as ErrorCode) : 'INVALID_ARGUMENT', failures.filter((f) => !/rolled back/.test(f.message)));
      }
    }
    rec.pipeline = pipeline;
    rec.installed = installed;
    rec.device = device;
    rec.programDigests = programDigests;
    rec.disabled = new Set([...rec.disabled].filter((n) => programs.some((p) => p.name === n)));
    this.commit();
    return {
      vpdp,
      policy: pipeline.name,
      epoch: this.current.number,
      programs: installed.map((i) => ({
        program: i.generic.name,
        programId: i.id,
        stageIds: i.generic.stages.map((s) => i.base + s.id),
        slots: i.generic.stages.map((s) => slotOf(i.base + s.id, this.image.slots)),
        worstCasePasses: worstCaseSlotPasses(
          i.generic.stages.map((s) => ({ id: i.base + s.id, span: s.span, next: nextIds({ id: 0, node: '', next: s.next }).map((n) => (n === null ? null : i.base + n)) })),
          i.generic.entry === null ? null : i.base + i.generic.entry,
          this.image.slots,
        ),
        kept: kept.has(i.generic.name),
        carriedRegisters: carried.get(i.generic.name) ?? [],
      })),
    };
  }

  /** Remove the vPDP's policy: its entries go; the vPDP, its groups and sessions stay. */
  uninstall(vpdp: number): void {
    const rec = this.record(vpdp);
    const device = new DeviceState(EMPTY);
    for (const [id, replicas] of rec.device.multicastGroups) device.multicastGroups.set(id, replicas);
    for (const [id, port] of rec.device.cloneSessions) device.cloneSessions.set(id, port);
    rec.pipeline = undefined;
    rec.installed = [];
    rec.disabled.clear();
    rec.device = device;
    rec.programDigests = new Map();
    this.commit();
  }

  /**
   * P4NFV's pipeline manipulation: take an installed program out of the
   * vPDP's chain, or put it back, without touching its entries or state.
   */
  setEnabled(vpdp: number, program: string, enabled: boolean): void {
    const rec = this.record(vpdp);
    if (!rec.installed.some((i) => i.generic.name === program)) throw new MpvisorError('NOT_FOUND', `vPDP "${rec.spec.name}" runs no program "${program}"`);
    if (enabled) rec.disabled.delete(program);
    else rec.disabled.add(program);
    this.commit();
  }

  /** The control plane of one tenant: it reaches its own vPDP's objects only. */
  tenant(vpdp: number): TenantControl {
    return new TenantControl(this, vpdp, this.record(vpdp));
  }

  /** One packet: classify, run its vPDP's chain on the current epoch, wrap what leaves as it came. Never throws for any bytes. */
  process(packet: PacketIn, options?: { readonly trace?: boolean }): HypervisorResult {
    const epoch = this.current;
    const plan = this.portPlan(epoch, packet.port);
    // the common case: the port's first rule is a port rule, so every packet on it is that vPDP's, as it came
    if (plan.direct) return this.run(epoch, plan.direct, packet, NO_ENCAPSULATION, options);
    const c = classify(plan.rules, packet.port, packet.data);
    const runtime = c.vpdp === undefined ? undefined : epoch.vpdps.get(c.vpdp);
    if (c.vpdp === undefined || !runtime) {
      const reason = c.vpdp === undefined ? c.reason : `vPDP ${c.vpdp} does not exist`;
      return { vpdp: undefined, outputs: [], dropped: 'unclassified', reason, passes: 0, epoch: epoch.number };
    }
    // a tenant sees only its own ports: one from outside is not its packet
    if (!runtime.ports.has(packet.port)) {
      return { vpdp: undefined, outputs: [], dropped: 'unclassified', reason: `port ${packet.port} is not a port of vPDP "${runtime.spec.name}"`, passes: 0, epoch: epoch.number };
    }
    const inner = c.packet === packet.data ? packet : { ...packet, data: c.packet };
    return this.run(epoch, runtime, inner, c, options);
  }

  /**
   * Packets in order, each as `process` would run it, on one epoch (no
   * change can come between them). Runs of packets a port rule sends to
   * one vPDP go to the executor together when it takes runs.
   */
  processBatch(packets: readonly PacketIn[]): HypervisorResult[] {
    const epoch = this.current;
    const n = packets.length;
    const out = new Array<HypervisorResult>(n);
    const executor = this.executor;
    const direct = this.plans(epoch).direct;
    let i = 0;
    while (i < n) {
      const port = packets[i]!.port;
      const rt = direct[port] ?? this.directOf(epoch, port);
      if (rt === null || executor.processRun === undefined) {
        out[i] = rt === null ? this.process(packets[i]!) : this.run(epoch, rt, packets[i]!, NO_ENCAPSULATION, undefined);
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && direct[packets[j]!.port] === rt) j++;
      executor.processRun(epoch, rt, packets, i, j, out as VirtualResult[], this.runOptions);
      i = j;
    }
    return out;
  }

  /** Run a classified packet on its vPDP, count it, and wrap what leaves as the packet came. */
  private run(epoch: Epoch, runtime: VpdpRuntime, packet: PacketIn, c: { readonly encapsulation: Encapsulation; readonly headerBytes?: number }, options: { readonly trace?: boolean } | undefined): HypervisorResult {
    const result = this.executor.process(epoch, runtime, packet, options?.trace ? { trace: true, maxPasses: this.maxPasses } : this.runOptions);
    countResult(runtime.counters, result);
    if (c.encapsulation.kind === 'none') return result;
    return { ...result, outputs: result.outputs.map((o) => ({ ...o, data: encapsulate(c.encapsulation, o.data, c.headerBytes ?? 0) })) };
  }

  /** @internal the record of a vPDP, for the tenant control plane. */
  record(vpdp: number): VpdpRecord {
    const rec = this.records.get(vpdp);
    if (!rec) throw new MpvisorError('NOT_FOUND', `no vPDP ${vpdp}`);
    return rec;
  }

  private ports: (EpochPlans & { readonly epoch: Epoch }) | undefined;

  private plans(epoch: Epoch): EpochPlans {
    if (this.ports?.epoch !== epoch) this.ports = { epoch, byPort: [], direct: [] };
    return this.ports;
  }

  /**
   * The vPDP every packet on a port belongs to as it came (the port's first
   * rule is a port rule), or null: the batch path's classification, one
   * array read a packet once the port has been seen in the epoch.
   */
  private directOf(epoch: Epoch, port: number): VpdpRuntime | null {
    const direct = this.plans(epoch).direct;
    const known = direct[port];
    if (known !== undefined) return known;
    const rt = this.portPlan(epoch, port).direct ?? null;
    if (plannedPort(port)) direct[port] = rt;
    return rt;
  }

  /**
   * How packets on a port are classified in an epoch: the rules that may
   * claim them — a rule naming a vPDP applies on that vPDP's ports only, so
   * one tenant's tag rule never captures traffic on another tenant's ports —
   * and, when the first of them is a port rule, its vPDP (every packet on
   * the port is that vPDP's, unwrapped). Made once per port and epoch.
   */
  private portPlan(epoch: Epoch, port: number): PortPlan {
    const plans = this.plans(epoch);
    const cacheable = plannedPort(port);
    let plan = cacheable ? plans.byPort[port] : undefined;
    if (!plan) {
      const rules = epoch.classifier.filter(
        (r) => r.kind === 'descriptionHeader' || ((r.kind !== 'port' || r.port === port) && (epoch.vpdps.get(r.vpdp)?.ports.has(port) ?? false)),
      );
      const first = rules[0];
      const direct = first?.kind === 'port' ? epoch.vpdps.get(first.vpdp) : undefined;
      plan = direct ? { rules, direct } : { rules };
      if (cacheable) plans.byPort[port] = plan;
    }
    return plan;
  }

  /**
   * Stage and program ids in use, but for the programs a vPDP's reload
   * replaces (no packet can still be on the epoch they ran in: packets run
   * whole between two changes), so ids are reused rather than running out.
   */
  private idsInUse(replacing: VpdpRecord, keeping: readonly InstalledProgram[]): { stages: [number, number][]; programs: [number, number][] } {
    const live = [...this.records.values()].flatMap((r) => (r === replacing ? keeping : r.installed));
    return {
      stages: live.map((i) => [i.base, i.base + idSpan(i.generic)]),
      programs: live.map((i) => [i.id, i.id + 1]),
    };
  }

  /** Build the next epoch from the records and swap it in. */
  private commit(): void {
    const vpdps = new Map<number, VpdpRuntime>();
    for (const [id, r] of this.records) {
      vpdps.set(id, {
        spec: r.spec,
        ports: new Set(r.spec.ports),
        policy: r.pipeline?.name ?? '(none)',
        steps: r.installed.filter((i) => !r.disabled.has(i.generic.name)),
        device: r.device,
        digests: r.digests,
        counters: r.counters,
        prepared: undefined,
      });
    }
    this.current = { number: this.current.number + 1, image: this.image, classifier: this.classifier, vpdps };
  }
}

/**
 * A tenant's control plane, with P4Runtime semantics (see control/write.ts)
 * on its own vPDP only. Naming another tenant's program, multicast group or
 * clone session, or sending to a port outside the vPDP, is
 * PERMISSION_DENIED; with an all-or-nothing batch nothing is applied.
 */
export class TenantControl {
  constructor(
    private readonly hv: Hypervisor,
    readonly vpdp: number,
    private readonly bound: VpdpRecord,
  ) {}

  /** The vPDP this handle was made for; a handle outlives neither its vPDP nor reaches one created later with the same id. */
  private rec(): VpdpRecord {
    const rec = this.hv.record(this.vpdp);
    if (rec !== this.bound) throw new MpvisorError('NOT_FOUND', `vPDP ${this.vpdp} "${this.bound.spec.name}" was deleted; this control-plane handle is closed`);
    return rec;
  }

  write(updates: readonly Update[], atomicity: Atomicity = 'continueOnError'): WriteResult {
    const rec = this.rec();
    const denied = updates.map((u) => deny(rec, u.entity, u.type));
    if (denied.every((d) => d === undefined)) return applyUpdates(rec.device, updates, atomicity);
    if (atomicity !== 'continueOnError') {
      const first = denied.findIndex((d) => d !== undefined);
      return {
        ok: false,
        results: denied.map((d) => d ?? { ok: false, code: 'ABORTED', message: `not applied: the batch was rolled back because update ${first} failed` }),
      };
    }
    // the permitted updates go through on their own; the denied ones are reported in place
    const allowed = updates.filter((_, i) => denied[i] === undefined);
    const applied = applyUpdates(rec.device, allowed, atomicity).results;
    let next = 0;
    const results = denied.map((d): UpdateResult => d ?? applied[next++]!);
    return { ok: results.every((r) => r.ok), results };
  }

  read(request: ReadRequest): Entity[] {
    const rec = this.rec();
    if ('program' in request && request.program !== undefined && !rec.device.programs.has(request.program)) {
      throw new MpvisorError('PERMISSION_DENIED', `vPDP "${rec.spec.name}" runs no program "${request.program}"`);
    }
    if ((request.kind === 'multicastGroup' || request.kind === 'cloneSession') && request.id !== undefined) {
      const own = request.kind === 'multicastGroup' ? rec.spec.multicastGroups : rec.spec.cloneSessions;
      if (!own.includes(request.id)) throw new MpvisorError('PERMISSION_DENIED', `vPDP "${rec.spec.name}" has no ${request.kind === 'multicastGroup' ? 'multicast group' : 'clone session'} ${request.id}`);
    }
    return readEntities(rec.device, request);
  }

  /** Digests the vPDP's programs sent since the last drain. */
  drainDigests(): DigestMessage[] {
    const rec = this.rec();
    return rec.digests.splice(0, rec.digests.length);
  }
}

/** Why an update reaches outside the tenant's vPDP, or undefined. */
function deny(rec: VpdpRecord, e: Entity, type: Update['type']): UpdateResult | undefined {
  const no = (message: string): UpdateResult => ({ ok: false, code: 'PERMISSION_DENIED', message: `vPDP "${rec.spec.name}": ${message}` });
  const ports = new Set(rec.spec.ports);
  switch (e.kind) {
    case 'multicastGroup': {
      if (!rec.spec.multicastGroups.includes(e.id)) return no(`multicast group ${e.id} is not the vPDP's`);
      const outside = type === 'delete' ? [] : e.replicas.filter((r) => !ports.has(r.port));
      return outside.length > 0 ? no(`multicast group ${e.id} replicates to port ${outside[0]!.port}, outside the vPDP`) : undefined;
    }
    case 'cloneSession':
      if (!rec.spec.cloneSessions.includes(e.id)) return no(`clone session ${e.id} is not the vPDP's`);
      return type !== 'delete' && !ports.has(e.port) ? no(`clone session ${e.id} sends to port ${e.port}, outside the vPDP`) : undefined;
    default: {
      if (e.program !== undefined && !rec.device.programs.has(e.program)) return no(`it runs no program "${e.program}"`);
      if ((e.kind === 'tableEntry' || e.kind === 'defaultAction') && type !== 'delete') return denyAction(rec, e.program, e.stage, e.action, no);
      return undefined;
    }
  }
}

/** An action call whose arguments send the packet outside the vPDP is refused when written (the egress filter would drop it anyway). */
function denyAction(
  rec: VpdpRecord,
  programName: string | undefined,
  stageName: string,
  call: { readonly action: string; readonly args: Readonly<Record<string, string>> },
  no: (m: string) => UpdateResult,
): UpdateResult | undefined {
  const st = rec.device.resolveProgram(programName, (p) => p.tables.has(stageName));
  if (typeof st === 'string') return undefined; // the write itself reports it
  const action = st.tables.get(stageName)?.stage.actions.find((a) => a.name === call.action);
  if (!action) return undefined;
  const args = new Map(action.params.map((p) => [p.name, { value: safeHex(call.args[p.name]), width: p.width }]));
  // the same reading of an action as the install-time check: setEgress, multicast, clone and any write to the output fields
  for (const p of action.body)
    for (const [kind, valuesOf] of outputsOf(p))
      for (const v of valuesOf(args)) {
        const n = Number(v);
        if (kind === 'port' && v !== BigInt(DROP_PORT) && !rec.spec.ports.includes(n)) return no(`${stageName}/${action.name} sends to port ${v}, outside the vPDP`);
        if (kind === 'group' && v !== 0n && !rec.spec.multicastGroups.includes(n)) return no(`${stageName}/${action.name} multicasts to group ${v}, not the vPDP's`);
        if (kind === 'session' && !rec.spec.cloneSessions.includes(n)) return no(`${stageName}/${action.name} clones to session ${v}, not the vPDP's`);
      }
  return undefined;
}

const safeHex = (h: string | undefined): bigint => {
  try {
    return h === undefined ? 0n : fromHex(h);
  } catch {
    return 0n;
  }
};

/** Copy the cells of registers the old and new program share by name, width and size; returns their names. */
function carryState(before: ProgramState, after: ProgramState): string[] {
  const out: string[] = [];
  for (const [name, reg] of after.registers) {
    const old = before.registers.get(name);
    if (!old || old.width !== reg.width || old.cells.length !== reg.cells.length) continue;
    old.cells.forEach((v, i) => (reg.cells[i] = v));
    out.push(name);
  }
  return out;
}

function unique(programs: readonly Program[]): Program[] {
  const seen = new Map<string, Program>();
  for (const p of programs) if (!seen.has(p.name)) seen.set(p.name, p);
  return [...seen.values()];
}

const stepKey = (name: string, when: unknown): string => `${name}|${when === undefined ? '' : canonicalJson(when as never)}`;
