/**
 * What the bench runs: the seed NFs with their shipped entries, packets
 * that hit those entries (deterministic: a seeded PRNG, no clock), the null
 * pipeline, and the per-tenant L2 switch + firewall the multi-tenant
 * figures build many of.
 *
 * Frames are exactly the size asked for (64 or 1500 bytes, as a capture
 * holds them: no FCS); the bytes past the headers are a zero payload (for
 * ARP, an Ethernet trailer).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bit, policy, program, std } from '@mpvisor/mpapi';
import {
  arp,
  entriesToUpdates,
  ethernet,
  icmp,
  ipv4,
  loadPipeline,
  packet,
  parseEntriesFile,
  payload,
  tcp,
  udp,
  vlan,
  type ClassifierRule,
  type EntriesFile,
  type Layer,
  type PacketIn,
  type Pipeline,
  type PipelineSource,
  type Update,
  type VpdpOptions,
} from '@mpvisor/runtime';
import { policies, programs } from '../../examples/nfs/index.js';

export const CAPTURES_DIR = fileURLToPath(new URL('../../examples/captures/', import.meta.url));

// ---------------------------------------------------------------- deterministic bytes

/** mulberry32: a small seeded PRNG, so every run builds the same packets. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export type Rnd = () => number;
export const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
export const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
/** A locally administered MAC from a 40-bit number. */
export const macOf = (n: number): string => `02:${hex2(n / 2 ** 32)}:${hex2(n >>> 24)}:${hex2(n >>> 16)}:${hex2(n >>> 8)}:${hex2(n)}`;
export const ipOf = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** The layers, then zero bytes up to exactly `size` bytes. */
export function frame(size: number, ...layers: Layer[]): Uint8Array {
  const head = packet(...layers).length;
  if (head > size) throw new Error(`headers take ${head} bytes, more than a ${size}-byte frame`);
  return packet(...layers, payload(size - head));
}

// ---------------------------------------------------------------- entries

export function readEntries(file: string, pipeline: Pipeline): Update[] {
  const path = `${CAPTURES_DIR}${file}`;
  return [...entriesToUpdates(parseEntriesFile(readFileSync(path, 'utf8'), path), pipeline, path).updates];
}

export function entriesOf(file: EntriesFile, pipeline: Pipeline, source: string): Update[] {
  return [...entriesToUpdates(file, pipeline, source).updates];
}

// ---------------------------------------------------------------- the seed NFs

export interface NfWorkload {
  /** The NF's name, as in the paper's tables. */
  readonly id: string;
  readonly source: PipelineSource;
  readonly pipeline: Pipeline;
  readonly updates: readonly Update[];
  /** The entries file it runs with (examples/captures/). */
  readonly entries: string;
  /** What its packets are. */
  readonly traffic: string;
  /** `count` distinct packets of exactly `size` bytes that hit the entries. */
  packets(size: number, count: number): PacketIn[];
}

/** The shipped l2-switch and tenant-a entries: hosts 02:00:00:00:00:0h on port h (h = 1..4). */
const HOSTS = [1, 2, 3, 4] as const;
const hostMac = (h: number): string => `02:00:00:00:00:0${h}`;

function l2Packets(rnd: Rnd, size: number, l4: (rnd: Rnd) => { src: string; dst: string; layer: Layer }): PacketIn {
  const from = pick(rnd, HOSTS);
  const to = pick(rnd, HOSTS.filter((h) => h !== from));
  const { src, dst, layer } = l4(rnd);
  return { port: from, data: frame(size, ethernet({ src: hostMac(from), dst: hostMac(to) }), ipv4({ src, dst }), layer) };
}

function workload(id: string, source: PipelineSource, entries: string, traffic: string, make: (rnd: Rnd, size: number) => PacketIn, seed: number): NfWorkload {
  const pipeline = loadPipeline(source);
  return {
    id,
    source,
    pipeline,
    updates: readEntries(entries, pipeline),
    entries,
    traffic,
    packets: (size, count) => {
      const rnd = prng(seed ^ size);
      return Array.from({ length: count }, () => make(rnd, size));
    },
  };
}

const l2switch = (): NfWorkload =>
  workload(
    'l2-switch',
    programs.l2switch,
    'l2-switch.entries.json',
    'IPv4/UDP between the 4 known hosts, each on its own port: smac and dmac both hit',
    (rnd, size) => l2Packets(rnd, size, (r) => ({ src: `10.0.0.${int(r, 1, 200)}`, dst: `10.0.0.${int(r, 1, 200)}`, layer: udp({ sport: int(r, 1024, 65535), dport: int(r, 1, 999) }) })),
    0x12,
  );

