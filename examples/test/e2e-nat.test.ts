/**
 * Source NAT end to end: `mpvisor run` on examples/captures/nat.pcap with
 * nat.entries.json; every translated packet is compared with one built here
 * with the new address and port, whose IPv4 and TCP/UDP checksums the packet
 * builder computes from scratch (the NF updates them incrementally).
 */
import { ethernet, findLayer, ipv4, packet, payload, udp, type CapturedPacket } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterIpv4, cleanUp, expectOutputs, flowOf, layersOf, push, rebuild, runShipped, type ShippedRun } from './e2e-helpers.js';

/** nat.entries.json, as the test reads it: (inside address, protocol, port) → outside address and port. */
const MAPPINGS = [
  { inside: '10.0.0.5', proto: 6, sport: 40000, addr: '203.0.113.1', port: 61000 },
  { inside: '10.0.0.5', proto: 6, sport: 40001, addr: '203.0.113.1', port: 61001 },
  { inside: '10.0.0.6', proto: 6, sport: 50000, addr: '203.0.113.2', port: 62000 },
  { inside: '10.0.0.5', proto: 17, sport: 41000, addr: '203.0.113.1', port: 61002 },
  { inside: '10.0.0.7', proto: 17, sport: 42000, addr: '203.0.113.1', port: 61003 },
  { inside: '10.0.0.8', proto: 17, sport: 43000, addr: '203.0.113.3', port: 63000 },
] as const;

export function mappingFor(p: Uint8Array, mappings: readonly (typeof MAPPINGS)[number][] = MAPPINGS): (typeof MAPPINGS)[number] | undefined {
  const d = layersOf(p);
  const ip = findLayer(d, 'ipv4');
  const l4 = findLayer(d, 'tcp') ?? findLayer(d, 'udp');
  if (!ip || !l4 || ip.fragOffset !== 0) return undefined;
  return mappings.find((m) => m.inside === ip.src && m.proto === ip.protocol && m.sport === l4.sport);
}

/**
 * The translated first fragment of a fragmented UDP datagram: the whole
 * datagram is put back together from the input's fragments, rebuilt with the
 * new address and port (the builder computes the checksum over all of it),
 * and cut again where the input fragment ends.
 */
function translatedFirstFragment(first: Uint8Array, input: readonly CapturedPacket[], m: (typeof MAPPINGS)[number]): Uint8Array {
  const ip = findLayer(layersOf(first), 'ipv4')!;
  const parts = input
    .map((p) => ({ p: p.data, ip: findLayer(layersOf(p), 'ipv4') }))
    .filter((x) => x.ip && x.ip.src === ip.src && x.ip.id === ip.id)
    .sort((a, b) => a.ip!.fragOffset - b.ip!.fragOffset)
    .map((x) => afterIpv4(x.p));
  const datagram = Uint8Array.from(parts.flatMap((b) => [...b]));
  const dport = (datagram[2]! << 8) | datagram[3]!;
  const translated = packet(ipv4({ src: m.addr, dst: ip.dst }), udp({ sport: m.port, dport }), payload(datagram.subarray(8))).subarray(20);
  const eth = findLayer(layersOf(first), 'ethernet')!;
  return packet(
    ethernet({ dst: eth.dst, src: eth.src }),
    ipv4({ src: m.addr, dst: ip.dst, id: ip.id, flags: ip.flags, ttl: ip.ttl, protocol: 17 }),
    payload(translated.subarray(0, afterIpv4(first).length)),
  );
}

describe('NAT end to end (nat.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('nat');
  });
  afterAll(() => cleanUp(run));

  it('translates exactly the mapped flows, with the checksums a fresh build gives, and passes the rest unchanged', () => {
    const expected = new Map<number, Uint8Array[]>();
    const used = new Set<(typeof MAPPINGS)[number]>();
    for (const p of run.input) {
      const m = mappingFor(p.data);
      if (!m) {
        push(expected, 0, p.data);
        continue;
      }
      used.add(m);
      const ip = findLayer(layersOf(p), 'ipv4')!;
      const fragment = (ip.flags & 1) === 1;
      push(expected, 0, fragment ? translatedFirstFragment(p.data, run.input, m) : rebuild(p.data, { ipSrc: m.addr, sport: m.port }));
    }
    // every mapping is exercised, through both checksum paths
    expect(used.size).toBe(MAPPINGS.length);
    expectOutputs(run, expected, []);
  });

  it('leaves every checksum valid, keeps a UDP checksum of 0 at 0 and sends a computed 0 as 0xffff', () => {
    const out = run.ports.get(0)!;
    const udpSums: number[] = [];
    for (const p of out) {
      const d = layersOf(p);
      const ip = findLayer(d, 'ipv4');
      if (!ip) continue;
      expect(ip.checksumOk).toBe(true);
      if ((ip.flags & 1) === 1 || ip.fragOffset !== 0) continue;
      const l4 = findLayer(d, 'tcp') ?? findLayer(d, 'udp');
      if (l4) expect(l4.checksumOk, flowOf(p)).toBe(true);
      const u = findLayer(d, 'udp');
      if (u && ip.src === '203.0.113.1' && u.sport === 61003) udpSums.push(u.checksum);
      if (u && ip.src === '203.0.113.3') expect(u.checksum).toBe(0xffff);
    }
    expect(udpSums).toEqual([0, 0]);
  });

  it('does not translate a non-first fragment, ICMP, return traffic or near misses', () => {
    const untouched = run.input.filter((p) => !mappingFor(p.data)).map((p) => flowOf(p));
    expect(untouched).toEqual(
      expect.arrayContaining([
        'tcp 10.0.0.9:40000 > 93.184.216.34:80', // unknown host
        'tcp 10.0.0.5:40002 > 93.184.216.34:80', // unknown port
        'udp 10.0.0.5:40000 > 198.51.100.53:53', // the TCP mapping's port, over UDP
        'icmp 10.0.0.5 > 198.51.100.1',
        'tcp 93.184.216.34:80 > 203.0.113.1:61000', // return traffic
        'ipv4-fragment/17 10.0.0.5 > 198.51.100.53',
        'arp',
        'ipv6',
      ]),
    );
  });
});
