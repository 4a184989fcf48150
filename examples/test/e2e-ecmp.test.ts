/**
 * ECMP end to end: `mpvisor run` on examples/captures/ecmp.pcap with
 * ecmp.entries.json. The expected next hop of each packet is worked out here:
 * the group by longest prefix, the bucket as BMv2's crc16 of the 5-tuple
 * modulo 16, the next hop as bucket mod (next hops in the group); the
 * expected frame is built with the packet library.
 */
import { readFileSync } from 'node:fs';
import { crc16, findLayer, ipv4ToBytes } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECMP_BUCKETS } from '../nfs/index.js';
import { cleanUp, entriesPath, expectOutputs, flowOf, inPrefix, layersOf, push, rebuild, runShipped, type ShippedRun } from './e2e-helpers.js';

/** ecmp.entries.json, as the test reads it: groups, longest prefix first. */
const GROUPS = [
  { prefix: '10.2.128.0/17', ports: [7, 8, 9] },
  { prefix: '10.2.0.0/16', ports: [5, 6] },
  { prefix: '10.1.0.0/16', ports: [1, 2, 3, 4] },
];
const BUCKETS = 16;
const nhopMac = (port: number): string => `02:00:00:00:0b:0${port}`;
const portMac = (port: number): string => `02:00:00:00:ee:0${port}`;

describe('ECMP end to end (ecmp.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('ecmp');
  });
  afterAll(() => cleanUp(run));

  it('the entries fill every bucket the program has', () => {
    expect(ECMP_BUCKETS).toBe(BUCKETS);
    const entries = JSON.parse(readFileSync(entriesPath('ecmp'), 'utf8')) as { tables: { ecmp_nhop: unknown[] } };
    expect(entries.tables.ecmp_nhop.length).toBe(BUCKETS * GROUPS.length);
  });

  it('sends each packet to the next hop its 5-tuple hashes to, TTL − 1, MACs rewritten; spread and stable per flow', () => {
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    const portsOfFlow = new Map<string, Set<number>>();
    const used = new Set<number>();
    for (const p of run.input) {
      const d = layersOf(p);
      const ip = findLayer(d, 'ipv4');
      if (!ip) {
        push(expected, 0, p.data);
        continue;
      }
      const group = GROUPS.find((g) => inPrefix(ip.dst, g.prefix));
      if (ip.ttl <= 1 || !group) {
        dropped.push(p.data);
        continue;
      }
      const l4 = findLayer(d, 'tcp') ?? findLayer(d, 'udp');
      const sport = l4?.sport ?? 0;
      const dport = l4?.dport ?? 0;
      // srcAddr ++ dstAddr ++ protocol ++ srcPort ++ dstPort: 104 bits, 13 bytes
      const tuple = Uint8Array.from([...ipv4ToBytes(ip.src), ...ipv4ToBytes(ip.dst), ip.protocol, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff]);
      const port = group.ports[(crc16(tuple) % BUCKETS) % group.ports.length]!;
      push(expected, port, rebuild(p.data, { ethDst: nhopMac(port), ethSrc: portMac(port), ttl: ip.ttl - 1 }));
      used.add(port);
      const flow = flowOf(p);
      portsOfFlow.set(flow, (portsOfFlow.get(flow) ?? new Set()).add(port));
    }
    expect([...used].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]); // every next hop of every group
    expect(portsOfFlow.size).toBe(84);
    expectOutputs(run, expected, dropped);
    expect(dropped.length).toBe(2);
    // stable per flow, measured on the output itself
    const outPorts = new Map<string, Set<number>>();
    for (const [port, packets] of run.ports) for (const p of packets) if (port !== 0) outPorts.set(flowOf(p), (outPorts.get(flowOf(p)) ?? new Set()).add(port));
    expect(outPorts.size).toBe(84);
    for (const [flow, ports] of outPorts) expect(ports.size, flow).toBe(1);
    // and spread: no next hop of the 4-way group takes more than half its flows
    const perPort = [1, 2, 3, 4].map((port) => [...outPorts.values()].filter((s) => s.has(port)).length);
    for (const n of perPort) expect(n).toBeLessThan(perPort.reduce((a, b) => a + b, 0) / 2);
  });
});