/** The shipped firewall rules (firewall.entries.yaml), one packet kind each, and traffic no rule matches. */
function firewallPacket(rnd: Rnd, size: number): PacketIn {
  const l2 = ethernet({ src: macOf(int(rnd, 1, 1000)), dst: macOf(int(rnd, 1001, 2000)) });
  const any = (): string => `10.0.${int(rnd, 4, 9)}.${int(rnd, 1, 254)}`;
  const kind = int(rnd, 0, 9);
  const [src, dst, l4]: [string, string, Layer] =
    kind <= 2 ? [any(), any(), tcp({ sport: int(rnd, 1024, 65535), dport: pick(rnd, [80, 443, 8080]) })] // no rule: allowed by default
    : kind <= 4 ? ['10.0.1.5', `10.0.2.${int(rnd, 1, 254)}`, tcp({ sport: int(rnd, 1024, 65535), dport: 22 })] // admin SSH: allow (200)
    : kind === 5 ? [`10.0.1.${int(rnd, 6, 254)}`, `10.0.2.${int(rnd, 1, 254)}`, tcp({ sport: int(rnd, 1024, 65535), dport: 22 })] // other SSH: deny (100)
    : kind === 6 ? [`192.168.66.${int(rnd, 1, 254)}`, any(), udp({ sport: int(rnd, 1024, 65535), dport: 53 })] // blocked network: deny (90)
    : kind === 7 ? [any(), any(), udp({ sport: int(rnd, 1024, 65535), dport: int(rnd, 1000, 1999) })] // UDP 1000-1999: deny (80)
    : kind === 8 ? [any(), `10.0.3.${int(rnd, 1, 254)}`, icmp({ id: int(rnd, 0, 0xffff), seq: int(rnd, 0, 0xffff) })] // ICMP into 10.0.3/24: deny (70)
    : [any(), any(), tcp({ sport: int(rnd, 1024, 65535), dport: int(rnd, 6000, 6063) })]; // X11: deny (60)
  return { port: 1, data: frame(size, l2, ipv4({ src, dst }), l4) };
}

const firewall = (): NfWorkload =>
  workload('firewall', programs.firewall, 'firewall.entries.yaml', 'IPv4 TCP/UDP/ICMP: 50% allowed (admin SSH rule or no rule), 50% hitting one of the 5 deny rules', firewallPacket, 0xf1);

/** Destinations with a route and a resolved next hop in router.entries.json (/8, /24, /25, /32, /16). */
function routerPacket(rnd: Rnd, size: number): PacketIn {
  const dst = pick(rnd, [
    () => `10.${int(rnd, 2, 254)}.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`,
    () => `10.0.1.${int(rnd, 2, 127)}`,
    () => `10.0.1.${pick(rnd, [130, 150, 199, 201, 254])}`,
    () => '10.0.1.200',
    () => `192.168.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`,
  ])();
  const l4 = rnd() < 0.5 ? udp({ sport: int(rnd, 1024, 65535), dport: int(rnd, 1, 65535) }) : tcp({ sport: int(rnd, 1024, 65535), dport: int(rnd, 1, 65535) });
  return { port: int(rnd, 1, 5), data: frame(size, ethernet({ src: macOf(int(rnd, 1, 1000)), dst: '02:00:00:00:01:01' }), ipv4({ src: `172.20.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`, dst, ttl: 64 }), l4) };
}

const router = (): NfWorkload =>
  workload('router', programs.router, 'router.entries.json', 'IPv4 TCP/UDP, TTL 64, to destinations of every route with a resolved next hop: LPM, TTL and checksum, MAC rewrite', routerPacket, 0x40);

/** ARP requests for the three proxied addresses (arp-proxy.entries.json): every one is answered. */
function arpPacket(rnd: Rnd, size: number): PacketIn {
  const k = int(rnd, 1, 250);
  const sender = macOf(0x100 + k);
  return {
    port: int(rnd, 1, 4),
    data: frame(size, ethernet({ src: sender, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ op: 'request', senderMac: sender, senderIp: `10.0.0.${k}`, targetIp: pick(rnd, ['10.0.0.10', '10.0.0.20', '10.0.0.30']) })),
  };
}

const arpProxy = (): NfWorkload =>
  workload('arp-proxy', programs.arpProxy, 'arp-proxy.entries.json', 'ARP requests for the 3 proxied addresses, padded with an Ethernet trailer: all answered', arpPacket, 0xa4);

