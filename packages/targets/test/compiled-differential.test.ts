/**
 * The compiled target against the reference, byte for byte (compiled fast
 * path issue): every example NF and both policies, with their shipped
 * entries, give the same outcome for the same 10,000+ packets (outputs,
 * drops, passes, digests) and end in the same control-plane state (tables'
 * hits and misses, direct counters, registers, counters). Also: entries
 * written between packets are seen by the next packet, a failed
 * all-or-nothing batch changes nothing, `processBatch` equals `process`, a
 * traced packet runs on the reference interpreter, and a program run by the
 * reference interpreter (the fallback) chains with compiled ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyMatch } from '@mpvisor/mpapi';
import { ethernet, hex, ipv4, loadPipeline, packet, payload, udp, type PacketIn, type Update } from '@mpvisor/runtime';
import { CompiledTarget, ReferenceTarget, type CompiledTargetOptions } from '@mpvisor/targets';
import { programs } from '../../../examples/nfs/index.js';
import { finalState, MIN_PACKETS_PER_NF, nativeRuns, NFS, outcome, type NativeRun, type Setup } from './support/differential.js';

let setups: Awaited<ReturnType<typeof nativeRuns>>;

beforeAll(async () => {
  setups = await nativeRuns();
}, 120_000);

function loaded(setup: Setup, options: CompiledTargetOptions = {}): CompiledTarget {
  const t = new CompiledTarget(options);
  t.load(setup.pipeline);
  const w = t.write(setup.updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`compiled: the entries do not install: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  return t;
}

function runCompiled(setup: Setup, native: NativeRun, options: CompiledTargetOptions = {}) {
  const t = loaded(setup, options);
  const mismatches: string[] = [];
  setup.generated.packets.forEach((p, i) => {
    const got = outcome(t.process(p), t.drainDigests());
    if (got !== native.outcomes[i] && mismatches.length < 3) mismatches.push(`packet ${i} port ${p.port}:\n  native   ${native.outcomes[i]}\n  compiled ${got}`);
  });
  const tables = t.resources().tables.map(({ program, stage, hits, misses }) => ({ program, stage, hits, misses }));
  return { mismatches, state: finalState((r) => t.read(r), tables), target: t };
}

describe('compiled target against the reference', () => {
  it.each(NFS.map((n) => n.nf))('%s: byte-identical outcomes and final state', (nf) => {
    const { setup, native } = setups.get(nf)!;
    expect(setup.generated.packets.length).toBeGreaterThanOrEqual(MIN_PACKETS_PER_NF);
    const run = runCompiled(setup, native);
    expect(run.mismatches).toEqual([]);
    expect(run.state).toEqual(native.state);
    // every program of the pipeline really ran compiled
    expect(run.target.compiledPrograms().every((p) => p.compiled)).toBe(true);
  });

  it.each(['tenant-a', 'tenant-b', 'stateful-firewall'])('%s: processBatch gives what process gives', (nf) => {
    const { setup, native } = setups.get(nf)!;
    const t = loaded(setup);
    const packets = setup.generated.packets;
    const BATCH = 500;
    const withoutDigests = (o: string): string => o.replace(/ digests=.*$/, '');
    const digestsOf = (o: string): string => o.replace(/^.* digests=\[(.*)\]$/, '$1');
    for (let i = 0; i < packets.length; i += BATCH) {
      const results = t.processBatch(packets.slice(i, i + BATCH));
      const want = native.outcomes.slice(i, i + BATCH);
      // outputs, drops and passes per packet; the batch's digests in order (they are drained once per batch)
      expect(results.map((r) => withoutDigests(outcome(r, [])))).toEqual(want.map(withoutDigests));
      expect(outcome({ outputs: [], passes: 0 }, t.drainDigests()).replace(/^.* digests=\[(.*)\]$/, '$1')).toBe(want.map(digestsOf).filter((d) => d !== '').join(' '));
    }
    const tables = t.resources().tables.map(({ program, stage, hits, misses }) => ({ program, stage, hits, misses }));
    expect(finalState((r) => t.read(r), tables)).toEqual(native.state);
  });

  it.each(['tenant-b', 'firewall'])('%s: the same with one program run by the reference interpreter (fallback)', (nf) => {
    const { setup, native } = setups.get(nf)!;
    const fallback = nf === 'tenant-b' ? 'nat' : 'firewall';
    const run = runCompiled(setup, native, { interpret: [fallback] });
    expect(run.mismatches).toEqual([]);
    expect(run.state).toEqual(native.state);
    expect(run.target.compiledPrograms().find((p) => p.program === fallback)?.compiled).toBe(false);
    expect(run.target.source(fallback)).toMatch(/run by the reference interpreter/);
  });
});

// ---------------------------------------------------------------- reconfiguration

const exact = (v: number | bigint): KeyMatch => ({ kind: 'exact', value: `0x${v.toString(16)}` });
const lpm = (v: number, prefixLength: number): KeyMatch => ({ kind: 'lpm', value: `0x${v.toString(16)}`, prefixLength });
const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const mac = (s: string): bigint => BigInt(`0x${s.replace(/:/g, '')}`);

function frame(dst: string, src = '02:00:00:00:00:01', dstIp = '10.0.1.7'): PacketIn {
  return { port: 3, data: packet(ethernet({ dst, src }), ipv4({ src: '10.9.9.9', dst: dstIp, ttl: 64 }), udp({ sport: 1000, dport: 2000 }), payload(8)) };
}

describe('reconfiguration between packets', () => {
  it('an entry written between two packets is seen by the next packet, and a deleted one is gone', () => {
    const t = new CompiledTarget();
    t.load(loadPipeline(programs.l2switch));
    t.write([{ type: 'insert', entity: { kind: 'multicastGroup', id: 1, replicas: [{ port: 9, instance: 1 }] } }]);
    const p = frame('02:00:00:00:00:42');
    expect(t.process(p).outputs.map((o) => o.instance)).toEqual(['replica']);
    const fwd: Update = {
      type: 'insert',
      entity: { kind: 'tableEntry', stage: 'dmac', matches: [exact(mac('02:00:00:00:00:42'))], action: { kind: 'actionCall', action: 'forward', args: { port: '0x5' } } },
    };
    expect(t.write([fwd]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => [o.port, o.instance])).toEqual([[5, 'normal']]);
    // modify, then delete
    expect(t.write([{ ...fwd, type: 'modify', entity: { ...fwd.entity, action: { kind: 'actionCall', action: 'forward', args: { port: '0x6' } } } as typeof fwd.entity }]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([6]);
    expect(t.write([{ ...fwd, type: 'delete' }]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.instance)).toEqual(['replica']);
    // a new default action
    expect(t.write([{ type: 'modify', entity: { kind: 'defaultAction', stage: 'dmac', action: { kind: 'actionCall', action: 'forward', args: { port: '0x7' } } } }]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([7]);
  });

  it('a longer prefix installed later wins from the next packet on; its removal restores the shorter one', () => {
    const t = new CompiledTarget();
    t.load(loadPipeline(programs.router));
    const route = (prefix: number, len: number, port: number): Update => ({
      type: 'insert',
      entity: { kind: 'tableEntry', stage: 'ipv4_lpm', matches: [lpm(prefix, len)], action: { kind: 'actionCall', action: 'set_nhop', args: { nhop: '0xa000101', port: `0x${port.toString(16)}` } } },
    });
    const nhop: Update = {
      type: 'insert',
      entity: { kind: 'tableEntry', stage: 'forward', matches: [exact(ip('10.0.1.1'))], action: { kind: 'actionCall', action: 'set_dmac', args: { dmac: '0x20000000001', smac: '0x20000000002' } } },
    };
    expect(t.write([route(ip('10.0.0.0'), 8, 1), nhop]).ok).toBe(true);
    const p = frame('02:00:00:00:00:99', undefined, '10.0.1.7');
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([1]);
    expect(t.write([route(ip('10.0.1.0'), 24, 2)]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([2]);
    expect(t.write([{ ...route(ip('10.0.1.0'), 24, 2), type: 'delete' }]).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([1]);
  });

  it('a rollbackOnError batch with a failing update changes nothing, for the next packet as for read()', () => {
    const t = new CompiledTarget();
    t.load(loadPipeline(programs.l2switch));
    t.write([{ type: 'insert', entity: { kind: 'multicastGroup', id: 1, replicas: [{ port: 9, instance: 1 }] } }]);
    const p = frame('02:00:00:00:00:42');
    const good: Update = {
      type: 'insert',
      entity: { kind: 'tableEntry', stage: 'dmac', matches: [exact(mac('02:00:00:00:00:42'))], action: { kind: 'actionCall', action: 'forward', args: { port: '0x5' } } },
    };
    const bad: Update = {
      type: 'insert',
      entity: { kind: 'tableEntry', stage: 'dmac', matches: [exact(mac('02:00:00:00:00:43'))], action: { kind: 'actionCall', action: 'forward', args: { port: '0x200' } } },
    };
    const before = t.read({ kind: 'tableEntry' });
    const w = t.write([good, bad], { atomicity: 'rollbackOnError' });
    expect(w.ok).toBe(false);
    expect(w.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ABORTED', 'INVALID_ARGUMENT']);
    expect(t.read({ kind: 'tableEntry' })).toEqual(before);
    expect(t.process(p).outputs.map((o) => o.instance)).toEqual(['replica']);
    // the same batch without the bad update goes through, whole, before the next packet
    expect(t.write([good], { atomicity: 'rollbackOnError' }).ok).toBe(true);
    expect(t.process(p).outputs.map((o) => o.port)).toEqual([5]);
  });

  it('a learning switch: digests install entries packet by packet, as on the reference', () => {
    const targets = [new ReferenceTarget(), new CompiledTarget()] as const;
    const logs = targets.map((t) => {
      t.load(loadPipeline(programs.l2switch));
      t.write([{ type: 'insert', entity: { kind: 'multicastGroup', id: 1, replicas: [1, 2, 3, 4].map((port) => ({ port, instance: port })) } }]);
      const log: string[] = [];
      for (let i = 0; i < 400; i++) {
        const src = `02:00:00:00:00:${(1 + (i % 4)).toString(16).padStart(2, '0')}`;
        const dst = `02:00:00:00:00:${(1 + ((i * 7) % 5)).toString(16).padStart(2, '0')}`;
        const r = t.process({ ...frame(dst, src), port: 1 + (i % 4) });
        const ds = t.drainDigests();
        log.push(outcome(r, ds));
        // the controller learns: smac known, dmac forwards to the port it came from
        for (const d of ds) {
          const addr = d.values['srcAddr']!;
          const port = d.values['ingressPort']!;
          t.write([
            { type: 'insert', entity: { kind: 'tableEntry', stage: 'smac', matches: [{ kind: 'exact', value: addr }], action: { kind: 'actionCall', action: 'known', args: {} } } },
            { type: 'insert', entity: { kind: 'tableEntry', stage: 'dmac', matches: [{ kind: 'exact', value: addr }], action: { kind: 'actionCall', action: 'forward', args: { port } } } },
          ]);
        }
      }
      return { log, state: t.read({ kind: 'tableEntry' }), tables: t.resources().tables };
    });
    expect(logs[1]).toEqual(logs[0]);
  });
});

describe('trace and inspection', () => {
  it('a traced packet runs on the reference interpreter: the same trace, the same state', () => {
    const { setup } = setups.get('tenant-b')!;
    const ref = new ReferenceTarget();
    ref.load(setup.pipeline);
    ref.write(setup.updates);
    const t = loaded(setup);
    for (const p of setup.generated.packets.slice(0, 200)) {
      const want = ref.process(p, { trace: true });
      const got = t.process(p, { trace: true });
      expect(got.trace).toEqual(want.trace);
      expect(outcome(got, t.drainDigests())).toBe(outcome(want, ref.drainDigests()));
      // untraced packets in between keep the shared state in step
      expect(outcome(t.process(p), t.drainDigests())).toBe(outcome(ref.process(p), ref.drainDigests()));
    }
    expect(t.resources().tables).toEqual(ref.resources().tables.map((x) => x));
  });

  it('source() shows the generated JavaScript of each program', () => {
    const { setup } = setups.get('tenant-a')!;
    const t = loaded(setup);
    expect(t.source('l2-switch')).toMatch(/function step\(d, S, R\)/);
    expect(t.source('firewall')).toMatch(/stage acl \(priority\)/);
    expect(t.source()).toContain('l2-switch');
    expect(() => t.source('nope')).toThrow(/INVALID_ARGUMENT/);
  });

  it('a packet the NF leaves as it was is forwarded without a copy; a changed one is a new array, the input untouched', () => {
    const t = new CompiledTarget();
    t.load(loadPipeline(programs.l2switch));
    const p = frame('02:00:00:00:00:42');
    t.write([{ type: 'insert', entity: { kind: 'tableEntry', stage: 'dmac', matches: [exact(mac('02:00:00:00:00:42'))], action: { kind: 'actionCall', action: 'forward', args: { port: '0x5' } } } }]);
    for (const data of [p.data, Buffer.from(p.data)]) {
      const out = t.process({ ...p, data }).outputs[0]!;
      expect(out.port).toBe(5);
      expect(out.data).toBe(data);
    }
    // the router rewrites MACs and the TTL: its output is its own array, and the input keeps its bytes
    const router = new CompiledTarget();
    const ref = new ReferenceTarget();
    for (const x of [router, ref]) {
      x.load(loadPipeline(programs.router));
      const written = x.write(setups.get('router')!.setup.updates, { atomicity: 'rollbackOnError' });
      expect(written.ok).toBe(true);
    }
    const packets = setups.get('router')!.setup.generated.packets.slice(0, 400);
    let changed = 0;
    for (const q of packets) {
      const before = hex(q.data);
      const got = router.process(q);
      const want = ref.process(q);
      expect(got.outputs.map((o) => hex(o.data))).toEqual(want.outputs.map((o) => hex(o.data)));
      for (const o of got.outputs) if (hex(o.data) !== before) (changed++, expect(o.data).not.toBe(q.data));
      expect(hex(q.data)).toBe(before);
    }
    expect(changed).toBeGreaterThan(100);
  });
});

describe('API misuse, as DeviceTarget checks it', () => {
  it.each([
    ['a port out of range', { port: 511, data: new Uint8Array(14) }],
    ['a negative port', { port: -1, data: new Uint8Array(14) }],
    ['a fractional port', { port: 1.5, data: new Uint8Array(14) }],
    ['a port that is not a number', { port: '3' as unknown as number, data: new Uint8Array(14) }],
    ['a BigInt port', { port: 3n as unknown as number, data: new Uint8Array(14) }],
    ['data that is not a Uint8Array', { port: 1, data: [1, 2, 3] as unknown as Uint8Array }],
  ])('%s: the same INVALID_ARGUMENT from process and processBatch', (_, p) => {
    const ref = new ReferenceTarget();
    const t = new CompiledTarget();
    for (const x of [ref, t]) x.load(loadPipeline(programs.l2switch));
    const message = (f: () => unknown): string => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return String(e);
      }
    };
    expect(message(() => t.process(p))).toBe(message(() => ref.process(p)));
    expect(message(() => t.processBatch([p]))).toBe(message(() => ref.processBatch([p])));
    expect(message(() => t.process(p))).toMatch(/INVALID_ARGUMENT/);
  });

  it('nothing loaded: FAILED_PRECONDITION', () => {
    const t = new CompiledTarget();
    expect(() => t.process({ port: 1, data: new Uint8Array(1) })).toThrow(/FAILED_PRECONDITION/);
    expect(() => t.processBatch([])).toThrow(/FAILED_PRECONDITION/);
    expect(() => t.write([])).toThrow(/FAILED_PRECONDITION/);
    expect(() => t.source()).toThrow(/FAILED_PRECONDITION/);
  });
});
