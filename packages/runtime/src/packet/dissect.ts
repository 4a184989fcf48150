/**
 * Dissecting packets into typed layers. `dissect` never throws: for any byte
 * string it returns the layers it recognised, then the rest as `payload`,
 * marking `truncated` when a header or a declared length runs past the end
 * of the data and listing what it found odd in `problems`.
 *
 * The layers always tile the input: each starts where the previous one ended,
 * and together they cover every byte. Bytes inside an outer length (an
 * Ethernet frame's minimum-size padding after an IP datagram, or data beyond
 * a UDP length) but outside the inner one appear as `padding`.
 *
 * Recognised: Ethernet II; 802.1Q/802.1ad tags (0x8100, 0x88a8, 0x9100); ARP
 * for Ethernet/IPv4; IPv4 with options (later fragments are not parsed
 * further); IPv6 (extension headers are not parsed: an unknown next header
 * ends dissection with payload); ICMP; ICMPv6; TCP with options; UDP; VXLAN on
 * UDP destination port 4789; GRE version 0 with checksum/key/sequence (GRE
 * with routing or another version ends with payload); IP-in-IP (4, 41).
 */

import { onesComplementSum } from '../algorithms/checksum.js';
import { formatIpv4, formatIpv6, formatMac } from './addresses.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_TEB,
  ETHERTYPE_VLAN,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  UDP_PORT_VXLAN,
  formatTcpFlags,
} from './build.js';

interface At {
  /** Byte offset of the layer in the dissected data. */
  readonly offset: number;
  /** Length in bytes of the layer's header (of the bytes, for payload and padding). */
  readonly length: number;
}

export interface EthernetInfo extends At {
  readonly kind: 'ethernet';
  readonly dst: string;
  readonly src: string;
  readonly type: number;
}
export interface VlanInfo extends At {
  readonly kind: 'vlan';
  /** The tag protocol identifier that announced this tag (0x8100, 0x88a8 or 0x9100). */
  readonly tpid: number;
  readonly pcp: number;
  readonly dei: number;
  readonly vid: number;
  readonly type: number;
}
export interface ArpInfo extends At {
  readonly kind: 'arp';
  readonly hwType: number;
  readonly protoType: number;
  readonly hwLen: number;
  readonly protoLen: number;
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}
export interface Ipv4Info extends At {
  readonly kind: 'ipv4';
  readonly version: number;
  readonly ihl: number;
  readonly tos: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly id: number;
  readonly flags: number;
  readonly fragOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly src: string;
  readonly dst: string;
  readonly options: Uint8Array;
  /** Whether the header checksum verifies. */
  readonly checksumOk: boolean;
}
export interface Ipv6Info extends At {
  readonly kind: 'ipv6';
  readonly version: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: string;
  readonly dst: string;
}
interface IcmpFieldsInfo extends At {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly id: number;
  readonly seq: number;
  /** Whether the checksum verifies; absent when the message is incomplete or not inside IP. */
  readonly checksumOk?: boolean;
}
export interface IcmpInfo extends IcmpFieldsInfo {
  readonly kind: 'icmp';
}
export interface Icmpv6Info extends IcmpFieldsInfo {
  readonly kind: 'icmpv6';
}
export interface TcpInfo extends At {
  readonly kind: 'tcp';
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly dataOffset: number;
  /** The 9 flag bits (NS … FIN). */
  readonly flags: number;
  /** The set flags as letters in scapy's order, e.g. 'SA'. */
  readonly flagsText: string;
  readonly window: number;
  readonly checksum: number;
  readonly urgent: number;
  readonly options: Uint8Array;
  /** Whether the checksum verifies; absent when the segment is incomplete or not inside IP. */
  readonly checksumOk?: boolean;
}
export interface UdpInfo extends At {
  readonly kind: 'udp';
  readonly sport: number;
  readonly dport: number;
  readonly udpLength: number;
  readonly checksum: number;
  /** Whether the checksum verifies (0 over IPv4 means none and counts as ok); absent when unknowable. */
  readonly checksumOk?: boolean;
}
export interface VxlanInfo extends At {
  readonly kind: 'vxlan';
  readonly flags: number;
  readonly vni: number;
}
export interface GreInfo extends At {
  readonly kind: 'gre';
  readonly checksumPresent: boolean;
  readonly keyPresent: boolean;
  readonly seqPresent: boolean;
  readonly version: number;
  readonly protocol: number;
  readonly checksum?: number;
  readonly key?: number;
  readonly seq?: number;
  readonly checksumOk?: boolean;
}
export interface PayloadInfo extends At {
  readonly kind: 'payload';
  readonly bytes: Uint8Array;
}
/** Bytes inside an outer length but after the inner datagram (e.g. Ethernet minimum-size padding). */
export interface PaddingInfo extends At {
  readonly kind: 'padding';
  readonly bytes: Uint8Array;
}

