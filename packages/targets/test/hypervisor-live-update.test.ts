/**
 * Live update (acceptance point): while a stream of 1,000,000 packets runs
 * through two tenants, tenant A's NF is replaced 1,000 times and tenant B's
 * policy is left alone. Every output of A matches exactly the old or the new
 * configuration of A — the one of the epoch the packet ran on —, B's outputs
 * are those of a run with no updates, and nothing is lost.
 *
 * - Tenant A (vPDP 1, ports 4..11) alternates between two versions of an IPv4
 *   router: v1 is `programs.router` with routes RA1; v2 is the router derived
 *   as a new version of itself (same name, bigger LPM table, so a different
 *   IR: its entries are not kept) with routes RA2 — other next hops, MACs and
 *   ports, a default route, and different drops. A replacement is
 *   `install` + the new version's entries written, between two packets.
 * - Tenant B (vPDP 2, ports 0..3) runs `policies.tenantB` (nat >> router)
 *   with the shipped entries, never touched.
 *
 * Both NFs are stateless, so the expected result of every packet of each
 * tenant's pool (a few hundred distinct packets: the shipped captures plus
 * packets built with the packet library) is computed once with the native
 * ReferenceTarget under A-v1, A-v2 and B, and confirmed on hypervisors that
 * never change. The stream draws from the pools with a seeded PRNG and checks
 * each result against the expectation of the version its epoch belongs to,
 * with cheap byte comparisons (Buffer.compare) and no per-packet expect().
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dissect,
  entriesToUpdates,
  ethernet,
  findLayer,
  Hypervisor,
  icmp,
  ipv4,
  loadPipeline,
  packet,
  parseEntriesFile,
  payload,
  readCaptureAll,
  tcp,
  udp,
  type HypervisorResult,
  type PacketIn,
  type Pipeline,
  type PipelineSource,
  type ProcessResult,
  type Update,
} from '@mpvisor/runtime';
import { ReferenceSlotEngine, ReferenceTarget } from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import { capturePath, entriesPath } from '../../../examples/test/e2e-helpers.js';

const A = 1;
const B = 2;
const A_PORTS = [4, 5, 6, 7, 8, 9, 10, 11];
const B_PORTS = [0, 1, 2, 3];

const TOTAL = 1_000_000;
const REPLACEMENTS = 1_000;
/** The variant with replacements inside interleaved batches runs a shorter stream. */
const VARIANT_TOTAL = 200_000;
const VARIANT_REPLACEMENTS = 200;

// ---------------------------------------------------------------- the NFs

/** A-v2: the router as a new version of itself (same name, different IR). */
const routerV2 = programs.router.derive('router', 'router v2: a bigger LPM table').resize('ipv4_lpm', 8192);

const route = (prefix: string, nhop: string, port: number) => ({ key: { 'ipv4.dstAddr': prefix }, action: 'set_nhop', args: { nhop, port } });
const nexthop = (nhop: string, dmac: string, smac: string) => ({ key: { 'meta.nextHop': nhop }, action: 'set_dmac', args: { dmac, smac } });

const RA1 = {
  tables: {
    ipv4_lpm: [
      route('10.0.0.0/8', '10.255.255.1', 5),
      route('10.0.1.0/24', '10.0.1.1', 6),
      route('10.0.1.128/25', '10.0.1.129', 7),
      route('10.0.1.200/32', '10.0.1.200', 8),
      route('192.168.0.0/16', '192.168.0.1', 9),
      route('172.16.0.0/12', '172.16.0.1', 10), // next hop unresolved in v1: dropped
      { key: { 'ipv4.dstAddr': '198.51.100.0/24' }, action: 'drop' },
    ],
    forward: [
      nexthop('10.255.255.1', '02:00:00:00:ff:01', '02:00:00:00:0a:05'),
      nexthop('10.0.1.1', '02:00:00:00:0a:01', '02:00:00:00:0a:06'),
      nexthop('10.0.1.129', '02:00:00:00:0a:81', '02:00:00:00:0a:07'),
      nexthop('10.0.1.200', '02:00:00:00:0a:c8', '02:00:00:00:0a:08'),
      nexthop('192.168.0.1', '02:00:00:00:c0:01', '02:00:00:00:0a:09'),
    ],
  },
};

