import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { internetChecksum, onesComplementSum } from '../src/algorithms/index.js';
import {
  arp,
  dissect,
  ethernet,
  fromHex,
  gre,
  hex,
  icmp,
  icmpv6,
  ipv4,
  ipv4ToBytes,
  ipv6,
  ipv6ToBytes,
  packet,
  payload,
  tcp,
  tcpFlags,
  udp,
  vlan,
  vxlan,
  type Layer,
} from '../src/packet/index.js';
import { layerStack } from './packet-arbitraries.js';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';
const eth = ethernet({ dst: B, src: A });

/** Independent L4 checksum verification: pseudo-header + segment must sum to -0. */
function l4Verifies(ipHeader: Uint8Array, segment: Uint8Array, protocol: number): boolean {
  let ph: Uint8Array;
  if (ipHeader[0]! >> 4 === 4) {
    ph = new Uint8Array(12);
    ph.set(ipHeader.subarray(12, 20), 0);
    ph[9] = protocol;
    ph[10] = segment.length >> 8;
    ph[11] = segment.length & 0xff;
  } else {
    ph = new Uint8Array(40);
    ph.set(ipHeader.subarray(8, 40), 0);
    ph[34] = segment.length >> 8;
    ph[35] = segment.length & 0xff;
    ph[39] = protocol;
  }
  const all = new Uint8Array(ph.length + segment.length);
  all.set(ph);
  all.set(segment, ph.length);
  return internetChecksum(all) === 0;
}

describe('packet(): byte-exact builds against hand-assembled packets', () => {
  it('reproduces the classic IPv4 header (checksum 0xb861) field by field', () => {
    const bytes = packet(ipv4({ src: '192.168.0.1', dst: '192.168.0.199', id: 0, flags: 'DF', protocol: 17, totalLength: 0x73 }));
    expect(hex(bytes)).toBe('450000730000400040 11b861c0a80001c0a800c7'.replace(/ /g, ''));
  });

  it('builds a TCP SYN with MSS option and correct IPv4 and TCP checksums', () => {
    const bytes = packet(
      eth,
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id: 0x1234, flags: 'DF' }),
      tcp({ sport: 40000, dport: 80, seq: 1, flags: 'S', window: 64240, options: fromHex('020405b4') }),
    );
    // Assembled from RFC 791 / RFC 793 layouts; checksums worked by hand
    // (IPv4: ~(4500+002c+1234+4000+4006+0a00+0001+0a00+0002) = 1496;
    //  TCP: ~(pseudo 1421 + segment words) = eca1) and confirmed by tshark.
    const expected = [
      '020000000002 020000000001 0800', // Ethernet: dst, src, IPv4
      '45 00 002c 1234 4000 40 06 1496 0a000001 0a000002', // IPv4: ihl 5, len 44, DF, ttl 64, TCP
      '9c40 0050 00000001 00000000 6002 faf0 eca1 0000', // TCP: 40000 -> 80, seq 1, doff 6, SYN, win 64240
      '020405b4', // MSS 1460
    ].join('');
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
  });

  it('builds a UDP datagram with payload', () => {
    const bytes = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 5678 }), payload('hello'));
    const expected =
      '020000000002 020000000001 0800' +
      '45 00 0021 0001 0000 40 11 66c9 0a000001 0a000002' +
      '04d2 162e 000d 8cff' + // ~(pseudo 1421 + 04d2+162e+000d+6865+6c6c+6f00) = 8cff
      '68656c6c6f';
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
  });

  it('builds an ICMP echo request', () => {
    const bytes = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 8, id: 1, seq: 1 }), payload('abcdefgh'));
    const expected =
      '020000000002 020000000001 0800' +
      '45 00 0024 0001 0000 40 01 66d6 0a000001 0a000002' +
      '08 00 6668 0001 0001' + // ~(0800+0001+0001+6162+6364+6566+6768) = 6668
      '6162636465666768';
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
  });

  it('builds an ARP request (RFC 826 layout)', () => {
    const bytes = packet(
      ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: A }),
      arp({ op: 'request', senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
    );
    const expected =
      'ffffffffffff 020000000001 0806' + '0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002';
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
  });

  it('builds an ICMPv6 echo request with the IPv6 pseudo-header checksum', () => {
    const bytes = packet(eth, ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), icmpv6({ type: 128, id: 1, seq: 1 }), payload('abcd'));
    const expected =
      '020000000002 020000000001 86dd' +
      '60000000 000c 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002' +
      '80 00 5f7b 0001 0001 61626364';
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
    expect(l4Verifies(bytes.subarray(14, 54), bytes.subarray(54), 58)).toBe(true);
  });

  it('builds a VLAN tag, a VXLAN tunnel and GRE with key, sequence and checksum', () => {
    expect(hex(packet(eth, vlan({ vid: 100, pcp: 3 }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })).subarray(12, 18))).toBe('81006064' + '0800');
    const vx = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 49152 }), vxlan({ vni: 42 }), ethernet({ dst: B, src: A }));
    expect(hex(vx.subarray(34, 50))).toBe('c00012b5' + '001e' + hex(vx.subarray(40, 42)) + '08000000 00002a00'.replace(/ /g, ''));
    const g = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), gre({ key: 7, seq: 9, checksumPresent: true }), ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }));
    const greBytes = g.subarray(34);
    expect(hex(greBytes.subarray(0, 4))).toBe('b0000800'); // C, K, S; IPv4
    expect(hex(greBytes.subarray(6, 16))).toBe('0000' + '00000007' + '00000009');
    expect(internetChecksum(greBytes)).toBe(0);
  });
});

