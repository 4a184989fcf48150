/**
 * Timing: process.hrtime.bigint() around the work, medians over
 * repetitions. Nothing here knows about targets: a workload is a function
 * that runs a batch of packets, or one packet.
 */

/** Nanoseconds, monotonic. */
export const now = (): bigint => process.hrtime.bigint();

export const seconds = (from: bigint, to: bigint = now()): number => Number(to - from) / 1e9;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

/** One timed repetition of a throughput figure. */
export interface Repetition {
  readonly packets: number;
  readonly seconds: number;
  readonly pps: number;
}

/** What the timing loops drive: a target, or anything shaped like one (a hypervisor behind a small adapter). */
export interface Runner<P> {
  processBatch(batch: readonly P[]): unknown;
  process(packet: P): unknown;
}

/** The timing loops of one runner; see loopsFor. */
export interface Loops<P> {
  /**
   * Runs the batches in turn (cycling) until at least `minPackets` packets
   * and `minMillis` milliseconds; the clock is read between batches only.
   * With 0 ms it is also the warm-up.
   */
  batches(batches: readonly (readonly P[])[], minPackets: number, minMillis: number): Repetition;
  /** Times `count` single process() calls, one clock read either side of each; nanoseconds. */
  singles(pool: readonly P[], count: number, offset: number): number[];
}

const BATCHES_LOOP = `
  const minNanos = BigInt(Math.round(minMillis * 1e6));
  let packets = 0;
  let i = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (packets < minPackets || t - t0 < minNanos) {
    const b = batches[i];
    runner.processBatch(b);
    packets += b.length;
    i = i + 1 === batches.length ? 0 : i + 1;
    t = process.hrtime.bigint();
  }
  const s = Number(t - t0) / 1e9;
  return { packets, seconds: s, pps: packets / s };`;

const SINGLES_LOOP = `
  const out = new Array(count);
  for (let k = 0; k < count; k++) {
    const p = pool[(offset + k) % pool.length];
    const t0 = process.hrtime.bigint();
    runner.process(p);
    out[k] = Number(process.hrtime.bigint() - t0);
  }
  return out;`;

/**
 * Timing loops of their own for one runner, compiled afresh for it (new
 * Function), so that V8 keeps separate type feedback for each runner: the
 * call in the loop stays monomorphic, and a fast target is not timed
 * through call sites that every other target has made megamorphic (which
 * costs the fastest ones several times their own per-packet time).
 */
export function loopsFor<P>(runner: Runner<P>): Loops<P> {
  const batches = new Function('runner', 'batches', 'minPackets', 'minMillis', BATCHES_LOOP) as (r: Runner<P>, b: readonly (readonly P[])[], n: number, ms: number) => Repetition;
  const singles = new Function('runner', 'pool', 'count', 'offset', SINGLES_LOOP) as (r: Runner<P>, pool: readonly P[], count: number, offset: number) => number[];
  return {
    batches: (b, minPackets, minMillis) => batches(runner, b, minPackets, minMillis),
    singles: (pool, count, offset) => singles(runner, pool, count, offset),
  };
}

/** The median cost of reading the clock twice around nothing: what every latency sample includes. */
export function timerOverheadNanos(samples = 10_000): number {
  const xs = new Array<number>(samples);
  for (let k = 0; k < samples; k++) {
    const t0 = now();
    xs[k] = Number(now() - t0);
  }
  return median(xs);
}

/** Splits a pool into batches of `size` (the last may be shorter). */
export function batchesOf<T>(pool: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < pool.length; i += size) out.push(pool.slice(i, i + size));
  return out;
}

/** Rotates a list by `k`, so that no target always runs first in a repetition. */
export const rotate = <T>(xs: readonly T[], k: number): T[] => (xs.length === 0 ? [] : [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)]);