const RA2 = {
  tables: {
    ipv4_lpm: [
      route('_', '100.64.0.1', 11), // a default route: v1 drops what has no route
      route('10.0.0.0/8', '10.255.255.2', 7),
      route('10.0.1.0/24', '10.0.1.2', 4),
      route('172.16.0.0/12', '172.16.0.1', 10),
      route('198.51.100.0/24', '198.51.100.1', 6), // v1 blackholes it
      { key: { 'ipv4.dstAddr': '192.168.0.0/16' }, action: 'drop' }, // v1 routes it
    ],
    forward: [
      nexthop('100.64.0.1', '02:00:00:00:64:01', '02:00:00:00:0b:0b'),
      nexthop('10.255.255.2', '02:00:00:00:ff:02', '02:00:00:00:0b:07'),
      nexthop('10.0.1.2', '02:00:00:00:0a:02', '02:00:00:00:0b:04'),
      nexthop('172.16.0.1', '02:00:00:00:ac:01', '02:00:00:00:0b:0a'),
      nexthop('198.51.100.1', '02:00:00:00:c6:01', '02:00:00:00:0b:06'),
    ],
  },
};

interface Version {
  readonly name: string;
  readonly source: PipelineSource;
  readonly pipeline: Pipeline;
  readonly updates: readonly Update[];
}

function version(name: string, source: PipelineSource, entriesText: string, file: string): Version {
  const pipeline = loadPipeline(source);
  const { updates } = entriesToUpdates(parseEntriesFile(entriesText, file), pipeline, file);
  return { name, source, pipeline, updates };
}

// ---------------------------------------------------------------- expectations

interface Out {
  readonly port: number;
  readonly instance: string;
  readonly rid: number | undefined;
  readonly data: Uint8Array;
}
interface Expected {
  readonly dropped: string | undefined;
  readonly outputs: readonly Out[];
}

const expectedOf = (r: ProcessResult): Expected => ({
  dropped: r.dropped,
  outputs: r.outputs.map((o) => ({ port: o.port, instance: o.instance, rid: o.rid, data: Uint8Array.from(o.data) })),
});

/** What a result is compared on. */
interface Outcome {
  readonly dropped?: string | undefined;
  readonly outputs: readonly { readonly port: number; readonly instance: string; readonly rid?: number | undefined; readonly data: Uint8Array }[];
}

/** Exactly the expected result: drop reason, and every output's port, instance, replication id and bytes. */
function same(got: Outcome, want: Expected): boolean {
  if (got.dropped !== want.dropped) return false;
  const outs = got.outputs;
  if (outs.length !== want.outputs.length) return false;
  for (let i = 0; i < outs.length; i++) {
    const a = outs[i]!;
    const b = want.outputs[i]!;
    if (a.port !== b.port || a.instance !== b.instance || a.rid !== b.rid || Buffer.compare(a.data, b.data) !== 0) return false;
  }
  return true;
}

const show = (r: Outcome): string =>
  JSON.stringify({ dropped: r.dropped, outputs: r.outputs.map((o) => `${o.port}/${o.instance}:${Buffer.from(o.data).toString('hex')}`) });

/** The native reference's result for each packet of a pool, on a fresh target with the version loaded. */
function native(v: Version, pool: readonly PacketIn[]): Expected[] {
  const t = new ReferenceTarget();
  t.load(v.pipeline);
  const w = t.write(v.updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`${v.name}: entries refused: ${JSON.stringify(w.results)}`);
  return pool.map((p) => expectedOf(t.process(p)));
}

// ---------------------------------------------------------------- pools

