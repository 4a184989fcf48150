/**
 * The targets and image executors the bench measures, found at run time in
 * what `@mpvisor/targets` exports: the reference interpreter, the RMT
 * emulator, the hypervisor (a vPDP behind the Target interface), and the
 * compiled fast path as soon as the package exports it (`CompiledTarget`,
 * and for the hypervisor an image executor named `Compiled…SlotEngine` or
 * `Compiled…Executor`). Nothing else in the bench names a target class, so
 * a new one is one entry here, or an `extraTargets` option of runBench.
 */
import {
  deviceResources,
  DROP_PORT,
  Hypervisor,
  TARGET_API_VERSION,
  type Atomicity,
  type DigestMessage,
  type Entity,
  type ImageExecutor,
  type PacketIn,
  type Pipeline,
  type ProcessOptions,
  type ProcessResult,
  type ReadRequest,
  type ResourceReport,
  type Target,
  type Update,
  type WriteResult,
} from '@mpvisor/runtime';

/** What executes the IR: `reference`, `compiled`, `rmt`, or a plugged-in one. */
export type Engine = string;
export type Mode = 'native' | 'virtualized';

/** A target the per-NF figures run on: one column of the tables. */
export interface BenchTarget {
  /** `engine/mode`, e.g. `reference/native`, `compiled/virtualized`. */
  readonly id: string;
  readonly engine: Engine;
  readonly mode: Mode;
  /** One line: what it is. */
  readonly describe: string;
  create(): Target;
}

/** What runs the hypervisor's generic image, for the multi-tenant figures (scale, reconfiguration, end to end). */
export interface BenchExecutor {
  readonly id: string;
  readonly engine: Engine;
  readonly describe: string;
  create(): ImageExecutor;
}

/** A column that could not be measured, and why (printed, and kept in the JSON). */
export interface Missing {
  readonly id: string;
  readonly why: string;
}

export interface Discovery {
  readonly targets: readonly BenchTarget[];
  readonly executors: readonly BenchExecutor[];
  readonly missing: readonly Missing[];
}

/** Stage slots of every hypervisor the bench builds (the image's N; HyperV's and the demo's 4). */
export const SLOTS = 4;

type Ctor<T> = new (...args: never[]) => T;
const isCtor = (x: unknown): x is Ctor<unknown> => typeof x === 'function';

/** Export names tried, in order, for the compiled image executor. */
const COMPILED_EXECUTOR_NAMES = ['CompiledSlotEngine', 'CompiledImageExecutor', 'CompiledImageEngine'];
const COMPILED_EXECUTOR_PATTERN = /^Compiled\w*(SlotEngine|Executor)$/;

/** The canonical column order: native before virtualized, reference, compiled, rmt, then anything else. */
const ENGINE_ORDER = ['reference', 'compiled', 'rmt'];
export function columnOrder(a: { engine: string; mode: Mode }, b: { engine: string; mode: Mode }): number {
  const e = (x: string): number => (ENGINE_ORDER.includes(x) ? ENGINE_ORDER.indexOf(x) : ENGINE_ORDER.length);
  return e(a.engine) - e(b.engine) || a.engine.localeCompare(b.engine) || (a.mode === b.mode ? 0 : a.mode === 'native' ? -1 : 1);
}

/**
 * What the targets module offers, looked up by export name (so the bench
 * type-checks and runs whether or not the compiled target exists yet).
 */
