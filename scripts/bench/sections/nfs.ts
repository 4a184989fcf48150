/**
 * The seed NFs (L2 switch, firewall, router, ARP proxy) and the L2 switch +
 * firewall chain, at 64 and 1500 bytes, on every target; and the
 * virtualized : native ratios of HyperV's Tables IV (latency) and V
 * (bandwidth), next to the paper's.
 */
import { measureWorkload, type MeasureOptions, type WorkloadFigures } from '../figures.js';
import type { Host } from '../host.js';
import { seedWorkloads } from '../workloads.js';

export const FRAME_SIZES = [64, 1500] as const;

/** HyperV (ICCCN'17) Tables IV and V: virtualized : native on BMv2, for HyperV and Hyper4. */
export const PAPER: Readonly<Record<string, { readonly hyperv: { readonly throughput: number; readonly latency: number }; readonly hyper4: { readonly throughput: number; readonly latency: number } }>> = {
  'l2-switch': { hyperv: { throughput: 0.49, latency: 1.7 }, hyper4: { throughput: 0.17, latency: 3.41 } },
  firewall: { hyperv: { throughput: 0.43, latency: 2.09 }, hyper4: { throughput: 0.11, latency: 4.71 } },
  'l2-switch+firewall': { hyperv: { throughput: 0.35, latency: 2.23 }, hyper4: { throughput: 0.17, latency: 3.44 } },
};

export interface Ratio {
  readonly nf: string;
  readonly size: number;
  /** The engine both sides run on: `reference` compares reference/virtualized with reference/native. */
  readonly engine: string;
  /** Virtualized pps / native pps (Table V's bandwidth ratio). */
  readonly throughput: number;
  /** Virtualized latency / native latency (Table IV). */
  readonly latency: number;
}

export interface NfSection {
  readonly workloads: readonly { readonly nf: string; readonly entries: string; readonly traffic: string }[];
  readonly rows: readonly WorkloadFigures[];
  readonly ratios: readonly Ratio[];
  readonly paper: typeof PAPER;
}

/** Virtualized : native for every engine that has both columns (target ids are `engine/mode`). */
export function ratios(rows: readonly WorkloadFigures[]): Ratio[] {
  const out: Ratio[] = [];
  for (const row of rows) {
    const engines = [...new Set(row.targets.map((t) => t.target.split('/')[0]!))];
    for (const engine of engines) {
      const native = row.targets.find((f) => f.target === `${engine}/native`);
      const virt = row.targets.find((f) => f.target === `${engine}/virtualized`);
      if (!native?.throughput || !virt?.throughput || !native.latency || !virt.latency) continue;
      out.push({ nf: row.nf, size: row.size, engine, throughput: virt.throughput.pps / native.throughput.pps, latency: virt.latency.medianMicros / native.latency.medianMicros });
    }
  }
  return out;
}

export async function runNfs(hosts: readonly Host[], o: MeasureOptions, log: (s: string) => void): Promise<NfSection> {
  const workloads = seedWorkloads();
  const rows: WorkloadFigures[] = [];
  for (const w of workloads) for (const size of FRAME_SIZES) rows.push(await measureWorkload({ kind: 'seed', nf: w.id }, w.id, size, hosts, o, log));
  return { workloads: workloads.map((w) => ({ nf: w.id, entries: w.entries, traffic: w.traffic })), rows, ratios: ratios(rows), paper: PAPER };
}