describe('packet(): defaults filled from the layers that follow', () => {
  it('chooses EtherType, IP protocol and IPv6 next header from the next layer', () => {
    const type = (...ls: Layer[]): string => hex(packet(...ls).subarray(12, 14));
    expect(type(eth, ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }))).toBe('0800');
    expect(type(eth, ipv6({ src: '::1', dst: '::2' }))).toBe('86dd');
    expect(type(eth, arp({ op: 1, senderMac: A, senderIp: '1.1.1.1', targetIp: '2.2.2.2' }))).toBe('0806');
    expect(type(eth, vlan({ vid: 1 }))).toBe('8100');
    expect(type(eth, payload('x'))).toBe('88b5');
    expect(type(ethernet({ type: 0x88a8 }), vlan({ vid: 1 }))).toBe('88a8');
    const proto = (l: Layer): number => packet(ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }), l)[9]!;
    expect([tcp(), udp(), icmp(), gre(), ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }), ipv6({ src: '::1', dst: '::2' }), payload(1)].map(proto)).toEqual([
      6, 17, 1, 47, 4, 41, 253,
    ]);
    const nh = (...l: Layer[]): number => packet(ipv6({ src: '::1', dst: '::2' }), ...l)[6]!;
    expect([nh(tcp()), nh(udp()), nh(icmpv6()), nh(gre()), nh(), nh(payload(2))]).toEqual([6, 17, 58, 47, 59, 253]);
    expect(hex(packet(gre(), ethernet()).subarray(2, 4))).toBe('6558');
    const u = packet(udp(), vxlan({ vni: 1 }));
    expect(hex(u.subarray(0, 4))).toBe('0035' + '12b5');
  });

  it('fills lengths: IPv4 IHL and total length with options, IPv6 payload length, UDP length, TCP data offset', () => {
    const v4 = packet(ipv4({ src: '1.1.1.1', dst: '2.2.2.2', options: Uint8Array.of(1, 1, 1) }), udp(), payload(10));
    expect(v4[0]).toBe(0x46); // options padded to 4 bytes: IHL 6
    expect(hex(v4.subarray(20, 24))).toBe('01010100');
    expect((v4[2]! << 8) | v4[3]!).toBe(24 + 8 + 10);
    expect((v4[28]! << 8) | v4[29]!).toBe(18);
    const v6 = packet(ipv6({ src: '::1', dst: '::2' }), tcp({ options: Uint8Array.of(2, 4, 5, 0xb4, 1) }), payload(3));
    expect((v6[4]! << 8) | v6[5]!).toBe(28 + 3);
    expect(v6[40 + 12]! >> 4).toBe(7);
  });

  it('parses TCP flags as scapy letters', () => {
    expect(tcpFlags('S')).toBe(0x02);
    expect(tcpFlags('SA')).toBe(0x12);
    expect(tcpFlags('FPA')).toBe(0x19);
    expect(tcpFlags('N')).toBe(0x100);
    expect(tcpFlags(0x1ff)).toBe(0x1ff);
    expect(() => tcpFlags('X')).toThrow(TypeError);
    expect(() => tcpFlags(0x200)).toThrow(RangeError);
  });

  it('sends a UDP checksum that computes to zero as 0xffff (RFC 768)', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' });
    const probe = packet(ip, udp({ sport: 1000, dport: 2000 }), payload(2));
    const c = (probe[26]! << 8) | probe[27]!;
    // Put the probe's checksum into the payload: the sum becomes -0, so the computed checksum is 0.
    const bytes = packet(ip, udp({ sport: 1000, dport: 2000 }), payload(Uint8Array.of(c >> 8, c & 0xff)));
    expect(hex(bytes.subarray(26, 28))).toBe('ffff');
    expect(l4Verifies(bytes.subarray(0, 20), bytes.subarray(20), 17)).toBe(true);
  });

  it('writes overrides as given: wrong checksums, lying lengths, odd header fields', () => {
    const bad = packet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', checksum: 0xdead, totalLength: 1000, ihl: 7 }), udp({ checksum: 0, length: 3 }));
    expect(hex(bad.subarray(0, 4))).toBe('470003e8');
    expect(hex(bad.subarray(10, 12))).toBe('dead');
    expect(hex(bad.subarray(24, 28))).toBe('00030000');
    const t = packet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ checksum: 0x1234, dataOffset: 15 }));
    expect(hex(t.subarray(32, 33))).toBe('f0');
    expect(hex(t.subarray(36, 38))).toBe('1234');
  });

  it('refuses malformed input with a clear error', () => {
    expect(() => packet(ethernet({ dst: 'not-a-mac' }))).toThrow(TypeError);
    expect(() => packet(ipv4({ src: '10.0.0.256', dst: '1.1.1.1' }))).toThrow(TypeError);
    expect(() => packet(ipv6({ src: '1:::2', dst: '::' }))).toThrow(TypeError);
    expect(() => packet(vlan({ vid: 4096 }))).toThrow(RangeError);
    expect(() => packet(ipv4({ src: '1.1.1.1', dst: '1.1.1.1', options: new Uint8Array(41) }))).toThrow(RangeError);
    expect(() => payload(-1)).toThrow(RangeError);
  });
});