export type DissectedLayer =
  | EthernetInfo
  | VlanInfo
  | ArpInfo
  | Ipv4Info
  | Ipv6Info
  | IcmpInfo
  | Icmpv6Info
  | TcpInfo
  | UdpInfo
  | VxlanInfo
  | GreInfo
  | PayloadInfo
  | PaddingInfo;

export interface Dissected {
  readonly layers: readonly DissectedLayer[];
  /** True when a header or a declared length ran past the end of the data. */
  readonly truncated: boolean;
  /** Human-readable notes on everything odd: truncation, bad lengths, unparsed variants. */
  readonly problems: readonly string[];
}

export type DissectStart = 'ethernet' | 'ipv4' | 'ipv6' | 'ip';

export interface DissectOptions {
  /** What the data starts with; 'ip' chooses by the version nibble. Default 'ethernet'. */
  readonly start?: DissectStart;
}

type Next =
  | { readonly kind: 'ethernet' | 'vlan' | 'arp' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'gre' | 'vxlan' | 'payload'; readonly tpid?: number }
  | { readonly kind: 'stop' };

function nextForEtherType(type: number): Next {
  switch (type) {
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
    case 0x9100:
      return { kind: 'vlan', tpid: type };
    case ETHERTYPE_ARP:
      return { kind: 'arp' };
    case ETHERTYPE_IPV4:
      return { kind: 'ipv4' };
    case ETHERTYPE_IPV6:
      return { kind: 'ipv6' };
    default:
      return { kind: 'payload' };
  }
}

function nextForIpProtocol(proto: number): Next {
  switch (proto) {
    case IPPROTO_ICMP:
      return { kind: 'icmp' };
    case IPPROTO_ICMPV6:
      return { kind: 'icmpv6' };
    case IPPROTO_TCP:
      return { kind: 'tcp' };
    case IPPROTO_UDP:
      return { kind: 'udp' };
    case IPPROTO_GRE:
      return { kind: 'gre' };
    case IPPROTO_IPIP:
      return { kind: 'ipv4' };
    case IPPROTO_IPV6:
      return { kind: 'ipv6' };
    default:
      return { kind: 'payload' };
  }
}

interface IpContext {
  readonly v6: boolean;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

class Dissector {
  readonly layers: DissectedLayer[] = [];
  readonly problems: string[] = [];
  truncated = false;
  /** Bytes [offset, end) belong to the current layer and those inside it. */
  private end: number;
  /** Outer ends pushed when an inner length limits the extent; popped as padding. */
  private readonly ends: number[] = [];
  private ip: IpContext | undefined;

  constructor(private readonly b: Uint8Array) {
    this.end = b.length;
  }

  private u8(at: number): number {
    return this.b[at] ?? 0;
  }
  private u16(at: number): number {
    return (this.u8(at) << 8) | this.u8(at + 1);
  }
  private u32(at: number): number {
    return ((this.u8(at) << 24) | (this.u8(at + 1) << 16) | (this.u8(at + 2) << 8) | this.u8(at + 3)) >>> 0;
  }

