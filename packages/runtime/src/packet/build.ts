/**
 * Building packets from typed layers, scapy-style:
 *
 *     packet(
 *       ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' }),
 *       ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
 *       tcp({ sport: 40000, dport: 80, flags: 'S' }),
 *     )
 *
 * Fields left out are filled in as scapy would: EtherType / IP protocol /
 * IPv6 next header / GRE protocol / UDP port 4789 from the layer that follows,
 * lengths (IPv4 IHL and total length, IPv6 payload length, UDP length, TCP
 * data offset) from what follows, and checksums (IPv4 header; ICMP; TCP, UDP
 * and ICMPv6 over the IPv4 or IPv6 pseudo-header; GRE when present) computed
 * over the finished bytes. Any of them can be given explicitly — including
 * wrong values on purpose, to test how a program treats lying lengths or bad
 * checksums; explicit values are written as given (masked to the field width).
 *
 * Builders throw a TypeError or RangeError for malformed input (a bad address,
 * a value that does not fit its field); they are meant for code and tests.
 */

import { internetChecksum, onesComplementSum } from '../algorithms/checksum.js';
import { ipv4ToBytes, ipv6ToBytes, macToBytes, type Ipv4Input, type Ipv6Input, type MacInput } from './addresses.js';

// ---------------------------------------------------------------- constants

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Transparent Ethernet Bridging: the GRE protocol type of an Ethernet frame. */
export const ETHERTYPE_TEB = 0x6558;
/** IEEE 802 Local Experimental EtherType 1: the default EtherType in front of raw payload. */
export const ETHERTYPE_EXPERIMENTAL = 0x88b5;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;
/** IPv6 "No Next Header". */
export const IPPROTO_NONE = 59;
export const IPPROTO_ETHERIP = 97;
/** RFC 3692 "use for experimentation and testing": the default protocol in front of raw payload. */
export const IPPROTO_EXPERIMENTAL = 253;

export const UDP_PORT_VXLAN = 4789;

/** TCP flag bits, in scapy's letter order F S R P A U E C N. */
export const TCP_FLAGS = { F: 0x001, S: 0x002, R: 0x004, P: 0x008, A: 0x010, U: 0x020, E: 0x040, C: 0x080, N: 0x100 } as const;
export type TcpFlagLetter = keyof typeof TCP_FLAGS;

// ---------------------------------------------------------------- layer types

export interface EthernetFields {
  /** Default ff:ff:ff:ff:ff:ff. */
  readonly dst?: MacInput;
  /** Default 00:00:00:00:00:00. */
  readonly src?: MacInput;
  /** EtherType; default from the next layer (0x88b5 before raw payload or nothing). */
  readonly type?: number;
}

export interface VlanFields {
  readonly vid: number;
  readonly pcp?: number;
  readonly dei?: number;
  /** EtherType of what follows; default from the next layer. */
  readonly type?: number;
}

export interface ArpFields {
  /** 'request' = 1, 'reply' = 2, or a number. */
  readonly op: 'request' | 'reply' | number;
  readonly senderMac: MacInput;
  readonly senderIp: Ipv4Input;
  /** Default 00:00:00:00:00:00. */
  readonly targetMac?: MacInput;
  readonly targetIp: Ipv4Input;
  /** Default 1 (Ethernet). */
  readonly hwType?: number;
  /** Default 0x0800. */
  readonly protoType?: number;
}

export type Ipv4Flags = number | 'DF' | 'MF' | 'DF+MF' | '';

export interface Ipv4Fields {
  readonly src: Ipv4Input;
  readonly dst: Ipv4Input;
  /** Default 64. */
  readonly ttl?: number;
  /** Default from the next layer (253 before raw payload or nothing). */
  readonly protocol?: number;
  /** Identification; default 1 (as scapy). */
  readonly id?: number;
  /** 3-bit flags (4 reserved, 2 DF, 1 MF) or their names; default 0. */
  readonly flags?: Ipv4Flags;
  /** In units of 8 bytes; default 0. */
  readonly fragOffset?: number;
  /** The whole type-of-service byte (DSCP << 2 | ECN); default 0. */
  readonly tos?: number;
  /** Options, padded with zero (end-of-option-list) bytes to a multiple of 4. */
  readonly options?: Uint8Array;
  /** Override; default 5 + options / 4. */
  readonly ihl?: number;
  /** Override; default header + everything that follows. */
  readonly totalLength?: number;
  /** Override of the header checksum (e.g. wrong on purpose). */
  readonly checksum?: number;
  /** Override; default 4. */
  readonly version?: number;
}

