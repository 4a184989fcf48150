import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  classify,
  dissect,
  encapsulate,
  ethernet,
  ipv4,
  packet,
  payload,
  readDescriptionHeader,
  udp,
  vlan,
  vxlan,
  writeDescriptionHeader,
  type ClassifierRule,
} from '@mpvisor/runtime';

const inner = packet(ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 40000, dport: 40001 }), payload('tenant data'));
const vxlanPacket = (vni: number, frame = inner) =>
  packet(ethernet({ dst: '02:00:00:00:0f:02', src: '02:00:00:00:0f:01' }), ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }), udp({ sport: 49152, dport: 4789 }), vxlan({ vni }), payload(frame));

const rules: ClassifierRule[] = [
  { kind: 'vxlan', vni: 5001, vpdp: 1 },
  { kind: 'vlan', vid: 100, vpdp: 2 },
  { kind: 'descriptionHeader', ports: [7] },
  { kind: 'port', port: 3, vpdp: 4 },
];

describe('the description header (HyperV §IV-B)', () => {
  it('is 4 bytes: vPDP id and the length of itself plus the headers, in network order', () => {
    const withDh = writeDescriptionHeader(0x0102, 42, inner);
    expect([...withDh.subarray(0, 4)]).toEqual([0x01, 0x02, 0x00, 46]);
    expect(readDescriptionHeader(withDh)).toEqual({ vpdp: 0x0102, length: 46 });
    expect(withDh.subarray(4)).toEqual(inner);
  });

  it('refuses what cannot be one, with the reason', () => {
    expect(readDescriptionHeader(Uint8Array.of(0, 1, 0))).toBe('packet of 3 bytes is shorter than a description header');
    expect(readDescriptionHeader(Uint8Array.of(0, 1, 0, 3))).toBe('description header length 3 is less than the header itself');
    expect(readDescriptionHeader(Uint8Array.of(0, 1, 0, 9, 1))).toBe('description header length 9 exceeds the packet (5 bytes)');
    expect(() => writeDescriptionHeader(70000, 0, inner)).toThrow(/does not fit/);
  });
});

describe('classifying packets to vPDPs', () => {
  it('by VXLAN VNI: the tenant sees the inner frame; its output goes back in the same tunnel with correct lengths and checksums', () => {
    const c = classify(rules, 1, vxlanPacket(5001));
    expect(c).toMatchObject({ vpdp: 1, rule: 0, encapsulation: { kind: 'vxlan' } });
    if (c.vpdp === undefined) throw new Error('unclassified');
    expect(c.packet).toEqual(inner);
    const longer = packet(ethernet({ dst: '02:00:00:00:00:09', src: '02:00:00:00:00:01' }), ipv4({ src: '10.0.0.1', dst: '10.0.0.9' }), udp({ sport: 40000, dport: 40001 }), payload('a longer answer from the tenant'));
    const out = encapsulate(c.encapsulation, longer);
    const layers = dissect(out).layers;
    expect(layers.map((l) => l.kind).slice(0, 5)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet']);
    const outerIp = layers[1] as { checksumOk: boolean; totalLength?: number };
    expect(outerIp.checksumOk).toBe(true);
    expect(out.length).toBe(vxlanPacket(5001, longer).length);
    // the UDP checksum is zero (RFC 7348 §5); everything else equals a tunnel packet built afresh
    const fresh = vxlanPacket(5001, longer);
    fresh[14 + 20 + 6] = 0;
    fresh[14 + 20 + 7] = 0;
    expect(out).toEqual(fresh);
    // and it classifies back to the same tenant and frame
    expect(classify(rules, 1, out)).toMatchObject({ vpdp: 1, packet: longer });
  });

  it('by VLAN id: the tag is taken off for the tenant and put back on its output', () => {
    const tagged = packet(ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' }), vlan({ vid: 100, pcp: 5 }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 40000, dport: 40001 }), payload('tenant data'));
    const c = classify(rules, 1, tagged);
    if (c.vpdp === undefined) throw new Error('unclassified');
    expect(c.vpdp).toBe(2);
    expect(c.packet).toEqual(inner);
    expect(encapsulate(c.encapsulation, c.packet)).toEqual(tagged);
    expect(classify(rules, 1, packet(ethernet({}), vlan({ vid: 101 }), payload(20)))).toEqual({ vpdp: undefined, reason: 'no classifier rule matches' });
  });

  it('by description header, only on the ports the rule names', () => {
    const withDh = writeDescriptionHeader(9, 42, inner);
    const c = classify(rules, 7, withDh);
    expect(c).toMatchObject({ vpdp: 9, packet: inner, headerBytes: 42 });
    if (c.vpdp === undefined) throw new Error('unclassified');
    expect(encapsulate(c.encapsulation, c.packet, 42)).toEqual(withDh);
    expect(classify(rules, 1, withDh).vpdp).toBeUndefined();
    expect(classify(rules, 7, Uint8Array.of(0, 9))).toEqual({ vpdp: undefined, reason: 'packet of 2 bytes is shorter than a description header' });
  });

  it('by ingress port, the packet as it is; rules are tried in order', () => {
    expect(classify(rules, 3, inner)).toMatchObject({ vpdp: 4, rule: 3, packet: inner, encapsulation: { kind: 'none' } });
    // a VXLAN packet on port 3 matches the earlier VXLAN rule first
    expect(classify(rules, 3, vxlanPacket(5001))).toMatchObject({ vpdp: 1, rule: 0 });
    expect(classify(rules, 3, vxlanPacket(5002))).toMatchObject({ vpdp: 4, rule: 3 });
  });

  it('never throws, whatever the bytes and port', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 10 }), (data, port) => {
        const c = classify(rules, port, data);
        if (c.vpdp !== undefined) expect(c.packet.length).toBeLessThanOrEqual(data.length);
      }),
      { numRuns: 20_000 },
    );
  });
});
