/**
 * The ARP proxy end to end: `mpvisor run` on examples/captures/arp-proxy.pcap
 * with arp-proxy.entries.json; each reply is compared byte for byte with one
 * built here (RFC 826), everything else must pass unchanged.
 */
import { arp, ethernet, findLayer, fromHex, packet, payload } from '@mpvisor/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, expectOutputs, hexes, layersOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

/** arp-proxy.entries.json, as the test reads it: proxied address → MAC. */
const PROXIED: Record<string, string> = { '10.0.0.10': '02:aa:00:00:00:10', '10.0.0.20': '02:aa:00:00:00:20', '10.0.0.30': '02:aa:00:00:00:30' };
/** Every packet enters on port 1; a reply leaves by the port its request came in on. */
const IN_PORT = 1;

describe('ARP proxy end to end (arp-proxy.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('arp-proxy');
  });
  afterAll(() => cleanUp(run));

  it('answers requests for proxied addresses with the exact reply, out of the ingress port; passes everything else on', () => {
    const expected = new Map<number, Uint8Array[]>();
    for (const p of run.input) {
      const d = layersOf(p);
      const a = findLayer(d, 'arp');
      const mac = a && a.op === 1 && a.hwType === 1 && a.protoType === 0x0800 ? PROXIED[a.targetIp] : undefined;
      if (!a || mac === undefined) {
        push(expected, 0, p.data);
        continue;
      }
      const eth = findLayer(d, 'ethernet')!;
      const padding = p.data.subarray(a.offset + a.length); // minimum-size padding stays
      push(
        expected,
        IN_PORT,
        packet(
          ethernet({ dst: eth.src, src: mac }),
          arp({ op: 'reply', senderMac: mac, senderIp: a.targetIp, targetMac: a.senderMac, targetIp: a.senderIp }),
          payload(padding),
        ),
      );
    }
    expect(expected.get(IN_PORT)?.length).toBe(15);
    expectOutputs(run, expected, []);
  });

  it('writes this reply, byte for byte', () => {
    // the first request of the capture: 02:00:00:00:03:04 (10.0.0.104) asks who has 10.0.0.10, in a padded frame
    expect(hexes([run.input[0]!])[0]).toBe(
      'ffffffffffff' + '020000000304' + '0806' + '0001' + '0800' + '06' + '04' + '0001' + '020000000304' + '0a000068' + '000000000000' + '0a00000a' + '00'.repeat(18),
    );
    const reply = fromHex(
      '020000000304 02aa00000010 0806 0001 0800 06 04 0002 02aa00000010 0a00000a 020000000304 0a000068' + ' 00'.repeat(18),
    );
    expect(hexes([run.ports.get(IN_PORT)![0]!])).toEqual(hexes([reply]));
  });
});