export interface Ipv6Fields {
  readonly src: Ipv6Input;
  readonly dst: Ipv6Input;
  /** Default 64. */
  readonly hopLimit?: number;
  /** Default from the next layer (59 before nothing, 253 before raw payload). */
  readonly nextHeader?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  /** Override; default everything that follows. */
  readonly payloadLength?: number;
  /** Override; default 6. */
  readonly version?: number;
}

export interface IcmpFields {
  /** Default 8 (echo request). */
  readonly type?: number;
  readonly code?: number;
  /** The first half of the rest-of-header word (echo identifier). */
  readonly id?: number;
  /** The second half of the rest-of-header word (echo sequence number). */
  readonly seq?: number;
  readonly checksum?: number;
}

export interface Icmpv6Fields {
  /** Default 128 (echo request). */
  readonly type?: number;
  readonly code?: number;
  readonly id?: number;
  readonly seq?: number;
  readonly checksum?: number;
}

export interface TcpFields {
  /** Default 20. */
  readonly sport?: number;
  /** Default 80. */
  readonly dport?: number;
  readonly seq?: number;
  readonly ack?: number;
  /** Number or letters from F S R P A U E C N, e.g. 'SA'; default 'S'. */
  readonly flags?: number | string;
  /** Default 8192. */
  readonly window?: number;
  readonly urgent?: number;
  /** Options, padded with zero (end-of-option-list) bytes to a multiple of 4. */
  readonly options?: Uint8Array;
  /** Override, in 32-bit words; default 5 + options / 4. */
  readonly dataOffset?: number;
  readonly checksum?: number;
}

export interface UdpFields {
  /** Default 53. */
  readonly sport?: number;
  /** Default 53, or 4789 when a VXLAN layer follows. */
  readonly dport?: number;
  /** Override; default header + everything that follows. */
  readonly length?: number;
  /** Override; 0 means "no checksum" over IPv4. */
  readonly checksum?: number;
}

export interface VxlanFields {
  readonly vni: number;
  /** Default 0x08 (the I flag: VNI valid). */
  readonly flags?: number;
}

export interface GreFields {
  /** Protocol type; default from the next layer (0x6558 before Ethernet). */
  readonly protocol?: number;
  /** Present when given (K bit). */
  readonly key?: number;
  /** Present when given (S bit). */
  readonly seq?: number;
  /** Adds the checksum field (C bit), computed over GRE header and payload. */
  readonly checksumPresent?: boolean;
  /** Override of the checksum value (implies `checksumPresent`). */
  readonly checksum?: number;
  /** Default 0. */
  readonly version?: number;
}

export type EthernetLayer = { readonly kind: 'ethernet' } & EthernetFields;
export type VlanLayer = { readonly kind: 'vlan' } & VlanFields;
export type ArpLayer = { readonly kind: 'arp' } & ArpFields;
export type Ipv4Layer = { readonly kind: 'ipv4' } & Ipv4Fields;
export type Ipv6Layer = { readonly kind: 'ipv6' } & Ipv6Fields;
export type IcmpLayer = { readonly kind: 'icmp' } & IcmpFields;
export type Icmpv6Layer = { readonly kind: 'icmpv6' } & Icmpv6Fields;
export type TcpLayer = { readonly kind: 'tcp' } & TcpFields;
export type UdpLayer = { readonly kind: 'udp' } & UdpFields;
export type VxlanLayer = { readonly kind: 'vxlan' } & VxlanFields;
export type GreLayer = { readonly kind: 'gre' } & GreFields;
export interface PayloadLayer {
  readonly kind: 'payload';
  readonly bytes: Uint8Array;
}

