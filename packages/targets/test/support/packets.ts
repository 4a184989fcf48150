/**
 * Deterministic packet sequences for the native-vs-virtualized differential
 * test (hypervisor-differential.test.ts).
 *
 * For one NF, the sequence is: the shipped capture as it is, then packets
 * from a seeded PRNG, each one of
 *
 * - built with the packet library from field values aimed at the NF's
 *   entries (read from its installed tables: exact values and their
 *   neighbours, LPM prefixes with inside/outside addresses, ternary values
 *   with the free bits randomised and with a cared-for bit flipped, range
 *   edges and the values just outside), or values that miss;
 * - a shipped or built packet with header fields overwritten in place
 *   (MACs, EtherType, IPv4 addresses, protocol, TTL, fragment fields, L4
 *   ports, UDP checksum, ARP opcode and addresses), so checksums go stale;
 * - a shipped or built packet cut short, with bytes flipped or junk appended;
 * - random junk, bare or behind an Ethernet header;
 * - bursts: one packet repeated a few times milliseconds apart (a flow).
 *
 * Ingress ports are 0..15; arrival timestamps advance in bursts (µs apart)
 * and gaps (up to seconds), with an occasional jump, so the stateful
 * firewall's windows both fill up and roll over.
 */
import {
  applyUpdates,
  arp,
  dissect,
  DeviceState,
  ethernet,
  icmp,
  ipv4,
  ipv6,
  packet,
  payload,
  tcp,
  udp,
  vlan,
  type CapturedPacket,
  type Layer,
  type PacketIn,
  type Pipeline,
  type Update,
} from '@mpvisor/runtime';

// ---------------------------------------------------------------- PRNG

/** sfc32, seeded through splitmix32: small, fast and the same on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** 0..n-1 */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** lo..hi inclusive */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)]!;
  }

  /** A uniformly random value of `width` bits. */
  bits(width: number): bigint {
    let v = 0n;
    for (let got = 0; got < width; got += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(width)) - 1n);
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** Pick by weight: [[weight, value], …]. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((a, [w]) => a + w, 0);
    let x = this.u32() / 0x1_0000_0000 * total;
    for (const [w, v] of choices) {
      if (x < w) return v;
      x -= w;
    }
    return choices[choices.length - 1]![1];
  }
}

// ---------------------------------------------------------------- values aimed at the entries

/** Key fields that come straight from packet bytes, which the generator can set. */
export const PACKET_FIELDS = [
  'ethernet.srcAddr',
  'ethernet.dstAddr',
  'ethernet.etherType',
  'ipv4.srcAddr',
  'ipv4.dstAddr',
  'ipv4.protocol',
  'meta.l4SrcPort',
  'meta.l4DstPort',
  'arp.targetProtoAddr',
  'arp.opcode',
] as const;
export type PacketField = (typeof PACKET_FIELDS)[number];

/** Per packet field, values that hit the NF's entries and values just beside them (which miss or hit another entry). */
export type ValuePools = ReadonlyMap<PacketField, { readonly hit: readonly bigint[]; readonly near: readonly bigint[] }>;

/**
 * Installs `updates` on a fresh copy of the pipeline's control-plane state
 * (const entries included) and collects, per key field the packet carries,
 * the values the entries match and their neighbours.
 */