export function discover(mod: Readonly<Record<string, unknown>>): Discovery {
  const targets: BenchTarget[] = [];
  const executors: BenchExecutor[] = [];
  const missing: Missing[] = [];
  const ctor = <T>(name: string): Ctor<T> | undefined => (isCtor(mod[name]) ? (mod[name] as Ctor<T>) : undefined);

  const Reference = ctor<Target>('ReferenceTarget');
  if (Reference) targets.push({ id: 'reference/native', engine: 'reference', mode: 'native', describe: 'ReferenceTarget: the interpreter that defines the semantics', create: () => new Reference() });
  const Virtualized = ctor<Target>('VirtualizedTarget') as (new (o: { image: { slots: number } }) => Target) | undefined;
  if (Virtualized)
    targets.push({
      id: 'reference/virtualized',
      engine: 'reference',
      mode: 'virtualized',
      describe: `VirtualizedTarget: one vPDP on the hypervisor, ReferenceSlotEngine, ${SLOTS} slots`,
      create: () => new Virtualized({ image: { slots: SLOTS } }),
    });
  const SlotEngine = ctor<ImageExecutor>('ReferenceSlotEngine');
  if (SlotEngine) executors.push({ id: 'reference', engine: 'reference', describe: 'ReferenceSlotEngine: the generic image, interpreted', create: () => new SlotEngine() });

  const Compiled = ctor<Target>('CompiledTarget');
  if (Compiled) targets.push({ id: 'compiled/native', engine: 'compiled', mode: 'native', describe: 'CompiledTarget: specialised JavaScript per loaded configuration', create: () => new Compiled() });
  else missing.push({ id: 'compiled/native', why: '@mpvisor/targets does not export CompiledTarget yet' });
  const executorName = COMPILED_EXECUTOR_NAMES.find((n) => isCtor(mod[n])) ?? Object.keys(mod).find((n) => COMPILED_EXECUTOR_PATTERN.test(n) && isCtor(mod[n]));
  const CompiledExecutor = executorName === undefined ? undefined : ctor<ImageExecutor>(executorName);
  if (CompiledExecutor) {
    executors.push({ id: 'compiled', engine: 'compiled', describe: `${executorName}: the generic image, compiled`, create: () => new CompiledExecutor() });
    targets.push({
      id: 'compiled/virtualized',
      engine: 'compiled',
      mode: 'virtualized',
      describe: `one vPDP on the hypervisor, ${executorName}, ${SLOTS} slots`,
      create: () => new HypervisorTarget(new CompiledExecutor(), SLOTS),
    });
  } else {
    missing.push({ id: 'compiled/virtualized', why: '@mpvisor/targets exports no compiled image executor (Compiled…SlotEngine / Compiled…Executor) yet' });
  }

  const Rmt = ctor<Target>('RmtTarget') as (new (o: { profile: string }) => Target) | undefined;
  if (Rmt) targets.push({ id: 'rmt/native', engine: 'rmt', mode: 'native', describe: 'RmtTarget, profile rmt: the emulated RMT switch, stage by stage', create: () => new Rmt({ profile: 'rmt' }) });

  return { targets: [...targets].sort(columnOrder), executors, missing };
}

/** Every port but the drop port, and every 16-bit group and session id. */
const ALL_PORTS = Array.from({ length: DROP_PORT }, (_, i) => i);
const ALL_IDS = Array.from({ length: 0xffff }, (_, i) => i + 1);

/**
 * One vPDP that owns everything, on a hypervisor with any image executor,
 * behind the Target interface: VirtualizedTarget's shape for executors it
 * does not take (the compiled one). Packets go through the same
 * classification, slots and egress filter.
 */
export class HypervisorTarget implements Target {
  readonly apiVersion = TARGET_API_VERSION;
  readonly name: string;
  private hv: Hypervisor | undefined;

  constructor(
    private readonly executor: ImageExecutor,
    private readonly slots: number,
  ) {
    this.name = `hypervisor(${executor.name}, ${slots} slots)`;
  }

  private get hypervisor(): Hypervisor {
    if (!this.hv) throw new Error('no pipeline is loaded; call load() first');
    return this.hv;
  }

  load(pipeline: Pipeline): void {
    const hv = new Hypervisor({ executor: this.executor, image: { slots: this.slots } });
    hv.createVpdp({
      id: 1,
      name: pipeline.name,
      ports: ALL_PORTS,
      multicastGroups: ALL_IDS,
      cloneSessions: ALL_IDS,
      quotas: { stages: 1 << 16, tableEntries: 2 ** 40, registerCells: 2 ** 40, counterCells: 2 ** 40, meterCells: 2 ** 40 },
    });
    hv.setClassifier(ALL_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: 1 })));
    hv.installPipeline(1, pipeline);
    this.hv = hv;
  }

  write(updates: readonly Update[], options: { readonly atomicity?: Atomicity } = {}): WriteResult {
    return this.hypervisor.tenant(1).write(updates, options.atomicity);
  }

  read(request: ReadRequest): readonly Entity[] {
    return this.hypervisor.tenant(1).read(request);
  }

  process(packet: PacketIn, options: ProcessOptions = {}): ProcessResult {
    const r = this.hypervisor.process(packet, options);
    if (r.vpdp === undefined) throw new Error(`ingress port ${packet.port}: ${r.reason}`);
    return r;
  }

  processBatch(packets: readonly PacketIn[]): readonly ProcessResult[] {
    return packets.map((p) => this.process(p));
  }

  drainDigests(): readonly DigestMessage[] {
    return this.hypervisor.tenant(1).drainDigests();
  }

  resources(): ResourceReport {
    return deviceResources(this.hypervisor.epoch.vpdps.get(1)!.device, this.name);
  }
}
