/**
 * Reconfiguration under load (P4NFV's program reload and pipeline
 * manipulation): tenant A's vPDP switches between two NFs — the L2 switch +
 * firewall chain and the router, each installed with its entries in one
 * `hv.install(…, { entries })` — every `every` packets of a stream that
 * alternates A's and tenant B's packets; B is never touched.
 *
 * The install time is the wall time of the call (decode and validate the
 * NF, compile it to the image, write its entries, swap the epoch). A packet
 * is lost when it gets no result or no vPDP claims it (`unclassified`),
 * which per-packet consistency says never happens: a packet runs wholly on
 * the epoch before an install or the one after.
 */
import { ethernet, Hypervisor, ipv4, loadPipeline, udp, type PacketIn, type PipelineSource, type Update } from '@mpvisor/runtime';
import { policies, programs } from '../../../examples/nfs/index.js';
import { median, now, seconds } from '../measure.js';
import type { Host } from '../host.js';
import { SLOTS, type BenchExecutor } from '../targets.js';
import { frame, int, l2FirewallTenant, prng, readEntries } from '../workloads.js';

export interface ReconfigRow {
  readonly executor: string;
  /** Installs done (alternately the router and the L2 switch + firewall, with entries). */
  readonly installs: number;
  readonly installMedianMillis: number;
  readonly installMaxMillis: number;
  /** A's first packet after each install: what an executor that prepares lazily (generating code) pays there. */
  readonly firstPacketMedianMillis: number;
  /** setEnabled of A's firewall, off and on (pipeline manipulation). */
  readonly toggles: number;
  readonly toggleMedianMillis: number;
  /** The stream: packets, and packets per second without and with the installs (their time included). */
  readonly packets: number;
  readonly baselinePps: number;
  readonly duringPps: number;
  /** Inputs without a result, or claimed by no vPDP. */
  readonly lost: number;
  /** Packets that ran on each side of an install: epochs seen by A's packets. */
  readonly epochsSeen: number;
  readonly error?: string;
}

export interface ReconfigSection {
  readonly every: number;
  readonly rows: readonly ReconfigRow[];
}

const A = 1;
const A_PORTS = [1, 2, 3, 4, 5, 6, 7, 8];

interface Version {
  readonly name: string;
  readonly source: PipelineSource;
  /** Its entries file, for the first install. */
  readonly updates: readonly Update[];
  /** The same without multicast groups: a vPDP's groups outlive its policies, so a reinstall writes table entries only. */
  readonly reinstall: readonly Update[];
}

function version(name: string, source: PipelineSource, entries: string): Version {
  const updates = readEntries(entries, loadPipeline(source));
  return { name, source, updates, reinstall: updates.filter((u) => u.entity.kind !== 'multicastGroup') };
}

const versions = (): [Version, Version] => [version('l2-switch+firewall', policies.tenantA, 'tenant-a.entries.yaml'), version('router', programs.router, 'router.entries.json')];

/** A's packets: between its 4 hosts (switched by the chain; routed by the router, 10/8 and 10.0.1/24). */
function packetsOfA(count: number): PacketIn[] {
  const rnd = prng(0x5ec);
  return Array.from({ length: count }, () => {
    const from = int(rnd, 1, 4);
    const to = (from % 4) + 1;
    const dst = rnd() < 0.5 ? `10.0.1.${int(rnd, 2, 120)}` : `10.${int(rnd, 2, 200)}.0.${int(rnd, 1, 254)}`;
    return { port: from, data: frame(64, ethernet({ src: `02:00:00:00:00:0${from}`, dst: `02:00:00:00:00:0${to}` }), ipv4({ src: `10.0.0.${int(rnd, 1, 99)}`, dst }), udp({ sport: int(rnd, 1024, 65535), dport: 53 })) };
  });
}

function setUp(ex: BenchExecutor, v: Version) {
  const hv = new Hypervisor({ executor: ex.create(), image: { slots: SLOTS } });
  const b = l2FirewallTenant(2, [9, 10, 11, 12]);
  hv.createVpdp({ id: A, name: 'tenant-a', ports: A_PORTS, multicastGroups: [1] });
  hv.createVpdp(b.vpdp);
  hv.setClassifier([...A_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: A })), ...b.rules]);
  hv.install(A, v.source, { entries: v.updates });
  hv.installPipeline(b.vpdp.id, b.pipeline, { entries: b.updates });
  return { hv, b };
}