/** tenant-a.entries.yaml: the 4 hosts; the firewall denies telnet and the quarantined 10.0.0.102. */
const l2Firewall = (): NfWorkload =>
  workload(
    'l2-switch+firewall',
    policies.tenantA,
    'tenant-a.entries.yaml',
    'IPv4 TCP/UDP between the 4 known hosts: 80% allowed, 10% telnet and 10% from the quarantined host denied',
    (rnd, size) =>
      l2Packets(rnd, size, (r) => {
        const kind = int(r, 0, 9);
        const src = kind === 9 ? '10.0.0.102' : `10.0.0.${int(r, 1, 99)}`;
        const dst = `10.0.0.${int(r, 1, 99)}`;
        const layer = kind === 8 ? tcp({ sport: int(r, 1024, 65535), dport: 23 }) : kind % 2 === 0 ? tcp({ sport: int(r, 1024, 65535), dport: pick(r, [80, 443]) }) : udp({ sport: int(r, 1024, 65535), dport: 53 });
        return { src, dst, layer };
      }),
    0x2a,
  );

/** The seed NFs of the issue and the paper's Tables IV and V, in table order. */
export function seedWorkloads(): NfWorkload[] {
  return [l2switch(), firewall(), router(), arpProxy(), l2Firewall()];
}

// ---------------------------------------------------------------- the null pipeline

/** The least a program can do: parse Ethernet, send to port 1 (a keyless stage's default action). */
export const nullForward = program('null-forward')
  .describe('parses Ethernet and sets the egress port: the cost of running any program at all')
  .headers({ ethernet: std.ethernet })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
  .stage('out', (t) => t.action('to_port', (a) => a.setEgress(1)).defaultAction('to_port').size(1))
  .control((c) => c.apply('out'));

export function nullWorkload(): NfWorkload {
  return {
    id: 'null',
    source: nullForward,
    pipeline: loadPipeline(nullForward),
    updates: [],
    entries: '(none)',
    traffic: 'IPv4/UDP, any port',
    packets: (size, count) => {
      const rnd = prng(0x0 ^ size);
      return Array.from({ length: count }, () => ({
        port: int(rnd, 1, 8),
        data: frame(size, ethernet({ src: macOf(int(rnd, 1, 1000)), dst: macOf(int(rnd, 1, 1000)) }), ipv4({ src: ipOf(int(rnd, 1, 2 ** 31)), dst: ipOf(int(rnd, 1, 2 ** 31)) }), udp({ sport: int(rnd, 1024, 65535) })),
      }));
    },
  };
}

// ---------------------------------------------------------------- tenants: L2 switch + firewall each

/**
 * The example L2 switch flooding to `group`: a multicast group belongs to
 * one vPDP, and the example floods to group 1, so every other tenant runs
 * it derived with its own group (the same program otherwise).
 */
export function l2switchFor(group: number) {
  if (group === 1) return programs.l2switch;
  return programs.l2switch.derive('l2-switch', `the example L2 switch, flooding to group ${group}`).replaceStage('dmac', (t) =>
    t
      .key({ 'ethernet.dstAddr': 'exact' })
      .action('forward', { port: bit(9) }, (a, p) => a.setEgress(p.port))
      .action('flood', (a) => a.multicast(group))
      .defaultAction('flood')
      .size(4096),
  );
}

export interface Tenant {
  readonly vpdp: VpdpOptions;
  readonly rules: readonly ClassifierRule[];
  readonly source: PipelineSource;
  readonly pipeline: Pipeline;
  readonly updates: readonly Update[];
  /** Its traffic (empty for a tenant without ports): host h to host h+1, each on its port. */
  readonly packets: readonly PacketIn[];
}

/**
 * Tenant `id` (also its multicast group) on `ports` (maybe none): the L2
 * switch + firewall chain with 4 known hosts spread over its ports, the
 * tenant-a firewall rules (no telnet, quarantined 10.0.0.102), and `count`
 * distinct packets of `size` bytes, each host in turn to the next host
 * (UDP, from a source port of its own).
 */
