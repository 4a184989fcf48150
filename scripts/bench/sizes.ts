/**
 * How much work each figure gets. `default` is what `npm run bench` runs
 * (a few minutes on 2 cores); `quick` is a tenth of it, for a look; `tiny`
 * is for the smoke test, which checks only that every figure comes out.
 */

export interface BenchSizes {
  readonly name: SizeName;
  /** Timed repetitions of every throughput figure; the figure is their median. */
  readonly repetitions: number;
  /** Packets run before timing, per target and workload (JIT warm-up). */
  readonly warmupPackets: number;
  /** Packets per repetition, at least. */
  readonly packetsPerRepetition: number;
  /** A repetition also runs for at least this long, so fast targets are timed over more packets. */
  readonly minRepetitionMillis: number;
  /** Single process() calls timed per latency figure (spread over the repetitions). */
  readonly latencySamples: number;
  /** Distinct packets per workload (cycled). */
  readonly poolSize: number;
  /** processBatch batch size. */
  readonly batchSize: number;
  /** Scale: vPDP counts. */
  readonly scaleVpdps: readonly number[];
  /** Scale: distinct packets in every row's traffic, whatever its vPDP count (so the packets' own footprint in the caches is the same). */
  readonly scalePackets: number;
  /** Scale: entries per table of the big-table figure. */
  readonly bigTableEntries: number;
  /** Scale: packets per repetition of the big-table figure (its lookups are slow). */
  readonly bigTablePackets: number;
  /** Reconfiguration: installs, and packets of the stream between two installs. */
  readonly reconfigInstalls: number;
  readonly reconfigEvery: number;
  /** End to end: packets in the capture. */
  readonly e2ePackets: number;
}

export type SizeName = 'default' | 'quick' | 'tiny';

export const SIZES: Readonly<Record<SizeName, BenchSizes>> = {
  default: {
    name: 'default',
    repetitions: 5,
    warmupPackets: 2_000,
    packetsPerRepetition: 4_000,
    minRepetitionMillis: 150,
    latencySamples: 2_500,
    poolSize: 256,
    batchSize: 64,
    scaleVpdps: [1, 10, 100, 1_000],
    scalePackets: 16_384,
    bigTableEntries: 10_000,
    bigTablePackets: 200,
    reconfigInstalls: 100,
    reconfigEvery: 200,
    e2ePackets: 1_000_000,
  },
  quick: {
    name: 'quick',
    repetitions: 3,
    warmupPackets: 500,
    packetsPerRepetition: 1_000,
    minRepetitionMillis: 30,
    latencySamples: 500,
    poolSize: 128,
    batchSize: 64,
    scaleVpdps: [1, 10, 100, 1_000],
    scalePackets: 16_384,
    bigTableEntries: 10_000,
    bigTablePackets: 50,
    reconfigInstalls: 20,
    reconfigEvery: 100,
    e2ePackets: 50_000,
  },
  tiny: {
    name: 'tiny',
    repetitions: 2,
    warmupPackets: 8,
    packetsPerRepetition: 16,
    minRepetitionMillis: 0,
    latencySamples: 8,
    poolSize: 8,
    batchSize: 4,
    scaleVpdps: [1, 3],
    scalePackets: 24,
    bigTableEntries: 20,
    bigTablePackets: 4,
    reconfigInstalls: 3,
    reconfigEvery: 6,
    e2ePackets: 40,
  },
};

export function sizesByName(name: string): BenchSizes {
  if (name in SIZES) return SIZES[name as SizeName];
  throw new Error(`unknown bench size "${name}" (one of ${Object.keys(SIZES).join(', ')})`);
}