  /** Limits the extent of what follows to `newEnd` (recording padding up to the old end). */
  private limit(newEnd: number): void {
    if (newEnd < this.end) {
      this.ends.push(this.end);
      this.end = newEnd;
    }
  }

  private short(kind: string, offset: number, need: number): boolean {
    const have = this.end - offset;
    if (have >= need) return false;
    this.truncated = true;
    this.problems.push(`${kind} header truncated at offset ${offset}: needs ${need} bytes, ${have} available`);
    return true;
  }

  private pseudoSum(protocol: number, length: number): number {
    const ip = this.ip;
    if (ip === undefined) return 0;
    if (!ip.v6) {
      const ph = new Uint8Array(12);
      ph.set(ip.src, 0);
      ph.set(ip.dst, 4);
      ph[9] = protocol;
      ph[10] = (length >>> 8) & 0xff;
      ph[11] = length & 0xff;
      return onesComplementSum(ph);
    }
    const ph = new Uint8Array(40);
    ph.set(ip.src, 0);
    ph.set(ip.dst, 16);
    ph[32] = (length >>> 24) & 0xff;
    ph[33] = (length >>> 16) & 0xff;
    ph[34] = (length >>> 8) & 0xff;
    ph[35] = length & 0xff;
    ph[39] = protocol;
    return onesComplementSum(ph);
  }

  /** Whether the data [offset, end) with the pseudo-header sums to -0 (a valid checksum). */
  private verifies(offset: number, end: number, protocol: number | undefined): boolean {
    const initial = protocol === undefined ? 0 : this.pseudoSum(protocol, end - offset);
    return onesComplementSum(this.b.subarray(offset, end), initial) === 0xffff;
  }

  run(start: DissectStart): void {
    let offset = 0;
    let next: Next;
    if (start === 'ip') {
      const v = this.u8(0) >> 4;
      next = this.b.length === 0 ? { kind: 'ipv4' } : v === 6 ? { kind: 'ipv6' } : { kind: 'ipv4' };
    } else {
      next = { kind: start };
    }
    // Every step consumes at least one byte or stops, so this terminates.
    for (;;) {
      if (next.kind === 'stop') break;
      if (offset >= this.end && next.kind === 'payload') break;
      const step = this.step(next, offset);
      if (step === undefined) {
        // Unparsable here: the rest of the current extent is payload.
        this.pushPayload(offset, this.end);
        offset = this.end;
        break;
      }
      offset = step.offset;
      next = step.next;
    }
    // Close the extents opened by length fields, innermost first.
    while (this.ends.length > 0) {
      const outer = this.ends.pop()!;
      if (offset < this.end) {
        this.pushPayload(offset, this.end);
        offset = this.end;
      }
      if (outer > offset) {
        this.layers.push({ kind: 'padding', offset, length: outer - offset, bytes: this.b.slice(offset, outer) });
        offset = outer;
      }
      this.end = outer;
    }
    if (offset < this.end) this.pushPayload(offset, this.end);
  }

  private pushPayload(from: number, to: number): void {
    if (to > from) this.layers.push({ kind: 'payload', offset: from, length: to - from, bytes: this.b.slice(from, to) });
  }