/** mulberry32: a small seeded PRNG, so every run streams the same packets. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const bytes = (rnd: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(rnd, 0, 255));
const mac = (rnd: () => number): string => ['02', ...Array.from({ length: 5 }, () => int(rnd, 0, 255).toString(16).padStart(2, '0'))].join(':');
const addr = (rnd: () => number): string => Array.from({ length: 4 }, () => int(rnd, 0, 255)).join('.');

/** An IPv4 packet with TCP, UDP or ICMP, random MACs, ports, TTL, options and payload. */
function ipPacket(rnd: () => number, src: string, dst: string, l4: 'tcp' | 'udp' | 'icmp', sport: number): Uint8Array {
  const ttl = pick(rnd, [64, 64, 64, 128, 255, 2, 1, 0]);
  const options = rnd() < 0.15 ? Uint8Array.from([1, 1, 1, 0]) : undefined;
  const body = payload(bytes(rnd, int(rnd, 0, 48)));
  const l3 = ipv4({ src, dst, ttl, id: int(rnd, 0, 0xffff), tos: pick(rnd, [0, 0, 0x10, 0xb8]), ...(options ? { options } : {}) });
  const l2 = ethernet({ src: mac(rnd), dst: mac(rnd) });
  if (l4 === 'tcp') return packet(l2, l3, tcp({ sport, dport: int(rnd, 1, 65535), seq: int(rnd, 0, 2 ** 31), flags: pick(rnd, ['S', 'A', 'PA', 'FA']) }), body);
  if (l4 === 'udp') return packet(l2, l3, udp({ sport, dport: int(rnd, 1, 65535), ...(rnd() < 0.2 ? { checksum: 0 } : {}) }), body);
  return packet(l2, l3, icmp({ id: int(rnd, 0, 0xffff), seq: int(rnd, 0, 0xffff) }), body);
}

const isIpv4 = (data: Uint8Array): boolean => findLayer(dissect(data), 'ipv4') !== undefined;

/** Tenant A's pool: the IPv4 packets of the router and ECMP captures, and built ones aimed at every route of both versions. */
async function poolOfA(): Promise<PacketIn[]> {
  const rnd = prng(0xa11ce);
  const shipped = [...(await readCaptureAll(capturePath('router'))), ...(await readCaptureAll(capturePath('ecmp')))].filter((p) => isIpv4(p.data));
  const pool: PacketIn[] = shipped.map((p) => ({ port: pick(rnd, A_PORTS), data: p.data }));
  const targets = [
    '10.0.1.1', '10.0.1.77', '10.0.1.127', '10.0.1.128', '10.0.1.129', '10.0.1.200', '10.0.1.201', '10.0.1.255', '10.0.2.5', '10.9.8.7',
    '10.255.255.254', '192.168.3.4', '192.168.255.1', '172.16.0.9', '172.31.255.255', '198.51.100.7', '203.0.113.9', '8.8.8.8', '100.64.1.1', '11.0.0.1',
  ];
  for (let i = 0; i < 320; i++) {
    const dst = rnd() < 0.8 ? pick(rnd, targets) : addr(rnd);
    pool.push({ port: pick(rnd, A_PORTS), data: ipPacket(rnd, addr(rnd), dst, pick(rnd, ['tcp', 'udp', 'icmp'] as const), int(rnd, 1, 65535)) });
  }
  return pool;
}

/** Tenant B's pool: the tenant-b and NAT captures (ARP and IPv6 included) and built flows, translated or not. */
async function poolOfB(): Promise<PacketIn[]> {
  const rnd = prng(0xb0b);
  const shipped = [...(await readCaptureAll(capturePath('tenant-b'))), ...(await readCaptureAll(capturePath('nat')))];
  const pool: PacketIn[] = shipped.map((p) => ({ port: 1, data: p.data }));
  const flows = [
    { src: '10.0.0.5', l4: 'tcp', sport: 40000 },
    { src: '10.0.0.5', l4: 'udp', sport: 41000 },
    { src: '10.0.0.7', l4: 'udp', sport: 42000 },
    { src: '10.0.0.5', l4: 'tcp', sport: 40001 },
    { src: '10.0.0.9', l4: 'udp', sport: 41000 },
  ] as const;
  for (let i = 0; i < 320; i++) {
    const f = rnd() < 0.7 ? pick(rnd, flows) : { src: addr(rnd), l4: pick(rnd, ['tcp', 'udp', 'icmp'] as const), sport: int(rnd, 1, 65535) };
    const dst = rnd() < 0.4 ? `192.0.2.${int(rnd, 0, 255)}` : addr(rnd);
    pool.push({ port: pick(rnd, B_PORTS), data: ipPacket(rnd, f.src, dst, f.l4, f.sport) });
  }
  return pool;
}