export type Layer =
  | EthernetLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | IcmpLayer
  | Icmpv6Layer
  | TcpLayer
  | UdpLayer
  | VxlanLayer
  | GreLayer
  | PayloadLayer;

export type LayerKind = Layer['kind'];

// ---------------------------------------------------------------- builders

export const ethernet = (fields: EthernetFields = {}): EthernetLayer => ({ kind: 'ethernet', ...fields });
export const vlan = (fields: VlanFields): VlanLayer => ({ kind: 'vlan', ...fields });
export const arp = (fields: ArpFields): ArpLayer => ({ kind: 'arp', ...fields });
export const ipv4 = (fields: Ipv4Fields): Ipv4Layer => ({ kind: 'ipv4', ...fields });
export const ipv6 = (fields: Ipv6Fields): Ipv6Layer => ({ kind: 'ipv6', ...fields });
export const icmp = (fields: IcmpFields = {}): IcmpLayer => ({ kind: 'icmp', ...fields });
export const icmpv6 = (fields: Icmpv6Fields = {}): Icmpv6Layer => ({ kind: 'icmpv6', ...fields });
export const tcp = (fields: TcpFields = {}): TcpLayer => ({ kind: 'tcp', ...fields });
export const udp = (fields: UdpFields = {}): UdpLayer => ({ kind: 'udp', ...fields });
export const vxlan = (fields: VxlanFields): VxlanLayer => ({ kind: 'vxlan', ...fields });
export const gre = (fields: GreFields = {}): GreLayer => ({ kind: 'gre', ...fields });

/**
 * Raw payload: bytes as given, a string as its UTF-8 bytes, or a length as
 * that many zero bytes.
 */
export function payload(data: Uint8Array | string | number): PayloadLayer {
  if (typeof data === 'number') {
    if (!Number.isSafeInteger(data) || data < 0) throw new RangeError(`payload length must be a non-negative integer, got ${data}`);
    return { kind: 'payload', bytes: new Uint8Array(data) };
  }
  if (typeof data === 'string') return { kind: 'payload', bytes: new TextEncoder().encode(data) };
  return { kind: 'payload', bytes: Uint8Array.from(data) };
}

// ---------------------------------------------------------------- helpers