export function valuePools(pipeline: Pipeline, updates: readonly Update[], rng: Rng): { pools: ValuePools; entries: number } {
  const device = new DeviceState(pipeline);
  const w = applyUpdates(device, updates, 'rollbackOnError');
  if (!w.ok) throw new Error(`entries do not install: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  const hit = new Map<PacketField, Set<bigint>>();
  const near = new Map<PacketField, Set<bigint>>();
  const add = (m: Map<PacketField, Set<bigint>>, f: PacketField, v: bigint, width: number): void => {
    if (v < 0n || v >= 1n << BigInt(width)) return;
    const s = m.get(f) ?? new Set<bigint>();
    s.add(v);
    m.set(f, s);
  };
  let entries = 0;
  for (const program of device.programs.values()) {
    for (const table of program.tables.values()) {
      table.stage.keys.forEach((key, i) => {
        const field = key.field as PacketField;
        if (!PACKET_FIELDS.includes(field)) return;
        const width = table.keyWidths[i]!;
        const all = (1n << BigInt(width)) - 1n;
        for (const e of table.entries.values()) {
          const m = e.matches[i]!;
          switch (m.kind) {
            case 'exact':
            case 'optional': {
              const v = BigInt(m.value);
              add(hit, field, v, width);
              add(near, field, v + 1n, width);
              add(near, field, v - 1n, width);
              add(near, field, v ^ (1n << BigInt(rng.int(width))), width);
              break;
            }
            case 'lpm': {
              const v = BigInt(m.value);
              const host = BigInt(width - m.prefixLength);
              const hostMask = (1n << host) - 1n;
              add(hit, field, v, width);
              add(hit, field, v | hostMask, width);
              add(hit, field, v | (rng.bits(width) & hostMask), width);
              add(hit, field, v | (rng.bits(width) & hostMask), width);
              add(near, field, v - 1n, width);
              add(near, field, (v | hostMask) + 1n, width);
              if (m.prefixLength > 0) add(near, field, v ^ (1n << host), width);
              break;
            }
            case 'ternary': {
              const v = BigInt(m.value);
              const mask = BigInt(m.mask);
              add(hit, field, v & mask, width);
              add(hit, field, (v & mask) | (rng.bits(width) & ~mask & all), width);
              add(hit, field, (v & mask) | (rng.bits(width) & ~mask & all), width);
              const cared = [...Array(width).keys()].filter((b) => ((mask >> BigInt(b)) & 1n) === 1n);
              if (cared.length > 0) add(near, field, (v & mask) ^ (1n << BigInt(rng.pick(cared))), width);
              break;
            }
            case 'range': {
              const lo = BigInt(m.low);
              const hi = BigInt(m.high);
              add(hit, field, lo, width);
              add(hit, field, hi, width);
              if (hi > lo) add(hit, field, lo + BigInt(rng.int(Number(hi - lo) + 1)), width);
              add(near, field, lo - 1n, width);
              add(near, field, hi + 1n, width);
              break;
            }
            case 'any':
              break;
          }
        }
      });
      entries += table.entries.size;
    }
  }
  const pools = new Map<PacketField, { hit: bigint[]; near: bigint[] }>();
  for (const f of PACKET_FIELDS) {
    const h = [...(hit.get(f) ?? [])];
    const n = [...(near.get(f) ?? [])].filter((v) => !hit.get(f)?.has(v));
    if (h.length + n.length > 0) pools.set(f, { hit: h, near: n });
  }
  return { pools, entries };
}

// ---------------------------------------------------------------- packet generator

const u32 = (s: string): bigint => BigInt(s.split('.').reduce((a, o) => a * 256 + Number(o), 0));
const mac = (s: string): bigint => BigInt(`0x${s.replace(/:/g, '')}`);

/** Values used when the NF has no entries on a field, or to miss: a few hosts (so sources repeat), broadcast and multicast. */
const FALLBACK = {
  mac: ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:05', '02:00:00:00:00:0e', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:fb', '33:33:00:00:00:01', '00:00:00:00:00:00'].map(mac),
  ip: ['10.0.0.5', '10.0.0.102', '10.1.0.1', '10.2.0.2', '10.3.0.3', '192.168.66.7', '172.16.5.4', '203.0.113.9', '8.8.8.8', '0.0.0.0', '255.255.255.255'].map(u32),
  port: [0, 22, 23, 53, 80, 443, 1000, 1999, 6000, 6063, 40000, 65535].map(BigInt),
  protocol: [1, 6, 17, 6, 17, 47, 0, 255].map(BigInt),
  ttl: [0, 1, 2, 64, 255],
};

/** One value for a field: mostly one the entries match, sometimes one beside it, sometimes a fallback or a random one. */
function value(rng: Rng, pools: ValuePools, field: PacketField, width: number, fallback: readonly bigint[]): bigint {
  const p = pools.get(field);
  const kind = rng.weighted<'hit' | 'near' | 'fallback' | 'random'>([
    [p && p.hit.length > 0 ? 55 : 0, 'hit'],
    [p && p.near.length > 0 ? 15 : 0, 'near'],
    [fallback.length > 0 ? 20 : 0, 'fallback'],
    [10, 'random'],
  ]);
  if (kind === 'hit') return rng.pick(p!.hit);
  if (kind === 'near') return rng.pick(p!.near);
  if (kind === 'fallback') return rng.pick(fallback);
  return rng.bits(width);
}

/** A well-formed packet aimed at the entries (Ethernet; ARP, IPv4 with TCP/UDP/ICMP/fragments/options, IPv6, VLAN, raw). */
export function buildPacket(rng: Rng, pools: ValuePools): Uint8Array {
  const v = (f: PacketField, width: number, fallback: readonly bigint[]): bigint => value(rng, pools, f, width, fallback);
  const l2 = (type?: number): Layer => ethernet({ dst: v('ethernet.dstAddr', 48, FALLBACK.mac), src: v('ethernet.srcAddr', 48, FALLBACK.mac), ...(type !== undefined ? { type } : {}) });
  const body = (): Layer => payload(rng.bytes(rng.weighted([[6, rng.int(24)], [3, rng.int(200)], [1, 0]])));
  const kind = rng.weighted<'ipv4' | 'arp' | 'ipv6' | 'vlan' | 'raw'>([
    [70, 'ipv4'],
    [pools.has('arp.targetProtoAddr') ? 20 : 8, 'arp'],
    [4, 'ipv6'],
    [3, 'vlan'],
    [3, 'raw'],
  ]);
  switch (kind) {
    case 'arp': {
      const op = Number(v('arp.opcode', 16, [1n, 2n, 1n, 3n]));
      const p = packet(
        l2(),
        arp({
          op,
          senderMac: v('ethernet.srcAddr', 48, FALLBACK.mac),
          senderIp: Number(v('ipv4.srcAddr', 32, FALLBACK.ip)),
          targetMac: rng.chance(0.5) ? 0n : v('ethernet.dstAddr', 48, FALLBACK.mac),
          targetIp: Number(v('arp.targetProtoAddr', 32, FALLBACK.ip)),
          ...(rng.chance(0.08) ? { hwType: rng.pick([6, 0, 0xffff]) } : {}),
          ...(rng.chance(0.08) ? { protoType: rng.pick([0x86dd, 0x0801, 0]) } : {}),
        }),
      );
      // as on the wire: padded to the 60-byte minimum, or not
      return rng.chance(0.5) ? Uint8Array.from([...p, ...new Uint8Array(Math.max(0, 60 - p.length))]) : p;
    }
    case 'ipv6':
      return packet(l2(), ipv6({ src: rng.bits(128), dst: rng.bits(128) }), rng.chance(0.5) ? udp({ sport: rng.int(65536), dport: rng.int(65536) }) : tcp(), body());
    case 'vlan':
      return packet(l2(), vlan({ vid: rng.int(4096) }), ipv4({ src: Number(v('ipv4.srcAddr', 32, FALLBACK.ip)), dst: Number(v('ipv4.dstAddr', 32, FALLBACK.ip)) }), udp(), body());
    case 'raw':
      return packet(l2(rng.pick([0x88b5, 0x0800, 0x0806, 0x86dd, rng.int(0x10000)])), body());
    case 'ipv4': {
      const protocol = Number(v('ipv4.protocol', 8, FALLBACK.protocol));
      const fragment = rng.weighted<'none' | 'first' | 'later'>([[88, 'none'], [6, 'first'], [6, 'later']]);
      const l3 = ipv4({
        src: Number(v('ipv4.srcAddr', 32, FALLBACK.ip)),
        dst: Number(v('ipv4.dstAddr', 32, FALLBACK.ip)),
        ttl: rng.chance(0.85) ? rng.pick([64, 63, 128, 255]) : rng.pick(FALLBACK.ttl),
        protocol,
        id: rng.int(0x10000),
        tos: rng.chance(0.1) ? rng.int(256) : 0,
        ...(fragment === 'first' ? { flags: 'MF' as const } : fragment === 'later' ? { flags: rng.pick(['MF', ''] as const), fragOffset: rng.range(1, 8191) } : rng.chance(0.3) ? { flags: 'DF' as const } : {}),
        ...(rng.chance(0.05) ? { options: rng.pick([Uint8Array.of(0x94, 0x04, 0, 0), Uint8Array.of(1, 1, 1, 0), Uint8Array.of(0x07, 0x07, 0x04, 0, 0, 0, 0)]) } : {}),
      });
      if (fragment === 'later') return packet(l2(), l3, body());
      const sport = Number(v('meta.l4SrcPort', 16, FALLBACK.port));
      const dport = Number(v('meta.l4DstPort', 16, FALLBACK.port));
      if (protocol === 6) return packet(l2(), l3, tcp({ sport, dport, flags: rng.pick(['S', 'SA', 'A', 'PA', 'FA', 'R']), seq: rng.u32(), ack: rng.u32(), ...(rng.chance(0.2) ? { options: Uint8Array.of(2, 4, 5, 0xb4) } : {}) }), body());
      if (protocol === 17) return packet(l2(), l3, udp({ sport, dport, ...(rng.chance(0.15) ? { checksum: 0 } : {}) }), body());
      if (protocol === 1) return packet(l2(), l3, icmp({ id: rng.int(0x10000), seq: rng.int(0x10000) }), body());
      return packet(l2(), l3, body());
    }
  }
}

/** Overwrite header fields of a packet in place (at the offsets its dissection gives), checksums left as they were. */
export function mutateFields(rng: Rng, pools: ValuePools, base: Uint8Array): Uint8Array {
  const b = Uint8Array.from(base);
  const put = (at: number, v: bigint, bytes: number): void => {
    for (let i = 0; i < bytes; i++) if (at + i < b.length) b[at + i] = Number((v >> BigInt(8 * (bytes - 1 - i))) & 0xffn);
  };
  const d = dissect(b);
  const layers = d.layers;
  const eth = layers.find((l) => l.kind === 'ethernet');
  const ip = layers.find((l) => l.kind === 'ipv4');
  const l4 = layers.find((l) => l.kind === 'tcp' || l.kind === 'udp');
  const a = layers.find((l) => l.kind === 'arp');
  const v = (f: PacketField, width: number, fallback: readonly bigint[]): bigint => value(rng, pools, f, width, fallback);
  const edits: (() => void)[] = [];
  if (eth) {
    edits.push(() => put(eth.offset, v('ethernet.dstAddr', 48, FALLBACK.mac), 6));
    edits.push(() => put(eth.offset + 6, v('ethernet.srcAddr', 48, FALLBACK.mac), 6));
    edits.push(() => put(eth.offset + 12, BigInt(rng.pick([0x0800, 0x0806, 0x86dd, 0x8100, 0x88b5, rng.int(0x10000)])), 2));
  }
  if (ip) {
    const at = ip.offset;
    edits.push(() => put(at + 12, v('ipv4.srcAddr', 32, FALLBACK.ip), 4));
    edits.push(() => put(at + 16, v('ipv4.dstAddr', 32, FALLBACK.ip), 4));
    edits.push(() => put(at + 9, v('ipv4.protocol', 8, FALLBACK.protocol), 1));
    edits.push(() => put(at + 8, BigInt(rng.pick(FALLBACK.ttl)), 1));
    edits.push(() => put(at + 6, BigInt(rng.pick([0, 0x2000, 0x4000, 0x0001, 0x1fff, rng.int(0x10000)])), 2));
    edits.push(() => put(at, BigInt(rng.pick([0x45, 0x46, 0x4f, 0x44, 0x65, rng.int(256)])), 1));
    edits.push(() => put(at + 2, BigInt(rng.int(0x10000)), 2));
    edits.push(() => put(at + 10, BigInt(rng.int(0x10000)), 2));
  }
  if (l4) {
    const at = l4.offset;
    edits.push(() => put(at, v('meta.l4SrcPort', 16, FALLBACK.port), 2));
    edits.push(() => put(at + 2, v('meta.l4DstPort', 16, FALLBACK.port), 2));
    edits.push(() => put(at + (l4.kind === 'udp' ? 6 : 16), BigInt(rng.pick([0, 0xffff, 1, rng.int(0x10000)])), 2));
  }
  if (a) {
    const at = a.offset;
    edits.push(() => put(at + 6, v('arp.opcode', 16, [1n, 2n, 0n]), 2));
    edits.push(() => put(at + 24, v('arp.targetProtoAddr', 32, FALLBACK.ip), 4));
    edits.push(() => put(at + 14, v('ipv4.srcAddr', 32, FALLBACK.ip), 4));
    edits.push(() => put(at, BigInt(rng.pick([1, 6, 0])), 2));
    edits.push(() => put(at + 2, BigInt(rng.pick([0x0800, 0x86dd])), 2));
  }
  if (edits.length === 0) return b;
  const n = rng.weighted([[5, 1], [3, 2], [2, 3]]);
  for (let i = 0; i < n; i++) rng.pick(edits)();
  return b;
}

/** Truncations, flipped bytes and appended junk. */
export function mutateBytes(rng: Rng, base: Uint8Array): Uint8Array {
  let b = Uint8Array.from(base);
  const n = rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    switch (rng.weighted<'truncate' | 'flip' | 'append'>([[4, 'truncate'], [4, 'flip'], [2, 'append']])) {
      case 'truncate':
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 'flip':
        if (b.length > 0) {
          const at = rng.chance(0.7) ? rng.int(Math.min(b.length, 60)) : rng.int(b.length);
          b[at] = b[at]! ^ rng.range(1, 255);
        }
        break;
      case 'append':
        b = Uint8Array.from([...b, ...rng.bytes(rng.range(1, 40))]);
        break;
    }
  }
  return b;
}

/** Random bytes, bare or behind an Ethernet header with a common EtherType. */
export function junk(rng: Rng, pools: ValuePools): Uint8Array {
  if (rng.chance(0.4)) return rng.bytes(rng.int(130));
  const l2 = packet(
    ethernet({ dst: value(rng, pools, 'ethernet.dstAddr', 48, FALLBACK.mac), src: value(rng, pools, 'ethernet.srcAddr', 48, FALLBACK.mac), type: rng.pick([0x0800, 0x0806, 0x8100, 0x86dd]) }),
  );
  const rest = rng.bytes(rng.int(100));
  // IPv4 behind it: a plausible version/IHL byte more often than not
  if (rest.length > 0 && l2[12] === 0x08 && l2[13] === 0x00 && rng.chance(0.6)) rest[0] = 0x45;
  return Uint8Array.from([...l2, ...rest]);
}

export interface Generated {
  readonly packets: readonly PacketIn[];
  /** Packets per kind of input, for the test's coverage assertions. */
  readonly kinds: Readonly<Record<'capture' | 'built' | 'fields' | 'bytes' | 'junk' | 'replay' | 'burst', number>>;
}

/**
 * The packet sequence of one NF: the shipped capture (its own timestamps,
 * on its ingress port 1), then `count` generated packets. Same seed, same
 * sequence.
 */
export function generatePackets(options: { readonly seed: number; readonly count: number; readonly capture: readonly CapturedPacket[]; readonly pools: ValuePools }): Generated {
  const { count, capture, pools } = options;
  const rng = new Rng(options.seed);
  const kinds = { capture: 0, built: 0, fields: 0, bytes: 0, junk: 0, replay: 0, burst: 0 };
  const packets: PacketIn[] = [];
  const MAX48 = (1n << 48n) - 1n;
  let clock = 0n;
  for (const c of capture) {
    clock = c.timestampMicros & MAX48;
    packets.push({ port: 1, data: c.data, timestamp: clock });
    kinds.capture++;
  }
  const built: Uint8Array[] = [];
  const base = (): Uint8Array => (capture.length > 0 && (built.length === 0 || rng.chance(0.5)) ? rng.pick(capture).data : rng.pick(built));
  const port = (): number => rng.weighted([[40, 1], [30, rng.range(2, 4)], [30, rng.int(16)]]);
  let burst: { readonly data: Uint8Array; left: number } | undefined;
  for (let i = 0; i < count; i++) {
    // a burst: the same packet again within milliseconds (a flow; the stateful firewall's threshold is crossed)
    if (burst && burst.left > 0) {
      burst.left--;
      clock = (clock + BigInt(rng.int(30_000))) & MAX48;
      packets.push({ port: port(), data: burst.data, timestamp: clock });
      kinds.burst++;
      continue;
    }
    // arrival: bursts µs apart, gaps up to seconds, now and then a jump (back in time or far ahead)
    clock += rng.weighted<bigint>([
      [70, BigInt(rng.int(20_000))],
      [25, BigInt(rng.int(1_500_000))],
      [4, BigInt(rng.int(5_000_000))],
      [1, rng.bits(48) - clock],
    ]);
    clock &= MAX48;
    const kind = rng.weighted<'built' | 'fields' | 'bytes' | 'junk' | 'replay' | 'burst'>([
      [2, 'burst'],
      [43, 'built'],
      [30, 'fields'],
      [13, 'bytes'],
      [6, 'junk'],
      [capture.length > 0 ? 6 : 0, 'replay'],
    ]);
    let data: Uint8Array;
    if (kind === 'built' || built.length === 0) {
      data = buildPacket(rng, pools);
      if (built.length < 256) built.push(data);
      kinds.built++;
    } else if (kind === 'fields') {
      data = mutateFields(rng, pools, base());
      kinds.fields++;
    } else if (kind === 'bytes') {
      data = mutateBytes(rng, rng.chance(0.5) ? base() : buildPacket(rng, pools));
      kinds.bytes++;
    } else if (kind === 'junk') {
      data = junk(rng, pools);
      kinds.junk++;
    } else if (kind === 'burst') {
      data = rng.chance(0.7) ? buildPacket(rng, pools) : base();
      burst = { data, left: rng.range(3, 15) };
      kinds.burst++;
    } else {
      data = rng.pick(capture).data;
      kinds.replay++;
    }
    packets.push({ port: port(), data, timestamp: clock });
  }
  return { packets, kinds };
}
