/**
 * Scale: one hypervisor with 1, 10, 100 and 1,000 vPDPs, each running its
 * own L2 switch + firewall with its own entries, traffic spread over all of
 * them; and the L2 switch + firewall with 10,000 entries in every table
 * against the same with the shipped handful.
 *
 * Traffic comes two ways: round robin, one packet of each vPDP in turn (the
 * worst case for caches: every packet touches another tenant's state), and
 * in bursts of 32 packets per vPDP, as a poll loop takes them from a port's
 * receive queue (DPDK's default burst size is 32). Every row cycles through
 * the same number of distinct packets, spread over its vPDPs, so what
 * changes from row to row is the number of tenants, not the packets' own
 * footprint in the caches.
 *
 * Ports are 9 bits (0..510; 511 drops) and every port belongs to one vPDP,
 * so a data plane has at most 511 vPDPs that can receive a packet. Beyond
 * that the extra vPDPs are created and installed, entries and all, but own
 * no port and see no traffic; the table says how many carried traffic.
 */
import { DROP_PORT, Hypervisor, type ImageExecutor, type PacketIn } from '@mpvisor/runtime';
import { measureWorkload, type MeasureOptions, type WorkloadFigures } from '../figures.js';
import type { Host } from '../host.js';
import type { LoopOptions } from '../jobs.js';
import { batchesOf, loopsFor, median, now, percentile, seconds } from '../measure.js';
import { SLOTS, type BenchExecutor } from '../targets.js';
import { l2FirewallTenant } from '../workloads.js';

/** Ports a vPDP can own: 0..510. */
export const PORTS = DROP_PORT;
const PORTS_PER_VPDP = 4;
/** Packets per vPDP in a burst. */
export const BURST = 32;

export interface ScaleRow {
  readonly executor: string;
  readonly vpdps: number;
  /** vPDPs that own a port, so traffic. */
  readonly withTraffic: number;
  readonly portsPerVpdp: number;
  /** Creating every vPDP and installing its policy with its entries. */
  readonly setupSeconds: number;
  /** Round robin: one packet of each vPDP in turn. */
  readonly pps: number;
  readonly repetitions: readonly number[];
  /** Bursts of BURST packets per vPDP. */
  readonly burstPps: number;
  readonly burstRepetitions: readonly number[];
  readonly packets: number;
  readonly latencyMicros: number;
  readonly latencyP90Micros: number;
  readonly latencySamples: number;
  /** Share of packets no vPDP claimed (should be 0) and of packets dropped. */
  readonly unclassified: number;
  readonly dropRate: number;
  readonly error?: string;
}

export interface ScaleSection {
  readonly rows: readonly ScaleRow[];
  /** The same chain with the shipped entries and with `entriesPerTable` in each table, 64-byte packets. */
  readonly bigTables: { readonly entriesPerTable: number; readonly shipped: WorkloadFigures; readonly big: WorkloadFigures };
}

/** Port plan: up to 4 ports each while they last, then 1 each, then none. */
export function portPlan(vpdps: number): { perVpdp: number; ports: (i: number) => number[] } {
  const perVpdp = Math.max(1, Math.min(PORTS_PER_VPDP, Math.floor(PORTS / vpdps)));
  return { perVpdp, ports: (i) => ((i + 1) * perVpdp <= PORTS ? Array.from({ length: perVpdp }, (_, k) => i * perVpdp + k) : []) };
}

export interface Loaded {
  readonly hv: Hypervisor;
  readonly pool: readonly PacketIn[];
  /** The same packets, BURST of a vPDP at a time. */
  readonly bursts: readonly PacketIn[];
  readonly withTraffic: number;
  readonly perVpdp: number;
  readonly setupSeconds: number;
}

/** A hypervisor with `n` L2 switch + firewall tenants, installed with their entries, and about `packets` distinct packets spread over those with ports. */
export function loadTenants(executor: ImageExecutor, n: number, packets: number): Loaded {
  const plan = portPlan(n);
  const withPorts = Array.from({ length: n }, (_, i) => plan.ports(i).length > 0).filter(Boolean).length;
  // whole bursts of each tenant's own packets
  const perTenant = BURST * Math.max(1, Math.ceil(packets / withPorts / BURST));
  const t0 = now();
  const hv = new Hypervisor({ executor, image: { slots: SLOTS } });
  const tenants = Array.from({ length: n }, (_, i) => l2FirewallTenant(i + 1, plan.ports(i), 64, perTenant));
  for (const t of tenants) hv.createVpdp(t.vpdp);
  hv.setClassifier(tenants.flatMap((t) => t.rules));
  for (const t of tenants) hv.installPipeline(t.vpdp.id, t.pipeline, { entries: t.updates });
  const setupSeconds = seconds(t0);
  // the same packets two ways: one of each tenant in turn, and BURST of each tenant in turn
  const byTenant = tenants.filter((t) => t.packets.length > 0).map((t) => t.packets);
  const pool: PacketIn[] = [];
  for (let k = 0; k < perTenant; k++) for (const ps of byTenant) pool.push(ps[k]!);
  const bursts: PacketIn[] = [];
  for (let k = 0; k < perTenant; k += BURST) for (const ps of byTenant) bursts.push(...ps.slice(k, k + BURST));
  return { hv, pool, bursts, withTraffic: byTenant.length, perVpdp: plan.perVpdp, setupSeconds };
}