/** The stream with and without installs, and the toggles, on one image executor. */
export function reconfigRowFor(ex: BenchExecutor, installs: number, every: number): ReconfigRow {
  const vs = versions();
  const total = installs * every;
  const a = packetsOfA(64);
  // the stream: A, B, A, B, …
  const stream = (bPackets: readonly PacketIn[]): PacketIn[] => Array.from({ length: total }, (_, i) => (i % 2 === 0 ? a[(i >> 1) % a.length]! : bPackets[(i >> 1) % bPackets.length]!));

  // baseline: the same stream, no installs
  const base = setUp(ex, vs[0]);
  const s = stream(base.b.packets);
  for (let i = 0; i < Math.min(total, 2_000); i++) base.hv.process(s[i]!);
  const t0 = now();
  for (let i = 0; i < total; i++) base.hv.process(s[i]!);
  const baselinePps = total / seconds(t0);

  // during: an install before every `every`-th packet
  const { hv } = setUp(ex, vs[0]);
  for (let i = 0; i < Math.min(total, 2_000); i++) hv.process(s[i]!);
  const times: number[] = [];
  const firsts: number[] = [];
  const epochs = new Set<number>();
  let lost = 0;
  let current = 0;
  const t1 = now();
  for (let i = 0; i < total; i++) {
    if (i > 0 && i % every === 0) {
      current = 1 - current;
      const v = vs[current]!;
      const ti = now();
      hv.install(A, v.source, { entries: v.reinstall });
      times.push(Number(now() - ti) / 1e6);
    }
    // A's first packet on the new epoch (the stream alternates A and B; installs land before an A packet)
    const first = i > 0 && i % every === 0;
    const tp = first ? now() : 0n;
    const r = hv.process(s[i]!);
    if (first) firsts.push(Number(now() - tp) / 1e6);
    if (r.vpdp === undefined) lost++;
    else if (r.vpdp === A) epochs.add(r.epoch);
  }
  const duringPps = total / seconds(t1);

  // pipeline manipulation: the firewall out of A's chain and back, with packets in between
  if (current !== 0) hv.install(A, vs[0].source, { entries: vs[0].reinstall });
  const toggles: number[] = [];
  for (let k = 0; k < installs; k++) {
    const tt = now();
    hv.setEnabled(A, 'firewall', k % 2 === 1);
    toggles.push(Number(now() - tt) / 1e6);
    for (let i = 0; i < Math.min(every, 16); i++) {
      const r = hv.process(s[i]!);
      if (r.vpdp === undefined) lost++;
    }
  }
  return {
    executor: ex.id,
    installs: times.length,
    installMedianMillis: median(times),
    firstPacketMedianMillis: median(firsts),
    installMaxMillis: times.length === 0 ? Number.NaN : Math.max(...times),
    toggles: toggles.length,
    toggleMedianMillis: median(toggles),
    packets: total,
    baselinePps,
    duringPps,
    lost,
    epochsSeen: epochs.size,
  };
}

export async function runReconfig(executors: readonly Host[], installs: number, every: number, log: (s: string) => void): Promise<ReconfigSection> {
  const rows: ReconfigRow[] = [];
  for (const h of executors) {
    try {
      const row = await h.perform({ op: 'reconfig', installs, every });
      rows.push(row);
      log(`  ${h.id}: install ${row.installMedianMillis.toFixed(2)} ms (median of ${row.installs}), lost ${row.lost}`);
    } catch (e) {
      const nan = Number.NaN;
      rows.push({ executor: h.id, installs: 0, installMedianMillis: nan, installMaxMillis: nan, firstPacketMedianMillis: nan, toggles: 0, toggleMedianMillis: nan, packets: 0, baselinePps: nan, duringPps: nan, lost: nan, epochsSeen: 0, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { every, rows };
}