  /** Parses one layer at `offset`; undefined when it cannot (the rest becomes payload). */
  private step(next: Exclude<Next, { kind: 'stop' }>, offset: number): { offset: number; next: Next } | undefined {
    const b = this.b;
    switch (next.kind) {
      case 'payload':
        this.pushPayload(offset, this.end);
        return { offset: this.end, next: { kind: 'stop' } };

      case 'ethernet': {
        if (this.short('ethernet', offset, 14)) return undefined;
        const type = this.u16(offset + 12);
        this.layers.push({ kind: 'ethernet', offset, length: 14, dst: formatMac(b, offset), src: formatMac(b, offset + 6), type });
        return { offset: offset + 14, next: nextForEtherType(type) };
      }

      case 'vlan': {
        if (this.short('vlan', offset, 4)) return undefined;
        const tci = this.u16(offset);
        const type = this.u16(offset + 2);
        this.layers.push({
          kind: 'vlan',
          offset,
          length: 4,
          tpid: next.tpid ?? ETHERTYPE_VLAN,
          pcp: tci >> 13,
          dei: (tci >> 12) & 1,
          vid: tci & 0xfff,
          type,
        });
        return { offset: offset + 4, next: nextForEtherType(type) };
      }

      case 'arp': {
        if (this.short('arp', offset, 8)) return undefined;
        const hwLen = this.u8(offset + 4);
        const protoLen = this.u8(offset + 5);
        if (hwLen !== 6 || protoLen !== 4) {
          this.problems.push(`arp at offset ${offset} has hardware/protocol lengths ${hwLen}/${protoLen}; only 6/4 is dissected`);
          return undefined;
        }
        if (this.short('arp', offset, 28)) return undefined;
        this.layers.push({
          kind: 'arp',
          offset,
          length: 28,
          hwType: this.u16(offset),
          protoType: this.u16(offset + 2),
          hwLen,
          protoLen,
          op: this.u16(offset + 6),
          senderMac: formatMac(b, offset + 8),
          senderIp: formatIpv4(b, offset + 14),
          targetMac: formatMac(b, offset + 18),
          targetIp: formatIpv4(b, offset + 24),
        });
        // What follows an ARP message in a frame is the Ethernet minimum-size padding.
        const after = offset + 28;
        if (this.end > after) {
          this.layers.push({ kind: 'padding', offset: after, length: this.end - after, bytes: b.slice(after, this.end) });
        }
        return { offset: this.end, next: { kind: 'stop' } };
      }

      case 'ipv4': {
        if (this.short('ipv4', offset, 20)) return undefined;
        const version = this.u8(offset) >> 4;
        const ihl = this.u8(offset) & 0xf;
        if (version !== 4) {
          this.problems.push(`ipv4 at offset ${offset} has version ${version}`);
          return undefined;
        }
        if (ihl < 5) {
          this.problems.push(`ipv4 at offset ${offset} has ihl ${ihl} (< 5)`);
          return undefined;
        }
        const headerLength = ihl * 4;
        if (this.short('ipv4', offset, headerLength)) return undefined;
        const totalLength = this.u16(offset + 2);
        const flagsFrag = this.u16(offset + 6);
        const protocol = this.u8(offset + 9);
        const tos = this.u8(offset + 1);
        this.layers.push({
          kind: 'ipv4',
          offset,
          length: headerLength,
          version,
          ihl,
          tos,
          dscp: tos >> 2,
          ecn: tos & 3,
          totalLength,
          id: this.u16(offset + 4),
          flags: flagsFrag >> 13,
          fragOffset: flagsFrag & 0x1fff,
          ttl: this.u8(offset + 8),
          protocol,
          checksum: this.u16(offset + 10),
          src: formatIpv4(b, offset + 12),
          dst: formatIpv4(b, offset + 16),
          options: b.slice(offset + 20, offset + headerLength),
          checksumOk: onesComplementSum(b.subarray(offset, offset + headerLength)) === 0xffff,
        });
        let complete = true;
        if (totalLength < headerLength) {
          this.problems.push(`ipv4 at offset ${offset}: total length ${totalLength} is less than the header length ${headerLength}`);
          complete = false;
        } else if (offset + totalLength > this.end) {
          this.truncated = true;
          this.problems.push(
            `ipv4 at offset ${offset}: total length ${totalLength} runs past the end of the data (${this.end - offset} bytes)`,
          );
          complete = false;
        } else {
          this.limit(offset + totalLength);
        }
        this.ip = complete ? { v6: false, src: b.slice(offset + 12, offset + 16), dst: b.slice(offset + 16, offset + 20) } : undefined;
        if (flagsFrag & 0x1fff) return { offset: offset + headerLength, next: { kind: 'payload' } };
        return { offset: offset + headerLength, next: nextForIpProtocol(protocol) };
      }

      case 'ipv6': {
        if (this.short('ipv6', offset, 40)) return undefined;
        const w0 = this.u32(offset);
        const version = w0 >>> 28;
        if (version !== 6) {
          this.problems.push(`ipv6 at offset ${offset} has version ${version}`);
          return undefined;
        }
        const payloadLength = this.u16(offset + 4);
        const nextHeader = this.u8(offset + 6);
        this.layers.push({
          kind: 'ipv6',
          offset,
          length: 40,
          version,
          trafficClass: (w0 >>> 20) & 0xff,
          flowLabel: w0 & 0xfffff,
          payloadLength,
          nextHeader,
          hopLimit: this.u8(offset + 7),
          src: formatIpv6(b, offset + 8),
          dst: formatIpv6(b, offset + 24),
        });
        let complete = true;
        if (offset + 40 + payloadLength > this.end) {
          this.truncated = true;
          this.problems.push(
            `ipv6 at offset ${offset}: payload length ${payloadLength} runs past the end of the data (${this.end - offset - 40} bytes)`,
          );
          complete = false;
        } else {
          this.limit(offset + 40 + payloadLength);
        }
        this.ip = complete ? { v6: true, src: b.slice(offset + 8, offset + 24), dst: b.slice(offset + 24, offset + 40) } : undefined;
        return { offset: offset + 40, next: nextForIpProtocol(nextHeader) };
      }

      case 'icmp':
      case 'icmpv6': {
        if (this.short(next.kind, offset, 8)) return undefined;
        const ok =
          this.ip === undefined
            ? undefined
            : this.verifies(offset, this.end, next.kind === 'icmpv6' ? IPPROTO_ICMPV6 : undefined);
        this.layers.push({
          kind: next.kind,
          offset,
          length: 8,
          type: this.u8(offset),
          code: this.u8(offset + 1),
          checksum: this.u16(offset + 2),
          id: this.u16(offset + 4),
          seq: this.u16(offset + 6),
          ...(ok === undefined ? {} : { checksumOk: ok }),
        });
        return { offset: offset + 8, next: { kind: 'payload' } };
      }

      case 'tcp': {
        if (this.short('tcp', offset, 20)) return undefined;
        const w = this.u16(offset + 12);
        const dataOffset = w >> 12;
        if (dataOffset < 5) {
          this.problems.push(`tcp at offset ${offset} has data offset ${dataOffset} (< 5)`);
          return undefined;
        }
        const headerLength = dataOffset * 4;
        if (this.short('tcp', offset, headerLength)) return undefined;
        const ok = this.ip === undefined ? undefined : this.verifies(offset, this.end, IPPROTO_TCP);
        const flags = w & 0x1ff;
        this.layers.push({
          kind: 'tcp',
          offset,
          length: headerLength,
          sport: this.u16(offset),
          dport: this.u16(offset + 2),
          seq: this.u32(offset + 4),
          ack: this.u32(offset + 8),
          dataOffset,
          flags,
          flagsText: formatTcpFlags(flags),
          window: this.u16(offset + 14),
          checksum: this.u16(offset + 16),
          urgent: this.u16(offset + 18),
          options: b.slice(offset + 20, offset + headerLength),
          ...(ok === undefined ? {} : { checksumOk: ok }),
        });
        return { offset: offset + headerLength, next: { kind: 'payload' } };
      }

      case 'udp': {
        if (this.short('udp', offset, 8)) return undefined;
        const udpLength = this.u16(offset + 4);
        const checksum = this.u16(offset + 6);
        let ok: boolean | undefined;
        if (udpLength < 8) {
          this.problems.push(`udp at offset ${offset}: length ${udpLength} is less than 8`);
        } else if (offset + udpLength > this.end) {
          this.truncated = true;
          this.problems.push(`udp at offset ${offset}: length ${udpLength} runs past the end of the data (${this.end - offset} bytes)`);
        } else {
          this.limit(offset + udpLength);
          if (this.ip !== undefined) {
            ok = checksum === 0 && !this.ip.v6 ? true : this.verifies(offset, offset + udpLength, IPPROTO_UDP);
          }
        }
        const dport = this.u16(offset + 2);
        this.layers.push({
          kind: 'udp',
          offset,
          length: 8,
          sport: this.u16(offset),
          dport,
          udpLength,
          checksum,
          ...(ok === undefined ? {} : { checksumOk: ok }),
        });
        return { offset: offset + 8, next: dport === UDP_PORT_VXLAN ? { kind: 'vxlan' } : { kind: 'payload' } };
      }

      case 'vxlan': {
        if (this.short('vxlan', offset, 8)) return undefined;
        this.layers.push({
          kind: 'vxlan',
          offset,
          length: 8,
          flags: this.u8(offset),
          vni: (this.u8(offset + 4) << 16) | (this.u8(offset + 5) << 8) | this.u8(offset + 6),
        });
        this.ip = undefined;
        return { offset: offset + 8, next: { kind: 'ethernet' } };
      }

      case 'gre': {
        if (this.short('gre', offset, 4)) return undefined;
        const w = this.u16(offset);
        const version = w & 7;
        const checksumPresent = (w & 0x8000) !== 0;
        const routingPresent = (w & 0x4000) !== 0;
        const keyPresent = (w & 0x2000) !== 0;
        const seqPresent = (w & 0x1000) !== 0;
        if (version !== 0 || routingPresent) {
          this.problems.push(`gre at offset ${offset}: version ${version}${routingPresent ? ' with routing' : ''} is not dissected`);
          return undefined;
        }
        const headerLength = 4 + (checksumPresent ? 4 : 0) + (keyPresent ? 4 : 0) + (seqPresent ? 4 : 0);
        if (this.short('gre', offset, headerLength)) return undefined;
        const protocol = this.u16(offset + 2);
        let at = offset + 4;
        const fields: { checksum?: number; key?: number; seq?: number; checksumOk?: boolean } = {};
        if (checksumPresent) {
          fields.checksum = this.u16(at);
          fields.checksumOk = this.verifies(offset, this.end, undefined);
          at += 4;
        }
        if (keyPresent) {
          fields.key = this.u32(at);
          at += 4;
        }
        if (seqPresent) fields.seq = this.u32(at);
        this.layers.push({
          kind: 'gre',
          offset,
          length: headerLength,
          checksumPresent,
          keyPresent,
          seqPresent,
          version,
          protocol,
          ...fields,
        });
        this.ip = undefined;
        const n: Next = protocol === ETHERTYPE_TEB ? { kind: 'ethernet' } : nextForEtherType(protocol);
        return { offset: offset + headerLength, next: n.kind === 'vlan' ? { kind: 'payload' } : n };
      }
    }
  }
}

/** Dissects `bytes` into layers. Never throws. */
export function dissect(bytes: Uint8Array, options: DissectOptions = {}): Dissected {
  const d = new Dissector(bytes);
  try {
    d.run(options.start ?? 'ethernet');
  } catch (e) {
    // Defensive: a bug here must not take a packet loop down.
    d.problems.push(`internal dissector error: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { layers: d.layers, truncated: d.truncated, problems: d.problems };
}

/** The first layer of `kind` in `d`, typed. */
export function findLayer<K extends DissectedLayer['kind']>(
  d: Dissected,
  kind: K,
): Extract<DissectedLayer, { kind: K }> | undefined {
  return d.layers.find((l): l is Extract<DissectedLayer, { kind: K }> => l.kind === kind);
}
