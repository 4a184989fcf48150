/**
 * Writes the shipped example captures: for every example NF and policy, a
 * capture `examples/captures/<name>.pcap` (a `/` in the name becomes `__`),
 * the control-plane entries to run it with (`<name>.entries.json`, or
 * `.yaml`), and `examples/captures/README.md`, a table of them.
 *
 *     npm run captures                 # = tsx scripts/make-captures.ts
 *     npx tsx scripts/make-captures.ts some/other/dir
 *
 * The output is a pure function of this file: packets come from the packet
 * library, every varying byte from a seeded PRNG, and timestamps are fixed
 * (from 1700000000 s, 1 ms apart unless a capture needs deliberate spacing),
 * so running it again gives byte-identical files (examples/test/
 * captures-deterministic.test.ts checks that).
 *
 * Imports go to the runtime's packet and capture sources directly (they have
 * no dependencies), so the script runs with plain tsx and no build.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../packages/runtime/src/capture/index.js';
import {
  arp,
  ethernet,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  packet,
  payload,
  tcp,
  udp,
  type Ipv4Fields,
  type Layer,
  type TcpFields,
  type UdpFields,
} from '../packages/runtime/src/packet/index.js';

// ---------------------------------------------------------------- the shape of a capture

/** One packet of a capture: arrival time in microseconds since the epoch, and the frame. */
export interface TimedPacket {
  readonly micros: bigint;
  readonly data: Uint8Array;
}

export interface CaptureSpec {
  /** The NF or policy name (`acme/fw-strict`). */
  readonly nf: string;
  /** The module that exports it, relative to the repository root. */
  readonly module: string;
  /** Whether the module exports several NFs, so `--nf` must choose. */
  readonly needsNfFlag: boolean;
  readonly kind: 'program' | 'policy';
  /** One line for the README: what the capture shows. */
  readonly shows: string;
  readonly entriesFormat: 'json' | 'yaml';
  /** The entries file's text. */
  readonly entries: string;
  readonly packets: readonly TimedPacket[];
}

/** `acme/fw-strict` → `acme__fw-strict`. */
export const captureBaseName = (nf: string): string => nf.replaceAll('/', '__');
export const captureFileName = (nf: string): string => `${captureBaseName(nf)}.pcap`;
export const entriesFileName = (spec: Pick<CaptureSpec, 'nf' | 'entriesFormat'>): string =>
  `${captureBaseName(spec.nf)}.entries.${spec.entriesFormat}`;

/** First packet time: 1700000000 s (2023-11-14 22:13:20 UTC), in microseconds. */
export const T0_MICROS = 1_700_000_000_000_000n;
/** Default spacing between packets: 1 ms. */
export const DEFAULT_GAP_MICROS = 1000n;

// ---------------------------------------------------------------- deterministic helpers

/** mulberry32: a tiny seeded PRNG (32-bit state), so the output never depends on Math.random. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** Printable ASCII text of `n` characters (safe for every dissector tshark might try). */
  text(n: number): string {
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett', 'kilo', 'lima'];
    let s = '';
    while (s.length < n) s += `${this.pick(words)} `;
    return s.slice(0, n);
  }
}

