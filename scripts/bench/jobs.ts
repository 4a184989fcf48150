/**
 * What one target (or one image executor) is asked to do, as plain data,
 * so the same jobs run in this process or in a child process of its own
 * (host.ts). A Performer holds the target and its loaded workload between
 * jobs.
 */
import type { PacketIn, ProcessResult, Target } from '@mpvisor/runtime';
import { batchesOf, loopsFor, type Loops, type Repetition } from './measure.js';
import { e2eRowFor, type E2eRow } from './sections/e2e.js';
import { reconfigRowFor, type ReconfigRow } from './sections/reconfig.js';
import { scaleRowsFor, type ScaleRow } from './sections/scale.js';
import type { BenchExecutor, BenchTarget } from './targets.js';
import { workloadOf, type WorkloadKey } from './workloads.js';

/** The timing options the executor jobs need (a subset of BenchSizes). */
export interface LoopOptions {
  readonly repetitions: number;
  readonly warmupPackets: number;
  readonly packetsPerRepetition: number;
  readonly minRepetitionMillis: number;
  readonly latencySamples: number;
  readonly batchSize: number;
}

export type Job =
  /** Load a workload (pipeline and entries) on a fresh target; answers the results of its packets. */
  | { readonly op: 'load'; readonly key: WorkloadKey; readonly size: number; readonly poolSize: number; readonly batchSize: number }
  /** processBatch over the loaded packets until minPackets and minMillis (warm-up with 0 ms); answers a Repetition. */
  | { readonly op: 'batches'; readonly minPackets: number; readonly minMillis: number }
  /** Single process() calls, each timed; answers nanoseconds. */
  | { readonly op: 'singles'; readonly count: number; readonly offset: number }
  /** Executor jobs: a whole section's rows for this executor. */
  | { readonly op: 'scale'; readonly counts: readonly number[]; readonly packets: number; readonly o: LoopOptions }
  | { readonly op: 'reconfig'; readonly installs: number; readonly every: number }
  | { readonly op: 'e2e'; readonly input: string; readonly inputBytes: number; readonly outDir: string };

export interface JobResults {
  load: Outcome[];
  batches: Repetition;
  singles: number[];
  scale: ScaleRow[];
  reconfig: ReconfigRow;
  e2e: E2eRow;
}

/** A result, as compared between targets: drop reason and every output. */
export interface Outcome {
  readonly dropped: string | undefined;
  readonly outputs: readonly { readonly port: number; readonly instance: string; readonly rid: number | undefined; readonly data: Uint8Array }[];
}

const outcome = (r: ProcessResult): Outcome => ({ dropped: r.dropped, outputs: r.outputs.map((o) => ({ port: o.port, instance: o.instance, rid: o.rid, data: o.data })) });

interface Loaded {
  readonly target: Target;
  readonly loops: Loops<PacketIn>;
  readonly pool: readonly PacketIn[];
  readonly batches: readonly (readonly PacketIn[])[];
  /** Whether single process() calls have been warmed up: a target whose processBatch has its own loop leaves process() cold. */
  singlesWarm?: boolean;
}

export class Performer {
  private loaded: Loaded | undefined;

  constructor(private readonly subject: { readonly target: BenchTarget } | { readonly executor: BenchExecutor }) {}

  async perform<J extends Job>(job: J): Promise<JobResults[J['op']]> {
    return (await this.run(job)) as JobResults[J['op']];
  }

  private async run(job: Job): Promise<JobResults[keyof JobResults]> {
    switch (job.op) {
      case 'load':
        return this.load(job.key, job.size, job.poolSize, job.batchSize);
      case 'batches': {
        const l = this.current();
        const rep = l.loops.batches(l.batches, job.minPackets, job.minMillis);
        l.target.drainDigests();
        return rep;
      }
      case 'singles': {
        const l = this.current();
        if (!l.singlesWarm) {
          l.loops.singles(l.pool, Math.max(job.count, 2_000), 0);
          l.singlesWarm = true;
        }
        const out = l.loops.singles(l.pool, job.count, job.offset);
        l.target.drainDigests();
        return out;
      }
      case 'scale':
        return scaleRowsFor(this.executor(), job.counts, job.packets, job.o);
      case 'reconfig':
        return reconfigRowFor(this.executor(), job.installs, job.every);
      case 'e2e':
        return e2eRowFor(this.executor(), job.input, job.inputBytes, job.outDir);
    }
  }

  private load(key: WorkloadKey, size: number, poolSize: number, batchSize: number): Outcome[] {
    if (!('target' in this.subject)) throw new Error('an image executor loads no workload');
    this.loaded = undefined;
    const w = workloadOf(key);
    const target = this.subject.target.create();
    target.load(w.pipeline);
    const written = target.write(w.updates, { atomicity: 'rollbackOnError' });
    if (!written.ok) {
      const bad = written.results.find((r) => !r.ok && r.code !== 'ABORTED');
      throw new Error(`entries refused: ${bad && !bad.ok ? `${bad.code}: ${bad.message}` : '?'}`);
    }
    const pool = w.packets(size, poolSize);
    const results = target.processBatch(pool).map(outcome);
    target.drainDigests();
    this.loaded = { target, loops: loopsFor<PacketIn>(target), pool, batches: batchesOf(pool, batchSize) };
    return results;
  }

  private current(): Loaded {
    if (!this.loaded) throw new Error('no workload is loaded');
    return this.loaded;
  }

  private executor(): BenchExecutor {
    if (!('executor' in this.subject)) throw new Error('a target runs no executor job');
    return this.subject.executor;
  }
}
