import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  arp,
  dissect,
  ethernet,
  findLayer,
  fromHex,
  gre,
  hex,
  icmp,
  ipv4,
  ipv6,
  packet,
  payload,
  tcp,
  udp,
  vlan,
  vxlan,
  type Dissected,
} from '../src/packet/index.js';
import { layerStack } from './packet-arbitraries.js';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';
const eth = ethernet({ dst: B, src: A });
const ip4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' });

/** The layers tile the input: contiguous, in order, covering every byte, and nothing went wrong inside. */
function expectTiles(d: Dissected, bytes: Uint8Array): void {
  let at = 0;
  for (const l of d.layers) {
    expect(l.offset).toBe(at);
    expect(l.length).toBeGreaterThan(0);
    at += l.length;
  }
  expect(at).toBe(bytes.length);
  expect(d.problems.filter((p) => p.startsWith('internal'))).toEqual([]);
}

describe('dissect(): recognising layers', () => {
  it('reads a hand-assembled TCP SYN (RFC 791/793 layout) with offsets and every field', () => {
    const bytes = fromHex(
      '020000000002 020000000001 0800' +
        '45 00 002c 1234 4000 40 06 1496 0a000001 0a000002' +
        '9c40 0050 00000001 00000000 6002 faf0 eca1 0000 020405b4',
    );
    const d = dissect(bytes);
    expect(d.truncated).toBe(false);
    expect(d.layers).toEqual([
      { kind: 'ethernet', offset: 0, length: 14, dst: B, src: A, type: 0x0800 },
      {
        kind: 'ipv4',
        offset: 14,
        length: 20,
        version: 4,
        ihl: 5,
        tos: 0,
        dscp: 0,
        ecn: 0,
        totalLength: 44,
        id: 0x1234,
        flags: 2,
        fragOffset: 0,
        ttl: 64,
        protocol: 6,
        checksum: 0x1496,
        src: '10.0.0.1',
        dst: '10.0.0.2',
        options: new Uint8Array(0),
        checksumOk: true,
      },
      {
        kind: 'tcp',
        offset: 34,
        length: 24,
        sport: 40000,
        dport: 80,
        seq: 1,
        ack: 0,
        dataOffset: 6,
        flags: 2,
        flagsText: 'S',
        window: 64240,
        checksum: 0xeca1,
        urgent: 0,
        options: fromHex('020405b4'),
        checksumOk: true,
      },
    ]);
  });

  it('reports checksums that do not verify', () => {
    const bytes = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', checksum: 0xbeef }), udp({ checksum: 0x1234 }), payload('x'));
    const d = dissect(bytes);
    expect(findLayer(d, 'ipv4')?.checksumOk).toBe(false);
    expect(findLayer(d, 'udp')?.checksumOk).toBe(false);
    const noSum = dissect(packet(eth, ip4, udp({ checksum: 0 }), payload('x')));
    expect(findLayer(noSum, 'udp')?.checksumOk).toBe(true); // 0 = no checksum over IPv4
    const v6NoSum = dissect(packet(eth, ipv6({ src: '::1', dst: '::2' }), udp({ checksum: 0 })));
    expect(findLayer(v6NoSum, 'udp')?.checksumOk).toBe(false); // mandatory over IPv6
    const icmpBad = dissect(packet(eth, ip4, icmp({ checksum: 0 })));
    expect(findLayer(icmpBad, 'icmp')?.checksumOk).toBe(false);
  });

  it('reads VLAN tags (802.1Q and 802.1ad), ARP, VXLAN and GRE', () => {
    const q = dissect(packet(ethernet({ dst: B, src: A, type: 0x88a8 }), vlan({ vid: 10, pcp: 5, dei: 1 }), vlan({ vid: 20 }), ip4));
    expect(q.layers.map((l) => l.kind)).toEqual(['ethernet', 'vlan', 'vlan', 'ipv4']);
    expect(q.layers[1]).toMatchObject({ tpid: 0x88a8, vid: 10, pcp: 5, dei: 1, type: 0x8100 });
    expect(q.layers[2]).toMatchObject({ tpid: 0x8100, vid: 20, type: 0x0800 });

    const a = dissect(packet(eth, arp({ op: 'reply', senderMac: A, senderIp: '10.0.0.1', targetMac: B, targetIp: '10.0.0.2' })));
    expect(findLayer(a, 'arp')).toMatchObject({ op: 2, senderMac: A, senderIp: '10.0.0.1', targetMac: B, targetIp: '10.0.0.2', hwType: 1, protoType: 0x0800 });

    const vx = dissect(packet(eth, ip4, udp({ sport: 5000 }), vxlan({ vni: 0xabcdef }), ethernet({ dst: A, src: B }), ipv6({ src: '::1', dst: '::2' })));
    expect(vx.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv6']);
    expect(findLayer(vx, 'vxlan')).toMatchObject({ vni: 0xabcdef, flags: 8 });

    const g = dissect(packet(eth, ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), gre({ key: 0xdeadbeef, checksumPresent: true }), ethernet(), payload(3)));
    expect(g.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'gre', 'ethernet', 'payload']);
    expect(findLayer(g, 'gre')).toMatchObject({ key: 0xdeadbeef, checksumPresent: true, keyPresent: true, seqPresent: false, protocol: 0x6558, checksumOk: true });
    expect(findLayer(g, 'ipv6')).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 47 });
  });

  it('marks Ethernet minimum-size padding after an IP datagram or ARP message as padding', () => {
    const small = packet(eth, ip4, udp({ sport: 1, dport: 2 }), payload('hi'));
    const frame = new Uint8Array(60);
    frame.set(small);
    const d = dissect(frame);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'payload', 'padding']);
    expect(d.layers.at(-1)).toMatchObject({ offset: small.length, length: 60 - small.length });
    expect(findLayer(d, 'udp')?.checksumOk).toBe(true);
    expectTiles(d, frame);

    const arpFrame = new Uint8Array(60);
    arpFrame.set(packet(eth, arp({ op: 1, senderMac: A, senderIp: '1.1.1.1', targetIp: '2.2.2.2' })));
    expect(dissect(arpFrame).layers.map((l) => l.kind)).toEqual(['ethernet', 'arp', 'padding']);
  });

  it('does not parse beyond the first fragment', () => {
    const d = dissect(packet(eth, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6, fragOffset: 100 }), payload(20)));
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'payload']);
  });

  it('starts at IP when asked', () => {
    const v4 = packet(ip4, tcp());
    expect(dissect(v4, { start: 'ipv4' }).layers.map((l) => l.kind)).toEqual(['ipv4', 'tcp']);
    expect(dissect(v4, { start: 'ip' }).layers.map((l) => l.kind)).toEqual(['ipv4', 'tcp']);
    const v6 = packet(ipv6({ src: '::1', dst: '::2' }), udp());
    expect(dissect(v6, { start: 'ip' }).layers.map((l) => l.kind)).toEqual(['ipv6', 'udp']);
    expect(dissect(v6, { start: 'ipv6' }).layers.map((l) => l.kind)).toEqual(['ipv6', 'udp']);
  });
});