/** Packets spaced DEFAULT_GAP_MICROS apart, in the order given. */
function evenly(frames: readonly Uint8Array[]): TimedPacket[] {
  return frames.map((data, i) => ({ micros: T0_MICROS + BigInt(i) * DEFAULT_GAP_MICROS, data }));
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** A locally administered unicast MAC, 02:00:00:00:hi:lo. */
const mac = (n: number): string => `02:00:00:00:${hex2((n >> 8) & 0xff)}:${hex2(n & 0xff)}`;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** A DNS query for an A record (RFC 1035 §4.1), so tshark sees a well-formed message on port 53. */
export function dnsQuery(id: number, name: string): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** The answer to {@link dnsQuery}: one A record. */
export function dnsResponse(id: number, name: string, addr: readonly [number, number, number, number]): Uint8Array {
  const q = dnsQuery(id, name);
  const out = Uint8Array.from([...q, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...addr]);
  out[2] = 0x81;
  out[3] = 0x80;
  out[7] = 1; // ANCOUNT
  return out;
}

const HTTP_GET = 'GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: mpvisor-example\r\n\r\n';
const HTTP_OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
const SSH_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n';
/** A TLS 1.2 application-data record of `n` opaque bytes. */
const tlsRecord = (rng: Rng, n: number): Uint8Array =>
  Uint8Array.from([0x17, 0x03, 0x03, n >> 8, n & 0xff, ...Array.from({ length: n }, () => rng.int(0, 255))]);
/** TCP MSS option (kind 2, length 4), as a SYN carries it. */
const MSS_1460 = Uint8Array.of(2, 4, 0x05, 0xb4);

interface FlowEnds {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
}

/** IPv4 header fields besides the addresses. */
type IpExtras = Omit<Ipv4Fields, 'src' | 'dst'>;

/** A TCP segment in an Ethernet frame. */
function tcpFrame(e: FlowEnds, ip: IpExtras, t: TcpFields, data?: Uint8Array | string): Uint8Array {
  const layers: Layer[] = [ethernet({ src: e.srcMac, dst: e.dstMac }), ipv4({ src: e.src, dst: e.dst, ...ip }), tcp(t)];
  if (data !== undefined) layers.push(payload(data));
  return packet(...layers);
}

/** A UDP datagram in an Ethernet frame. */
function udpFrame(e: FlowEnds, ip: IpExtras, u: UdpFields, data: Uint8Array | string): Uint8Array {
  return packet(ethernet({ src: e.srcMac, dst: e.dstMac }), ipv4({ src: e.src, dst: e.dst, ...ip }), udp(u), payload(data));
}

/** An ICMP echo request in an Ethernet frame. */
function pingFrame(e: FlowEnds, ip: IpExtras, seq: number, rng: Rng): Uint8Array {
  return packet(ethernet({ src: e.srcMac, dst: e.dstMac }), ipv4({ src: e.src, dst: e.dst, ...ip }), icmp({ type: 8, id: 0x4d50, seq }), payload(rng.text(32)));
}

/** A whole TCP exchange from the client: SYN (with MSS), a data segment, FIN. */
function tcpClientFlow(e: FlowEnds, sport: number, dport: number, data: Uint8Array | string, rng: Rng, ipId: number): Uint8Array[] {
  const isn = rng.int(0, 0xffffffff);
  const ack = rng.int(0, 0xffffffff);
  const len = typeof data === 'string' ? new TextEncoder().encode(data).length : data.length;
  return [
    tcpFrame(e, { id: ipId, flags: 'DF' }, { sport, dport, seq: isn, flags: 'S', window: 64240, options: MSS_1460 }),
    tcpFrame(e, { id: ipId + 1, flags: 'DF' }, { sport, dport, seq: (isn + 1) >>> 0, ack, flags: 'PA', window: 502 }, data),
    tcpFrame(e, { id: ipId + 2, flags: 'DF' }, { sport, dport, seq: (isn + 1 + len) >>> 0, ack, flags: 'FA', window: 502 }),
  ];
}

/** An ARP request broadcast by `sender` for `targetIp`. */
function arpRequest(senderMac: string, senderIp: string, targetIp: string, pad = false): Uint8Array {
  const layers: Layer[] = [ethernet({ src: senderMac, dst: BROADCAST }), arp({ op: 'request', senderMac, senderIp, targetIp })];
  // on the wire a frame is at least 60 bytes (before the FCS): ARP is padded with 18 zero bytes
  if (pad) layers.push(payload(18));
  return packet(...layers);
}

function arpReply(senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  return packet(ethernet({ src: senderMac, dst: targetMac }), arp({ op: 'reply', senderMac, senderIp, targetMac, targetIp }));
}

/** An ICMPv6 echo request to all nodes (ff02::1), a non-IPv4 frame every NF must leave alone. */
function ipv6Ping(srcMac: string, n: number): Uint8Array {
  return packet(
    ethernet({ src: srcMac, dst: '33:33:00:00:00:01' }),
    ipv6({ src: `fe80::${n.toString(16)}`, dst: 'ff02::1', hopLimit: 1 }),
    icmpv6({ type: 128, id: 7, seq: n }),
    payload('ping6'),
  );
}

/** A UDP datagram split into two IPv4 fragments at `firstBytes` (a multiple of 8) of its L4 part. */
function udpFragments(e: FlowEnds, id: number, u: UdpFields, data: string, firstBytes: number): [Uint8Array, Uint8Array] {
  const whole = packet(ipv4({ src: e.src, dst: e.dst, id }), udp(u), payload(data)).subarray(20);
  const frag = (part: Uint8Array, offset: number, more: boolean): Uint8Array =>
    packet(
      ethernet({ src: e.srcMac, dst: e.dstMac }),
      ipv4({ src: e.src, dst: e.dst, id, protocol: 17, flags: more ? 'MF' : 0, fragOffset: offset / 8 }),
      payload(part),
    );
  return [frag(whole.subarray(0, firstBytes), 0, true), frag(whole.subarray(firstBytes), firstBytes, false)];
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// ---------------------------------------------------------------- L2 switch

/** Hosts of the L2 examples: A–D are known to the control plane (ports 1–4), E and F are not. */
const L2_HOSTS = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6 } as const;
type L2Host = keyof typeof L2_HOSTS;
const l2Mac = (h: L2Host): string => mac(L2_HOSTS[h]);
const l2Ip = (h: L2Host): string => `10.0.0.${L2_HOSTS[h]}`;

function l2Udp(rng: Rng, from: L2Host, to: L2Host | 'multicast', id: number): Uint8Array {
  const dstMac = to === 'multicast' ? '01:00:5e:01:02:03' : l2Mac(to);
  const dst = to === 'multicast' ? '239.1.2.3' : l2Ip(to);
  return udpFrame({ srcMac: l2Mac(from), dstMac, src: l2Ip(from), dst }, { id }, { sport: 49152 + rng.int(0, 999), dport: 50000 + rng.int(0, 9) }, rng.text(rng.int(8, 48)));
}

function l2Switch(): CaptureSpec {
  const rng = new Rng(0x12);
  const frames: Uint8Array[] = [];
  for (let round = 0; round < 4; round++) {
    const id = 100 * (round + 1);
    frames.push(
      l2Udp(rng, 'A', 'B', id), // known → known: forwarded to port 2
      l2Udp(rng, 'B', 'A', id + 1),
      l2Udp(rng, 'C', 'D', id + 2),
      l2Udp(rng, 'D', 'C', id + 3),
      arpRequest(l2Mac('E'), l2Ip('E'), l2Ip('A'), round % 2 === 1), // unknown source, broadcast: digest + flood
      arpReply(l2Mac('A'), l2Ip('A'), l2Mac('E'), l2Ip('E')), // to an unknown MAC: flood
      l2Udp(rng, 'E', 'A', id + 4), // unknown source to a known one: digest + forward
      l2Udp(rng, 'F', 'B', id + 5),
      l2Udp(rng, 'B', 'F', id + 6), // to an unknown MAC: flood
      l2Udp(rng, 'A', 'multicast', id + 7), // multicast MAC: flood
      l2Udp(rng, 'F', 'E', id + 8), // unknown to unknown: digest + flood
      ipv6Ping(l2Mac('C'), round + 1), // IPv6 all-nodes: flood
      packet(ethernet({ src: l2Mac('D'), dst: l2Mac('A') }), payload(rng.text(46))), // EtherType 0x88b5 (experimental): forwarded like anything else
    );
  }
  const known: L2Host[] = ['A', 'B', 'C', 'D'];
  const entries = {
    tables: {
      smac: known.map((h) => ({ key: { 'ethernet.srcAddr': l2Mac(h) }, action: 'known' })),
      dmac: known.map((h) => ({ key: { 'ethernet.dstAddr': l2Mac(h) }, action: 'forward', args: { port: L2_HOSTS[h] } })),
    },
    multicastGroups: [{ id: 1, ports: [1, 2, 3, 4] }],
  };
  return {
    nf: 'l2-switch',
    module: 'examples/nfs/l2-switch.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'hosts A–D pre-learned (ports 1–4) are forwarded; frames from unknown E, F raise `mac_learn` digests; unknown, broadcast and multicast destinations flood group 1 (ports 1–4)',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- firewall

function firewall(): CaptureSpec {
  const rng = new Rng(0x2f);
  const client = (n: number, srcIp: string): FlowEnds => ({ srcMac: mac(0x100 + n), dstMac: mac(0x1fe), src: srcIp, dst: '' });
  const to = (e: FlowEnds, dst: string): FlowEnds => ({ ...e, dst });
  const lan = client(7, '10.0.1.7');
  const admin = client(5, '10.0.1.5');
  const blocked = client(23, '192.168.66.23');
  const neighbour = client(24, '192.168.67.1');
  let id = 1;
  const flows: Uint8Array[][] = [
    tcpClientFlow(to(lan, '10.0.2.10'), 40001, 22, SSH_BANNER, rng, (id += 10)), // SSH into the servers: denied
    tcpClientFlow(to(admin, '10.0.2.10'), 40002, 22, SSH_BANNER, rng, (id += 10)), // …except from the admin host
    tcpClientFlow(to(lan, '10.0.2.10'), 40003, 80, HTTP_GET, rng, (id += 10)), // HTTP: allowed
    tcpClientFlow(to(lan, '10.0.4.1'), 40004, 22, SSH_BANNER, rng, (id += 10)), // SSH outside 10.0.2.0/24: allowed
    tcpClientFlow(to(lan, '10.0.2.10'), 40005, 1500, rng.text(20), rng, (id += 10)), // TCP in the UDP-only range: allowed
    ...[999, 1000, 1500, 1999, 2000].map((dport, i) => [
      udpFrame(to(lan, '10.0.2.10'), { id: (id += 10) }, { sport: 41000 + i, dport }, rng.text(24)), // UDP 1000–1999 denied
      udpFrame(to(lan, '10.0.2.10'), { id: id + 1 }, { sport: 41000 + i, dport }, rng.text(24)),
    ]),
    tcpClientFlow(to(blocked, '10.0.2.10'), 40006, 80, HTTP_GET, rng, (id += 10)), // anything from 192.168.66.0/24: denied
    [udpFrame(to(blocked, '10.0.2.53'), { id: (id += 10) }, { sport: 41010, dport: 53 }, dnsQuery(0x1001, 'example.com'))],
    [pingFrame(to(blocked, '10.0.2.10'), { id: (id += 10) }, 1, rng)],
    tcpClientFlow(to(neighbour, '10.0.2.10'), 40007, 80, HTTP_GET, rng, (id += 10)), // 192.168.67.1 is outside the /24: allowed
    [pingFrame(to(lan, '10.0.3.3'), { id: (id += 10) }, 1, rng), pingFrame(to(lan, '10.0.3.3'), { id: id + 1 }, 2, rng)], // ICMP into 10.0.3.0/24: denied
    [pingFrame(to(lan, '10.0.2.10'), { id: (id += 10) }, 1, rng)], // ICMP elsewhere: allowed
    ...[6000, 6063, 6064].map((dport, i) => [tcpFrame(to(lan, '10.0.2.10'), { id: (id += 10) }, { sport: 40010 + i, dport, flags: 'S', options: MSS_1460 })]), // X11 6000–6063 denied
    // a UDP datagram to port 1500 in two fragments: the first (with the UDP header) is denied,
    // the second carries no ports (they read as 0) and passes — as the firewall's doc says
    udpFragments(to(lan, '10.0.2.10'), (id += 10), { sport: 41020, dport: 1500 }, rng.text(48), 24),
    [arpRequest(lan.srcMac, lan.src, '10.0.1.254', true)], // not IPv4: not looked at
    [ipv6Ping(lan.srcMac, 7)],
  ];
  // interleave the flows: round-robin over their packets
  const frames: Uint8Array[] = [];
  for (let i = 0; frames.length < flows.flat().length; i++) for (const f of flows) if (f[i]) frames.push(f[i]!);

  const any = '_';
  const entries = `# Entries for the firewall (examples/nfs/firewall.ts), default allow.
# Ternary keys are { value, mask } (a plain value means all bits); range
# keys are [low, high] (a plain value means just that one); "_" is don't-care.
# The highest priority that matches decides.
tables:
  acl:
    # the admin host may SSH into the server network (wins over the next rule)
    - key: { ipv4.srcAddr: 10.0.1.5, ipv4.dstAddr: { value: 10.0.2.0, mask: 255.255.255.0 }, ipv4.protocol: 6, meta.l4SrcPort: ${any}, meta.l4DstPort: 22 }
      action: allow
      priority: 200
    # nobody else may
    - key: { ipv4.srcAddr: ${any}, ipv4.dstAddr: { value: 10.0.2.0, mask: 255.255.255.0 }, ipv4.protocol: 6, meta.l4SrcPort: ${any}, meta.l4DstPort: 22 }
      action: deny
      priority: 100
    # a blocked network
    - key: { ipv4.srcAddr: { value: 192.168.66.0, mask: 255.255.255.0 }, ipv4.dstAddr: ${any}, ipv4.protocol: ${any}, meta.l4SrcPort: ${any}, meta.l4DstPort: ${any} }
      action: deny
      priority: 90
    # UDP to ports 1000-1999
    - key: { ipv4.srcAddr: ${any}, ipv4.dstAddr: ${any}, ipv4.protocol: 17, meta.l4SrcPort: ${any}, meta.l4DstPort: [1000, 1999] }
      action: deny
      priority: 80
    # ICMP into 10.0.3.0/24
    - key: { ipv4.srcAddr: ${any}, ipv4.dstAddr: { value: 10.0.3.0, mask: 255.255.255.0 }, ipv4.protocol: 1, meta.l4SrcPort: ${any}, meta.l4DstPort: ${any} }
      action: deny
      priority: 70
    # X11 (TCP 6000-6063)
    - key: { ipv4.srcAddr: ${any}, ipv4.dstAddr: ${any}, ipv4.protocol: 6, meta.l4SrcPort: ${any}, meta.l4DstPort: { low: 6000, high: 6063 } }
      action: deny
      priority: 60
`;
  return {
    nf: 'firewall',
    module: 'examples/nfs/firewall.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'ACL by address masks, protocol and port ranges with priorities: SSH into 10.0.2.0/24 denied except from the admin host, UDP 1000–1999, X11, ICMP into 10.0.3.0/24 and 192.168.66.0/24 denied; range edges, a fragmented datagram, ARP and IPv6 pass',
    entriesFormat: 'yaml',
    entries,
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- router

function router(): CaptureSpec {
  const rng = new Rng(0x33);
  const host = { srcMac: mac(0x200), dstMac: mac(0x2fe), src: '10.0.0.9' };
  const destinations = [
    '10.0.1.7', // 10.0.1.0/24 → port 1
    '10.0.1.127', // 10.0.1.0/24 → port 1 (just below the /25)
    '10.0.1.130', // 10.0.1.128/25 → port 2
    '10.0.1.200', // 10.0.1.200/32 → port 3
    '10.0.1.201', // 10.0.1.128/25 → port 2 (next to the /32)
    '10.9.8.7', // 10.0.0.0/8 → port 4
    '192.168.3.4', // 192.168.0.0/16 → port 5
    '172.16.5.5', // 172.16.0.0/12: next hop unresolved → dropped by `forward`
    '198.51.100.9', // 198.51.100.0/24 → drop (a blackhole route)
    '203.0.113.9', // no route → dropped
  ];
  const frames: Uint8Array[] = [];
  let id = 0x100;
  const ttls = [64, 64, 128, 2, 255, 64];
  for (let round = 0; round < 3; round++) {
    for (const dst of destinations) {
      const e = { ...host, dst };
      const ttl = ttls[(round * destinations.length + frames.length) % ttls.length]!;
      const kind = (round + frames.length) % 3;
      id++;
      if (kind === 0) frames.push(tcpFrame(e, { id, ttl, flags: 'DF' }, { sport: 40000 + round, dport: 80, seq: rng.int(0, 0xffffffff), flags: 'S', options: MSS_1460 }));
      else if (kind === 1) frames.push(udpFrame(e, { id, ttl, tos: 0xb8 }, { sport: 40100 + round, dport: 33434 + round }, rng.text(rng.int(8, 64))));
      else frames.push(pingFrame(e, { id, ttl }, round + 1, rng));
    }
  }
  // TTL 1 and 0 expire here; TTL 2 leaves with 1
  for (const ttl of [1, 0, 2, 1]) frames.push(pingFrame({ ...host, dst: '10.0.1.7' }, { id: ++id, ttl }, 9, rng));
  // a header with options (Record Route, one slot): the checksum covers them too
  frames.push(pingFrame({ ...host, dst: '10.0.1.130' }, { id: ++id, ttl: 64, options: Uint8Array.of(7, 7, 4, 0, 0, 0, 0) }, 10, rng));
  frames.push(udpFrame({ ...host, dst: '10.9.8.7' }, { id: ++id, ttl: 30, options: Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0) }, { sport: 40200, dport: 33500 }, rng.text(16)));
  // not IPv4: passes untouched (no egress port chosen, so port 0)
  frames.push(arpRequest(host.srcMac, host.src, '10.0.0.1', true), ipv6Ping(host.srcMac, 9));
  const route = (prefix: string, nhop: string, port: number) => ({ key: { 'ipv4.dstAddr': prefix }, action: 'set_nhop', args: { nhop, port } });
  const neighbour = (nhop: string, dmac: string, smac: string) => ({ key: { 'meta.nextHop': nhop }, action: 'set_dmac', args: { dmac, smac } });
  const entries = {
    tables: {
      ipv4_lpm: [
        route('10.0.0.0/8', '10.255.255.1', 4),
        route('10.0.1.0/24', '10.0.1.1', 1),
        route('10.0.1.128/25', '10.0.1.129', 2),
        route('10.0.1.200/32', '10.0.1.200', 3),
        route('192.168.0.0/16', '192.168.0.1', 5),
        route('172.16.0.0/12', '172.16.0.1', 6),
        { key: { 'ipv4.dstAddr': '198.51.100.0/24' }, action: 'drop' },
      ],
      forward: [
        neighbour('10.255.255.1', '02:00:00:00:ff:01', '02:00:00:00:01:04'),
        neighbour('10.0.1.1', '02:00:00:00:0a:01', '02:00:00:00:01:01'),
        neighbour('10.0.1.129', '02:00:00:00:0a:81', '02:00:00:00:01:02'),
        neighbour('10.0.1.200', '02:00:00:00:0a:c8', '02:00:00:00:01:03'),
        neighbour('192.168.0.1', '02:00:00:00:c0:01', '02:00:00:00:01:05'),
      ],
    },
  };
  return {
    nf: 'router',
    module: 'examples/nfs/router.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'longest-prefix match over overlapping /8, /24, /25 and /32 routes, TTL decrement with header checksum (also with IP options), next-hop MAC rewrite; TTL 0/1, no route, a blackhole route and an unresolved next hop dropped; ARP and IPv6 pass untouched',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- ARP proxy

function arpProxy(): CaptureSpec {
  const rng = new Rng(0x44);
  const proxied: Record<string, string> = { '10.0.0.10': '02:aa:00:00:00:10', '10.0.0.20': '02:aa:00:00:00:20', '10.0.0.30': '02:aa:00:00:00:30' };
  const asker = (n: number): { mac: string; ip: string } => ({ mac: `02:00:00:00:03:${hex2(n)}`, ip: `10.0.0.${100 + n}` });
  const frames: Uint8Array[] = [];
  for (let round = 0; round < 5; round++) {
    const a = asker(rng.int(1, 9));
    const b = asker(rng.int(10, 19));
    frames.push(
      arpRequest(a.mac, a.ip, '10.0.0.10', round % 2 === 0), // proxied: answered from the data plane
      arpRequest(b.mac, b.ip, '10.0.0.20', round % 2 === 1),
      arpRequest(a.mac, a.ip, '10.0.0.40', true), // not proxied: passes on
      arpRequest(b.mac, b.ip, '10.0.0.30'),
      arpReply('02:00:00:00:04:40', '10.0.0.40', a.mac, a.ip), // a reply: not answered
      arpReply(a.mac, a.ip, '02:aa:00:00:00:10', '10.0.0.10'), // a reply *to* a proxied address: not answered either
      packet(ethernet({ src: '02:00:00:00:05:01', dst: BROADCAST }), arp({ op: 'request', senderMac: '02:00:00:00:05:01', senderIp: '10.0.0.55', targetIp: '10.0.0.55' })), // gratuitous ARP
      packet(ethernet({ src: b.mac, dst: BROADCAST }), arp({ op: 'request', hwType: 6, senderMac: b.mac, senderIp: b.ip, targetIp: '10.0.0.20' })), // IEEE 802 hardware type: not ours
      udpFrame({ srcMac: a.mac, dstMac: '02:aa:00:00:00:10', src: a.ip, dst: '10.0.0.10' }, { id: 500 + round }, { sport: 45000 + round, dport: 45999 }, rng.text(20)), // not ARP
    );
  }
  frames.push(ipv6Ping(asker(1).mac, 3));
  const entries = {
    tables: {
      arp_reply: Object.entries(proxied).map(([ip, m]) => ({ key: { 'arp.targetProtoAddr': ip, 'arp.opcode': 1 }, action: 'reply', args: { mac: m } })),
    },
  };
  return {
    nf: 'arp-proxy',
    module: 'examples/nfs/arp-proxy.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'requests for 10.0.0.10/.20/.30 answered in the data plane (out of the ingress port, padding kept); requests for other addresses, replies, gratuitous ARP, a non-Ethernet hardware type, IPv4 and IPv6 pass on unchanged',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- NAT

/** NAT mappings shared by the NAT example and tenant B. */
const NAT_HTTP = { inside: '10.0.0.5', proto: 6, sport: 40000, addr: '203.0.113.1', port: 61000 } as const;
const NAT_DNS = { inside: '10.0.0.5', proto: 17, sport: 41000, addr: '203.0.113.1', port: 61002 } as const;
const NAT_NOSUM = { inside: '10.0.0.7', proto: 17, sport: 42000, addr: '203.0.113.1', port: 61003 } as const;
type NatMap = { readonly inside: string; readonly proto: 6 | 17; readonly sport: number; readonly addr: string; readonly port: number };
const natEntry = (m: NatMap) => ({
  key: { 'ipv4.srcAddr': m.inside, 'ipv4.protocol': m.proto, 'meta.l4SrcPort': m.sport },
  action: m.proto === 6 ? 'rewrite_tcp' : 'rewrite_udp',
  args: { addr: m.addr, port: m.port },
});

/**
 * A DNS transaction id for which the query from `m.addr:m.port` carries a
 * computed UDP checksum of 0 — sent as 0xffff (RFC 768) — after translation.
 */
function idForZeroChecksum(m: NatMap, dst: string, name: string): number {
  for (let id = 0; id < 0x10000; id++) {
    const out = packet(ipv4({ src: m.addr, dst }), udp({ sport: m.port, dport: 53 }), payload(dnsQuery(id, name)));
    if (out[26] === 0xff && out[27] === 0xff) return id;
  }
  throw new Error('no DNS id gives a zero checksum');
}

function nat(): CaptureSpec {
  const rng = new Rng(0x55);
  const lanMac = mac(0x500);
  const gwMac = mac(0x5fe);
  const from = (src: string, dst: string): FlowEnds => ({ srcMac: lanMac, dstMac: gwMac, src, dst });
  const ZERO = { inside: '10.0.0.8', proto: 17, sport: 43000, addr: '203.0.113.3', port: 63000 } as const;
  const https = { inside: '10.0.0.5', proto: 6, sport: 40001, addr: '203.0.113.1', port: 61001 } as const;
  const ssh = { inside: '10.0.0.6', proto: 6, sport: 50000, addr: '203.0.113.2', port: 62000 } as const;
  const zeroId = idForZeroChecksum(ZERO, '198.51.100.53', 'zero.example');
  const flows: Uint8Array[][] = [
    tcpClientFlow(from(NAT_HTTP.inside, '93.184.216.34'), NAT_HTTP.sport, 80, HTTP_GET, rng, 0x1000),
    tcpClientFlow(from(https.inside, '93.184.216.34'), https.sport, 443, tlsRecord(rng, 40), rng, 0x1100),
    tcpClientFlow(from(ssh.inside, '198.51.100.22'), ssh.sport, 22, SSH_BANNER, rng, 0x1200),
    [0, 1, 2].map((i) => udpFrame(from(NAT_DNS.inside, '198.51.100.53'), { id: 0x1300 + i }, { sport: NAT_DNS.sport, dport: 53 }, dnsQuery(0x2000 + i, `host${i}.example.com`))),
    // no UDP checksum: it stays 0 after translation
    [0, 1].map((i) => udpFrame(from(NAT_NOSUM.inside, '198.51.100.53'), { id: 0x1400 + i }, { sport: NAT_NOSUM.sport, dport: 53, checksum: 0 }, dnsQuery(0x2100 + i, 'nosum.example'))),
    // the translated checksum comes out 0 and is sent as 0xffff
    [udpFrame(from(ZERO.inside, '198.51.100.53'), { id: 0x1500 }, { sport: ZERO.sport, dport: 53 }, dnsQuery(zeroId, 'zero.example'))],
    // not translated: unknown host, unknown port, the TCP port over UDP, ICMP, return traffic
    tcpClientFlow(from('10.0.0.9', '93.184.216.34'), 40000, 80, HTTP_GET, rng, 0x1600),
    [tcpFrame(from(NAT_HTTP.inside, '93.184.216.34'), { id: 0x1700, flags: 'DF' }, { sport: 40002, dport: 80, flags: 'S', options: MSS_1460 })],
    [udpFrame(from(NAT_HTTP.inside, '198.51.100.53'), { id: 0x1701 }, { sport: NAT_HTTP.sport, dport: 53 }, dnsQuery(0x2200, 'udp.example'))],
    [pingFrame(from(NAT_HTTP.inside, '198.51.100.1'), { id: 0x1702 }, 1, rng)],
    [tcpFrame({ srcMac: gwMac, dstMac: lanMac, src: '93.184.216.34', dst: NAT_HTTP.addr }, { id: 0x1703 }, { sport: 80, dport: NAT_HTTP.port, flags: 'SA', seq: 1, ack: 1, options: MSS_1460 })],
    // a fragmented datagram of a translated flow: the first fragment (with the UDP header) is
    // translated, the second carries no ports and is not — the limitation the NF documents
    udpFragments(from(NAT_DNS.inside, '198.51.100.53'), 0x1800, { sport: NAT_DNS.sport, dport: 33333 }, rng.text(64), 40),
    [arpRequest(lanMac, NAT_HTTP.inside, '10.0.0.1', true), ipv6Ping(lanMac, 5)],
  ];
  const frames: Uint8Array[] = [];
  for (let i = 0; frames.length < flows.flat().length; i++) for (const f of flows) if (f[i]) frames.push(f[i]!);
  const entries = { tables: { nat_snat: [NAT_HTTP, https, ssh, NAT_DNS, NAT_NOSUM, ZERO].map(natEntry) } };
  return {
    nf: 'nat',
    module: 'examples/nfs/nat.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'source NAT of TCP and UDP flows with IPv4 and incremental L4 checksum updates; UDP checksum 0 stays 0, a translated checksum of 0 goes out as 0xffff; unknown hosts/ports, ICMP, return traffic, a non-first fragment, ARP and IPv6 untouched',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- stateful firewall

/** The stateful firewall's configuration in its entries file: 5 packets per 1 s window. */
export const STATEFUL_THRESHOLD = 5;
export const STATEFUL_WINDOW_US = 1_000_000;

function statefulFirewall(): CaptureSpec {
  const rng = new Rng(0x66);
  const timed: { micros: bigint; data: Uint8Array; order: number }[] = [];
  const at = (ms: number, data: Uint8Array): void => void timed.push({ micros: T0_MICROS + BigInt(Math.round(ms * 1000)), data, order: timed.length });
  const gw = mac(0x6fe);
  const send = (src: string, srcMac: string, ms: number, n: number): void =>
    at(ms, udpFrame({ srcMac, dstMac: gw, src, dst: '10.9.0.1' }, { id: n }, { sport: 50000, dport: 50001 }, rng.text(16)));
  // fast: bursts of 15 packets 20 ms apart, three windows; 5 pass per window, then it is blocked
  let n = 0;
  for (const start of [0, 1500, 3200]) for (let k = 0; k < (start === 3200 ? 4 : 15); k++) send('10.1.0.1', mac(0x601), start + 20 * k, ++n);
  // slow: one packet every 250 ms for 4 s — at most 4 in any of its windows
  for (let k = 0; k < 17; k++) send('10.2.0.2', mac(0x602), 10 + 250 * k, ++n);
  // steady: exactly the threshold (5) per window, every 200 ms — always passes
  for (let k = 0; k < 20; k++) send('10.3.0.3', mac(0x603), 5 + 200 * k, ++n);
  // not IPv4: unchecked
  at(100, arpRequest(mac(0x601), '10.1.0.1', '10.9.0.1', true));
  at(2000, ipv6Ping(mac(0x602), 2));
  timed.sort((a, b) => (a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : a.order - b.order));
  const entries = { defaults: { track: { action: 'track', args: { threshold: STATEFUL_THRESHOLD, window: STATEFUL_WINDOW_US } } } };
  return {
    nf: 'stateful-firewall',
    module: 'examples/nfs/stateful-firewall.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: `threshold ${STATEFUL_THRESHOLD} packets per ${STATEFUL_WINDOW_US / 1e6} s window (set in the entries): the fast source 10.1.0.1 (bursts 20 ms apart) is blocked after 5 in each window; the slow 10.2.0.2 (every 250 ms) and the steady 10.3.0.3 (exactly 5 per window) always pass`,
    entriesFormat: 'json',
    entries: json(entries),
    packets: timed.map(({ micros, data }) => ({ micros, data })),
  };
}

// ---------------------------------------------------------------- ECMP

/** ECMP groups of the example: prefix → next hops (egress ports). */
const ECMP_GROUPS = [
  { group: 1, prefix: '10.1.0.0/16', ports: [1, 2, 3, 4] },
  { group: 2, prefix: '10.2.0.0/16', ports: [5, 6] },
  { group: 3, prefix: '10.2.128.0/17', ports: [7, 8, 9] },
] as const;
/** The program's ECMP_BUCKETS (examples/nfs/ecmp.ts); the e2e test checks they agree. */
const ECMP_BUCKET_COUNT = 16;

function ecmp(): CaptureSpec {
  const rng = new Rng(0x77);
  const hostMac = mac(0x700);
  const routerMac = mac(0x7fe);
  const flows: Uint8Array[][] = [];
  const flowTo = (dst: string, i: number): Uint8Array[] => {
    const e = { srcMac: hostMac, dstMac: routerMac, src: `10.0.${rng.int(0, 3)}.${rng.int(1, 254)}`, dst };
    const sport = rng.int(32768, 60999);
    const n = rng.int(2, 3);
    if (i % 2 === 0) return Array.from({ length: n }, (_, k) => tcpFrame(e, { id: 0x3000 + 8 * i + k, flags: 'DF' }, { sport, dport: 443, seq: 1000 * k + 1, ack: 1, flags: 'A' }, tlsRecord(rng, rng.int(8, 40))));
    return Array.from({ length: n }, (_, k) => udpFrame(e, { id: 0x3000 + 8 * i + k }, { sport, dport: 33434 + (i % 32) }, rng.text(rng.int(8, 40))));
  };
  let i = 0;
  for (let k = 0; k < 40; k++) flows.push(flowTo(`10.1.${rng.int(0, 255)}.${rng.int(1, 254)}`, i++));
  for (let k = 0; k < 20; k++) flows.push(flowTo(`10.2.${rng.int(0, 127)}.${rng.int(1, 254)}`, i++));
  for (let k = 0; k < 24; k++) flows.push(flowTo(`10.2.${rng.int(128, 255)}.${rng.int(1, 254)}`, i++));
  // dropped: TTL 1, no route; passed untouched: not IPv4
  const extra = [
    pingFrame({ srcMac: hostMac, dstMac: routerMac, src: '10.0.0.1', dst: '10.1.0.1' }, { ttl: 1, id: 0x3fff }, 1, rng),
    udpFrame({ srcMac: hostMac, dstMac: routerMac, src: '10.0.0.1', dst: '10.3.0.1' }, { id: 0x3ffe }, { sport: 40000, dport: 33434 }, rng.text(12)),
    arpRequest(hostMac, '10.0.0.1', '10.0.0.254', true),
  ];
  // interleave: each flow's packets stay in order, flows mix
  const queue = rng.shuffle(flows.flatMap((f, fi) => f.map((_, k) => ({ fi, k }))));
  const next = new Map<number, number>();
  const frames = queue.map(({ fi }) => {
    const k = next.get(fi) ?? 0;
    next.set(fi, k + 1);
    return flows[fi]![k]!;
  });
  frames.splice(30, 0, extra[0]!);
  frames.splice(90, 0, extra[1]!);
  frames.splice(150, 0, extra[2]!);
  const nhopMac = (port: number): string => `02:00:00:00:0b:${hex2(port)}`;
  const entries = {
    tables: {
      ecmp_group: ECMP_GROUPS.map((g) => ({ key: { 'ipv4.dstAddr': g.prefix }, action: 'set_ecmp', args: { group: g.group } })),
      // every bucket of every group: bucket b → next hop b mod k
      ecmp_nhop: ECMP_GROUPS.flatMap((g) =>
        Array.from({ length: ECMP_BUCKET_COUNT }, (_, b) => {
          const port = g.ports[b % g.ports.length]!;
          return { key: { 'meta.ecmpGroup': g.group, 'meta.ecmpSelect': b }, action: 'set_nhop', args: { dmac: nhopMac(port), port } };
        }),
      ),
      send_frame: Array.from({ length: 9 }, (_, p) => ({ key: { 'standard.egressPort': p + 1 }, action: 'rewrite_mac', args: { smac: `02:00:00:00:ee:${hex2(p + 1)}` } })),
    },
  };
  return {
    nf: 'ecmp',
    module: 'examples/nfs/ecmp.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: '84 TCP/UDP flows over three groups (4, 2 and 3 next hops; 10.2.128.0/17 overrides 10.2.0.0/16): every next hop used, every flow on one port, TTL decremented and MACs rewritten; TTL 1 and no route dropped, ARP untouched',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- acme/fw-strict

function fwStrict(): CaptureSpec {
  const rng = new Rng(0x88);
  const lan = { srcMac: mac(0x800), dstMac: mac(0x8fe) };
  const out = (src: string, dst: string): FlowEnds => ({ ...lan, src, dst });
  const back = (src: string, dst: string): FlowEnds => ({ srcMac: lan.dstMac, dstMac: lan.srcMac, src, dst });
  const flows: Uint8Array[][] = [
    tcpClientFlow(out('10.0.5.5', '93.184.216.34'), 50001, 80, HTTP_GET, rng, 0x100), // web: allowed
    [tcpFrame(back('93.184.216.34', '10.0.5.5'), { id: 0x200 }, { sport: 80, dport: 50001, flags: 'PA', seq: 1, ack: 2 }, HTTP_OK)], // and its reply
    tcpClientFlow(out('10.0.5.5', '93.184.216.34'), 50002, 443, tlsRecord(rng, 32), rng, 0x110),
    [tcpFrame(back('93.184.216.34', '10.0.5.5'), { id: 0x210 }, { sport: 443, dport: 50002, flags: 'PA', seq: 1, ack: 2 }, tlsRecord(rng, 48))],
    [udpFrame(out('10.0.5.5', '9.9.9.9'), { id: 0x120 }, { sport: 50003, dport: 53 }, dnsQuery(0x3001, 'example.com'))], // DNS: allowed
    [udpFrame(back('9.9.9.9', '10.0.5.5'), { id: 0x220 }, { sport: 53, dport: 50003 }, dnsResponse(0x3001, 'example.com', [93, 184, 216, 34]))],
    tcpClientFlow(out('10.1.2.3', '192.0.2.10'), 50004, 22, SSH_BANNER, rng, 0x130), // SSH from 10.0.0.0/8: allowed
    tcpClientFlow(out('198.51.100.7', '192.0.2.10'), 50005, 22, SSH_BANNER, rng, 0x140), // SSH from elsewhere: denied
    [tcpFrame(back('192.0.2.10', '10.1.2.3'), { id: 0x230 }, { sport: 22, dport: 50004, flags: 'PA', seq: 1, ack: 2 }, SSH_BANNER)], // SSH replies: no rule, denied
    tcpClientFlow(out('10.0.5.5', '192.0.2.10'), 50006, 23, rng.text(12), rng, 0x150), // telnet: denied
    [tcpFrame(out('10.0.5.5', '9.9.9.9'), { id: 0x160 }, { sport: 50007, dport: 53, flags: 'S', options: MSS_1460 })], // DNS over TCP: not allowed
    [udpFrame(out('10.0.5.5', '192.0.2.123'), { id: 0x170 }, { sport: 50008, dport: 33434 }, rng.text(20))], // other UDP: denied
    [pingFrame(out('10.0.5.5', '9.9.9.9'), { id: 0x180 }, 1, rng)], // ICMP: denied
    [arpRequest(lan.srcMac, '10.0.5.5', '10.0.5.1', true), ipv6Ping(lan.srcMac, 4)], // not IPv4: passes
  ];
  const frames: Uint8Array[] = [];
  for (let i = 0; frames.length < flows.flat().length; i++) for (const f of flows) if (f[i]) frames.push(f[i]!);
  return {
    nf: 'acme/fw-strict',
    module: 'examples/nfs/fw-strict.ts',
    needsNfFlag: false,
    kind: 'program',
    shows: 'default deny with the const allow rules: HTTP/HTTPS/DNS and their replies pass, SSH only from 10.0.0.0/8; telnet, DNS over TCP, other UDP, ICMP and SSH replies dropped; ARP and IPv6 pass',
    entriesFormat: 'yaml',
    entries: `# acme/fw-strict (examples/nfs/fw-strict.ts) brings its ACL as const entries:
# P4 forbids the control plane to change a table with const entries, so there
# is nothing to install. The file is here so every example runs the same way.
{}
`,
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- tenant A: L2 switch, then firewall

/** Tenant A's hosts: A–D known on ports 1–4, E unknown, Q quarantined by the firewall. */
const TENANT_A_HOSTS = { A: 1, B: 2, C: 3, D: 4, E: 5, Q: 0x66 } as const;

/** Tenant A's entries (after the file's header comment): the same on its own and on the two-tenant data plane. */
function tenantAEntries(): string {
  const hosts = TENANT_A_HOSTS;
  const known = ['A', 'B', 'C', 'D'] as const;
  const any = '_';
  const q = (m: string): string => `'${m}'`;
  return `multicastGroups:
  - { id: 1, ports: [1, 2, 3, 4] }
programs:
  l2-switch:
    tables:
      smac:
${known.map((h) => `        - { key: { ethernet.srcAddr: ${q(mac(hosts[h]))} }, action: known }`).join('\n')}
      dmac:
${known.map((h) => `        - { key: { ethernet.dstAddr: ${q(mac(hosts[h]))} }, action: forward, args: { port: ${hosts[h]} } }`).join('\n')}
  firewall:
    tables:
      acl:
        # no telnet
        - key: { ipv4.srcAddr: ${any}, ipv4.dstAddr: ${any}, ipv4.protocol: 6, meta.l4SrcPort: ${any}, meta.l4DstPort: 23 }
          action: deny
          priority: 20
        # a quarantined host
        - key: { ipv4.srcAddr: 10.0.0.102, ipv4.dstAddr: ${any}, ipv4.protocol: ${any}, meta.l4SrcPort: ${any}, meta.l4DstPort: ${any} }
          action: deny
          priority: 10
`;
}

function tenantA(): CaptureSpec {
  const rng = new Rng(0xa1);
  const hosts = TENANT_A_HOSTS;
  type H = keyof typeof hosts;
  const ends = (f: H, t: H | 'bcast'): FlowEnds => ({
    srcMac: mac(hosts[f]),
    dstMac: t === 'bcast' ? BROADCAST : mac(hosts[t]),
    src: `10.0.0.${hosts[f]}`,
    dst: t === 'bcast' ? '10.0.0.255' : `10.0.0.${hosts[t]}`,
  });
  const frames: Uint8Array[] = [];
  for (let round = 0; round < 3; round++) {
    const id = 0x100 * (round + 1);
    frames.push(
      udpFrame(ends('A', 'B'), { id }, { sport: 50000 + round, dport: 50100 }, rng.text(20)), // forwarded to port 2
      tcpFrame(ends('A', 'C'), { id: id + 1, flags: 'DF' }, { sport: 50010 + round, dport: 23, flags: 'S', options: MSS_1460 }), // telnet: denied by the firewall
      tcpFrame(ends('B', 'D'), { id: id + 2, flags: 'DF' }, { sport: 50020 + round, dport: 80, flags: 'PA', seq: 1, ack: 1 }, HTTP_GET), // forwarded to port 4
      udpFrame(ends('E', 'A'), { id: id + 3 }, { sport: 50030 + round, dport: 50100 }, rng.text(20)), // unknown source: digest, forwarded
      udpFrame(ends('A', 'E'), { id: id + 4 }, { sport: 50100, dport: 50030 + round }, rng.text(20)), // unknown destination: flooded
      udpFrame(ends('Q', 'A'), { id: id + 5 }, { sport: 50040 + round, dport: 50100 }, rng.text(20)), // quarantined host: digest, then denied
      arpRequest(mac(hosts.Q), '10.0.0.102', '10.0.0.1', true), // ARP from it: flooded (the firewall looks at IPv4 only)
      udpFrame(ends('C', 'bcast'), { id: id + 6 }, { sport: 50050, dport: 50050 }, rng.text(20)), // IPv4 broadcast: flooded
    );
  }
  const entries = `# Tenant A (examples/nfs/policies.ts): the L2 switch, then the firewall.
# Both programs have their own section under "programs"; the multicast
# group used for flooding belongs to the device.
${tenantAEntries()}`;
  return {
    nf: 'tenant-a',
    module: 'examples/nfs/policies.ts',
    needsNfFlag: true,
    kind: 'policy',
    shows: 'the L2 switch (known hosts forwarded, unknown ones learned by digest and flooded) chained with the firewall, which drops telnet and a quarantined host — also when the switch floods; ARP floods unfiltered',
    entriesFormat: 'yaml',
    entries,
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- tenant B: NAT, then the router for IPv4

/** Tenant B's entries: NAT mappings, a default route out of `defaultPort` and a partner route out of `partnerPort`. */
function tenantBEntries(defaultPort: number, partnerPort: number): unknown {
  return {
    programs: {
      nat: { tables: { nat_snat: [NAT_HTTP, NAT_DNS, NAT_NOSUM].map(natEntry) } },
      router: {
        tables: {
          ipv4_lpm: [
            // the default route (0.0.0.0/0): an lpm don't-care, as P4Runtime writes it
            { key: { 'ipv4.dstAddr': '_' }, action: 'set_nhop', args: { nhop: '203.0.113.254', port: defaultPort } },
            { key: { 'ipv4.dstAddr': '192.0.2.0/24' }, action: 'set_nhop', args: { nhop: '192.0.2.1', port: partnerPort } },
          ],
          forward: [
            { key: { 'meta.nextHop': '203.0.113.254' }, action: 'set_dmac', args: { dmac: '02:00:00:00:fe:01', smac: '02:00:00:00:0b:02' } },
            { key: { 'meta.nextHop': '192.0.2.1' }, action: 'set_dmac', args: { dmac: '02:00:00:00:c0:02', smac: '02:00:00:00:0b:03' } },
          ],
        },
      },
    },
  };
}

function tenantB(): CaptureSpec {
  const rng = new Rng(0xb2);
  const lanMac = mac(0xb00);
  const gwMac = mac(0xbfe);
  const from = (src: string, dst: string): FlowEnds => ({ srcMac: lanMac, dstMac: gwMac, src, dst });
  const flows: Uint8Array[][] = [
    // translated, then routed: by the default route (port 2) or the partner route (port 3)
    ...['93.184.216.34', '198.51.100.80', '192.0.2.80'].map((dst, i) => tcpClientFlow(from(NAT_HTTP.inside, dst), NAT_HTTP.sport, 80, HTTP_GET, rng, 0x100 + 0x10 * i)),
    [0, 1, 2, 3].map((i) => udpFrame(from(NAT_DNS.inside, i % 2 === 0 ? '192.0.2.53' : '198.51.100.53'), { id: 0x200 + i }, { sport: NAT_DNS.sport, dport: 53 }, dnsQuery(0x4000 + i, 'partner.example'))),
    [0, 1].map((i) => udpFrame(from(NAT_NOSUM.inside, '198.51.100.53'), { id: 0x300 + i }, { sport: NAT_NOSUM.sport, dport: 53, checksum: 0 }, dnsQuery(0x4100 + i, 'nosum.example'))),
    tcpClientFlow(from('10.0.0.9', '192.0.2.80'), 45000, 80, HTTP_GET, rng, 0x400), // no NAT mapping: routed as is
    [
      udpFrame(from(NAT_DNS.inside, '198.51.100.53'), { id: 0x500, ttl: 1 }, { sport: NAT_DNS.sport, dport: 53 }, dnsQuery(0x4200, 'expired.example')), // translated, then expires in the router
      udpFrame(from(NAT_DNS.inside, '198.51.100.53'), { id: 0x501, ttl: 2 }, { sport: NAT_DNS.sport, dport: 53 }, dnsQuery(0x4201, 'last-hop.example')), // leaves with TTL 1
    ],
    [arpRequest(lanMac, NAT_HTTP.inside, '10.0.0.1', true), ipv6Ping(lanMac, 6)], // not IPv4: the router step is skipped
  ];
  const frames: Uint8Array[] = [];
  for (let i = 0; frames.length < flows.flat().length; i++) for (const f of flows) if (f[i]) frames.push(f[i]!);
  const entries = tenantBEntries(2, 3);
  return {
    nf: 'tenant-b',
    module: 'examples/nfs/policies.ts',
    needsNfFlag: true,
    kind: 'policy',
    shows: 'source NAT then routing: translated flows leave by the default route (port 2) or the partner route (port 3) with TTL − 1 and all checksums right; an untranslated host is routed as is; TTL 1 is dropped; ARP and IPv6 skip the router',
    entriesFormat: 'json',
    entries: json(entries),
    packets: evenly(frames),
  };
}

// ---------------------------------------------------------------- two tenants on one data plane

/**
 * A capture for one tenant of a data plane configuration in
 * examples/hypervisor/, run with `mpvisor hv` (not `mpvisor run`): its
 * packets enter on the tenant's own ports, with the tenant's port numbers
 * in its entries.
 */
export interface DataPlaneCaptureSpec {
  /** File base name: `two-tenants.tenant-a` → `two-tenants.tenant-a.pcap`, `.entries.yaml`. */
  readonly base: string;
  /** The configuration that runs it, relative to the repository root. */
  readonly config: string;
  /** The NF or policy the tenant runs. */
  readonly nf: string;
  readonly shows: string;
  readonly entriesFormat: 'json' | 'yaml';
  readonly entries: string;
  readonly packets: readonly TimedPacket[];
}

/** Ports and classification of examples/hypervisor/two-tenants.yaml; the hypervisor CLI test reads them too. */
export const TWO_TENANTS = {
  tenantA: { ports: [1, 2, 3, 4], inPort: 1 },
  tenantB: { ports: [5, 6, 7], inPort: 5, vlan: 100, defaultPort: 6, partnerPort: 7 },
  /** Tenant B's packets arrive half a millisecond after tenant A's, so the two interleave. */
  offsetMicros: 500n,
} as const;

/** An 802.1Q tag (priority 0) with this VLAN id inserted after the MAC addresses. */
export function vlanTagged(frame: Uint8Array, vid: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12));
  out.set([0x81, 0x00, (vid >> 8) & 0x0f, vid & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

function twoTenantsA(): DataPlaneCaptureSpec {
  return {
    base: 'two-tenants.tenant-a',
    config: 'examples/hypervisor/two-tenants.yaml',
    nf: 'tenant-a',
    shows: 'tenant A of the two-tenant data plane (ports 1–4, classified by ingress port): the `tenant-a.pcap` packets and entries, interleaved with tenant B’s packets',
    entriesFormat: 'yaml',
    entries: `# Tenant A of examples/hypervisor/two-tenants.yaml: the L2 switch, then the
# firewall, on ports 1-4 of a data plane it shares with tenant B (ports 5-7).
# Multicast group 1 is tenant A's; it may only replicate to tenant A's ports.
${tenantAEntries()}`,
    packets: tenantA().packets,
  };
}

function twoTenantsB(): DataPlaneCaptureSpec {
  const { vlan, inPort } = TWO_TENANTS.tenantB;
  const frames = tenantB().packets.map((p) => vlanTagged(p.data, vlan));
  // two packets no classifier rule claims: one without a tag, one tagged for another VLAN
  frames.splice(4, 0, tenantB().packets[0]!.data);
  frames.splice(12, 0, vlanTagged(tenantB().packets[1]!.data, 200));
  return {
    base: 'two-tenants.tenant-b',
    config: 'examples/hypervisor/two-tenants.yaml',
    nf: 'tenant-b',
    shows: `tenant B of the two-tenant data plane: the \`tenant-b.pcap\` packets tagged VLAN ${vlan} on port ${inPort}, classified by the tag and routed to ports ${TWO_TENANTS.tenantB.defaultPort} and ${TWO_TENANTS.tenantB.partnerPort} (tagged again on the way out); ARP and IPv6 go to port 0, outside the vPDP, and are contained; an untagged frame and one for VLAN 200 stay unclassified`,
    entriesFormat: 'json',
    entries: json(tenantBEntries(TWO_TENANTS.tenantB.defaultPort, TWO_TENANTS.tenantB.partnerPort)),
    packets: frames.map((data, i) => ({ micros: T0_MICROS + TWO_TENANTS.offsetMicros + BigInt(i) * DEFAULT_GAP_MICROS, data })),
  };
}

/** Every capture of a data plane configuration, in README order. */
export function dataPlaneCaptureSpecs(): DataPlaneCaptureSpec[] {
  return [twoTenantsA(), twoTenantsB()];
}

// ---------------------------------------------------------------- output

/** Every shipped capture, in README order. */
export function captureSpecs(): CaptureSpec[] {
  return [l2Switch(), firewall(), router(), arpProxy(), nat(), statefulFirewall(), ecmp(), fwStrict(), tenantA(), tenantB()];
}

export interface GeneratedCapture {
  readonly spec: CaptureSpec;
  readonly capture: string;
  readonly entries: string;
  readonly bytes: number;
}

export interface GeneratedDataPlaneCapture {
  readonly spec: DataPlaneCaptureSpec;
  readonly capture: string;
  readonly entries: string;
  readonly bytes: number;
}

/** Write one capture (microsecond pcap) and its entries file; returns the capture's size. */
async function writeCapture(capture: string, packets: readonly TimedPacket[], entries: string, entriesText: string): Promise<number> {
  const writer = await PcapWriter.create(capture, { precision: 'micro' });
  try {
    for (const p of packets) await writer.write({ data: p.data, timestampMicros: p.micros });
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  await writeFile(entries, entriesText);
  return writer.bytes;
}

/** The command that runs a capture, as the README shows it. */
export function runCommand(spec: CaptureSpec, dir = 'examples/captures'): string {
  const base = captureBaseName(spec.nf);
  return [
    `mpvisor run ${spec.module}`,
    ...(spec.needsNfFlag ? [`--nf ${spec.nf}`] : []),
    `--pcap ${dir}/${captureFileName(spec.nf)}`,
    `--entries ${dir}/${entriesFileName(spec)}`,
    `--out out/${base}`,
  ].join(' ');
}

function readme(made: readonly GeneratedCapture[], dataPlane: readonly GeneratedDataPlaneCapture[]): string {
  const dpRows = dataPlane.map(
    ({ spec, bytes }) =>
      `| [\`${spec.base}.pcap\`](${spec.base}.pcap) | \`${spec.nf}\` in [\`${spec.config.replace(/^examples\//, '')}\`](../${spec.config.replace(/^examples\//, '')}) | ${spec.packets.length} | ${(bytes / 1024).toFixed(1)} KiB | [\`${spec.base}.entries.${spec.entriesFormat}\`](${spec.base}.entries.${spec.entriesFormat}) | ${spec.shows} |`,
  );
  const configs = [...new Set(dataPlane.map((d) => d.spec.config))];
  const rows = made.map(
    ({ spec, bytes }) =>
      `| [\`${captureFileName(spec.nf)}\`](${captureFileName(spec.nf)}) | \`${spec.nf}\` (${spec.kind}) | ${spec.packets.length} | ${(bytes / 1024).toFixed(1)} KiB | [\`${entriesFileName(spec)}\`](${entriesFileName(spec)}) | ${spec.shows} |`,
  );
  return `# Example captures

Generated by \`npm run captures\` (\`scripts/make-captures.ts\`): deterministic —
packets from the packet library, varying bytes from a seeded PRNG, fixed
timestamps from 1700000000 s (1 ms apart, except where the timing is the point)
— so regenerating gives byte-identical files
(\`examples/test/captures-deterministic.test.ts\` checks it). Do not edit them
by hand: change the script and regenerate.

Every packet enters on port 1 (a pcap file has one interface). An NF that
never picks an egress port (a filter such as the firewall or NAT) sends what
it lets through to port 0.

| Capture | NF | Packets | Size | Entries | What it shows |
| --- | --- | ---: | ---: | --- | --- |
${rows.join('\n')}

Run one (the output directory gets one capture per egress port; add
\`--drops\` for \`dropped.pcap\`, \`--trace N\` for the first N packets stage by stage):

\`\`\`sh
${made.map(({ spec }) => `npm run mpvisor -- ${runCommand(spec).replace(/^mpvisor /, '')}`).join('\n')}
\`\`\`

The end-to-end tests (\`examples/test/e2e-*.test.ts\`) run each of these and
check the output bytes against packets built independently in the test.

## Data plane configurations

These captures belong to a tenant of a data plane configuration in
[\`examples/hypervisor/\`](../hypervisor/): several tenants' policies on one
hypervisor, each with its own ports (see \`mpvisor hv\` in
[\`docs/cli.md\`](../../docs/cli.md)). Their packets enter on the tenant's
ports and their entries use the tenant's port numbers.

| Capture | Tenant | Packets | Size | Entries | What it shows |
| --- | --- | ---: | ---: | --- | --- |
${dpRows.join('\n')}

\`\`\`sh
${configs.map((c) => `npm run mpvisor -- hv ${c} --out out/${c.replace(/^.*\//, '').replace(/\.ya?ml$/, '')} --drops`).join('\n')}
\`\`\`

\`packages/cli/test/hypervisor-cli.test.ts\` checks each tenant's output
against its policy run on its own on the reference target.
`;
}

/**
 * Write every capture, entries file and the README into `dir`; returns the
 * example NFs' captures (one per NF and policy). The data plane
 * configurations' captures are written too; `onDataPlane` hears of them.
 */
export async function generateCaptures(dir: string, onDataPlane?: (made: readonly GeneratedDataPlaneCapture[]) => void): Promise<GeneratedCapture[]> {
  await mkdir(dir, { recursive: true });
  const made: GeneratedCapture[] = [];
  for (const spec of captureSpecs()) {
    const capture = join(dir, captureFileName(spec.nf));
    const entries = join(dir, entriesFileName(spec));
    made.push({ spec, capture, entries, bytes: await writeCapture(capture, spec.packets, entries, spec.entries) });
  }
  const dataPlane: GeneratedDataPlaneCapture[] = [];
  for (const spec of dataPlaneCaptureSpecs()) {
    const capture = join(dir, `${spec.base}.pcap`);
    const entries = join(dir, `${spec.base}.entries.${spec.entriesFormat}`);
    dataPlane.push({ spec, capture, entries, bytes: await writeCapture(capture, spec.packets, entries, spec.entries) });
  }
  await writeFile(join(dir, 'README.md'), readme(made, dataPlane));
  onDataPlane?.(dataPlane);
  return made;
}

/** Where the shipped captures live. */
export const SHIPPED_DIR = fileURLToPath(new URL('../examples/captures/', import.meta.url));

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? SHIPPED_DIR;
  let dataPlane: readonly GeneratedDataPlaneCapture[] = [];
  const made = await generateCaptures(dir, (d) => (dataPlane = d));
  for (const m of [...made, ...dataPlane]) console.log(`${m.capture}: ${m.spec.packets.length} packets, ${m.bytes} bytes; ${m.entries}`);
}