export function l2FirewallTenant(id: number, ports: readonly number[], size = 64, count = 4): Tenant {
  const source = policy(`tenant-${id}`).describe('L2 switch, then firewall').chain(l2switchFor(id), programs.firewall);
  const pipeline = loadPipeline(source);
  const mac = (h: number): string => macOf(id * 256 + h);
  const portOf = (h: number): number => ports[h % ports.length]!;
  const file: EntriesFile = {
    multicastGroups: [{ id, ports: [...ports] }],
    programs: {
      'l2-switch': {
        tables: {
          smac: HOSTS.map((h) => ({ key: { 'ethernet.srcAddr': mac(h) }, action: 'known' })),
          dmac: ports.length === 0 ? [] : HOSTS.map((h) => ({ key: { 'ethernet.dstAddr': mac(h) }, action: 'forward', args: { port: portOf(h) } })),
        },
      },
      firewall: {
        tables: {
          acl: [
            { key: { 'ipv4.srcAddr': '_', 'ipv4.dstAddr': '_', 'ipv4.protocol': 6, 'meta.l4SrcPort': '_', 'meta.l4DstPort': 23 }, action: 'deny', priority: 20 },
            { key: { 'ipv4.srcAddr': '10.0.0.102', 'ipv4.dstAddr': '_', 'ipv4.protocol': '_', 'meta.l4SrcPort': '_', 'meta.l4DstPort': '_' }, action: 'deny', priority: 10 },
          ],
        },
      },
    },
  };
  const packets =
    ports.length === 0
      ? []
      : Array.from({ length: count }, (_, k) => {
          const h = HOSTS[k % HOSTS.length]!;
          const to = (h % 4) + 1;
          return { port: portOf(h), data: frame(size, ethernet({ src: mac(h), dst: mac(to) }), ipv4({ src: `10.0.0.${h}`, dst: `10.0.0.${to}` }), udp({ sport: 1024 + (k % 64000), dport: 5000 })) };
        });
  return {
    vpdp: { id, name: `tenant-${id}`, ports, multicastGroups: [id] },
    rules: ports.map((port) => ({ kind: 'port' as const, port, vpdp: id })),
    source,
    pipeline,
    updates: entriesOf(file, pipeline, `tenant-${id} (generated)`),
    packets,
  };
}

// ---------------------------------------------------------------- big tables

export interface BigTables extends NfWorkload {
  readonly entriesPerTable: number;
}

/**
 * The L2 switch + firewall with `n` entries in each of its three tables
 * (smac, dmac, acl), sized to hold them; packets pick their source and
 * destination MACs and their source address among the entries, so every
 * lookup hits. The acl rules are ternary on the source address (all bits).
 */
export function bigTables(n: number): BigTables {
  const size = Math.max(n, 1024);
  const source = policy('tenant-a-big')
    .describe(`L2 switch + firewall with ${n} entries per table`)
    .chain(programs.l2switch.derive('l2-switch').resize('smac', size).resize('dmac', size), programs.firewall.derive('firewall').resize('acl', size));
  const pipeline = loadPipeline(source);
  const mac = (i: number): string => macOf(0x0100000000 + i);
  const ip = (i: number): string => ipOf((10 << 24) + 0x10000 + i);
  const file: EntriesFile = {
    multicastGroups: [{ id: 1, ports: [1, 2, 3, 4] }],
    programs: {
      'l2-switch': {
        tables: {
          smac: Array.from({ length: n }, (_, i) => ({ key: { 'ethernet.srcAddr': mac(i) }, action: 'known' })),
          dmac: Array.from({ length: n }, (_, i) => ({ key: { 'ethernet.dstAddr': mac(i) }, action: 'forward', args: { port: 1 + (i % 4) } })),
        },
      },
      firewall: {
        tables: {
          acl: Array.from({ length: n }, (_, i) => ({
            key: { 'ipv4.srcAddr': ip(i), 'ipv4.dstAddr': '_', 'ipv4.protocol': '_', 'meta.l4SrcPort': '_', 'meta.l4DstPort': '_' },
            action: i % 10 === 9 ? 'deny' : 'allow',
            priority: i + 1,
          })),
        },
      },
    },
  };
  return {
    id: 'l2-switch+firewall',
    entriesPerTable: n,
    source,
    pipeline,
    updates: entriesOf(file, pipeline, `${n} entries per table (generated)`),
    entries: `(generated: ${n} per table)`,
    traffic: 'IPv4/UDP whose MACs and source address are drawn from the entries: every lookup hits',
    packets: (size, count) => {
      const rnd = prng(0xb16 ^ size);
      return Array.from({ length: count }, () => {
        const s = int(rnd, 0, n - 1);
        return {
          port: 1 + (s % 4),
          data: frame(size, ethernet({ src: mac(s), dst: mac(int(rnd, 0, n - 1)) }), ipv4({ src: ip(int(rnd, 0, n - 1)), dst: `10.9.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}` }), udp({ sport: int(rnd, 1024, 65535), dport: 53 })),
        };
      });
    },
  };
}

// ---------------------------------------------------------------- two tenants (examples/hypervisor/two-tenants.yaml)