describe('dissect(): short, lying and malformed data', () => {
  const syn = packet(eth, ip4, tcp({ options: fromHex('020405b4') }), payload('data'));

  it('handles the empty string', () => {
    const d = dissect(new Uint8Array(0));
    expect(d.layers).toEqual([]);
    expect(d.truncated).toBe(true);
  });

  it('stops at a truncated header, marks the packet truncated, and keeps the rest as payload', () => {
    const cut = syn.subarray(0, 14 + 20 + 10);
    const d = dissect(cut);
    expect(d.truncated).toBe(true);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'payload']);
    expect(d.problems.join('\n')).toMatch(/tcp header truncated at offset 34: needs 20 bytes, 10 available/);
    expect(d.problems.join('\n')).toMatch(/ipv4 at offset 14: total length 48 runs past the end/);
    expect(findLayer(d, 'ipv4')?.checksumOk).toBe(true);
    expectTiles(d, cut);
  });

  it('every prefix of a packet dissects without throwing and tiles', () => {
    for (let n = 0; n <= syn.length; n++) {
      const d = dissect(syn.subarray(0, n));
      expectTiles(d, syn.subarray(0, n));
      expect(d.truncated).toBe(n < syn.length);
    }
  });

  it('flags an IPv4 total length that claims more than there is, without checking L4 checksums', () => {
    const bytes = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', totalLength: 1500 }), udp(), payload(4));
    const d = dissect(bytes);
    expect(d.truncated).toBe(true);
    expect(findLayer(d, 'udp')?.checksumOk).toBeUndefined();
  });

  it('treats bytes beyond a short IPv4 total length as padding', () => {
    const bytes = packet(eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', totalLength: 30 }), payload(20));
    const d = dissect(bytes);
    expect(d.truncated).toBe(false);
    expect(d.layers.map((l) => [l.kind, l.length])).toEqual([
      ['ethernet', 14],
      ['ipv4', 20],
      ['payload', 10],
      ['padding', 10],
    ]);
  });

  it('reports impossible header lengths and version mismatches as problems, keeping the bytes as payload', () => {
    const badIhl = packet(eth, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ihl: 3 }), payload(8));
    const d1 = dissect(badIhl);
    expect(d1.layers.map((l) => l.kind)).toEqual(['ethernet', 'payload']);
    expect(d1.problems[0]).toMatch(/ihl 3/);
    const wrongVersion = packet(ethernet({ type: 0x0800 }), ipv6({ src: '::1', dst: '::2' }));
    expect(dissect(wrongVersion).problems[0]).toMatch(/version 6/);
    const badDoff = packet(eth, ip4, tcp({ dataOffset: 2 }));
    expect(dissect(badDoff).problems[0]).toMatch(/data offset 2/);
    const shortUdp = dissect(packet(eth, ip4, udp({ length: 4 }), payload(4)));
    expect(shortUdp.problems[0]).toMatch(/length 4 is less than 8/);
    expect(findLayer(shortUdp, 'udp')?.checksumOk).toBeUndefined();
    const ihlPastEnd = packet(eth, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ihl: 15 }));
    const d2 = dissect(ihlPastEnd);
    expect(d2.truncated).toBe(true);
    expectTiles(d2, ihlPastEnd);
  });

  it('never throws on 50,000 random byte strings, and the layers always tile the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('ethernet', 'ipv4', 'ipv6', 'ip') , (bytes, start) => {
        const d = dissect(bytes, { start });
        expectTiles(d, bytes);
      }),
      { numRuns: 50_000 },
    );
  });

  it('never throws on 50,000 truncated and mutated real packets (lengths that lie included)', () => {
    const mutated = fc
      .tuple(
        layerStack,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
      )
      .map(([layers, edits, cut]) => {
        const b = packet(...layers).slice();
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        expectTiles(dissect(bytes), bytes);
      }),
      { numRuns: 50_000 },
    );
  });

  it('copies bytes out, so later changes to the input do not alter the result', () => {
    const bytes = packet(eth, ip4, udp(), payload('abc')).slice();
    const d = dissect(bytes);
    bytes.fill(0);
    const p = findLayer(d, 'payload');
    expect(p && hex(p.bytes)).toBe('616263');
  });
});