// ---------------------------------------------------------------- the stream

/** Which tenant sends each packet of the stream, which pool packet, and before which packets A is replaced. */
interface Plan {
  readonly tenants: Uint8Array; // A or B
  readonly indices: Uint16Array;
  /** Stream positions, ascending: A is replaced just before the packet at each. */
  readonly replaceAt: readonly number[];
}

/**
 * Every 1,000 packets, in the middle of each window of 1,000: B, A, | replace |, A, B.
 * The A packets either side are ones the two versions treat differently.
 */
function planWindows(total: number, replacements: number, sizes: { a: number; b: number }, telling: readonly number[], seed: number): Plan {
  const rnd = prng(seed);
  const tenants = new Uint8Array(total);
  const indices = new Uint16Array(total);
  for (let i = 0; i < total; i++) {
    tenants[i] = rnd() < 0.5 ? A : B;
    indices[i] = Math.floor(rnd() * (tenants[i] === A ? sizes.a : sizes.b));
  }
  const window = total / replacements;
  const replaceAt: number[] = [];
  for (let k = 0; k < replacements; k++) {
    const at = k * window + window / 2;
    replaceAt.push(at);
    tenants[at - 2] = B;
    tenants[at - 1] = A;
    indices[at - 1] = pick(rnd, telling);
    tenants[at] = A;
    indices[at] = pick(rnd, telling);
    tenants[at + 1] = B;
    indices[at + 1] = Math.floor(rnd() * sizes.b);
    indices[at - 2] = Math.floor(rnd() * sizes.b);
  }
  return { tenants, indices, replaceAt };
}

/**
 * Interleaved batches of 64 packets (A, B, A, B, … or B, A, …); a
 * replacement happens strictly inside one batch about every `total /
 * replacements` packets, at a random offset, so packets of one batch run on
 * both sides of it. The A packets nearest each side are telling ones.
 */
function planBatches(total: number, replacements: number, sizes: { a: number; b: number }, telling: readonly number[], seed: number): Plan {
  const rnd = prng(seed);
  const BATCH = 64;
  const tenants = new Uint8Array(total);
  const indices = new Uint16Array(total);
  for (let start = 0; start < total; start += BATCH) {
    const first = rnd() < 0.5 ? A : B;
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      tenants[i] = (i - start) % 2 === 0 ? first : first === A ? B : A;
      indices[i] = Math.floor(rnd() * (tenants[i] === A ? sizes.a : sizes.b));
    }
  }
  const every = total / replacements;
  const replaceAt: number[] = [];
  for (let k = 0; k < replacements; k++) {
    const batchStart = Math.floor((k * every + every / 2) / BATCH) * BATCH;
    const at = batchStart + int(rnd, 2, BATCH - 2); // never a batch boundary
    replaceAt.push(at);
    const before = tenants[at - 1] === A ? at - 1 : at - 2;
    const after = tenants[at] === A ? at : at + 1;
    indices[before] = pick(rnd, telling);
    indices[after] = pick(rnd, telling);
  }
  return { tenants, indices, replaceAt };
}

interface RunStats {
  packets: number;
  results: number;
  aPackets: number;
  bPackets: number;
  aOnVersion: [number, number];
  outputs: number;
  expectedOutputs: number;
  drops: number;
  expectedDrops: number;
  failures: number;
  details: string[];
  replacements: number;
  boundariesChecked: number;
  seconds: number;
  installSeconds: number;
  firstEpoch: number;
  lastEpoch: number;
  /** The largest stage and program ids the replacements were given (ids are never reused). */
  maxStageId: number;
  maxProgramId: number;
}

interface World {
  readonly poolA: readonly PacketIn[];
  readonly poolB: readonly PacketIn[];
  readonly versions: readonly [Version, Version];
  /** expA[v][i]: pool A packet i under version v (0: v1, 1: v2). */
  readonly expA: readonly [readonly Expected[], readonly Expected[]];
  readonly expB: readonly Expected[];
  readonly b: Version;
}

