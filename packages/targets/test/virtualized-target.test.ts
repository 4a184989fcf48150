/**
 * The hypervisor behind the Target interface: every shipped NF, loaded into
 * a VirtualizedTarget and into the ReferenceTarget with the same entries
 * file, gives the same results for its shipped capture, the same digests
 * and the same resource report — at 1 and 3 slots, so packets resubmit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { installEntries, loadPipeline, readCaptureAll, type Target } from '@mpvisor/runtime';
import { ReferenceTarget, VirtualizedTarget } from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import { capturePath, entriesPath, type ShippedNf } from '../../../examples/test/e2e-helpers.js';

const NFS: [ShippedNf, unknown][] = [
  ['l2-switch', programs.l2switch],
  ['firewall', programs.firewall],
  ['router', programs.router],
  ['arp-proxy', programs.arpProxy],
  ['nat', programs.nat],
  ['stateful-firewall', programs.statefulFirewall],
  ['ecmp', programs.ecmp],
  ['acme/fw-strict', programs.fwStrict],
  ['tenant-a', policies.tenantA],
  ['tenant-b', policies.tenantB],
];

describe.each([1, 3])('VirtualizedTarget with %i slots', (slots) => {
  it.each(NFS)('%s: same results, digests and resources as the reference', async (nf, source) => {
    const pipeline = loadPipeline(source);
    const text = readFileSync(entriesPath(nf), 'utf8');
    const packets = (await readCaptureAll(capturePath(nf))).map((p) => ({ port: 1, data: p.data, timestamp: p.timestampMicros }));
    const run = (t: Target) => {
      t.load(pipeline);
      installEntries(t, pipeline, text, entriesPath(nf));
      const results = t.processBatch(packets).map((r) => ({ outputs: r.outputs, dropped: r.dropped, passes: r.passes }));
      return { results, digests: t.drainDigests(), resources: { ...t.resources(), target: '' }, entries: t.read({ kind: 'tableEntry' }) };
    };
    const virtual = new VirtualizedTarget({ image: { slots } });
    const got = run(virtual);
    expect(got).toEqual(run(new ReferenceTarget()));
    expect(virtual.hypervisor.counters(1).packets).toBe(packets.length);
    if (slots === 1) expect(virtual.hypervisor.counters(1).slotPasses).toBeGreaterThan(packets.length);
  });

  it.each(NFS)('%s: the same trace, in the tenant’s names', (nf, source) => {
    const pipeline = loadPipeline(source);
    const text = readFileSync(entriesPath(nf), 'utf8');
    const traces = async (t: Target) => {
      t.load(pipeline);
      installEntries(t, pipeline, text, entriesPath(nf));
      const packets = (await readCaptureAll(capturePath(nf))).slice(0, 40);
      return packets.map((p) => t.process({ port: 1, data: p.data, timestamp: p.timestampMicros }, { trace: true }).trace);
    };
    return Promise.all([traces(new VirtualizedTarget({ image: { slots } })), traces(new ReferenceTarget())]).then(([virtual, native]) => {
      expect(virtual.flat().length).toBeGreaterThan(40);
      expect(virtual).toEqual(native);
    });
  });

  it('refuses what a ReferenceTarget refuses, with the same codes', () => {
    const t = new VirtualizedTarget({ image: { slots } });
    expect(() => t.process({ port: 0, data: new Uint8Array(14) })).toThrow(/no pipeline is loaded/);
    t.load(loadPipeline(programs.router));
    expect(() => t.process({ port: 512, data: new Uint8Array(14) })).toThrow(/ingress port 512 is not in 0\.\.\d+/);
    const bad = t.write([{ type: 'insert', entity: { kind: 'tableEntry', stage: 'nope', matches: [], action: { kind: 'actionCall', action: 'x', args: {} } } }]);
    const ref = new ReferenceTarget();
    ref.load(loadPipeline(programs.router));
    expect(bad).toEqual(ref.write([{ type: 'insert', entity: { kind: 'tableEntry', stage: 'nope', matches: [], action: { kind: 'actionCall', action: 'x', args: {} } } }]));
  });
});
