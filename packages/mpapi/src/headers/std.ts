/**
 * The standard header library. Field names and widths follow the protocol
 * RFCs/IEEE standards (and the P4 tutorials' usual naming where it exists).
 */
import { bit, header, varbit } from './header-type.js';

/** IEEE 802.3 Ethernet II. */
export const ethernet = header('ethernet_t', {
  dstAddr: bit(48),
  srcAddr: bit(48),
  etherType: bit(16),
});

/** IEEE 802.1Q tag (follows an ethernet header whose etherType is 0x8100). */
export const vlan = header('vlan_t', {
  pcp: bit(3),
  dei: bit(1),
  vid: bit(12),
  etherType: bit(16),
});

/** ARP for IPv4 over Ethernet (RFC 826). */
export const arp = header('arp_t', {
  hwType: bit(16),
  protoType: bit(16),
  hwAddrLen: bit(8),
  protoAddrLen: bit(8),
  opcode: bit(16),
  senderHwAddr: bit(48),
  senderProtoAddr: bit(32),
  targetHwAddr: bit(48),
  targetProtoAddr: bit(32),
});

/** IPv4 (RFC 791) with its options: ihl counts 32-bit words, so options are ihl*32 - 160 bits. */
export const ipv4 = header('ipv4_t', {
  version: bit(4),
  ihl: bit(4),
  diffserv: bit(8),
  totalLen: bit(16),
  identification: bit(16),
  flags: bit(3),
  fragOffset: bit(13),
  ttl: bit(8),
  protocol: bit(8),
  hdrChecksum: bit(16),
  srcAddr: bit(32),
  dstAddr: bit(32),
  options: varbit(320, { field: 'ihl', multiplier: 32, offset: -160 }),
});

/** IPv6 fixed header (RFC 8200). */
export const ipv6 = header('ipv6_t', {
  version: bit(4),
  trafficClass: bit(8),
  flowLabel: bit(20),
  payloadLen: bit(16),
  nextHdr: bit(8),
  hopLimit: bit(8),
  srcAddr: bit(128),
  dstAddr: bit(128),
});

/** ICMP (RFC 792) common header; the rest of the message is payload. */
export const icmp = header('icmp_t', {
  type: bit(8),
  code: bit(8),
  checksum: bit(16),
  restOfHeader: bit(32),
});

/** TCP (RFC 9293) with options: dataOffset counts 32-bit words. */
export const tcp = header('tcp_t', {
  srcPort: bit(16),
  dstPort: bit(16),
  seqNo: bit(32),
  ackNo: bit(32),
  dataOffset: bit(4),
  res: bit(4),
  flags: bit(8),
  window: bit(16),
  checksum: bit(16),
  urgentPtr: bit(16),
  options: varbit(320, { field: 'dataOffset', multiplier: 32, offset: -160 }),
});

/** UDP (RFC 768). */
export const udp = header('udp_t', {
  srcPort: bit(16),
  dstPort: bit(16),
  length: bit(16),
  checksum: bit(16),
});

/** VXLAN (RFC 7348), over UDP port 4789. */
export const vxlan = header('vxlan_t', {
  flags: bit(8),
  reserved: bit(24),
  vni: bit(24),
  reserved2: bit(8),
});

/** GRE base header (RFC 2784); optional key/sequence fields are separate headers. */
export const gre = header('gre_t', {
  checksumPresent: bit(1),
  routingPresent: bit(1),
  keyPresent: bit(1),
  seqPresent: bit(1),
  strictRoute: bit(1),
  recursion: bit(3),
  flags: bit(5),
  version: bit(3),
  protocol: bit(16),
});

/** EtherType and IP protocol numbers (IANA) used by the examples and parsers. */
export const ETHERTYPE = { ipv4: 0x0800, arp: 0x0806, vlan: 0x8100, ipv6: 0x86dd } as const;
export const IPPROTO = { icmp: 1, tcp: 6, udp: 17, gre: 47, ipv6Icmp: 58 } as const;
export const UDP_PORT = { vxlan: 4789 } as const;
