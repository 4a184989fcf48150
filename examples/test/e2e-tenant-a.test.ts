/**
 * Tenant A's policy end to end: `mpvisor run` on examples/captures/tenant-a.pcap
 * with tenant-a.entries.yaml — the L2 switch, then the firewall.
 */
import { findLayer } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, flowOf, layersOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

describe('tenant A end to end: L2 switch, then firewall (tenant-a.pcap)', () => {
  /** tenant-a.entries.yaml, as the test reads it. */
  const KNOWN: Record<string, number> = { '02:00:00:00:00:01': 1, '02:00:00:00:00:02': 2, '02:00:00:00:00:03': 3, '02:00:00:00:00:04': 4 };
  const FLOOD_PORTS = [1, 2, 3, 4];
  /** The firewall's two deny rules: TCP to port 23, anything from 10.0.0.102. */
  const denied = (p: Uint8Array): boolean => {
    const d = layersOf(p);
    const ip = findLayer(d, 'ipv4');
    if (!ip) return false;
    return ip.src === '10.0.0.102' || (ip.protocol === 6 && findLayer(d, 'tcp')?.dport === 23);
  };

  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('tenant-a');
  });
  afterAll(() => cleanUp(run));

  it('switches what the firewall allows, drops what it denies (flooded or not), and learns unknown sources', () => {
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    let unknownSources = 0;
    for (const p of run.input) {
      const eth = findLayer(layersOf(p), 'ethernet')!;
      if (KNOWN[eth.src] === undefined) unknownSources++; // the switch runs first: a denied frame is still learned
      if (denied(p.data)) {
        dropped.push(p.data);
        continue;
      }
      const port = KNOWN[eth.dst];
      if (port !== undefined) push(expected, port, p.data);
      else for (const f of FLOOD_PORTS) push(expected, f, p.data);
    }
    expect(dropped.length).toBe(6);
    expect(new Set(dropped.map((d) => flowOf(d)))).toEqual(
      new Set(['tcp 10.0.0.1:50010 > 10.0.0.3:23', 'tcp 10.0.0.1:50011 > 10.0.0.3:23', 'tcp 10.0.0.1:50012 > 10.0.0.3:23', 'udp 10.0.0.102:50040 > 10.0.0.1:50100', 'udp 10.0.0.102:50041 > 10.0.0.1:50100', 'udp 10.0.0.102:50042 > 10.0.0.1:50100']),
    );
    expectOutputs(run, expected, dropped);
    expect(run.stdout.split('\n')).toContain(`  digests: mac_learn ${unknownSources}`);
    // ARP from the quarantined host is flooded: the firewall only looks at IPv4
    expect(run.ports.get(2)!.filter((p) => flowOf(p) === 'arp').length).toBe(3);
  });
});
