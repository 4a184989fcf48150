/**
 * Live management of the hypervisor with real packets (HyperV §IV; P4NFV
 * §IV-B): vPDPs created and deleted while packets flow, pipeline
 * manipulation (a program toggled out of a chain and back), program reload
 * with register state carried over, neighbours left untouched by a
 * reinstall, and installs that fail leaving everything as it was.
 *
 * Expected results come from the native ReferenceTarget running the same
 * NF with the same entries (and, for stateful NFs, the same packets in the
 * same order), never from the hypervisor itself.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bit, MpvisorError, policy, programFromIR, type Program } from '@mpvisor/mpapi';
import {
  arp,
  dissect,
  entriesToUpdates,
  ethernet,
  findLayer,
  hex,
  Hypervisor,
  ipv4,
  loadPipeline,
  packet,
  parseEntriesFile,
  payload,
  readCaptureAll,
  tcp,
  udp,
  writeDescriptionHeader,
  type ClassifierRule,
  type Entity,
  type HypervisorResult,
  type PacketIn,
  type PacketOut,
  type Pipeline,
  type PipelineSource,
  type ProcessResult,
  type Update,
  type VpdpOptions,
} from '@mpvisor/runtime';
import { ReferenceSlotEngine, ReferenceTarget } from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import { capturePath, entriesPath } from '../../../examples/test/e2e-helpers.js';

// ---------------------------------------------------------------- helpers

/** A result as compared: drop reason and outputs with their bytes in hex. */
const outcome = (r: { readonly dropped?: string | undefined; readonly outputs: readonly PacketOut[] }) => ({
  dropped: r.dropped ?? null,
  outputs: r.outputs.map((o) => ({ port: o.port, instance: o.instance, rid: o.rid ?? null, data: hex(o.data) })),
});

interface Config {
  readonly source: PipelineSource;
  readonly pipeline: Pipeline;
  readonly updates: readonly Update[];
}

function config(source: PipelineSource, entries: string | object, file = 'entries.json'): Config {
  const pipeline = loadPipeline(source);
  const text = typeof entries === 'string' ? entries : JSON.stringify(entries);
  return { source, pipeline, updates: entriesToUpdates(parseEntriesFile(text, file), pipeline, file).updates };
}

