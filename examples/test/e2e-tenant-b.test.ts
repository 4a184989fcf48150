/**
 * Tenant B's policy end to end: `mpvisor run` on examples/captures/tenant-b.pcap
 * with tenant-b.entries.json — source NAT, then the router for IPv4 packets.
 */
import { findLayer } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, inPrefix, layersOf, push, rebuild, runShipped, type ShippedRun } from './e2e-helpers.js';

describe('tenant B end to end: NAT, then the router for IPv4 (tenant-b.pcap)', () => {
  /** tenant-b.entries.json, as the test reads it. */
  const MAPPINGS = [
    { inside: '10.0.0.5', proto: 6, sport: 40000, addr: '203.0.113.1', port: 61000 },
    { inside: '10.0.0.5', proto: 17, sport: 41000, addr: '203.0.113.1', port: 61002 },
    { inside: '10.0.0.7', proto: 17, sport: 42000, addr: '203.0.113.1', port: 61003 },
  ];
  const PARTNER = { port: 3, dmac: '02:00:00:00:c0:02', smac: '02:00:00:00:0b:03' }; // 192.0.2.0/24
  const UPSTREAM = { port: 2, dmac: '02:00:00:00:fe:01', smac: '02:00:00:00:0b:02' }; // the default route

  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('tenant-b');
  });
  afterAll(() => cleanUp(run));

  it('translates the mapped flows, routes every IPv4 packet with TTL − 1, and lets the rest skip the router', () => {
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    let translated = 0;
    for (const p of run.input) {
      const d = layersOf(p);
      const ip = findLayer(d, 'ipv4');
      if (!ip) {
        push(expected, 0, p.data);
        continue;
      }
      const l4 = findLayer(d, 'tcp') ?? findLayer(d, 'udp');
      const m = MAPPINGS.find((x) => x.inside === ip.src && x.proto === ip.protocol && x.sport === l4?.sport);
      if (ip.ttl <= 1) {
        dropped.push(p.data); // the drop capture keeps the packet as it came in
        continue;
      }
      const hop = inPrefix(ip.dst, '192.0.2.0/24') ? PARTNER : UPSTREAM;
      if (m) translated++;
      push(expected, hop.port, rebuild(p.data, { ethDst: hop.dmac, ethSrc: hop.smac, ttl: ip.ttl - 1, ...(m ? { ipSrc: m.addr, sport: m.port } : {}) }));
    }
    expect(translated).toBe(16);
    expect(dropped.length).toBe(1);
    expectOutputs(run, expected, dropped);
    for (const port of [2, 3]) {
      for (const p of run.ports.get(port)!) {
        const d = layersOf(p);
        expect(findLayer(d, 'ipv4')!.checksumOk).toBe(true);
        const l4 = findLayer(d, 'tcp') ?? findLayer(d, 'udp')!;
        expect(l4.checksumOk).toBe(true);
      }
    }
  });
});
