/**
 * The firewall end to end: `mpvisor run` on examples/captures/firewall.pcap
 * with firewall.entries.yaml; exactly the denied flows are dropped, the rest
 * passes byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, flowOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

/** The flows firewall.entries.yaml denies, worked out by hand (the capture's other flows are allowed). */
const DENIED = [
  'tcp 10.0.1.7:40001 > 10.0.2.10:22', // SSH into 10.0.2.0/24
  'udp 10.0.1.7:41001 > 10.0.2.10:1000', // UDP 1000–1999, both edges and the middle
  'udp 10.0.1.7:41002 > 10.0.2.10:1500',
  'udp 10.0.1.7:41003 > 10.0.2.10:1999',
  'udp 10.0.1.7:41020 > 10.0.2.10:1500', // the first fragment, which has the UDP header
  'tcp 192.168.66.23:40006 > 10.0.2.10:80', // the blocked network, any protocol
  'udp 192.168.66.23:41010 > 10.0.2.53:53',
  'icmp 192.168.66.23 > 10.0.2.10',
  'icmp 10.0.1.7 > 10.0.3.3', // ICMP into 10.0.3.0/24
  'tcp 10.0.1.7:40010 > 10.0.2.10:6000', // X11 6000–6063
  'tcp 10.0.1.7:40011 > 10.0.2.10:6063',
];
/** Flows that sit just outside a deny rule and must pass. */
const NEAR_MISSES = [
  'tcp 10.0.1.5:40002 > 10.0.2.10:22', // the admin exception (higher priority)
  'tcp 10.0.1.7:40004 > 10.0.4.1:22', // SSH outside 10.0.2.0/24
  'tcp 10.0.1.7:40005 > 10.0.2.10:1500', // TCP in the UDP-only range
  'udp 10.0.1.7:41000 > 10.0.2.10:999',
  'udp 10.0.1.7:41004 > 10.0.2.10:2000',
  'tcp 192.168.67.1:40007 > 10.0.2.10:80', // next to the blocked /24
  'icmp 10.0.1.7 > 10.0.2.10',
  'tcp 10.0.1.7:40012 > 10.0.2.10:6064',
  'ipv4-fragment/17 10.0.1.7 > 10.0.2.10', // a later fragment has no ports to match
  'arp',
  'ipv6',
];

describe('firewall end to end (firewall.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('firewall');
  });
  afterAll(() => cleanUp(run));

  it('drops exactly the denied flows and passes the rest unchanged', () => {
    const flows = new Set(run.input.map((p) => flowOf(p)));
    for (const f of [...DENIED, ...NEAR_MISSES]) expect(flows, f).toContain(f);
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    for (const p of run.input) {
      if (DENIED.includes(flowOf(p))) dropped.push(p.data);
      else push(expected, 0, p.data); // a filter chooses no egress port: port 0
    }
    expectOutputs(run, expected, dropped);
    expect(new Set(run.dropped.map((p) => flowOf(p)))).toEqual(new Set(DENIED));
    expect(new Set(run.ports.get(0)!.map((p) => flowOf(p)))).toEqual(new Set([...flows].filter((f) => !DENIED.includes(f))));
  });
});