function setUp(w: World): Hypervisor {
  const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
  hv.createVpdp({ id: A, name: 'tenant-a', ports: A_PORTS });
  hv.createVpdp({ id: B, name: 'tenant-b', ports: B_PORTS });
  hv.setClassifier([...A_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: A })), ...B_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: B }))]);
  hv.install(B, w.b.source);
  expect(hv.tenant(B).write(w.b.updates, 'rollbackOnError').ok).toBe(true);
  hv.install(A, w.versions[0].source);
  expect(hv.tenant(A).write(w.versions[0].updates, 'rollbackOnError').ok).toBe(true);
  return hv;
}

/** Runs a plan on a hypervisor from setUp; A starts on v1 and flips version at every replacement. */
function run(w: World, plan: Plan, hv: Hypervisor): RunStats {
  const total = plan.tenants.length;
  const stats: RunStats = {
    packets: 0, results: 0, aPackets: 0, bPackets: 0, aOnVersion: [0, 0], outputs: 0, expectedOutputs: 0, drops: 0, expectedDrops: 0,
    failures: 0, details: [], replacements: 0, boundariesChecked: 0, seconds: 0, installSeconds: 0, firstEpoch: hv.epoch.number, lastEpoch: 0, maxStageId: 0, maxProgramId: 0,
  };
  const fail = (msg: string): void => {
    stats.failures++;
    if (stats.details.length < 20) stats.details.push(msg);
  };
  // the version of A each epoch number stands for (-1: not an epoch of this run)
  const versionOf = new Int8Array(hv.epoch.number + plan.replaceAt.length + 16).fill(-1);
  versionOf[hv.epoch.number] = 0;
  let current: 0 | 1 = 0;
  let lastEpoch = hv.epoch.number;
  let next = 0; // next replacement
  // after a replacement, until the first A packet: the old and new version and the new epoch
  let pending: { old: number; neu: number; neuEpoch: number } | undefined;
  let lastA: { epoch: number; index: number; result: HypervisorResult } | undefined;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    if (next < plan.replaceAt.length && plan.replaceAt[next] === i) {
      next++;
      // the last A packet before the replacement ran on the old version, and is one the new would treat differently
      if (!lastA) fail(`replacement ${next}: no A packet before it`);
      else {
        const { epoch, index, result } = lastA;
        if (epoch !== hv.epoch.number || versionOf[epoch] !== current || !same(result, w.expA[current]![index]!) || same(result, w.expA[1 - current]![index]!))
          fail(`replacement ${next}: the A packet before it (pool ${index}, epoch ${epoch}) is not on the old version v${current + 1}: ${show(result)}`);
      }
      const t0 = performance.now();
      const before = hv.epoch.number;
      const to: 0 | 1 = current === 0 ? 1 : 0;
      // one call: the new version's entries are written before its epoch is swapped in
      const rep = hv.install(A, w.versions[to].source, { entries: w.versions[to].updates });
      stats.installSeconds += (performance.now() - t0) / 1000;
      stats.replacements++;
      if (rep.epoch !== before + 1 || hv.epoch.number !== rep.epoch) fail(`replacement ${next}: epoch ${before} → report ${rep.epoch}, now ${hv.epoch.number} (one install is one epoch; writes make none)`);
      if (rep.programs.length !== 1 || rep.programs[0]!.kept) fail(`replacement ${next}: report ${JSON.stringify(rep.programs)}: the new version must not keep the old one's entries`);
      versionOf[rep.epoch] = to;
      stats.maxStageId = Math.max(stats.maxStageId, ...rep.programs.flatMap((p) => p.stageIds));
      stats.maxProgramId = Math.max(stats.maxProgramId, ...rep.programs.map((p) => p.programId));
      pending = { old: current, neu: to, neuEpoch: rep.epoch };
      current = to;
    }
    const isA = plan.tenants[i] === A;
    const index = plan.indices[i]!;
    const res = hv.process(isA ? w.poolA[index]! : w.poolB[index]!);
    stats.packets++;
    if (!res) {
      fail(`packet ${i}: no result`);
      continue;
    }
    stats.results++;
    // per-packet consistency: every packet runs on the epoch current when it arrived, and epochs never go back
    if (res.epoch < lastEpoch) fail(`packet ${i}: epoch ${res.epoch} after ${lastEpoch}`);
    if (res.epoch !== hv.epoch.number) fail(`packet ${i}: ran on epoch ${res.epoch}, the current one is ${hv.epoch.number}`);
    lastEpoch = res.epoch;
    stats.outputs += res.outputs.length;
    if (res.dropped) stats.drops++;
    if (isA) {
      stats.aPackets++;
      const v = res.epoch < versionOf.length ? versionOf[res.epoch]! : -1;
      if (res.vpdp !== A || v < 0) {
        fail(`packet ${i} (A, pool ${index}): vPDP ${res.vpdp}, epoch ${res.epoch} of no A version: ${show(res)}`);
        continue;
      }
      const want = w.expA[v]![index]!;
      stats.expectedOutputs += want.outputs.length;
      if (want.dropped) stats.expectedDrops++;
      if (same(res, want)) stats.aOnVersion[v]!++;
      else {
        const other = same(res, w.expA[1 - v]![index]!);
        fail(`packet ${i} (A, pool ${index}) on epoch ${res.epoch} = v${v + 1}: ${other ? `matches the other version v${2 - v}` : 'matches neither version'}: got ${show(res)}, want ${show(want)}`);
      }
      if (pending) {
        // the first A packet after a replacement runs on the new version, and the old one would have treated it differently
        if (res.epoch !== pending.neuEpoch || v !== pending.neu || !same(res, w.expA[pending.neu]![index]!) || same(res, w.expA[pending.old]![index]!))
          fail(`packet ${i}: the first A packet after a replacement (pool ${index}, epoch ${res.epoch}) is not on the new version v${pending.neu + 1}: ${show(res)}`);
        else stats.boundariesChecked++;
        pending = undefined;
      }
      lastA = { epoch: res.epoch, index, result: res };
    } else {
      stats.bPackets++;
      const want = w.expB[index]!;
      stats.expectedOutputs += want.outputs.length;
      if (want.dropped) stats.expectedDrops++;
      if (res.vpdp !== B) fail(`packet ${i} (B, pool ${index}): vPDP ${res.vpdp}: ${show(res)}`);
      else if (!same(res, want)) fail(`packet ${i} (B, pool ${index}) on epoch ${res.epoch}: got ${show(res)}, want (no updates) ${show(want)}`);
    }
  }
  stats.seconds = (performance.now() - started) / 1000;
  stats.lastEpoch = hv.epoch.number;
  return stats;
}