function checkUint(name: string, value: number, bits: number): number {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in [0, ${max}], got ${value}`);
  }
  return value;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pad4(bytes: Uint8Array | undefined): Uint8Array {
  if (bytes === undefined) return new Uint8Array(0);
  const out = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  out.set(bytes);
  return out;
}

/** Parses TCP flags given as a number or as letters (scapy style, e.g. 'SA', 'PA', 'FA'). */
export function tcpFlags(flags: number | string): number {
  if (typeof flags === 'number') return checkUint('tcp flags', flags, 9);
  let v = 0;
  for (const ch of flags) {
    const bit = (TCP_FLAGS as Record<string, number>)[ch.toUpperCase()];
    if (bit === undefined) throw new TypeError(`unknown TCP flag ${JSON.stringify(ch)} in ${JSON.stringify(flags)}`);
    v |= bit;
  }
  return v;
}

/** Letters of the set TCP flags in scapy's order (F S R P A U E C N), e.g. 0x12 → 'SA'. */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [letter, bit] of Object.entries(TCP_FLAGS)) if (flags & bit) s += letter;
  return s;
}

function ipv4FlagsValue(flags: Ipv4Flags): number {
  if (typeof flags === 'number') return checkUint('ipv4 flags', flags, 3);
  let v = 0;
  for (const part of flags.split(/[+|,]/)) {
    const p = part.trim().toUpperCase();
    if (p === '') continue;
    if (p === 'DF') v |= 2;
    else if (p === 'MF') v |= 1;
    else throw new TypeError(`unknown IPv4 flag ${JSON.stringify(part)}`);
  }
  return v;
}

/** The EtherType announcing `next` (Ethernet, VLAN). */
function etherTypeFor(next: Layer | undefined): number {
  switch (next?.kind) {
    case 'vlan':
      return ETHERTYPE_VLAN;
    case 'arp':
      return ETHERTYPE_ARP;
    case 'ipv4':
      return ETHERTYPE_IPV4;
    case 'ipv6':
      return ETHERTYPE_IPV6;
    case 'ethernet':
      return ETHERTYPE_TEB;
    default:
      return ETHERTYPE_EXPERIMENTAL;
  }
}

/** The IP protocol number announcing `next` (IPv4 protocol, IPv6 next header). */
function ipProtocolFor(next: Layer | undefined, v6: boolean): number {
  switch (next?.kind) {
    case 'icmp':
      return IPPROTO_ICMP;
    case 'icmpv6':
      return IPPROTO_ICMPV6;
    case 'tcp':
      return IPPROTO_TCP;
    case 'udp':
      return IPPROTO_UDP;
    case 'gre':
      return IPPROTO_GRE;
    case 'ipv4':
      return IPPROTO_IPIP;
    case 'ipv6':
      return IPPROTO_IPV6;
    case 'ethernet':
      return IPPROTO_ETHERIP;
    case undefined:
      return v6 ? IPPROTO_NONE : IPPROTO_EXPERIMENTAL;
    default:
      return IPPROTO_EXPERIMENTAL;
  }
}

/** The ones'-complement sum of the pseudo-header for an upper-layer packet of `length` bytes. */
function pseudoHeaderSum(ip: Ipv4Layer | Ipv6Layer | undefined, protocol: number, length: number): number {
  if (ip === undefined) return 0;
  if (ip.kind === 'ipv4') {
    const ph = new Uint8Array(12);
    ph.set(ipv4ToBytes(ip.src), 0);
    ph.set(ipv4ToBytes(ip.dst), 4);
    ph[9] = protocol;
    put16(ph, 10, length & 0xffff);
    return onesComplementSum(ph);
  }
  const ph = new Uint8Array(40);
  ph.set(ipv6ToBytes(ip.src), 0);
  ph.set(ipv6ToBytes(ip.dst), 16);
  put32(ph, 32, length >>> 0);
  ph[39] = protocol;
  return onesComplementSum(ph);
}

function transportChecksum(ip: Ipv4Layer | Ipv6Layer | undefined, protocol: number, segment: Uint8Array): number {
  return ~onesComplementSum(segment, pseudoHeaderSum(ip, protocol, segment.length)) & 0xffff;
}

// ---------------------------------------------------------------- encoding

function encodeLayer(layers: readonly Layer[], i: number, rest: Uint8Array): Uint8Array {
  const layer = layers[i]!;
  const next = layers[i + 1];
  let enclosingIp: Ipv4Layer | Ipv6Layer | undefined;
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j]!;
    if (l.kind === 'ipv4' || l.kind === 'ipv6') {
      enclosingIp = l;
      break;
    }
  }

  switch (layer.kind) {
    case 'ethernet': {
      const h = new Uint8Array(14);
      h.set(macToBytes(layer.dst ?? 'ff:ff:ff:ff:ff:ff'), 0);
      h.set(macToBytes(layer.src ?? '00:00:00:00:00:00'), 6);
      put16(h, 12, checkUint('ethernet type', layer.type ?? etherTypeFor(next), 16));
      return concat(h, rest);
    }
    case 'vlan': {
      const h = new Uint8Array(4);
      const tci =
        (checkUint('vlan pcp', layer.pcp ?? 0, 3) << 13) |
        (checkUint('vlan dei', layer.dei ?? 0, 1) << 12) |
        checkUint('vlan vid', layer.vid, 12);
      put16(h, 0, tci);
      put16(h, 2, checkUint('vlan type', layer.type ?? etherTypeFor(next), 16));
      return concat(h, rest);
    }
    case 'arp': {
      const h = new Uint8Array(28);
      put16(h, 0, checkUint('arp hwType', layer.hwType ?? 1, 16));
      put16(h, 2, checkUint('arp protoType', layer.protoType ?? ETHERTYPE_IPV4, 16));
      h[4] = 6;
      h[5] = 4;
      const op = layer.op === 'request' ? 1 : layer.op === 'reply' ? 2 : layer.op;
      put16(h, 6, checkUint('arp op', op, 16));
      h.set(macToBytes(layer.senderMac), 8);
      h.set(ipv4ToBytes(layer.senderIp), 14);
      h.set(macToBytes(layer.targetMac ?? '00:00:00:00:00:00'), 18);
      h.set(ipv4ToBytes(layer.targetIp), 24);
      return concat(h, rest);
    }
    case 'ipv4': {
      const options = pad4(layer.options);
      const headerLength = 20 + options.length;
      if (headerLength > 60) throw new RangeError(`ipv4 options too long: ${options.length} bytes (at most 40)`);
      const h = new Uint8Array(headerLength);
      const ihl = checkUint('ipv4 ihl', layer.ihl ?? headerLength / 4, 4);
      h[0] = (checkUint('ipv4 version', layer.version ?? 4, 4) << 4) | ihl;
      h[1] = checkUint('ipv4 tos', layer.tos ?? 0, 8);
      put16(h, 2, checkUint('ipv4 totalLength', layer.totalLength ?? headerLength + rest.length, 16));
      put16(h, 4, checkUint('ipv4 id', layer.id ?? 1, 16));
      const flags = ipv4FlagsValue(layer.flags ?? 0);
      put16(h, 6, (flags << 13) | checkUint('ipv4 fragOffset', layer.fragOffset ?? 0, 13));
      h[8] = checkUint('ipv4 ttl', layer.ttl ?? 64, 8);
      h[9] = checkUint('ipv4 protocol', layer.protocol ?? ipProtocolFor(next, false), 8);
      h.set(ipv4ToBytes(layer.src), 12);
      h.set(ipv4ToBytes(layer.dst), 16);
      h.set(options, 20);
      put16(h, 10, layer.checksum !== undefined ? checkUint('ipv4 checksum', layer.checksum, 16) : internetChecksum(h));
      return concat(h, rest);
    }
    case 'ipv6': {
      const h = new Uint8Array(40);
      const version = checkUint('ipv6 version', layer.version ?? 6, 4);
      const tc = checkUint('ipv6 trafficClass', layer.trafficClass ?? 0, 8);
      const fl = checkUint('ipv6 flowLabel', layer.flowLabel ?? 0, 20);
      put32(h, 0, ((version << 28) | (tc << 20) | fl) >>> 0);
      put16(h, 4, checkUint('ipv6 payloadLength', layer.payloadLength ?? rest.length, 16));
      h[6] = checkUint('ipv6 nextHeader', layer.nextHeader ?? ipProtocolFor(next, true), 8);
      h[7] = checkUint('ipv6 hopLimit', layer.hopLimit ?? 64, 8);
      h.set(ipv6ToBytes(layer.src), 8);
      h.set(ipv6ToBytes(layer.dst), 24);
      return concat(h, rest);
    }
    case 'icmp':
    case 'icmpv6': {
      const h = new Uint8Array(8);
      h[0] = checkUint(`${layer.kind} type`, layer.type ?? (layer.kind === 'icmp' ? 8 : 128), 8);
      h[1] = checkUint(`${layer.kind} code`, layer.code ?? 0, 8);
      put16(h, 4, checkUint(`${layer.kind} id`, layer.id ?? 0, 16));
      put16(h, 6, checkUint(`${layer.kind} seq`, layer.seq ?? 0, 16));
      const msg = concat(h, rest);
      let sum: number;
      if (layer.checksum !== undefined) sum = checkUint(`${layer.kind} checksum`, layer.checksum, 16);
      else if (layer.kind === 'icmp') sum = internetChecksum(msg);
      else sum = transportChecksum(enclosingIp, IPPROTO_ICMPV6, msg);
      put16(msg, 2, sum);
      return msg;
    }
    case 'tcp': {
      const options = pad4(layer.options);
      const headerLength = 20 + options.length;
      if (headerLength > 60) throw new RangeError(`tcp options too long: ${options.length} bytes (at most 40)`);
      const h = new Uint8Array(headerLength);
      put16(h, 0, checkUint('tcp sport', layer.sport ?? 20, 16));
      put16(h, 2, checkUint('tcp dport', layer.dport ?? 80, 16));
      put32(h, 4, checkUint('tcp seq', layer.seq ?? 0, 32));
      put32(h, 8, checkUint('tcp ack', layer.ack ?? 0, 32));
      const dataOffset = checkUint('tcp dataOffset', layer.dataOffset ?? headerLength / 4, 4);
      const flags = tcpFlags(layer.flags ?? 'S');
      put16(h, 12, (dataOffset << 12) | flags);
      put16(h, 14, checkUint('tcp window', layer.window ?? 8192, 16));
      put16(h, 18, checkUint('tcp urgent', layer.urgent ?? 0, 16));
      h.set(options, 20);
      const seg = concat(h, rest);
      put16(
        seg,
        16,
        layer.checksum !== undefined ? checkUint('tcp checksum', layer.checksum, 16) : transportChecksum(enclosingIp, IPPROTO_TCP, seg),
      );
      return seg;
    }
    case 'udp': {
      const h = new Uint8Array(8);
      put16(h, 0, checkUint('udp sport', layer.sport ?? 53, 16));
      put16(h, 2, checkUint('udp dport', layer.dport ?? (next?.kind === 'vxlan' ? UDP_PORT_VXLAN : 53), 16));
      put16(h, 4, checkUint('udp length', layer.length ?? 8 + rest.length, 16));
      const seg = concat(h, rest);
      let sum: number;
      if (layer.checksum !== undefined) {
        sum = checkUint('udp checksum', layer.checksum, 16);
      } else {
        sum = transportChecksum(enclosingIp, IPPROTO_UDP, seg);
        // RFC 768 / RFC 8200 §8.1: a computed checksum of zero is sent as all ones.
        if (sum === 0) sum = 0xffff;
      }
      put16(seg, 6, sum);
      return seg;
    }
    case 'vxlan': {
      const h = new Uint8Array(8);
      h[0] = checkUint('vxlan flags', layer.flags ?? 0x08, 8);
      const vni = checkUint('vxlan vni', layer.vni, 24);
      h[4] = vni >>> 16;
      h[5] = (vni >>> 8) & 0xff;
      h[6] = vni & 0xff;
      return concat(h, rest);
    }
    case 'gre': {
      const hasChecksum = layer.checksumPresent === true || layer.checksum !== undefined;
      const hasKey = layer.key !== undefined;
      const hasSeq = layer.seq !== undefined;
      const h = new Uint8Array(4 + (hasChecksum ? 4 : 0) + (hasKey ? 4 : 0) + (hasSeq ? 4 : 0));
      const flags = (hasChecksum ? 0x8000 : 0) | (hasKey ? 0x2000 : 0) | (hasSeq ? 0x1000 : 0);
      put16(h, 0, flags | checkUint('gre version', layer.version ?? 0, 3));
      put16(h, 2, checkUint('gre protocol', layer.protocol ?? etherTypeFor(next), 16));
      let at = 4;
      if (hasChecksum) at += 4;
      if (layer.key !== undefined) {
        put32(h, at, checkUint('gre key', layer.key, 32));
        at += 4;
      }
      if (layer.seq !== undefined) put32(h, at, checkUint('gre seq', layer.seq, 32));
      const msg = concat(h, rest);
      if (hasChecksum) {
        put16(msg, 4, layer.checksum !== undefined ? checkUint('gre checksum', layer.checksum, 16) : internetChecksum(msg));
      }
      return msg;
    }
    case 'payload':
      return concat(layer.bytes, rest);
    default: {
      const never: never = layer;
      throw new TypeError(`unknown layer ${JSON.stringify(never)}`);
    }
  }
}

/** Encodes `layers`, outermost first, into one packet. */
export function packet(...layers: Layer[]): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) bytes = encodeLayer(layers, i, bytes);
  return bytes;
}
