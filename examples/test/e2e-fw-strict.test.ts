/**
 * acme/fw-strict end to end: `mpvisor run` on examples/captures/acme__fw-strict.pcap.
 * Default deny; only its const rules let traffic through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, flowOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

/** The flows fw-strict's const rules allow, worked out by hand; everything else over IPv4 is denied. */
const ALLOWED = [
  'tcp 10.0.5.5:50001 > 93.184.216.34:80', // HTTP
  'tcp 93.184.216.34:80 > 10.0.5.5:50001', // …and its reply (source port 80)
  'tcp 10.0.5.5:50002 > 93.184.216.34:443',
  'tcp 93.184.216.34:443 > 10.0.5.5:50002',
  'udp 10.0.5.5:50003 > 9.9.9.9:53', // DNS
  'udp 9.9.9.9:53 > 10.0.5.5:50003',
  'tcp 10.1.2.3:50004 > 192.0.2.10:22', // SSH from 10.0.0.0/8
];
const DENIED = [
  'tcp 198.51.100.7:50005 > 192.0.2.10:22', // SSH from outside 10.0.0.0/8
  'tcp 192.0.2.10:22 > 10.1.2.3:50004', // SSH replies: no rule matches source port 22
  'tcp 10.0.5.5:50006 > 192.0.2.10:23', // telnet
  'tcp 10.0.5.5:50007 > 9.9.9.9:53', // DNS over TCP: only UDP 53 is allowed
  'udp 10.0.5.5:50008 > 192.0.2.123:33434',
  'icmp 10.0.5.5 > 9.9.9.9',
];

describe('acme/fw-strict end to end (acme__fw-strict.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('acme/fw-strict');
  });
  afterAll(() => cleanUp(run));

  it('passes only web browsing, DNS and SSH from 10.0.0.0/8 (and non-IPv4); drops the rest', () => {
    const flows = new Set(run.input.map((p) => flowOf(p)));
    expect(flows).toEqual(new Set([...ALLOWED, ...DENIED, 'arp', 'ipv6']));
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    for (const p of run.input) {
      if (DENIED.includes(flowOf(p))) dropped.push(p.data);
      else push(expected, 0, p.data);
    }
    expectOutputs(run, expected, dropped);
    expect(run.stdout).toMatch(/acme\/fw-strict\.acl\s+hit\s+\d+\s+miss\s+10\s+entries 7\/8192/);
  });
});