describe('packet(): properties of built packets', () => {
  it('always carries valid checksums (checked independently of the dissector) and dissects back to the same layers', () => {
    fc.assert(
      fc.property(layerStack, (layers) => {
        const bytes = packet(...layers);
        const d = dissect(bytes);
        expect(d.truncated).toBe(false);
        expect(d.problems).toEqual([]);
        const expectedKinds = layers
          .filter((l) => !(l.kind === 'payload' && l.bytes.length === 0))
          .map((l) => (l.kind === 'payload' ? 'payload' : l.kind));
        expect(d.layers.map((l) => l.kind)).toEqual(expectedKinds);
        // Independent verification of every checksum from the raw bytes.
        let ipHeader: Uint8Array | undefined;
        let ipEnd = bytes.length;
        for (const l of d.layers) {
          const at = bytes.subarray(l.offset);
          switch (l.kind) {
            case 'ipv4':
              expect(internetChecksum(at.subarray(0, l.length))).toBe(0);
              ipHeader = at.subarray(0, l.length);
              ipEnd = l.offset + l.totalLength;
              break;
            case 'ipv6':
              ipHeader = at.subarray(0, 40);
              ipEnd = l.offset + 40 + l.payloadLength;
              break;
            case 'tcp':
              expect(l4Verifies(ipHeader!, bytes.subarray(l.offset, ipEnd), 6)).toBe(true);
              break;
            case 'udp':
              expect(l4Verifies(ipHeader!, bytes.subarray(l.offset, l.offset + l.udpLength), 17)).toBe(true);
              break;
            case 'icmp':
              expect(internetChecksum(bytes.subarray(l.offset, ipEnd))).toBe(0);
              break;
            case 'icmpv6':
              expect(l4Verifies(ipHeader!, bytes.subarray(l.offset, ipEnd), 58)).toBe(true);
              break;
            case 'gre':
              if (l.checksumPresent) expect(onesComplementSum(bytes.subarray(l.offset, ipEnd))).toBe(0xffff);
              break;
            default:
              break;
          }
          if ('checksumOk' in l) expect(l.checksumOk).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips field values through dissect', () => {
    fc.assert(
      fc.property(layerStack, (layers) => {
        const d = dissect(packet(...layers));
        const built = layers.filter((l) => !(l.kind === 'payload' && l.bytes.length === 0));
        built.forEach((l, i) => {
          const got = d.layers[i]!;
          expect(got.kind).toBe(l.kind);
          switch (l.kind) {
            case 'ethernet':
              expect(got).toMatchObject({ dst: l.dst, src: l.src });
              break;
            case 'vlan':
              expect(got).toMatchObject({ vid: l.vid, pcp: l.pcp ?? 0 });
              break;
            case 'arp':
              expect(got).toMatchObject({
                op: l.op === 'request' ? 1 : 2,
                senderMac: l.senderMac,
                senderIp: l.senderIp,
                targetMac: l.targetMac,
                targetIp: l.targetIp,
              });
              break;
            case 'ipv4':
              expect(got).toMatchObject({ src: l.src, dst: l.dst, ttl: l.ttl, id: l.id, tos: l.tos, flags: l.flags === 'DF' ? 2 : 0 });
              if (got.kind === 'ipv4') expect(hex(got.options)).toBe(hex(l.options ?? new Uint8Array(0)));
              break;
            case 'ipv6':
              expect(got.kind === 'ipv6' && ipv6ToBytes(got.src)).toEqual(ipv6ToBytes(l.src));
              expect(got).toMatchObject({ hopLimit: l.hopLimit, trafficClass: l.trafficClass, flowLabel: l.flowLabel });
              break;
            case 'tcp':
              expect(got).toMatchObject({ sport: l.sport, dport: l.dport, seq: l.seq, ack: l.ack, window: l.window, flags: tcpFlags(l.flags ?? 'S') });
              break;
            case 'udp':
              expect(got).toMatchObject({ sport: l.sport });
              break;
            case 'icmp':
            case 'icmpv6':
              expect(got).toMatchObject({ type: l.type, id: l.id, seq: l.seq });
              break;
            case 'vxlan':
              expect(got).toMatchObject({ vni: l.vni, flags: 8 });
              break;
            case 'gre':
              if (got.kind === 'gre') {
                expect(got.key).toBe(l.key);
                expect(got.seq).toBe(l.seq);
                expect(got.checksumPresent).toBe(l.checksumPresent === true);
              }
              break;
            case 'payload':
              expect(got.kind === 'payload' && hex(got.bytes)).toBe(hex(l.bytes));
              break;
          }
        });
        expect(ipv4ToBytes('1.2.3.4')).toEqual(Uint8Array.of(1, 2, 3, 4));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Writes a classic microsecond pcap (Ethernet) by hand, independent of the project's capture module. */
function writePcap(path: string, packets: readonly Uint8Array[]): void {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  packets.forEach((p, i) => {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(i, 0);
    rh.writeUInt32LE(p.length, 8);
    rh.writeUInt32LE(p.length, 12);
    parts.push(rh, Buffer.from(p));
  });
  writeFileSync(path, Buffer.concat(parts));
}

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasTshark())('packet(): Wireshark agrees', () => {
  it('tshark finds every checksum good and nothing malformed in 400 random built packets', () => {
    const packets = fc.sample(layerStack, { numRuns: 400, seed: 20240601 }).map((ls) => packet(...ls));
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-packet-'));
    try {
      const file = join(dir, 'built.pcap');
      writePcap(file, packets);
      const out = execFileSync(
        'tshark',
        [
          '-r', file,
          '-o', 'ip.check_checksum:TRUE',
          '-o', 'tcp.check_checksum:TRUE',
          '-o', 'udp.check_checksum:TRUE',
          '-T', 'fields', '-E', 'separator=;',
          '-e', 'frame.number',
          '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status',
          '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status', '-e', 'gre.checksum.status',
          '-e', '_ws.malformed', '-e', '_ws.expert.severity',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 },
      );
      const rows = out.trim().split('\n');
      expect(rows).toHaveLength(packets.length);
      let verified = 0;
      for (const row of rows) {
        const [frame, ...cols] = row.split(';');
        const statuses = cols.slice(0, 6).flatMap((c) => (c === '' ? [] : c.split(',')));
        const malformed = cols[6] ?? '';
        const severities = (cols[7] ?? '').split(',').filter((s) => s !== '').map(Number);
        // Wireshark: checksum status 1 = good; expert severity 0x00800000 = error.
        expect({ frame, statuses: statuses.filter((s) => s !== '1'), malformed }).toEqual({ frame, statuses: [], malformed: '' });
        expect(severities.filter((s) => s >= 0x00800000)).toEqual([]);
        verified += statuses.length;
      }
      expect(verified).toBeGreaterThan(packets.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