// ---------------------------------------------------------------- tests

describe('live update: A replaced 1,000 times under 1,000,000 packets, B untouched', () => {
  let w: World;
  /** Pool A packets the two versions treat differently. */
  let telling: number[];
  let poolCopies: { a: Uint8Array[]; b: Uint8Array[] };

  beforeAll(async () => {
    const v1 = version('A-v1 (router, RA1)', programs.router, JSON.stringify(RA1), 'ra1.json');
    const v2 = version('A-v2 (router derived, RA2)', routerV2, JSON.stringify(RA2), 'ra2.json');
    const b = version('B (tenant-b)', policies.tenantB, readFileSync(entriesPath('tenant-b'), 'utf8'), entriesPath('tenant-b'));
    const poolA = await poolOfA();
    const poolB = await poolOfB();
    w = { poolA, poolB, versions: [v1, v2], expA: [native(v1, poolA), native(v2, poolA)], expB: native(b, poolB), b };
    telling = poolA.map((_, i) => i).filter((i) => !same(w.expA[0][i]!, w.expA[1][i]!));
    poolCopies = { a: poolA.map((p) => Uint8Array.from(p.data)), b: poolB.map((p) => Uint8Array.from(p.data)) };
  });

  it('the pools: a few hundred distinct packets each, all outputs on the tenant’s own ports, the two A versions mostly at odds', () => {
    const distinct = (pool: readonly PacketIn[]): number => new Set(pool.map((p) => `${p.port}:${Buffer.from(p.data).toString('hex')}`)).size;
    expect(distinct(w.poolA)).toBeGreaterThanOrEqual(300);
    expect(distinct(w.poolB)).toBeGreaterThanOrEqual(300);
    expect(w.poolA.every((p) => A_PORTS.includes(p.port))).toBe(true);
    expect(w.poolB.every((p) => B_PORTS.includes(p.port))).toBe(true);
    // expected outputs never leave the tenant's ports, so the native result is exactly what the vPDP must give
    for (const exp of [...w.expA[0], ...w.expA[1]]) for (const o of exp.outputs) expect(A_PORTS).toContain(o.port);
    for (const o of w.expB.flatMap((e) => e.outputs)) expect(B_PORTS).toContain(o.port);
    // both versions forward and drop; they disagree on most packets (other port, MACs, or forward vs drop)
    for (const exp of w.expA) {
      expect(exp.filter((e) => e.dropped === undefined).length).toBeGreaterThan(100);
      expect(exp.filter((e) => e.dropped !== undefined).length).toBeGreaterThan(10);
    }
    expect(telling.length).toBeGreaterThan(0.75 * w.poolA.length);
    expect(w.expB.filter((e) => e.dropped === undefined).length).toBeGreaterThan(200);
    console.log(`pools: A ${w.poolA.length} packets (${telling.length} treated differently by v1 and v2), B ${w.poolB.length} packets`);
  });

  it('the expectations are what hypervisors that never change give (the runs with no updates)', () => {
    for (const v of [0, 1] as const) {
      const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
      hv.createVpdp({ id: A, name: 'tenant-a', ports: A_PORTS });
      hv.createVpdp({ id: B, name: 'tenant-b', ports: B_PORTS });
      hv.setClassifier([...A_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: A })), ...B_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: B }))]);
      hv.install(B, w.b.source);
      expect(hv.tenant(B).write(w.b.updates, 'rollbackOnError').ok).toBe(true);
      hv.install(A, w.versions[v].source);
      expect(hv.tenant(A).write(w.versions[v].updates, 'rollbackOnError').ok).toBe(true);
      const epoch = hv.epoch.number;
      const badA = w.poolA.map((p, i) => [i, hv.process(p)] as const).filter(([i, r]) => r.vpdp !== A || !same(r, w.expA[v][i]!));
      expect(badA.map(([i, r]) => `${i}: ${show(r)} want ${show(w.expA[v][i]!)}`)).toEqual([]);
      const badB = w.poolB.map((p, i) => [i, hv.process(p)] as const).filter(([i, r]) => r.vpdp !== B || !same(r, w.expB[i]!));
      expect(badB.map(([i, r]) => `${i}: ${show(r)} want ${show(w.expB[i]!)}`)).toEqual([]);
      expect(hv.epoch.number).toBe(epoch);
    }
  });

  it(
    '1,000,000 packets, 1,000 replacements of A every 1,000 packets: A exactly old or new by epoch, B as without updates, nothing lost',
    () => {
      const plan = planWindows(TOTAL, REPLACEMENTS, { a: w.poolA.length, b: w.poolB.length }, telling, 0x5eed);
      const hv = setUp(w);
      const entriesB = hv.tenant(B).read({ kind: 'tableEntry' });
      const defaultsB = hv.tenant(B).read({ kind: 'defaultAction' });
      const s = run(w, plan, hv);
      console.log(
        `live update: ${s.packets} packets (A ${s.aPackets}: ${s.aOnVersion[0]} on v1, ${s.aOnVersion[1]} on v2; B ${s.bPackets}), ` +
          `${s.replacements} replacements, epochs ${s.firstEpoch}..${s.lastEpoch}, ${s.outputs} outputs, ${s.drops} drops, ` +
          `${s.seconds.toFixed(1)} s (${Math.round(s.packets / s.seconds)} packets/s; installs ${s.installSeconds.toFixed(1)} s); ` +
          `stage ids up to ${s.maxStageId}, program ids up to ${s.maxProgramId}`,
      );
      expect(s.details).toEqual([]);
      expect(s.failures).toBe(0);
      expect(s.packets).toBe(TOTAL);
      expect(s.replacements).toBe(REPLACEMENTS);
      // nothing lost: a result per packet, every expected output and drop, and the vPDPs' counters agree
      expect(s.results).toBe(TOTAL);
      expect(s.aPackets + s.bPackets).toBe(TOTAL);
      expect(s.outputs).toBe(s.expectedOutputs);
      expect(s.drops).toBe(s.expectedDrops);
      expect(s.aOnVersion[0] + s.aOnVersion[1]).toBe(s.aPackets);
      expect(Math.min(...s.aOnVersion)).toBeGreaterThan(s.aPackets / 3);
      expect(s.boundariesChecked).toBe(REPLACEMENTS);
      const ca = hv.counters(A);
      const cb = hv.counters(B);
      expect([ca.packets, cb.packets]).toEqual([s.aPackets, s.bPackets]);
      expect(ca.outputs + cb.outputs).toBe(s.outputs);
      expect(ca.dropped + cb.dropped).toBe(s.drops);
      expect([ca.contained, cb.contained]).toEqual([0, 0]);
      // a replaced program's ids are reused: 1,000 replacements stay within the ids of two tenants' programs
      expect(s.maxStageId).toBeLessThan(32);
      expect(s.maxProgramId).toBeLessThanOrEqual(4);
      // one epoch per replacement, and B's control-plane state is as it was
      expect(s.lastEpoch - s.firstEpoch).toBe(REPLACEMENTS);
      expect(hv.tenant(B).read({ kind: 'tableEntry' })).toEqual(entriesB);
      expect(hv.tenant(B).read({ kind: 'defaultAction' })).toEqual(defaultsB);
      // A ends on v1 (an even number of flips) with exactly v1's entries
      expect(hv.tenant(A).read({ kind: 'tableEntry' }).length).toBe(RA1.tables.ipv4_lpm.length + RA1.tables.forward.length);
      // the stream's packets were not changed by running them
      expect(w.poolA.every((p, i) => Buffer.compare(p.data, poolCopies.a[i]!) === 0)).toBe(true);
      expect(w.poolB.every((p, i) => Buffer.compare(p.data, poolCopies.b[i]!) === 0)).toBe(true);
    },
    300_000,
  );

  it(
    `variant: ${VARIANT_TOTAL.toLocaleString('en')} packets in interleaved batches of 64, ${VARIANT_REPLACEMENTS} replacements inside a batch; epochs monotonic`,
    () => {
      const plan = planBatches(VARIANT_TOTAL, VARIANT_REPLACEMENTS, { a: w.poolA.length, b: w.poolB.length }, telling, 0xba7c4);
      expect(plan.replaceAt.every((at) => at % 64 !== 0)).toBe(true);
      const hv = setUp(w);
      const entriesB = hv.tenant(B).read({ kind: 'tableEntry' });
      const s = run(w, plan, hv);
      console.log(
        `live update in batches: ${s.packets} packets (A ${s.aPackets}, B ${s.bPackets}), ${s.replacements} replacements, ` +
          `epochs ${s.firstEpoch}..${s.lastEpoch}, ${s.seconds.toFixed(1)} s`,
      );
      expect(s.details).toEqual([]);
      expect(s.failures).toBe(0);
      expect(s.results).toBe(VARIANT_TOTAL);
      expect(s.outputs).toBe(s.expectedOutputs);
      expect(s.drops).toBe(s.expectedDrops);
      expect(s.replacements).toBe(VARIANT_REPLACEMENTS);
      expect(s.boundariesChecked).toBe(VARIANT_REPLACEMENTS);
      expect(s.lastEpoch - s.firstEpoch).toBe(VARIANT_REPLACEMENTS);
      expect(hv.counters(A).packets + hv.counters(B).packets).toBe(VARIANT_TOTAL);
      expect(hv.tenant(B).read({ kind: 'tableEntry' })).toEqual(entriesB);
    },
    300_000,
  );
});
