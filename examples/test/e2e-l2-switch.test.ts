/**
 * The L2 learning switch end to end. First `mpvisor run` on
 * examples/captures/l2-switch.pcap with l2-switch.entries.json (hosts A–D
 * pre-learned): known destinations forwarded, the rest flooded, a
 * `mac_learn` digest for every frame from an unknown source. Then the
 * learning loop a controller closes, on the reference target directly: hosts
 * E and F sit behind ports 5 and 6, their digests are turned into smac/dmac
 * entries, and from then on frames to them are forwarded, not flooded.
 */
import { readFileSync } from 'node:fs';
import {
  ethernet,
  findLayer,
  formatMac,
  installEntries,
  ipv4,
  loadPipeline,
  macToBigInt,
  packet,
  payload,
  readCaptureAll,
  udp,
  type DigestMessage,
  type PacketOut,
  type Update,
} from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l2switch } from '../nfs/index.js';
import { capturePath, cleanUp, entriesPath, expectOutputs, hexes, layersOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

/** l2-switch.entries.json, as the test reads it: the pre-learned hosts and their ports, and the flood group. */
const KNOWN: Record<string, number> = { '02:00:00:00:00:01': 1, '02:00:00:00:00:02': 2, '02:00:00:00:00:03': 3, '02:00:00:00:00:04': 4 };
const FLOOD_PORTS = [1, 2, 3, 4];
const E = '02:00:00:00:00:05';
const F = '02:00:00:00:00:06';

const ports = (outs: readonly PacketOut[]): number[] => outs.map((o) => o.port).sort((a, b) => a - b);

describe('L2 switch end to end (l2-switch.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('l2-switch');
  });
  afterAll(() => cleanUp(run));

  it('forwards known destinations, floods the others to group 1, and sends a digest per unknown source', () => {
    const expected = new Map<number, Uint8Array[]>();
    let unknownSources = 0;
    for (const p of run.input) {
      const eth = findLayer(layersOf(p), 'ethernet')!;
      if (KNOWN[eth.src] === undefined) unknownSources++;
      const port = KNOWN[eth.dst];
      if (port !== undefined) push(expected, port, p.data);
      else for (const f of FLOOD_PORTS) push(expected, f, p.data); // frames leave unchanged
    }
    expect(unknownSources).toBe(16);
    expectOutputs(run, expected, []);
    expect(run.stdout.split('\n')).toContain(`  digests: mac_learn ${unknownSources}`);
    expect(run.stdout).toMatch(/l2-switch\.smac\s+hit\s+36\s+miss\s+16\b/);
  });

  it('learns E and F from their digests, then forwards to them instead of flooding', async () => {
    const pipeline = loadPipeline(l2switch);
    const target = new ReferenceTarget();
    target.load(pipeline);
    installEntries(target, pipeline, readFileSync(entriesPath('l2-switch'), 'utf8'), entriesPath('l2-switch'));
    const behind: Record<string, number> = { ...KNOWN, [E]: 5, [F]: 6 };
    const frames = await readCaptureAll(capturePath('l2-switch'));
    /** Each frame enters on the port of the host that sent it. */
    const send = (data: Uint8Array) => target.process({ port: behind[findLayer(layersOf(data), 'ethernet')!.src]!, data });

    // before: frames to E and F flood, frames from them raise digests
    const toE = frames.filter((p) => findLayer(layersOf(p), 'ethernet')!.dst === E);
    expect(toE.length).toBeGreaterThan(0);
    for (const p of frames) {
      const r = send(p.data);
      const dst = findLayer(layersOf(p), 'ethernet')!.dst;
      if (dst === E || dst === F) expect(ports(r.outputs)).toEqual(FLOOD_PORTS);
    }
    const digests: readonly DigestMessage[] = target.drainDigests();
    expect(digests.length).toBe(16);
    const learned = new Map(digests.map((d) => [formatMac(BigInt(d.values.srcAddr!)), Number(BigInt(d.values.ingressPort!))]));
    expect(Object.fromEntries(learned)).toEqual({ [E]: 5, [F]: 6 });
    expect(digests.every((d) => d.program === 'l2-switch' && d.digest === 'mac_learn')).toBe(true);

    // the controller installs what it learned, as P4Runtime writes
    const hexOf = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;
    const learn = (mac: string, port: number): Update[] => [
      { type: 'insert', entity: { kind: 'tableEntry', stage: 'smac', matches: [{ kind: 'exact', value: hexOf(macToBigInt(mac)) }], action: { kind: 'actionCall', action: 'known', args: {} } } },
      { type: 'insert', entity: { kind: 'tableEntry', stage: 'dmac', matches: [{ kind: 'exact', value: hexOf(macToBigInt(mac)) }], action: { kind: 'actionCall', action: 'forward', args: { port: hexOf(port) } } } },
    ];
    const w = target.write([...learned].flatMap(([mac, port]) => learn(mac, port)), { atomicity: 'rollbackOnError' });
    expect(w.ok).toBe(true);

    // after: the same frames to E and F go to exactly one port, unchanged; no more digests
    for (const p of frames) {
      const r = send(p.data);
      const dst = findLayer(layersOf(p), 'ethernet')!.dst;
      if (dst === E || dst === F) {
        expect(ports(r.outputs)).toEqual([behind[dst]]);
        expect(hexes(r.outputs.map((o) => o.data))).toEqual(hexes([p.data]));
      }
    }
    expect(target.drainDigests()).toEqual([]);

    // a frame from a third, unknown host to E: forwarded to E's port, and reported for learning
    const g = packet(ethernet({ src: '02:00:00:00:00:07', dst: E }), ipv4({ src: '10.0.0.7', dst: '10.0.0.5' }), udp({ sport: 50000, dport: 50001 }), payload('hello'));
    expect(ports(target.process({ port: 7, data: g }).outputs)).toEqual([5]);
    expect(target.drainDigests().map((d) => d.values)).toEqual([{ srcAddr: '0x20000000007', ingressPort: '0x7' }]);
  });
});
