/**
 * The targets and image executors the bench measures, found at run time in
 * what `@mpvisor/targets` exports: the reference interpreter, the RMT
 * emulator, the hypervisor (a vPDP behind the Target interface), and the
 * compiled fast path as soon as the package exports it (`CompiledTarget`,
 * and for the hypervisor an image executor named `Compiled…SlotEngine` or
 * `Compiled…Executor`). Nothing else in the bench names a target class, so
 * a new one is one entry here, or an `extraTargets` option of runBench.
 */
import type { ImageExecutor, Target } from '@mpvisor/runtime';

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
  const Virtualized = ctor<Target>('VirtualizedTarget') as (new (o: { image: { slots: number }; executor?: ImageExecutor }) => Target) | undefined;
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
    if (Virtualized)
      targets.push({
        id: 'compiled/virtualized',
        engine: 'compiled',
        mode: 'virtualized',
        describe: `VirtualizedTarget: one vPDP on the hypervisor, ${executorName}, ${SLOTS} slots`,
        create: () => new Virtualized({ image: { slots: SLOTS }, executor: new CompiledExecutor() }),
      });
  } else {
    missing.push({ id: 'compiled/virtualized', why: '@mpvisor/targets exports no compiled image executor (Compiled…SlotEngine / Compiled…Executor) yet' });
  }

  const Rmt = ctor<Target>('RmtTarget') as (new (o: { profile: string }) => Target) | undefined;
  if (Rmt) targets.push({ id: 'rmt/native', engine: 'rmt', mode: 'native', describe: 'RmtTarget, profile rmt: the emulated RMT switch, stage by stage', create: () => new Rmt({ profile: 'rmt' }) });

  return { targets: [...targets].sort(columnOrder), executors, missing };
}
