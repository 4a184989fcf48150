/**
 * Shared pieces of the end-to-end tests: run a shipped capture through
 * `mpvisor run` in-process, read the output captures back, and small tools
 * to compare them with packets the tests build themselves.
 *
 * Nothing here computes what an NF does: expected packets are built in each
 * test with the packet library, from the test's own reading of the entries.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@mpvisor/cli';
import {
  dissect,
  ethernet,
  findLayer,
  hex,
  ipv4,
  packet,
  payload,
  readCaptureAll,
  tcp,
  udp,
  type CapturedPacket,
  type Dissected,
} from '@mpvisor/runtime';
import { expect } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CAPTURES_DIR = fileURLToPath(new URL('../captures/', import.meta.url));

/** Every shipped capture: NF name → the module that exports it (policies share one module). */
export const SHIPPED = {
  'l2-switch': 'examples/nfs/l2-switch.ts',
  firewall: 'examples/nfs/firewall.ts',
  router: 'examples/nfs/router.ts',
  'arp-proxy': 'examples/nfs/arp-proxy.ts',
  nat: 'examples/nfs/nat.ts',
  'stateful-firewall': 'examples/nfs/stateful-firewall.ts',
  ecmp: 'examples/nfs/ecmp.ts',
  'acme/fw-strict': 'examples/nfs/fw-strict.ts',
  'tenant-a': 'examples/nfs/policies.ts',
  'tenant-b': 'examples/nfs/policies.ts',
} as const;
export type ShippedNf = keyof typeof SHIPPED;

const base = (nf: string): string => nf.replaceAll('/', '__');

/** The shipped capture of an NF. */
export const capturePath = (nf: ShippedNf): string => join(CAPTURES_DIR, `${base(nf)}.pcap`);

/** The shipped entries file of an NF (.json or .yaml). */
export function entriesPath(nf: ShippedNf): string {
  for (const ext of ['json', 'yaml']) {
    const p = join(CAPTURES_DIR, `${base(nf)}.entries.${ext}`);
    if (existsSync(p)) return p;
  }
  throw new Error(`no entries file for ${nf} in ${CAPTURES_DIR}`);
}

export interface ShippedRun {
  readonly stdout: string;
  readonly outDir: string;
  /** The input capture's packets. */
  readonly input: readonly CapturedPacket[];
  /** Output capture per egress port (port-N.pcap). */
  readonly ports: ReadonlyMap<number, readonly CapturedPacket[]>;
  /** dropped.pcap. */
  readonly dropped: readonly CapturedPacket[];
  /** Every file in the output directory. */
  readonly files: readonly string[];
}

/**
 * `mpvisor run <module> [--nf NF] --pcap <shipped> --entries <shipped> --out <tmp> --drops`,
 * in-process; fails the test on a non-zero exit. The caller removes `outDir`
 * (see {@link cleanUp}).
 */
export async function runShipped(nf: ShippedNf, extra: readonly string[] = []): Promise<ShippedRun> {
  const outDir = mkdtempSync(join(tmpdir(), `mpvisor-e2e-${base(nf)}-`));
  const argv = ['run', join(REPO_ROOT, SHIPPED[nf]), '--nf', nf, '--pcap', capturePath(nf), '--entries', entriesPath(nf), '--out', outDir, '--drops', ...extra];
  const r = await runCli(argv, '0.0.0-test');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const files = readdirSync(outDir).sort();
  const ports = new Map<number, CapturedPacket[]>();
  for (const f of files) {
    const m = /^port-(\d+)\.pcap$/.exec(f);
    if (m) ports.set(Number(m[1]), await readCaptureAll(join(outDir, f)));
  }
  return {
    stdout: r.stdout,
    outDir,
    input: await readCaptureAll(capturePath(nf)),
    ports,
    dropped: files.includes('dropped.pcap') ? await readCaptureAll(join(outDir, 'dropped.pcap')) : [],
    files,
  };
}

export const cleanUp = (run: ShippedRun | undefined): void => {
  if (run) rmSync(run.outDir, { recursive: true, force: true });
};

/** Hex of each packet, for readable diffs when bytes differ. */
export const hexes = (packets: readonly (CapturedPacket | Uint8Array)[]): string[] =>
  packets.map((p) => hex(p instanceof Uint8Array ? p : p.data));

/** The `out:` line of the run summary for these per-port counts, e.g. `  out: port 0: 3 packets, port 2: 1 packet`. */
export function outLine(counts: ReadonlyMap<number, number>): string {
  const ports = [...counts].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  return ports.length === 0 ? '  out: nothing' : `  out: ${ports.map(([p, n]) => `port ${p}: ${n} packet${n === 1 ? '' : 's'}`).join(', ')}`;
}

/** Expected packets per port → packet counts. */
export const countsOf = (byPort: ReadonlyMap<number, readonly unknown[]>): Map<number, number> => new Map([...byPort].map(([p, xs]) => [p, xs.length]));

/** Append to a per-port list. */
export function push<T>(m: Map<number, T[]>, port: number, x: T): void {
  const list = m.get(port) ?? [];
  list.push(x);
  m.set(port, list);
}

/**
 * Checks a run's output captures: exactly the expected packets on exactly
 * the expected ports, byte for byte and in order; the drop capture; and the
 * summary's `out:` line with the same per-port counts.
 */
