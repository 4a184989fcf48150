/**
 * Mapping packets to virtual data planes (HyperV §IV-B): by the paper's
 * description header, a VXLAN VNI, an 802.1Q VLAN id, or the ingress port.
 * The mapping is configuration: rules tried in order, the first that
 * matches wins. A tenant's programs see the packet as its sender meant it —
 * without the DH, the VXLAN outer headers or the VLAN tag — and
 * `encapsulate` puts the same wrapping back around what they send out.
 */
import { internetChecksum } from '../algorithms/checksum.js';
import { DH_LENGTH, readDescriptionHeader, writeDescriptionHeader } from './description-header.js';

export type ClassifierRule =
  /** Packets that start with a description header; the vPDP is the one it names. */
  | { readonly kind: 'descriptionHeader'; readonly ports?: readonly number[] }
  /** VXLAN over IPv4/UDP port 4789 (RFC 7348) with this VNI. */
  | { readonly kind: 'vxlan'; readonly vni: number; readonly vpdp: number; readonly ports?: readonly number[] }
  /** Ethernet frames with an 802.1Q tag of this VLAN id. */
  | { readonly kind: 'vlan'; readonly vid: number; readonly vpdp: number; readonly ports?: readonly number[] }
  /** Everything that arrives on this port. */
  | { readonly kind: 'port'; readonly port: number; readonly vpdp: number };

/** How a packet was wrapped, to wrap the tenant's output the same way. */
export type Encapsulation =
  | { readonly kind: 'none' }
  | { readonly kind: 'descriptionHeader'; readonly vpdp: number }
  /** The outer Ethernet, IPv4, UDP and VXLAN headers, as received. */
  | { readonly kind: 'vxlan'; readonly outer: Uint8Array; readonly ipOffset: number; readonly udpOffset: number }
  /** The 4-byte 802.1Q tag (TPID and TCI), as received. */
  | { readonly kind: 'vlan'; readonly tag: Uint8Array };

export type Classified =
  | { readonly vpdp: number; readonly rule: number; readonly packet: Uint8Array; readonly encapsulation: Encapsulation; readonly headerBytes?: number }
  | { readonly vpdp: undefined; readonly reason: string };

const ETH = 14;
export const VXLAN_UDP_PORT = 4789;

/** Which vPDP a packet belongs to, and the packet its programs see. Never throws. */
const NONE: Encapsulation = Object.freeze({ kind: 'none' });

export function classify(rules: readonly ClassifierRule[], port: number, data: Uint8Array): Classified {
  // the per-packet path: an indexed loop, and nothing allocated but the answer
  let problem: string | undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.kind === 'port') {
      if (port === rule.port) return { vpdp: rule.vpdp, rule: i, packet: data, encapsulation: NONE };
      continue;
    }
    if (rule.ports && !rule.ports.includes(port)) continue;
    if (rule.kind === 'descriptionHeader') {
      const dh = readDescriptionHeader(data);
      if (typeof dh === 'string') {
        problem ??= dh;
        continue;
      }
      return { vpdp: dh.vpdp, rule: i, packet: data.subarray(DH_LENGTH), encapsulation: { kind: 'descriptionHeader', vpdp: dh.vpdp }, headerBytes: dh.length - DH_LENGTH };
    }
    if (rule.kind === 'vlan') {
      if (data.length >= ETH + 4 && u16(data, 12) === 0x8100 && (((data[14]! << 8) | data[15]!) & 0xfff) === rule.vid) {
        const inner = new Uint8Array(data.length - 4);
        inner.set(data.subarray(0, 12));
        inner.set(data.subarray(16), 12);
        return { vpdp: rule.vpdp, rule: i, packet: inner, encapsulation: { kind: 'vlan', tag: data.slice(12, 16) } };
      }
      continue;
    }
    const vx = vxlanOf(data);
    if (vx && vx.vni === rule.vni) {
      return {
        vpdp: rule.vpdp,
        rule: i,
        packet: data.subarray(vx.innerOffset),
        encapsulation: { kind: 'vxlan', outer: data.slice(0, vx.innerOffset), ipOffset: ETH, udpOffset: vx.udpOffset },
      };
    }
  }
  return { vpdp: undefined, reason: problem ?? 'no classifier rule matches' };
}

/** A big-endian 16-bit value (an EtherType, a UDP port). */
const u16 = (d: Uint8Array, at: number): number => (d[at]! << 8) | d[at + 1]!;

/** The VNI and inner frame offset of an Ethernet/IPv4/UDP(4789)/VXLAN packet with the I flag set. */
function vxlanOf(d: Uint8Array): { vni: number; udpOffset: number; innerOffset: number } | undefined {
  if (d.length < ETH + 20 || u16(d, 12) !== 0x0800) return undefined;
  const ihl = (d[ETH]! & 0x0f) * 4;
  if (d[ETH]! >> 4 !== 4 || ihl < 20 || d[ETH + 9] !== 17) return undefined;
  const fragment = ((d[ETH + 6]! & 0x3f) << 8) | d[ETH + 7]!; // MF flag and fragment offset
  if (fragment !== 0) return undefined;
  const udp = ETH + ihl;
  if (d.length < udp + 8 + 8 || u16(d, udp + 2) !== VXLAN_UDP_PORT) return undefined;
  const vx = udp + 8;
  if ((d[vx]! & 0x08) === 0) return undefined; // RFC 7348: the I flag must be set for a valid VNI
  return { vni: (d[vx + 4]! << 16) | (d[vx + 5]! << 8) | d[vx + 6]!, udpOffset: udp, innerOffset: vx + 8 };
}

/**
 * Wrap a tenant's output as its input was wrapped. VXLAN: the outer IPv4
 * total length and header checksum and the UDP length follow the new inner
 * frame; the UDP checksum is sent as zero, as RFC 7348 §5 recommends.
 */
export function encapsulate(encapsulation: Encapsulation, packet: Uint8Array, headerBytes = 0): Uint8Array {
  switch (encapsulation.kind) {
    case 'none':
      return packet;
    case 'descriptionHeader':
      return writeDescriptionHeader(encapsulation.vpdp, headerBytes, packet);
    case 'vlan': {
      if (packet.length < 12) return packet;
      const out = new Uint8Array(packet.length + 4);
      out.set(packet.subarray(0, 12));
      out.set(encapsulation.tag, 12);
      out.set(packet.subarray(12), 16);
      return out;
    }
    case 'vxlan': {
      const { outer, ipOffset, udpOffset } = encapsulation;
      const out = new Uint8Array(outer.length + packet.length);
      out.set(outer);
      out.set(packet, outer.length);
      const put16 = (at: number, v: number): void => {
        out[at] = (v >> 8) & 0xff;
        out[at + 1] = v & 0xff;
      };
      put16(ipOffset + 2, out.length - ipOffset);
      put16(ipOffset + 10, 0);
      put16(ipOffset + 10, internetChecksum(out.subarray(ipOffset, udpOffset)));
      put16(udpOffset + 4, out.length - udpOffset);
      put16(udpOffset + 6, 0);
      return out;
    }
  }
}
