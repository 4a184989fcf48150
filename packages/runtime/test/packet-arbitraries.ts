/**
 * fast-check generators of well-formed layer stacks for the packet library's
 * property tests: realistic options, ICMP echo types, and ports chosen away
 * from well-known services so that Wireshark does not try to decode random
 * payload as DNS or HTTP.
 */
import fc from 'fast-check';
import {
  arp,
  ethernet,
  gre,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  payload,
  tcp,
  udp,
  vlan,
  vxlan,
  type Layer,
} from '../src/packet/index.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Ports with no Wireshark dissector registered by default. */
export const quietPort = fc.integer({ min: 38000, max: 38999 });

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => {
  b[0] = b[0]! & 0xfe; // unicast
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
});
export const ipv4Addr = fc.tuple(fc.integer({ min: 1, max: 223 }), u8, u8, fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
export const ipv6Addr = fc
  .array(u16, { minLength: 7, maxLength: 7 })
  .map((g) => ['2001', ...g.slice(1).map((x) => x.toString(16))].concat([(g[0]! | 1).toString(16)]).join(':'));

const payloadBytes = fc.uint8Array({ maxLength: 48 });

const ipv4Options = fc.oneof(
  fc.constant(undefined),
  fc.constant(Uint8Array.of(0x94, 0x04, 0x00, 0x00)), // router alert
  fc.integer({ min: 1, max: 3 }).map((n) => new Uint8Array(4 * n).fill(0x01)), // NOPs
);

const tcpOptions = fc.oneof(
  fc.constant(undefined),
  u16.map((mss) => Uint8Array.of(2, 4, mss >> 8, mss & 0xff)),
  fc.constant(Uint8Array.of(1, 1, 4, 2)), // NOP NOP SACK-permitted
  fc.tuple(u32, u32).map(([a, b]) =>
    Uint8Array.of(1, 1, 8, 10, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, b >>> 24, (b >>> 16) & 0xff, (b >>> 8) & 0xff, b & 0xff),
  ),
);

const tcpLayer = fc
  .record({
    sport: quietPort,
    dport: quietPort,
    seq: u32,
    ack: u32,
    flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R', 'RA'),
    window: u16,
    options: tcpOptions,
  })
  .map(({ options, ...rest }) => tcp(options === undefined ? rest : { ...rest, options }));

const udpLayer = fc.record({ sport: quietPort, dport: quietPort }).map((f) => udp(f));

const ipv4Layer = fc
  .record({ src: ipv4Addr, dst: ipv4Addr, ttl: fc.integer({ min: 1, max: 255 }), id: u16, df: fc.boolean(), tos: u8, options: ipv4Options })
  .map(({ df, options, ...rest }) => ipv4({ ...rest, flags: df ? 'DF' : 0, ...(options === undefined ? {} : { options }) }));

const ipv6Layer = fc
  .record({ src: ipv6Addr, dst: ipv6Addr, hopLimit: u8, trafficClass: u8, flowLabel: fc.integer({ min: 0, max: 0xfffff }) })
  .map((f) => ipv6(f));

const ethernetLayer = fc.record({ dst: mac, src: mac }).map((f) => ethernet(f));

/** An inner packet for tunnels: Ethernet/IPv4 or IPv6/TCP or UDP/payload. */
const innerFrame: fc.Arbitrary<Layer[]> = fc
  .tuple(ethernetLayer, fc.oneof(ipv4Layer, ipv6Layer), fc.oneof(tcpLayer, udpLayer), payloadBytes)
  .map(([e, ip, l4, p]) => [e, ip, l4, payload(p)]);

const ipPayload = (v6: boolean): fc.Arbitrary<Layer[]> =>
  fc.oneof(
    fc.tuple(tcpLayer, payloadBytes).map(([t, p]) => [t, payload(p)]),
    fc.tuple(udpLayer, payloadBytes).map(([u, p]) => [u, payload(p)]),
    fc
      .tuple(quietPort, fc.integer({ min: 0, max: 0xffffff }), innerFrame)
      .map(([sport, vni, inner]) => [udp({ sport }), vxlan({ vni }), ...inner]),
    fc
      .tuple(fc.constantFrom<0 | 1>(0, 1), u16, u16, payloadBytes)
      .map(([reply, id, seq, p]) =>
        v6 ? [icmpv6({ type: reply ? 129 : 128, id, seq }), payload(p)] : [icmp({ type: reply ? 0 : 8, id, seq }), payload(p)],
      ),
    fc
      .tuple(fc.option(u32, { nil: undefined }), fc.option(u32, { nil: undefined }), fc.boolean(), fc.boolean(), innerFrame)
      .map(([key, seq, csum, l2, inner]) => {
        const g = gre({
          ...(key === undefined ? {} : { key }),
          ...(seq === undefined ? {} : { seq }),
          ...(csum ? { checksumPresent: true } : {}),
        });
        return [g, ...(l2 ? inner : inner.slice(1))];
      }),
    payloadBytes.map((p) => [payload(p)]),
  );

const l3: fc.Arbitrary<Layer[]> = fc.oneof(
  fc.tuple(ipv4Layer, ipPayload(false)).map(([ip, rest]) => [ip, ...rest]),
  fc.tuple(ipv6Layer, ipPayload(true)).map(([ip, rest]) => [ip, ...rest]),
  fc
    .record({ op: fc.constantFrom<'request' | 'reply'>('request', 'reply'), senderMac: mac, senderIp: ipv4Addr, targetMac: mac, targetIp: ipv4Addr })
    .map((f) => [arp(f)]),
);

/** A well-formed packet as a layer stack: Ethernet, up to two VLAN tags, then ARP or IP and what IP carries. */
export const layerStack: fc.Arbitrary<Layer[]> = fc
  .tuple(
    ethernetLayer,
    fc.array(fc.record({ vid: fc.integer({ min: 1, max: 4094 }), pcp: fc.integer({ min: 0, max: 7 }) }), { maxLength: 2 }),
    l3,
  )
  .map(([e, tags, rest]) => [e, ...tags.map((t) => vlan(t)), ...rest]);