/** The native reference with a configuration loaded. */
function native(c: Config): ReferenceTarget {
  const t = new ReferenceTarget();
  t.load(c.pipeline);
  const w = t.write(c.updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`native: entries refused: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  return t;
}

const portRules = (vpdp: number, ports: readonly number[]): ClassifierRule[] => ports.map((port) => ({ kind: 'port' as const, port, vpdp }));

function install(hv: Hypervisor, vpdp: number, c: Config) {
  const report = hv.install(vpdp, c.source);
  const w = hv.tenant(vpdp).write(c.updates, 'rollbackOnError');
  expect(w.results.filter((r) => !r.ok)).toEqual([]);
  return report;
}

/** Everything a tenant's control plane can read of its vPDP. */
function snapshot(hv: Hypervisor, vpdp: number): Record<string, Entity[]> {
  const t = hv.tenant(vpdp);
  return {
    tableEntry: t.read({ kind: 'tableEntry' }),
    defaultAction: t.read({ kind: 'defaultAction' }),
    register: t.read({ kind: 'register' }),
    counter: t.read({ kind: 'counter' }),
    directCounter: t.read({ kind: 'directCounter' }),
    meter: t.read({ kind: 'meter' }),
    multicastGroup: t.read({ kind: 'multicastGroup' }),
    cloneSession: t.read({ kind: 'cloneSession' }),
  };
}

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof MpvisorError) return e.code;
    return `not an MpvisorError: ${String(e)}`;
  }
  return 'no error';
};

const isIpv4 = (data: Uint8Array): boolean => findLayer(dissect(data), 'ipv4') !== undefined;

// ---------------------------------------------------------------- tenants

/** Tenant A: policies.tenantA (l2switch >> firewall) with the shipped entries; ports 1..4 and flood group 1, as the entries use. */
const A = 1;
const A_SPEC: VpdpOptions = { id: A, name: 'tenant-a', ports: [1, 2, 3, 4], multicastGroups: [1] };
const tenantAConfig = (): Config => config(policies.tenantA, readFileSync(entriesPath('tenant-a'), 'utf8'), entriesPath('tenant-a'));

/** The shipped router entries with every egress port moved by `offset`. */
function routerEntries(offset: number): object {
  const file = JSON.parse(readFileSync(entriesPath('router'), 'utf8')) as { tables: { ipv4_lpm: { args?: { port?: number } }[] } };
  for (const e of file.tables.ipv4_lpm) if (e.args?.port !== undefined) e.args.port += offset;
  return file;
}

/** Tenant A's packets: the shipped capture, and built ones the firewall decides on (telnet, the quarantined host). */
async function packetsOfA(): Promise<PacketIn[]> {
  const shipped = (await readCaptureAll(capturePath('tenant-a'))).map((p) => ({ port: 1, data: p.data }));
  const host = (n: number) => ({ mac: `02:00:00:00:00:0${n}`, ip: `10.0.0.${100 + n}` });
  const built: PacketIn[] = [];
  for (const [from, to] of [[1, 2], [2, 3], [3, 4], [4, 1], [1, 9]] as const) {
    const s = host(from);
    const d = host(to);
    const l2 = ethernet({ src: s.mac, dst: d.mac });
    for (const dport of [23, 22, 80]) built.push({ port: from, data: packet(l2, ipv4({ src: s.ip, dst: d.ip }), tcp({ sport: 40000 + dport, dport }), payload('hello')) });
    built.push({ port: from, data: packet(l2, ipv4({ src: s.ip, dst: d.ip }), udp({ sport: 5000, dport: 53 }), payload('q')) });
  }
  built.push({ port: 2, data: packet(ethernet({ src: host(2).mac }), arp({ op: 'request', senderMac: host(2).mac, senderIp: host(2).ip, targetIp: host(3).ip })) });
  return [...shipped, ...built];
}

/** Packets for a router vPDP: the router capture entering at `port`. */
async function routerPackets(port: number, ipv4Only: boolean): Promise<PacketIn[]> {
  return (await readCaptureAll(capturePath('router'))).filter((p) => !ipv4Only || isIpv4(p.data)).map((p) => ({ port, data: p.data }));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// ---------------------------------------------------------------- tests

describe('hypervisor live management', () => {
  it('create and delete vPDPs while packets flow: a deleted vPDP’s packets are unclassified, the others are unaffected', async () => {
    // A: tenant-a on 1..4; B: router on 0 and 8..15 (shipped routes, ports + 8); C: router on 16..23 (ports + 16), created later
    const B = 2;
    const C = 3;
    const B_SPEC: VpdpOptions = { id: B, name: 'router-b', ports: [0, ...range(8, 15)] };
    const C_SPEC: VpdpOptions = { id: C, name: 'router-c', ports: range(16, 23) };
    const a = tenantAConfig();
    const b = config(programs.router, routerEntries(8));
    const c = config(programs.router, routerEntries(16));
    const pa = await packetsOfA();
    const pb = await routerPackets(8, false);
    const pc = await routerPackets(16, true); // C has no port 0, where the router leaves non-IPv4 packets
    const [na, nb, nc] = [native(a), native(b), native(c)];
    const want = { a: pa.map((p) => outcome(na.process(p))), b: pb.map((p) => outcome(nb.process(p))), c: pc.map((p) => outcome(nc.process(p))) };
    expect(want.c.flatMap((o) => o.outputs).every((o) => C_SPEC.ports.includes(o.port))).toBe(true);
    expect(want.c.filter((o) => o.outputs.length > 0).length).toBeGreaterThan(10);

    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp(A_SPEC);
    hv.createVpdp(B_SPEC);
    hv.setClassifier([...portRules(A, A_SPEC.ports), ...portRules(B, B_SPEC.ports)]);
    install(hv, A, a);
    install(hv, B, b);

    type State = 'run' | 'unclassified' | 'noPolicy';
    /** One round: A, B and C packets interleaved, each checked against what its vPDP's state says; returns the mismatches. */
    const round = (state: { a: State; b: State; c: State }, events: Map<number, () => void> = new Map()): string[] => {
      const bad: string[] = [];
      const check = (who: 'a' | 'b' | 'c', id: number, i: number, r: HypervisorResult): void => {
        const s = state[who];
        const got = { vpdp: r.vpdp ?? null, ...outcome(r) };
        const expected =
          s === 'run'
            ? { vpdp: id, ...want[who][i]! }
            : s === 'unclassified'
              ? { vpdp: null, dropped: 'unclassified', outputs: [] }
              : { vpdp: id, dropped: got.dropped === null ? 'a drop' : got.dropped, outputs: [] };
        if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(`${who}[${i}] (${s}): got ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
      };
      const n = Math.max(pa.length, pb.length, pc.length);
      for (let i = 0; i < n; i++) {
        events.get(i)?.();
        if (i < pa.length) check('a', A, i, hv.process(pa[i]!));
        if (i < pb.length) check('b', B, i, hv.process(pb[i]!));
        if (i < pc.length) check('c', C, i, hv.process(pc[i]!));
      }
      return bad;
    };

    expect(round({ a: 'run', b: 'run', c: 'unclassified' })).toEqual([]);
    const before = { a: snapshot(hv, A), b: snapshot(hv, B) };

    // C is created: until the classifier names its ports its packets are nobody's; with no policy they leave nothing
    let epoch = hv.epoch.number;
    hv.createVpdp(C_SPEC);
    expect(hv.epoch.number).toBe(epoch + 1);
    expect(hv.vpdps.map((v) => v.id)).toEqual([A, B, C]);
    expect(round({ a: 'run', b: 'run', c: 'unclassified' })).toEqual([]);
    hv.setClassifier([...portRules(A, A_SPEC.ports), ...portRules(B, B_SPEC.ports), ...portRules(C, C_SPEC.ports)]);
    expect(round({ a: 'run', b: 'run', c: 'noPolicy' })).toEqual([]);
    install(hv, C, c);
    expect(round({ a: 'run', b: 'run', c: 'run' })).toEqual([]);

    // A is deleted in the middle of a round: its packets are unclassified from the next one on
    const half = Math.floor(pa.length / 2);
    const first = round({ a: 'run', b: 'run', c: 'run' }, new Map([[half, () => hv.deleteVpdp(A)]]));
    // the second half of A's packets in that round were checked as running; they must all be unclassified instead
    expect(first.length).toBe(pa.length - half);
    expect(first.every((m) => m.startsWith('a[') && m.includes('"vpdp":null,"dropped":"unclassified","outputs":[]'))).toBe(true);
    expect(round({ a: 'unclassified', b: 'run', c: 'run' })).toEqual([]);
    const r = hv.process(pa[0]!);
    expect(r).toMatchObject({ vpdp: undefined, dropped: 'unclassified', outputs: [], passes: 0, epoch: hv.epoch.number });
    expect(codeOf(() => hv.tenant(A))).toBe('NOT_FOUND');
    expect(codeOf(() => hv.counters(A))).toBe('NOT_FOUND');
    expect(codeOf(() => hv.deleteVpdp(A))).toBe('NOT_FOUND');
    expect(hv.vpdps.map((v) => v.id)).toEqual([B, C]);
    expect(snapshot(hv, B)).toEqual(before.b);

    // A comes back on its ports: afresh, with its policy and entries installed again
    epoch = hv.epoch.number;
    hv.createVpdp(A_SPEC);
    hv.setClassifier([...portRules(A, A_SPEC.ports), ...portRules(B, B_SPEC.ports), ...portRules(C, C_SPEC.ports)]);
    expect(round({ a: 'noPolicy', b: 'run', c: 'run' })).toEqual([]);
    install(hv, A, a);
    expect(hv.epoch.number).toBe(epoch + 3);
    expect(snapshot(hv, A)).toEqual(before.a);
    expect(round({ a: 'run', b: 'run', c: 'run' })).toEqual([]);

    // and B goes: A and C go on
    hv.deleteVpdp(B);
    expect(round({ a: 'run', b: 'unclassified', c: 'run' })).toEqual([]);
  });

  it('a deleted vPDP named by description headers: its packets are unclassified ("does not exist"), the other vPDP’s are not', async () => {
    const B = 2;
    const a = tenantAConfig();
    const b = config(programs.router, routerEntries(8));
    const pa = await packetsOfA();
    const pb = await routerPackets(8, false);
    const [na, nb] = [native(a), native(b)];
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine(), classifier: [{ kind: 'descriptionHeader' }] });
    hv.createVpdp(A_SPEC);
    hv.createVpdp({ id: B, name: 'router-b', ports: [0, ...range(8, 15)] });
    install(hv, A, a);
    install(hv, B, b);
    const dh = (vpdp: number, p: PacketIn): PacketIn => ({ port: p.port, data: writeDescriptionHeader(vpdp, 0, p.data) });
    // what leaves is wrapped in a description header as the packet came
    const wrapped = (vpdp: number, r: ProcessResult) => outcome({ ...r, outputs: r.outputs.map((o) => ({ ...o, data: writeDescriptionHeader(vpdp, 0, o.data) })) });
    const wantA = pa.map((p) => wrapped(A, na.process(p)));
    const wantB = pb.map((p) => wrapped(B, nb.process(p)));
    expect(pa.map((p) => outcome(hv.process(dh(A, p))))).toEqual(wantA);
    expect(pb.map((p) => outcome(hv.process(dh(B, p))))).toEqual(wantB);
    hv.deleteVpdp(A);
    const gone = pa.map((p) => hv.process(dh(A, p)));
    for (const r of gone) {
      expect(r).toMatchObject({ vpdp: undefined, dropped: 'unclassified', outputs: [] });
      expect((r as { reason?: string }).reason).toMatch(/vPDP 1 does not exist/);
    }
    expect(pb.map((p) => outcome(hv.process(dh(B, p))))).toEqual(wantB);
  });

  it('pipeline manipulation: the firewall toggled out of tenant A’s chain and back, entries and state kept', async () => {
    const a = tenantAConfig();
    const pa = await packetsOfA();
    // native references: the whole chain, and the L2 switch alone with its share of the entries and the flood group
    const na = native(a);
    const l2Only = { ...a, source: programs.l2switch, pipeline: loadPipeline(programs.l2switch), updates: a.updates.filter((u) => u.entity.kind === 'multicastGroup' || ('program' in u.entity && u.entity.program === 'l2-switch')) };
    expect(l2Only.updates.length).toBe(a.updates.length - 2);
    const nl2 = native(l2Only);
    const wantChain = pa.map((p) => outcome(na.process(p)));
    const wantL2 = pa.map((p) => outcome(nl2.process(p)));
    // the firewall decides: some packets the chain drops, the switch alone forwards
    const decided = wantChain.filter((w, i) => JSON.stringify(w) !== JSON.stringify(wantL2[i]));
    expect(decided.length).toBeGreaterThanOrEqual(8);
    const digestsOf = (t: { drainDigests(): readonly { values: object }[] }) => t.drainDigests().map((d) => d.values);
    na.drainDigests();
    nl2.drainDigests();

    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp(A_SPEC);
    hv.setClassifier(portRules(A, A_SPEC.ports));
    install(hv, A, a);
    const run = () => pa.map((p) => outcome(hv.process(p)));
    expect(run()).toEqual(wantChain);
    hv.tenant(A).drainDigests();
    const entries = snapshot(hv, A);

    let epoch = hv.epoch.number;
    hv.setEnabled(A, 'firewall', false);
    expect(hv.epoch.number).toBe(epoch + 1);
    expect(hv.epoch.vpdps.get(A)!.steps.map((s) => s.generic.name)).toEqual(['l2-switch']);
    expect(run()).toEqual(wantL2);
    // the switch still learns by digest, as alone
    pa.forEach((p) => nl2.process(p));
    expect(digestsOf(hv.tenant(A))).toEqual(digestsOf(nl2));
    // toggled out, the firewall's entries are all still there
    expect(snapshot(hv, A)).toEqual(entries);

    // its control plane still reaches it while it is out: a new rule (deny HTTP) waits for it
    const denyHttp: Update = {
      type: 'insert',
      entity: {
        kind: 'tableEntry',
        program: 'firewall',
        stage: 'acl',
        matches: [{ kind: 'any' }, { kind: 'any' }, { kind: 'ternary', value: '0x6', mask: '0xff' }, { kind: 'any' }, { kind: 'range', low: '0x50', high: '0x50' }],
        action: { kind: 'actionCall', action: 'deny', args: {} },
        priority: 30,
      },
    };
    expect(hv.tenant(A).write([denyHttp]).ok).toBe(true);
    expect(na.write([denyHttp]).ok).toBe(true);
    expect(run()).toEqual(wantL2);

    epoch = hv.epoch.number;
    hv.setEnabled(A, 'firewall', true);
    expect(hv.epoch.number).toBe(epoch + 1);
    const wantChain2 = pa.map((p) => outcome(na.process(p)));
    expect(wantChain2).not.toEqual(wantChain); // the HTTP rule decides some packets
    expect(run()).toEqual(wantChain2);
    expect(hv.epoch.vpdps.get(A)!.steps.map((s) => s.generic.name)).toEqual(['l2-switch', 'firewall']);
    expect(hv.tenant(A).read({ kind: 'tableEntry', program: 'firewall' }).length).toBe(3);

    // enabling what runs changes nothing; naming what is not installed is refused and makes no epoch
    hv.setEnabled(A, 'firewall', true);
    expect(run()).toEqual(wantChain2);
    epoch = hv.epoch.number;
    expect(codeOf(() => hv.setEnabled(A, 'router', false))).toBe('NOT_FOUND');
    expect(hv.epoch.number).toBe(epoch);
  });

  it('program reload with state carry: a derived stateful firewall keeps the registers it shares; a resized register starts afresh', () => {
    const ports = [0, 1];
    const sf = config(programs.statefulFirewall, readFileSync(entriesPath('stateful-firewall'), 'utf8'), entriesPath('stateful-firewall'));
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp({ id: A, name: 'stateful', ports });
    hv.setClassifier(portRules(A, ports));
    const first = install(hv, A, sf);
    expect(first.programs[0]).toMatchObject({ program: 'stateful-firewall', kept: false, carriedRegisters: [] });
    // the native reference sees the same packets in the same order and is never reloaded
    const nf = native(sf);

    const pkt = (src: string, at: number): PacketIn => ({
      port: 1,
      data: packet(ethernet({ src: '02:00:00:00:01:01', dst: '02:00:00:00:02:02' }), ipv4({ src, dst: '10.9.9.9' }), udp({ sport: 1000, dport: 2000 }), payload('x')),
      timestamp: BigInt(at),
    });
    const X = '10.1.0.1';
    const Y = '10.2.0.2';
    const T0 = 50_000_000; // µs; threshold 5 packets per 1 s window (the shipped entries)
    const send = (list: PacketIn[]) => list.map((p) => ({ hv: outcome(hv.process(p)), native: outcome(nf.process(p)) }));
    const passed = (o: ReturnType<typeof outcome>) => o.outputs.length === 1 && o.outputs[0]!.port === 0;

    // X sends 5 in its window, Y 3: all pass
    const phase1 = send([...range(0, 4).map((i) => pkt(X, T0 + i * 10_000)), ...range(0, 2).map((i) => pkt(Y, T0 + 5_000 + i * 10_000))]);
    expect(phase1.map((r) => r.hv)).toEqual(phase1.map((r) => r.native));
    expect(phase1.every((r) => passed(r.hv))).toBe(true);
    const reg = (name: string) => hv.tenant(A).read({ kind: 'register', register: name });
    const nonZero = (es: Entity[]) => es.flatMap((e) => (e.kind === 'register' && BigInt(e.value) !== 0n ? [[e.index, BigInt(e.value)] as const] : []));
    expect(nonZero(reg('pkt_count')).map(([, v]) => v).sort()).toEqual([3n, 5n]);
    const slotX = nonZero(reg('pkt_count')).find(([, v]) => v === 5n)![0];
    const registersBefore = { pkt_count: reg('pkt_count'), window_start: reg('window_start') };
    expect(registersBefore).toEqual({ pkt_count: nf.read({ kind: 'register', register: 'pkt_count' }), window_start: nf.read({ kind: 'register', register: 'window_start' }) });

    // v2: the same NF as a new version of itself, its configuration (5 per second) built in; it shares both registers
    const v2 = programs.statefulFirewall.derive('stateful-firewall', 'v2: 5 packets per second built in').defaultAction('track', 'track', { threshold: 5, window: 1_000_000 });
    let epoch = hv.epoch.number;
    const second = hv.install(A, v2);
    expect(second.epoch).toBe(epoch + 1);
    expect(second.programs).toHaveLength(1);
    expect(second.programs[0]).toMatchObject({ program: 'stateful-firewall', kept: false, carriedRegisters: ['pkt_count', 'window_start'] });
    // the program it replaced is gone, so its id is free again and reused
    expect(second.programs[0]!.programId).toBe(first.programs[0]!.programId);
    expect({ pkt_count: reg('pkt_count'), window_start: reg('window_start') }).toEqual(registersBefore);

    // behaviour built on that state goes on: X's 6th packet in the window is dropped, Y gets its 4th and 5th, not a 6th
    const phase2 = send([pkt(X, T0 + 50_000), pkt(Y, T0 + 55_000), pkt(Y, T0 + 56_000), pkt(Y, T0 + 57_000), pkt(X, T0 + 60_000)]);
    expect(phase2.map((r) => r.hv)).toEqual(phase2.map((r) => r.native));
    expect(phase2.map((r) => passed(r.hv))).toEqual([false, true, true, false, false]);
    // X's next window starts afresh; 5 pass
    const phase3 = send(range(0, 4).map((i) => pkt(X, T0 + 1_100_000 + i * 1_000)));
    expect(phase3.map((r) => r.hv)).toEqual(phase3.map((r) => r.native));
    expect(phase3.every((r) => passed(r.hv))).toBe(true);
    expect(reg('pkt_count').find((e) => e.kind === 'register' && e.index === slotX)).toMatchObject({ value: expect.stringMatching(/^0x0*5$/) });

    // v3: window_start resized (2048 cells): it does not carry; pkt_count does
    const ir = loadPipeline(v2).steps[0]!.program;
    const v3: Program = { ...ir, registers: ir.registers.map((r) => (r.name === 'window_start' ? { ...r, size: 2048 } : r)) };
    const countsBefore = reg('pkt_count');
    epoch = hv.epoch.number;
    const third = hv.install(A, v3);
    expect(third.epoch).toBe(epoch + 1);
    expect(third.programs[0]).toMatchObject({ kept: false, carriedRegisters: ['pkt_count'] });
    expect(reg('pkt_count')).toEqual(countsBefore);
    expect(nonZero(reg('window_start'))).toEqual([]);
    expect(reg('window_start')).toHaveLength(2048);
    // so X's 6th packet in its window is not dropped: with no window start on record, a new window begins
    const [after] = send([pkt(X, T0 + 1_110_000)]);
    expect(after!.native.dropped).toBe('dropped'); // what a carried window start would do
    expect(passed(after!.hv)).toBe(true);
    expect(reg('pkt_count').find((e) => e.kind === 'register' && e.index === slotX)).toMatchObject({ value: expect.stringMatching(/^0x0*1$/) });

    // a wider pkt_count is refused by the IR checks (the actions move it through 32-bit fields), and nothing changes
    const tooWide: Program = { ...v3, registers: v3.registers.map((r) => (r.name === 'pkt_count' ? { ...r, width: 64 } : r)) };
    epoch = hv.epoch.number;
    const counts = reg('pkt_count');
    expect(codeOf(() => hv.install(A, tooWide))).toBe('INVALID_ARGUMENT');
    expect(hv.epoch.number).toBe(epoch);
    expect(reg('pkt_count')).toEqual(counts);

    // so the width case uses a register of its own, written by the control plane: carried while its width stays, not once it changes
    const v4 = programFromIR(v3).derive('stateful-firewall', 'v4: a scratch register').register('scratch', { width: 16, size: 8 });
    const starts = reg('window_start');
    expect(hv.install(A, v4).programs[0]!.carriedRegisters).toEqual(['pkt_count', 'window_start']);
    expect(reg('window_start')).toEqual(starts);
    expect(hv.tenant(A).write([{ type: 'modify', entity: { kind: 'register', register: 'scratch', index: 3, value: '0x1234' } }]).ok).toBe(true);
    const v4ir = loadPipeline(v4).steps[0]!.program;
    const v5: Program = { ...v4ir, description: 'v5: the same registers' };
    expect(hv.install(A, v5).programs[0]!.carriedRegisters).toEqual(['pkt_count', 'window_start', 'scratch']);
    expect(nonZero(reg('scratch'))).toEqual([[3, 0x1234n]]);
    const v6: Program = { ...v4ir, description: 'v6: a wider scratch register', registers: v4ir.registers.map((r) => (r.name === 'scratch' ? { ...r, width: 32 } : r)) };
    expect(hv.install(A, v6).programs[0]!.carriedRegisters).toEqual(['pkt_count', 'window_start']);
    expect(nonZero(reg('scratch'))).toEqual([]);
    expect(reg('scratch')).toHaveLength(8);
    expect(reg('pkt_count')).toEqual(counts);
  });

  it('untouched neighbours: reinstalling A with one program unchanged keeps its entries; B’s entries, registers and counters stay as they were', async () => {
    // B: the stateful firewall, then a router that counts packets per ingress port (an indexed counter)
    const B = 2;
    const B_SPEC: VpdpOptions = { id: B, name: 'tenant-b', ports: [0, ...range(8, 15)] };
    const counted = programs.router
      .derive('router-counted', 'the router, counting packets by ingress port')
      .counter('by_port', { size: 512 })
      .addStage('count_in', (t) => t.action('count', (a) => a.count('by_port', a.get('standard.ingressPort'))).defaultAction('count', {}, { const: true }).size(1), 'first');
    const routes = routerEntries(8) as { tables: object };
    const sfEntries = JSON.parse(readFileSync(entriesPath('stateful-firewall'), 'utf8')) as object;
    const b = config(policy('tenant-b-counted').chain(programs.statefulFirewall, counted), { programs: { 'stateful-firewall': sfEntries, 'router-counted': routes } });
    const a = tenantAConfig();
    const pa = await packetsOfA();
    const pb = (await routerPackets(8, false)).map((p, i) => ({ ...p, port: 8 + (i % 8), timestamp: BigInt(1_000_000 + i * 37_000) }));
    const [na, nb] = [native(a), native(b)];

    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp(A_SPEC);
    hv.createVpdp(B_SPEC);
    hv.setClassifier([...portRules(A, A_SPEC.ports), ...portRules(B, B_SPEC.ports)]);
    const firstA = install(hv, A, a);
    install(hv, B, b);
    const runA = () => pa.map((p) => ({ hv: outcome(hv.process(p)), native: outcome(na.process(p)) }));
    const runB = () => pb.map((p) => ({ hv: outcome(hv.process(p)), native: outcome(nb.process(p)) }));
    for (const r of [runA(), runB(), runB()]) expect(r.map((x) => x.hv)).toEqual(r.map((x) => x.native));

    // B has state worth keeping
    const beforeB = snapshot(hv, B);
    const countersBefore = hv.counters(B);
    expect(beforeB.counter!.filter((e) => e.kind === 'counter' && e.packets > 0n).length).toBe(8);
    expect(beforeB.register!.filter((e) => e.kind === 'register' && BigInt(e.value) !== 0n).length).toBeGreaterThan(0);
    expect(beforeB.counter).toEqual(nb.read({ kind: 'counter' }));
    expect(beforeB.register).toEqual(nb.read({ kind: 'register' }));
    const beforeA = snapshot(hv, A);

    // A's policy again, with the switch unchanged and the firewall as a new version (a bigger ACL)
    const fw2 = programs.firewall.derive('firewall', 'firewall v2: a bigger ACL').resize('acl', 2048);
    const epoch = hv.epoch.number;
    const again = hv.install(A, policy('tenant-a').chain(programs.l2switch, fw2));
    expect(again.epoch).toBe(epoch + 1);
    expect(again.programs.map((p) => [p.program, p.kept])).toEqual([
      ['l2-switch', true],
      ['firewall', false],
    ]);
    // the unchanged switch is the same program on the data plane, with its entries; the new firewall starts empty
    expect(again.programs[0]).toMatchObject({ programId: firstA.programs[0]!.programId, stageIds: firstA.programs[0]!.stageIds });
    expect(hv.tenant(A).read({ kind: 'tableEntry', program: 'l2-switch' })).toEqual(beforeA.tableEntry!.filter((e) => 'program' in e && e.program === 'l2-switch'));
    expect(hv.tenant(A).read({ kind: 'tableEntry', program: 'firewall' })).toEqual([]);
    expect(hv.tenant(A).read({ kind: 'multicastGroup' })).toEqual(beforeA.multicastGroup);
    // the neighbour: exactly as before, and its packet counters too
    expect(snapshot(hv, B)).toEqual(beforeB);
    expect(hv.counters(B)).toEqual(countersBefore);

    // A gets its firewall rules again and behaves as before; B goes on from its state as if nothing happened
    expect(hv.tenant(A).write(a.updates.filter((u) => 'program' in u.entity && u.entity.program === 'firewall'), 'rollbackOnError').ok).toBe(true);
    for (const r of [runA(), runB()]) expect(r.map((x) => x.hv)).toEqual(r.map((x) => x.native));
    expect(hv.tenant(B).read({ kind: 'counter' })).toEqual(nb.read({ kind: 'counter' }));
    expect(hv.tenant(B).read({ kind: 'register' })).toEqual(nb.read({ kind: 'register' }));
  });

  it('failed installs (isolation, quota, image, bad IR) leave the running epoch, entries and behaviour untouched', async () => {
    const B = 2;
    const B_SPEC: VpdpOptions = { id: B, name: 'router-b', ports: [0, ...range(8, 15)], quotas: { tableEntries: 32_768 } };
    const a = tenantAConfig();
    const b = config(programs.router, routerEntries(8));
    const pa = await packetsOfA();
    const pb = await routerPackets(8, false);
    const [na, nb] = [native(a), native(b)];
    const wantA = pa.map((p) => outcome(na.process(p)));
    const wantB = pb.map((p) => outcome(nb.process(p)));
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp(A_SPEC);
    hv.createVpdp(B_SPEC);
    hv.setClassifier([...portRules(A, A_SPEC.ports), ...portRules(B, B_SPEC.ports)]);
    install(hv, A, a);
    install(hv, B, b);
    const running = hv.epoch;
    const before = { a: snapshot(hv, A), b: snapshot(hv, B) };
    const behaves = () => {
      expect(pa.map((p) => outcome(hv.process(p)))).toEqual(wantA);
      expect(pb.map((p) => outcome(hv.process(p)))).toEqual(wantB);
    };
    behaves();

    const routerIr = JSON.parse(JSON.stringify(loadPipeline(programs.router).steps[0]!.program)) as Record<string, unknown> & { stages: { keys: { field: string }[] }[] };
    const unknownField = { ...routerIr, stages: routerIr.stages.map((s, i) => (i === 1 ? { ...s, keys: [{ ...s.keys[0]!, field: 'ipv4.nowhere' }] } : s)) };
    const failures: [string, number, unknown, string][] = [
      // isolation: the switch floods group 1, which B does not have
      ['flooding to a group of another tenant', B, programs.l2switch, 'PERMISSION_DENIED'],
      // isolation: a const route out of port 5 (A's)
      ['a const route to a port outside B', B, programs.router.derive('router').addEntries('ipv4_lpm', { key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'set_nhop', args: { nhop: '10.0.0.1', port: 5 } }), 'PERMISSION_DENIED'],
      // isolation: a default action sending to port 9, B's, from A
      ['a default action to a port of B', A, policy('tenant-a').chain(programs.l2switch, programs.firewall.derive('firewall').addStage('out', (t) => t.action('to', (x) => x.setEgress(9)).defaultAction('to', {}, { const: true }).size(1), 'last')), 'PERMISSION_DENIED'],
      // the hypervisor's reserved names
      ['a metadata field named like a control field', B, programs.router.derive('router').metadata({ hv_stage: bit(16) }), 'PERMISSION_DENIED'],
      // B's quota of table entries
      ['more table entries than B’s quota', B, programs.router.derive('router').resize('ipv4_lpm', 65_536), 'RESOURCE_EXHAUSTED'],
      // bad IR
      ['IR naming an unknown field', B, unknownField, 'INVALID_ARGUMENT'],
      ['IR of an unknown kind', B, { ...routerIr, kind: 'nf' }, 'INVALID_ARGUMENT'],
      ['IR that is not an object', B, '{"kind": "program", ', 'INVALID_ARGUMENT'],
      ['a policy running a program it does not contain', A, { ...(JSON.parse(JSON.stringify(policies.tenantA.toIR())) as object), steps: [{ program: 'nobody' }] }, 'INVALID_ARGUMENT'],
      // no such vPDP
      ['a vPDP that does not exist', 99, programs.router, 'NOT_FOUND'],
    ];
    const seen: string[] = [];
    for (const [what, vpdp, source, code] of failures) {
      seen.push(`${what}: ${codeOf(() => hv.install(vpdp, source))}`);
      expect(hv.epoch).toBe(running);
    }
    expect(seen).toEqual(failures.map(([what, , , code]) => `${what}: ${code}`));
    expect(hv.epoch.number).toBe(running.number);
    expect(snapshot(hv, A)).toEqual(before.a);
    expect(snapshot(hv, B)).toEqual(before.b);
    expect(hv.epoch.vpdps.get(A)!.policy).toBe('tenant-a');
    expect(hv.epoch.vpdps.get(B)!.policy).toBe('router');
    behaves();

    // the image: a program that does not fit it (a hypervisor with a small header area)
    const small = new Hypervisor({ executor: new ReferenceSlotEngine(), image: { headerBits: 200 } });
    small.createVpdp({ id: B, name: 'router-b', ports: B_SPEC.ports });
    small.setClassifier(portRules(B, B_SPEC.ports));
    const fits = program112Bits();
    install(small, B, config(fits, {}));
    const smallEpoch = small.epoch;
    const entries = snapshot(small, B);
    expect(codeOf(() => small.install(B, programs.router))).toBe('RESOURCE_EXHAUSTED');
    expect(small.epoch).toBe(smallEpoch);
    expect(snapshot(small, B)).toEqual(entries);
    expect(small.epoch.vpdps.get(B)!.policy).toBe(fits.name);
  });
});

/** A program whose headers fit 200 bits (Ethernet, 112), that sends everything out of port 8. */
function program112Bits() {
  return programs.l2switch
    .derive('l2-port8', 'everything to port 8')
    .replaceStage('dmac', (t) => t.action('out', (a) => a.setEgress(8)).defaultAction('out', {}, { const: true }).size(1))
    .removeStage('smac');
}
