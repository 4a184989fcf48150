/**
 * The benchmark harness: finds the targets, runs the sections and returns
 * every figure as one JSON-able report. `main.ts` is the command line
 * around it; the smoke test (packages/targets/test/bench-smoke.test.ts)
 * calls it in-process at the `tiny` size.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, platform, arch, release, totalmem } from 'node:os';
import * as targetsModule from '@mpvisor/targets';
import { ChildHost, InlineHost, type Host } from './host.js';
import { Performer } from './jobs.js';
import { now, seconds, timerOverheadNanos } from './measure.js';
import { runE2e, type E2eSection } from './sections/e2e.js';
import { runNfs, type NfSection } from './sections/nfs.js';
import { COPY_LOOP, runNull, type NullSection } from './sections/null.js';
import { runReconfig, type ReconfigSection } from './sections/reconfig.js';
import { runScale, type ScaleSection } from './sections/scale.js';
import type { BenchSizes } from './sizes.js';
import { columnOrder, discover, SLOTS, type BenchExecutor, type BenchTarget, type Missing } from './targets.js';

export const SECTIONS = ['nfs', 'null', 'scale', 'reconfig', 'e2e'] as const;
export type SectionName = (typeof SECTIONS)[number];

export const SCHEMA = 'mpvisor-bench/1';

export interface BenchOptions {
  readonly sizes: BenchSizes;
  /** Sections to run, in this order; all by default. */
  readonly sections?: readonly SectionName[];
  /** Where targets are looked up by export name; `@mpvisor/targets` by default. */
  readonly module?: Readonly<Record<string, unknown>>;
  /** More targets and image executors to measure (a plugged-in target). */
  readonly extraTargets?: readonly BenchTarget[];
  readonly extraExecutors?: readonly BenchExecutor[];
  /** Keep only these target and executor ids (`reference/native`, `reference`, …). */
  readonly only?: readonly string[];
  /** The command line, as recorded in the report. */
  readonly command?: string;
  /** Progress lines (to stderr, from main.ts). */
  readonly log?: (line: string) => void;
  /** Keep the end-to-end captures (their directory is logged). */
  readonly keepFiles?: boolean;
  /**
   * Measure every target and executor of `@mpvisor/targets` in a child
   * process of its own (default true; see host.ts for why). Plugged-in
   * targets, and everything when `module` is given, run in this process.
   */
  readonly isolate?: boolean;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly availableParallelism: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  /** 1-minute load average when the run started and ended: how busy the machine was. */
  readonly loadBefore: number;
  readonly loadAfter: number;
}

export interface BenchReport {
  readonly schema: typeof SCHEMA;
  readonly date: string;
  readonly command: string;
  readonly size: string;
  readonly sizes: BenchSizes;
  readonly machine: Machine;
  readonly git?: { readonly commit: string; readonly dirty: boolean };
  /** Stage slots of every hypervisor (N). */
  readonly slots: number;
  /** Whether each target ran in a child process of its own. */
  readonly isolated: boolean;
  readonly targets: readonly { readonly id: string; readonly describe: string }[];
  readonly executors: readonly { readonly id: string; readonly describe: string }[];
  readonly missing: readonly Missing[];
  /** What every latency sample includes for reading the clock twice. */
  readonly timerOverheadNanos: number;
  readonly sections: {
    readonly nfs?: NfSection;
    readonly null?: NullSection;
    readonly scale?: ScaleSection;
    readonly reconfig?: ReconfigSection;
    readonly e2e?: E2eSection;
  };
  readonly sectionSeconds: Readonly<Partial<Record<SectionName, number>>>;
  readonly seconds: number;
}

function gitState(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

function machine(loadBefore: number): Machine {
  const cs = cpus();
  return {
    cpu: cs[0]?.model.trim() ?? 'unknown',
    cores: cs.length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    loadBefore,
    loadAfter: loadavg()[0]!,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const started = now();
  const loadBefore = loadavg()[0]!;
  const date = new Date().toISOString();
  const found = discover(options.module ?? (targetsModule as Readonly<Record<string, unknown>>));
  const keep = (id: string): boolean => options.only === undefined || options.only.length === 0 || options.only.includes(id);
  const targets = [...found.targets, ...(options.extraTargets ?? [])].filter((t) => keep(t.id)).sort(columnOrder);
  const executors = [...found.executors, ...(options.extraExecutors ?? [])].filter((e) => keep(e.id));
  const s = options.sizes;
  const sections: { -readonly [K in keyof BenchReport['sections']]: BenchReport['sections'][K] } = {};
  const sectionSeconds: Partial<Record<SectionName, number>> = {};
  const overhead = timerOverheadNanos();

  // one host per target and executor; a child process is started on its first job
  const isolate = (options.isolate ?? true) && options.module === undefined;
  const own = (id: string): boolean => isolate && [...found.targets, COPY_LOOP].some((t) => t.id === id);
  const targetHost = (t: BenchTarget): Host => (own(t.id) ? new ChildHost('target', t.id) : new InlineHost(t.id, new Performer({ target: t })));
  const targetHosts = targets.map(targetHost);
  const copyLoop = targetHost(COPY_LOOP);
  const executorHosts = executors.map((e): Host => (isolate && found.executors.includes(e) ? new ChildHost('executor', e.id) : new InlineHost(e.id, new Performer({ executor: e }))));

  try {
    for (const name of options.sections ?? SECTIONS) {
      const t0 = now();
      log(`== ${name}`);
      switch (name) {
        case 'nfs':
          sections.nfs = await runNfs(targetHosts, s, log);
          break;
        case 'null':
          sections.null = await runNull([...targetHosts, copyLoop], s, log);
          break;
        case 'scale':
          sections.scale = await runScale(executorHosts, targetHosts, s.scaleVpdps, s.scalePackets, s, s.bigTableEntries, s.bigTablePackets, log);
          break;
        case 'reconfig':
          sections.reconfig = await runReconfig(executorHosts, s.reconfigInstalls, s.reconfigEvery, log);
          break;
        case 'e2e':
          sections.e2e = await runE2e(executorHosts, s.e2ePackets, log, options.keepFiles ?? false);
          break;
      }
      sectionSeconds[name] = seconds(t0);
    }
  } finally {
    await Promise.all([...targetHosts, copyLoop, ...executorHosts].map((h) => h.close()));
  }

  const git = gitState();
  return {
    schema: SCHEMA,
    date,
    command: options.command ?? 'runBench()',
    size: s.name,
    sizes: s,
    machine: machine(loadBefore),
    ...(git ? { git } : {}),
    slots: SLOTS,
    isolated: isolate,
    targets: targets.map((t) => ({ id: t.id, describe: t.describe })),
    executors: executors.map((e) => ({ id: e.id, describe: e.describe })),
    missing: found.missing.filter((m) => !targets.some((t) => t.id === m.id)),
    timerOverheadNanos: overhead,
    sections,
    sectionSeconds,
    seconds: seconds(started),
  };
}
