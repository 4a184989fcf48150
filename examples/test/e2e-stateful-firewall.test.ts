/**
 * The stateful firewall end to end: `mpvisor run` on
 * examples/captures/stateful-firewall.pcap; stateful-firewall.entries.json
 * sets 5 packets per 1 s window. The expected verdicts come from a model of
 * fixed per-source windows written here from the NF's documentation.
 */
import { findLayer, loadPipeline } from '@mpvisor/runtime';
import { ReferenceTarget } from '@mpvisor/targets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statefulFirewall } from '../nfs/index.js';
import { cleanUp, expectOutputs, layersOf, push, runShipped, type ShippedRun } from './e2e-helpers.js';

const THRESHOLD = 5;
const WINDOW_US = 1_000_000n;
const FAST = '10.1.0.1';
const SLOW = '10.2.0.2';
const STEADY = '10.3.0.3';

describe('stateful firewall end to end (stateful-firewall.pcap)', () => {
  let run: ShippedRun;
  beforeAll(async () => {
    run = await runShipped('stateful-firewall');
  });
  afterAll(() => cleanUp(run));

  it('blocks the fast source after the threshold in each window; the slow and steady ones always pass', () => {
    // a window starts at a source's first packet after the previous one ran out; more than THRESHOLD packets in it are dropped
    const windows = new Map<string, { start: bigint; count: number }>();
    const expected = new Map<number, Uint8Array[]>();
    const dropped: Uint8Array[] = [];
    const drops = new Map<string, number>();
    const passedTimes: bigint[] = [];
    for (const p of run.input) {
      const ip = findLayer(layersOf(p), 'ipv4');
      if (!ip) {
        push(expected, 0, p.data);
        passedTimes.push(p.timestampNanos);
        continue;
      }
      const now = p.timestampMicros;
      let w = windows.get(ip.src);
      if (!w || now - w.start >= WINDOW_US) windows.set(ip.src, (w = { start: now, count: 0 }));
      w.count++;
      if (w.count > THRESHOLD) {
        dropped.push(p.data);
        drops.set(ip.src, (drops.get(ip.src) ?? 0) + 1);
      } else {
        push(expected, 0, p.data);
        passedTimes.push(p.timestampNanos);
      }
    }
    expect(Object.fromEntries(drops)).toEqual({ [FAST]: 20 }); // 10 in each of its two bursts; nothing from SLOW or STEADY
    expect(run.input.filter((p) => findLayer(layersOf(p), 'ipv4')?.src === STEADY).length).toBe(20);
    expect(run.input.filter((p) => findLayer(layersOf(p), 'ipv4')?.src === SLOW).length).toBe(17);
    expectOutputs(run, expected, dropped);
    // outputs keep their arrival times
    expect(run.ports.get(0)!.map((p) => p.timestampNanos)).toEqual(passedTimes);
  });

  it('shows the per-source state in the summary', () => {
    expect(run.stdout).toMatch(/stateful-firewall\.block\s+hit\s+0\s+miss\s+20\b/);
    expect(run.stdout).toMatch(/register stateful-firewall\.pkt_count: /);
  });

  it("reads the capture's epoch times as v1model's 48-bit microsecond timestamp", () => {
    const target = new ReferenceTarget();
    target.load(loadPipeline(statefulFirewall));
    const first = run.input[0]!;
    expect(first.timestampMicros).toBeGreaterThan(1n << 48n); // 1700000000 s in µs needs 51 bits
    const r = target.process({ port: 1, data: first.data, timestamp: first.timestampMicros }, { trace: true });
    const now = (r.trace ?? []).flatMap((e) => (e.kind === 'stage' ? e.changes : [])).find((c) => c.field === 'meta.now');
    expect(BigInt(now!.to)).toBe(first.timestampMicros % (1n << 48n));
  });
});