export interface TwoTenants {
  readonly a: { readonly vpdp: VpdpOptions; readonly source: PipelineSource; readonly updates: readonly Update[] };
  readonly b: { readonly vpdp: VpdpOptions; readonly source: PipelineSource; readonly updates: readonly Update[] };
  readonly rules: readonly ClassifierRule[];
}

/** The demo's data plane: tenant A (L2 switch + firewall) on ports 1-4 by port; tenant B (NAT, then router) on ports 5-7 by VLAN 100. */
export function twoTenants(): TwoTenants {
  const pa = loadPipeline(policies.tenantA);
  const pb = loadPipeline(policies.tenantB);
  return {
    a: { vpdp: { id: 1, name: 'tenant-a', ports: [1, 2, 3, 4], multicastGroups: [1] }, source: policies.tenantA, updates: readEntries('two-tenants.tenant-a.entries.yaml', pa) },
    b: { vpdp: { id: 2, name: 'tenant-b', ports: [5, 6, 7] }, source: policies.tenantB, updates: readEntries('two-tenants.tenant-b.entries.json', pb) },
    rules: [...[1, 2, 3, 4].map((port) => ({ kind: 'port' as const, port, vpdp: 1 })), { kind: 'vlan' as const, vid: 100, vpdp: 2 }],
  };
}

/** Tenant B's packets enter on port 5, tagged VLAN 100. */
export const B_PORT = 5;

/** Simple IMIX sizes, 7:4:1. */
const IMIX = [64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500] as const;

/**
 * `count` distinct frames, alternately tenant A's (untagged, between its
 * hosts, including telnet and the quarantined host) and tenant B's (VLAN 100:
 * the NAT's flows and untranslated hosts, to the default and the partner
 * route), IMIX sizes. A's hosts carry their port in the last byte of their
 * MAC (02:00:00:00:00:0h on port h), which is how the bench wires a
 * single-interface capture to ingress ports.
 */
export function twoTenantFrames(count: number, seed = 0xe2e): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = pick(rnd, IMIX);
    if (i % 2 === 0) {
      const from = pick(rnd, HOSTS);
      const to = pick(rnd, HOSTS.filter((h) => h !== from));
      const kind = int(rnd, 0, 9);
      const src = kind === 9 ? '10.0.0.102' : `10.0.0.${int(rnd, 1, 99)}`;
      const l4 = kind === 8 ? tcp({ sport: int(rnd, 1024, 65535), dport: 23 }) : udp({ sport: int(rnd, 1024, 65535), dport: 53 });
      out.push(frame(size, ethernet({ src: hostMac(from), dst: hostMac(to) }), ipv4({ src, dst: `10.0.0.${int(rnd, 1, 99)}` }), l4));
    } else {
      const flow = pick(rnd, [
        { src: '10.0.0.5', l4: () => tcp({ sport: 40000, dport: 443 }) },
        { src: '10.0.0.5', l4: () => udp({ sport: 41000, dport: 53 }) },
        { src: '10.0.0.7', l4: () => udp({ sport: 42000, dport: 123 }) },
        { src: `10.0.0.${int(rnd, 20, 90)}`, l4: () => tcp({ sport: int(rnd, 1024, 65535), dport: 80 }) },
      ]);
      const dst = rnd() < 0.5 ? `192.0.2.${int(rnd, 1, 254)}` : `198.51.100.${int(rnd, 1, 254)}`;
      out.push(frame(size, ethernet({ src: '02:00:00:00:0b:01', dst: '02:00:00:00:0b:02' }), vlan({ vid: 100 }), ipv4({ src: flow.src, dst, ttl: 64 }), flow.l4()));
    }
  }
  return out;
}

/** The ingress port of a frame of twoTenantFrames: VLAN-tagged frames are B's (port 5); A's hosts carry their port in their MAC. */
export const ingressPortOf = (data: Uint8Array): number => (data[12] === 0x81 && data[13] === 0x00 ? B_PORT : data[11]!);

// ---------------------------------------------------------------- workloads by name (a child process rebuilds its own)

/** A workload by what it is, so that a target in another process builds the same packets (they are deterministic). */
export type WorkloadKey = { readonly kind: 'seed'; readonly nf: string } | { readonly kind: 'null' } | { readonly kind: 'big'; readonly entries: number };

export function workloadOf(key: WorkloadKey): NfWorkload {
  switch (key.kind) {
    case 'null':
      return nullWorkload();
    case 'big':
      return bigTables(key.entries);
    case 'seed': {
      const w = seedWorkloads().find((x) => x.id === key.nf);
      if (!w) throw new Error(`no seed NF "${key.nf}"`);
      return w;
    }
  }
}
