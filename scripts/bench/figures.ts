/**
 * One workload at one packet size on several targets: the throughput and
 * latency figures of one row of the tables. Repetitions are interleaved
 * across targets (rep 1 on every target, then rep 2, …, starting with a
 * different target each time), so a noisy moment of the machine falls on
 * all of them alike and the ratios stay fair.
 */
import { Buffer } from 'node:buffer';
import type { Host } from './host.js';
import type { Outcome } from './jobs.js';
import { median, percentile, rotate } from './measure.js';
import type { WorkloadKey } from './workloads.js';

export interface Throughput {
  /** Median packets per second over the repetitions. */
  readonly pps: number;
  /** Packets per second of each repetition. */
  readonly repetitions: readonly number[];
  /** Packets timed in all (every repetition). */
  readonly packets: number;
  /** processBatch batch size. */
  readonly batch: number;
}

export interface Latency {
  /** Median time of one process() call, microseconds (clock reads included). */
  readonly medianMicros: number;
  readonly p90Micros: number;
  readonly samples: number;
}

export interface TargetFigure {
  readonly target: string;
  readonly throughput?: Throughput;
  readonly latency?: Latency;
  /** Whether its results on the workload's packets equal the first target's (the reference), byte for byte. */
  readonly agrees?: boolean;
  /** Why it has no figures (refused the pipeline, threw…). */
  readonly error?: string;
}

export interface WorkloadFigures {
  readonly nf: string;
  /** Frame size in bytes. */
  readonly size: number;
  /** Distinct packets, cycled. */
  readonly pool: number;
  /** On the first target: the share of packets with no normal or replica output, and outputs per packet. */
  readonly dropRate: number;
  readonly outputsPerPacket: number;
  readonly targets: readonly TargetFigure[];
}

export interface MeasureOptions {
  readonly repetitions: number;
  readonly warmupPackets: number;
  readonly packetsPerRepetition: number;
  readonly minRepetitionMillis: number;
  readonly latencySamples: number;
  readonly poolSize: number;
  readonly batchSize: number;
}

const message = (e: unknown): string => (e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)).slice(0, 300);

/** Results compared on drop reason and every output's port, instance, rid and bytes. */
function same(a: Outcome, b: Outcome): boolean {
  if (a.dropped !== b.dropped || a.outputs.length !== b.outputs.length) return false;
  return a.outputs.every((o, i) => {
    const p = b.outputs[i]!;
    return o.port === p.port && o.instance === p.instance && o.rid === p.rid && Buffer.compare(o.data, p.data) === 0;
  });
}

interface Live {
  readonly host: Host;
  reps: number[];
  packets: number;
  samples: number[];
  agrees?: boolean;
  error?: string;
}

/** Loads the workload on each target (with its entries) and measures it at one frame size. */
export async function measureWorkload(key: WorkloadKey, nf: string, size: number, hosts: readonly Host[], o: MeasureOptions, log: (s: string) => void = () => {}): Promise<WorkloadFigures> {
  // loading is not timed: every target at once
  const loads = await Promise.allSettled(hosts.map((h) => h.perform({ op: 'load', key, size, poolSize: o.poolSize, batchSize: o.batchSize })));
  const lives: Live[] = [];
  let expected: readonly Outcome[] | undefined;
  loads.forEach((r, i) => {
    const live: Live = { host: hosts[i]!, reps: [], packets: 0, samples: [] };
    if (r.status === 'rejected') live.error = message(r.reason);
    else if (expected === undefined) expected = r.value;
    else live.agrees = r.value.length === expected.length && r.value.every((x, k) => same(x, expected![k]!));
    lives.push(live);
  });
  const first = expected ?? [];
  const dropRate = first.length === 0 ? Number.NaN : first.filter((r) => r.dropped !== undefined).length / first.length;
  const outputsPerPacket = first.length === 0 ? Number.NaN : first.reduce((n, r) => n + r.outputs.length, 0) / first.length;

  const guard = async (l: Live, f: () => Promise<void>): Promise<void> => {
    if (l.error !== undefined) return;
    try {
      await f();
    } catch (e) {
      l.error = message(e);
    }
  };
  // warm-up: as many packets as asked and as long as a repetition, so a fast target's code is optimised too
  await Promise.all(lives.map((l) => guard(l, async () => void (await l.host.perform({ op: 'batches', minPackets: o.warmupPackets, minMillis: o.minRepetitionMillis })))));
  for (let r = 0; r < o.repetitions; r++) {
    for (const l of rotate(lives, r)) {
      await guard(l, async () => {
        const rep = await l.host.perform({ op: 'batches', minPackets: o.packetsPerRepetition, minMillis: o.minRepetitionMillis });
        l.reps.push(rep.pps);
        l.packets += rep.packets;
      });
    }
  }
  const perRep = Math.max(1, Math.ceil(o.latencySamples / o.repetitions));
  for (let r = 0; r < o.repetitions; r++) {
    for (const l of rotate(lives, r)) await guard(l, async () => void l.samples.push(...(await l.host.perform({ op: 'singles', count: perRep, offset: r * perRep }))));
  }
  log(`  ${nf} ${size} B: ${lives.map((l) => `${l.host.id} ${l.error !== undefined ? 'error' : Math.round(median(l.reps))}`).join(', ')}`);

  return {
    nf,
    size,
    pool: o.poolSize,
    dropRate,
    outputsPerPacket,
    targets: lives.map((l) =>
      l.error !== undefined
        ? { target: l.host.id, error: l.error }
        : {
            target: l.host.id,
            throughput: { pps: median(l.reps), repetitions: l.reps, packets: l.packets, batch: o.batchSize },
            latency: { medianMicros: median(l.samples) / 1000, p90Micros: percentile(l.samples, 90) / 1000, samples: l.samples.length },
            ...(l.agrees !== undefined ? { agrees: l.agrees } : {}),
          },
    ),
  };
}