export function expectOutputs(run: ShippedRun, expected: ReadonlyMap<number, readonly Uint8Array[]>, dropped: readonly Uint8Array[]): void {
  const got = new Map([...run.ports].map(([p, xs]) => [p, hexes(xs)]));
  const want = new Map([...expected].filter(([, xs]) => xs.length > 0).map(([p, xs]) => [p, hexes(xs)]));
  expect([...got.keys()].sort((a, b) => a - b)).toEqual([...want.keys()].sort((a, b) => a - b));
  for (const [port, xs] of want) expect(got.get(port), `port ${port}`).toEqual(xs);
  expect(hexes(run.dropped)).toEqual(hexes(dropped));
  const lines = run.stdout.split('\n');
  expect(lines).toContain(outLine(countsOf(expected)));
  expect(lines).toContain(dropped.length === 0 ? '  dropped: none' : `  dropped: ${dropped.length} (dropped)`);
  expect(lines[0]).toMatch(new RegExp(`^\\S+: ${run.input.length} packets? in \\(`));
}

/** The layers of a packet, dissected (the tests read their input with it). */
export const layersOf = (p: CapturedPacket | Uint8Array): Dissected => dissect(p instanceof Uint8Array ? p : p.data);

/** The bytes after the IPv4 header (L4 header and payload, or a fragment's data). */
export function afterIpv4(data: Uint8Array): Uint8Array {
  const ip = findLayer(dissect(data), 'ipv4');
  if (!ip) throw new Error('not an IPv4 packet');
  return data.subarray(ip.offset + ip.length);
}

/** A /len prefix test on dotted IPv4 addresses, written out here so the tests need no NF code. */
export function inPrefix(addr: string, prefix: string): boolean {
  const [net, len] = prefix.split('/') as [string, string];
  const n = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = Number(len);
  const size = 2 ** (32 - bits);
  return Math.floor(n(addr) / size) === Math.floor(n(net) / size);
}

/** What an NF changed in a packet, for {@link rebuild}. */
export interface Rewrite {
  readonly ethDst?: string;
  readonly ethSrc?: string;
  readonly ipSrc?: string;
  readonly ttl?: number;
  /** New TCP/UDP source port; the packet must then be a whole (unfragmented) TCP or UDP packet. */
  readonly sport?: number;
}

/**
 * The expected form of an IPv4 `input` after `w`, built afresh with the
 * packet library from the input's dissected fields: the builder computes the
 * IPv4 header checksum and — when the L4 header is rebuilt (a new source
 * port) — the TCP/UDP checksum over the new pseudo-header. A UDP checksum of
 * 0 (none) stays 0. Without a port change the L4 part is copied as bytes.
 */
export function rebuild(input: Uint8Array, w: Rewrite): Uint8Array {
  const d = dissect(input);
  const eth = findLayer(d, 'ethernet');
  const ip = findLayer(d, 'ipv4');
  if (!eth || !ip) throw new Error('rebuild: not Ethernet/IPv4');
  const l3 = ipv4({
    src: w.ipSrc ?? ip.src,
    dst: ip.dst,
    ttl: w.ttl ?? ip.ttl,
    id: ip.id,
    flags: ip.flags,
    fragOffset: ip.fragOffset,
    tos: ip.tos,
    protocol: ip.protocol,
    options: ip.options,
  });
  const l2 = ethernet({ dst: w.ethDst ?? eth.dst, src: w.ethSrc ?? eth.src, type: eth.type });
  const l4start = ip.offset + ip.length;
  if (w.sport === undefined) return packet(l2, l3, payload(input.subarray(l4start)));
  if ((ip.flags & 1) === 1 || ip.fragOffset !== 0) throw new Error('rebuild: a fragment needs the whole datagram');
  const t = findLayer(d, 'tcp');
  if (t) {
    return packet(
      l2,
      l3,
      tcp({ sport: w.sport, dport: t.dport, seq: t.seq, ack: t.ack, flags: t.flags, window: t.window, urgent: t.urgent, options: t.options }),
      payload(input.subarray(t.offset + t.length)),
    );
  }
  const u = findLayer(d, 'udp');
  if (u) return packet(l2, l3, udp({ sport: w.sport, dport: u.dport, ...(u.checksum === 0 ? { checksum: 0 } : {}) }), payload(input.subarray(u.offset + u.length)));
  throw new Error('rebuild: no TCP or UDP header to rewrite');
}

/** A readable name for the flow a packet belongs to: `tcp 10.0.0.1:4000 > 10.0.0.2:80`, `icmp a > b`, `arp`, … */
export function flowOf(p: CapturedPacket | Uint8Array): string {
  const d = layersOf(p);
  const ip = findLayer(d, 'ipv4');
  if (!ip) return findLayer(d, 'arp') ? 'arp' : findLayer(d, 'ipv6') ? 'ipv6' : 'other';
  if (ip.fragOffset !== 0) return `ipv4-fragment/${ip.protocol} ${ip.src} > ${ip.dst}`;
  const t = findLayer(d, 'tcp') ?? findLayer(d, 'udp');
  if (t) return `${t.kind} ${ip.src}:${t.sport} > ${ip.dst}:${t.dport}`;
  return `${findLayer(d, 'icmp') ? 'icmp' : `ipv4/${ip.protocol}`} ${ip.src} > ${ip.dst}`;
}
