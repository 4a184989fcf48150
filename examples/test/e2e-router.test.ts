/**
 * The router end to end: `mpvisor run` on examples/captures/router.pcap with
 * router.entries.json, output bytes against packets built here.
 */
import { findLayer } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, layersOf, push, rebuild, runShipped, type ShippedRun } from './e2e-helpers.js';

/** The next hop each destination of the capture must take, worked out by hand from router.entries.json. */
const P1 = { port: 1, dmac: '02:00:00:00:0a:01', smac: '02:00:00:00:01:01' }; // 10.0.1.0/24
const P2 = { port: 2, dmac: '02:00:00:00:0a:81', smac: '02:00:00:00:01:02' }; // 10.0.1.128/25
const P3 = { port: 3, dmac: '02:00:00:00:0a:c8', smac: '02:00:00:00:01:03' }; // 10.0.1.200/32
const P4 = { port: 4, dmac: '02:00:00:00:ff:01', smac: '02:00:00:00:01:04' }; // 10.0.0.0/8
const P5 = { port: 5, dmac: '02:00:00:00:c0:01', smac: '02:00:00:00:01:05' }; // 192.168.0.0/16
const BY_DESTINATION: Record<string, typeof P1 | 'drop'> = {
  '10.0.1.7': P1,
  '10.0.1.127': P1, // the last address below the /25
  '10.0.1.130': P2, // the /25 beats the /24
  '10.0.1.201': P2, // next to the /32, still the /25
  '10.0.1.200': P3, // the /32 beats the /25 and the /24
  '10.9.8.7': P4, // only the /8
  '192.168.3.4': P5,
  '172.16.5.5': 'drop', // a route whose next hop has no `forward` entry
  '198.51.100.9': 'drop', // a blackhole route (action drop)
  '203.0.113.9': 'drop', // no route at all
};

describe('router end to end (router.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('router');
  });
  afterAll(() => cleanUp(run));

  it('routes every packet to the right port with TTL − 1, a fresh header checksum and rewritten MACs; drops the rest', () => {
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const p of run.input) {
      const ip = findLayer(layersOf(p), 'ipv4');
      if (!ip) {
        push(expected, 0, p.data); // not IPv4: untouched, no egress port chosen
        continue;
      }
      const hop = BY_DESTINATION[ip.dst];
      if (hop === undefined) throw new Error(`the capture has a destination the test does not know: ${ip.dst}`);
      seen.add(ip.dst);
      if (ip.ttl <= 1 || hop === 'drop') dropped.push(p.data);
      else push(expected, hop.port, rebuild(p.data, { ethDst: hop.dmac, ethSrc: hop.smac, ttl: ip.ttl - 1 }));
    }
    expect([...seen].sort()).toEqual(Object.keys(BY_DESTINATION).sort());
    expectOutputs(run, expected, dropped);
  });

  it('writes valid IPv4 header checksums, also over options', () => {
    let withOptions = 0;
    for (const [port, packets] of run.ports) {
      if (port === 0) continue;
      for (const p of packets) {
        const ip = findLayer(layersOf(p), 'ipv4')!;
        expect(ip.checksumOk).toBe(true);
        if (ip.options.length > 0) withOptions++;
      }
    }
    expect(withOptions).toBe(2);
  });

  it('drops TTL 0 and 1 before any lookup, and sends TTL 2 out with TTL 1', () => {
    const ttlOf = (d: Uint8Array): number => findLayer(layersOf(d), 'ipv4')?.ttl ?? -1;
    expect(run.dropped.map((p) => ttlOf(p.data)).filter((t) => t <= 1).sort()).toEqual([0, 1, 1]);
    const lastHop = [...run.ports.values()].flat().filter((p) => ttlOf(p.data) === 1);
    expect(lastHop.length).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/router\.ttl_expired\s+hit\s+0\s+miss\s+3\b/);
  });
});