/** Every vPDP count on one image executor: setup, throughput (median of the repetitions), latency. */
export function scaleRowsFor(ex: BenchExecutor, counts: readonly number[], distinct: number, o: LoopOptions): ScaleRow[] {
  const rows: ScaleRow[] = [];
  for (const n of counts) {
    try {
      const loaded = loadTenants(ex.create(), n, distinct);
      const hv = loaded.hv;
      const loops = loopsFor<PacketIn>({
        process: (p) => hv.process(p),
        processBatch: (b) => void hv.processBatch(b),
      });
      const batches = batchesOf(loaded.pool, o.batchSize);
      const burstBatches = batchesOf(loaded.bursts, o.batchSize);
      loops.batches(batches, o.warmupPackets, o.minRepetitionMillis);
      loops.batches(burstBatches, o.warmupPackets, o.minRepetitionMillis);
      const reps: number[] = [];
      const burstReps: number[] = [];
      let packets = 0;
      // the two orders interleaved, repetition by repetition, so noise hits both alike
      for (let r = 0; r < o.repetitions; r++) {
        const rep = loops.batches(batches, o.packetsPerRepetition, o.minRepetitionMillis);
        reps.push(rep.pps);
        packets += rep.packets;
        const burst = loops.batches(burstBatches, o.packetsPerRepetition, o.minRepetitionMillis);
        burstReps.push(burst.pps);
        packets += burst.packets;
      }
      const perRep = Math.max(1, Math.ceil(o.latencySamples / o.repetitions));
      const samples: number[] = [];
      // single calls warmed up first, as the batches were
      loops.singles(loaded.pool, Math.max(perRep, 2_000), 0);
      for (let r = 0; r < o.repetitions; r++) samples.push(...loops.singles(loaded.pool, perRep, r * perRep));
      const results = loaded.pool.map((p) => hv.process(p));
      const share = (f: (x: (typeof results)[number]) => boolean): number => (results.length === 0 ? Number.NaN : results.filter(f).length / results.length);
      rows.push({
        executor: ex.id,
        vpdps: n,
        withTraffic: loaded.withTraffic,
        portsPerVpdp: loaded.perVpdp,
        setupSeconds: loaded.setupSeconds,
        pps: median(reps),
        repetitions: reps,
        burstPps: median(burstReps),
        burstRepetitions: burstReps,
        packets,
        latencyMicros: median(samples) / 1000,
        latencyP90Micros: percentile(samples, 90) / 1000,
        latencySamples: samples.length,
        unclassified: share((x) => x.vpdp === undefined),
        dropRate: share((x) => x.dropped !== undefined),
      });
    } catch (e) {
      const nan = Number.NaN;
      rows.push({ executor: ex.id, vpdps: n, withTraffic: 0, portsPerVpdp: 0, setupSeconds: nan, pps: nan, repetitions: [], burstPps: nan, burstRepetitions: [], packets: 0, latencyMicros: nan, latencyP90Micros: nan, latencySamples: 0, unclassified: nan, dropRate: nan, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return rows;
}

/**
 * `executors` run the vPDP counts (each executor on its own, one after the
 * other); `targets` the big-table figures (interleaved, as the NF figures).
 */
export async function runScale(executors: readonly Host[], targets: readonly Host[], counts: readonly number[], packets: number, o: MeasureOptions, bigEntries: number, bigPackets: number, log: (s: string) => void): Promise<ScaleSection> {
  const rows: ScaleRow[] = [];
  for (const h of executors) {
    try {
      const got = await h.perform({ op: 'scale', counts, packets, o });
      rows.push(...got);
      log(`  ${h.id}: ${got.map((r) => `${r.vpdps} vPDPs ${Math.round(r.pps)} pps (setup ${r.setupSeconds.toFixed(2)} s)`).join(', ')}`);
    } catch (e) {
      const nan = Number.NaN;
      for (const n of counts) rows.push({ executor: h.id, vpdps: n, withTraffic: 0, portsPerVpdp: 0, setupSeconds: nan, pps: nan, repetitions: [], burstPps: nan, burstRepetitions: [], packets: 0, latencyMicros: nan, latencyP90Micros: nan, latencySamples: 0, unclassified: nan, dropRate: nan, error: e instanceof Error ? e.message : String(e) });
    }
  }
  // big tables: the same budget for the shipped entries and for the big ones
  // (fewer packets, since 10,000-entry lookups are slow on the scanning targets; the fast ones still run a repetition's minimum time)
  const bo: MeasureOptions = { ...o, warmupPackets: Math.min(o.warmupPackets, bigPackets), packetsPerRepetition: bigPackets, latencySamples: Math.min(o.latencySamples, bigPackets * o.repetitions) };
  const shipped = await measureWorkload({ kind: 'seed', nf: 'l2-switch+firewall' }, 'l2-switch+firewall', 64, targets, bo, log);
  const big = await measureWorkload({ kind: 'big', entries: bigEntries }, 'l2-switch+firewall', 64, targets, bo, log);
  return { rows, bigTables: { entriesPerTable: bigEntries, shipped, big } };
}
