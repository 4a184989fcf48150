/**
 * Native vs virtualized, byte for byte (hypervisor issue, acceptance): every
 * example NF and both policies (tenant-a is the L2 switch + firewall chain),
 * with their shipped entries installed on both sides, run the same
 * deterministic sequence of at least 10,000 packets natively on the
 * reference target and virtualized on the hypervisor's generic image with
 * 1, 2, 4 and 8 stage slots — a fresh hypervisor per slot count, so with
 * few slots every packet is resubmitted between stages — on both image
 * executors: the reference one (ReferenceSlotEngine) and the compiled one
 * (CompiledSlotEngine), which must also agree on every packet's slot
 * figures.
 *
 * Per packet: the outputs (port, bytes, instance, rid), the drop reason, the
 * tenant's passes and the digests it raised. After the run: every register,
 * indexed counter and direct counter, the table entries, and every stage's
 * hit and miss counts.
 *
 * Packets: see hypervisor-packets.ts (the shipped capture, packets built
 * from the entries' values, field and byte mutations of both, junk).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hex, Hypervisor, type InstallReport, type PacketIn } from '@mpvisor/runtime';
import { CompiledSlotEngine, ReferenceSlotEngine } from '@mpvisor/targets';
import { type ShippedNf } from '../../../examples/test/e2e-helpers.js';
import { finalState, MIN_PACKETS_PER_NF, NFS, outcome, runNative, setUp, type FinalState, type NativeRun, type Setup } from './support/differential.js';

const SLOT_COUNTS = [1, 2, 4, 8] as const;
type SlotCount = (typeof SLOT_COUNTS)[number];
const ENGINES = { reference: () => new ReferenceSlotEngine(), compiled: () => new CompiledSlotEngine() } as const;
type Engine = keyof typeof ENGINES;
/** Ingress ports; the vPDP owns all of them, so nothing a native run sends is outside it. */
const PORTS = Array.from({ length: 16 }, (_, i) => i);

interface Mismatch {
  readonly index: number;
  readonly port: number;
  readonly timestamp: string;
  readonly packet: string;
  readonly native: string;
  readonly virtual: string;
}

interface VirtualRun {
  readonly report: InstallReport;
  readonly mismatches: readonly Mismatch[];
  readonly mismatchCount: number;
  /** Packets whose slot figures break the image's rules (see below). */
  readonly slotViolations: readonly string[];
  readonly slotPasses: readonly number[];
  /** Every packet's slot figures, to compare the executors. */
  readonly slots: readonly string[];
  readonly state: FinalState;
}

/** The upper bound on slot passes: each program of the chain needs at most its own worst case (its first stage may start a new pass). */
const passBound = (report: InstallReport): number => report.programs.reduce((n, p) => n + p.worstCasePasses, 0);
/** Whether every stage of the chain has a slot of its own, in order: then no packet is ever resubmitted. */
const fitsInOnePass = (report: InstallReport, slots: number): boolean => report.programs.every((p) => p.stageIds.every((id) => id < slots) && p.worstCasePasses === 1);

function runVirtual(s: Setup, native: NativeRun, slots: SlotCount, engine: Engine): VirtualRun {
  const hv = new Hypervisor({ executor: ENGINES[engine](), image: { slots } });
  hv.createVpdp({ id: 1, name: 'differential', ports: PORTS, multicastGroups: [1, 2, 3, 4, 5, 6, 7, 8], cloneSessions: [1, 2, 3, 4, 5, 6, 7, 8] });
  hv.setClassifier(PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: 1 })));
  const report = hv.install(1, s.source);
  const tenant = hv.tenant(1);
  const w = tenant.write(s.updates, 'rollbackOnError');
  if (!w.ok) throw new Error(`virtual: the entries do not install: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  const bound = passBound(report);
  const onePass = fitsInOnePass(report, slots);
  const mismatches: Mismatch[] = [];
  let mismatchCount = 0;
  const slotViolations: string[] = [];
  const slotPasses: number[] = [];
  const figures: string[] = [];
  s.generated.packets.forEach((p: PacketIn, index) => {
    const r = hv.process(p);
    const ds = tenant.drainDigests();
    const got = r.vpdp === undefined ? `unclassified: ${r.reason}` : outcome(r, ds);
    const want = native.outcomes[index]!;
    if (got !== want) {
      mismatchCount++;
      if (mismatches.length < 5) mismatches.push({ index, port: p.port, timestamp: String(p.timestamp ?? 0n), packet: hex(p.data), native: want, virtual: got });
    }
    if (r.vpdp === undefined) return;
    const { slotPasses: n, nativeTables, contained } = r.slots;
    slotPasses.push(n);
    figures.push(`${n}/${r.slots.tablesUsed}/${nativeTables}/${contained}`);
    // at least one pass; no more than the chain's worst case; one pass when every stage has its own slot;
    // with one slot every stage after the first is a pass of its own; nothing the NF sends leaves the vPDP
    const bad =
      n < 1 ? 'no pass' : n > bound ? `more than the bound ${bound}` : onePass && n !== 1 ? 'resubmitted though every stage has its own slot' : slots === 1 && n < nativeTables ? `fewer passes than the ${nativeTables} tables applied` : contained !== 0 ? `${contained} outputs contained` : undefined;
    if (bad && slotViolations.length < 5) slotViolations.push(`packet ${index} (${hex(p.data)}): slotPasses ${n}, nativeTables ${nativeTables}: ${bad}`);
  });
  const device = hv.epoch.vpdps.get(1)!.device;
  const tables = [...device.programs.values()].flatMap((ps) => [...ps.tables.values()].map((t) => ({ program: ps.program.name, stage: t.stage.name, hits: t.hits, misses: t.misses })));
  return { report, mismatches, mismatchCount, slotViolations, slotPasses, slots: figures, state: finalState((r) => tenant.read(r), tables) };
}

// ---------------------------------------------------------------- the tests

/** Virtual runs, kept for the slot-count checks at the end. */
const virtualRuns = new Map<string, VirtualRun>();

describe.each(NFS)('$nf', ({ nf, source, seed, coverage }) => {
  let setup: Setup;
  let native: NativeRun;
  beforeAll(async () => {
    setup = await setUp(nf, source, seed);
    native = runNative(setup);
  });

  it(`runs at least ${MIN_PACKETS_PER_NF} packets natively, covering hits, misses and what the NF does`, () => {
    const { packets, kinds } = setup.generated;
    expect(packets.length).toBeGreaterThanOrEqual(MIN_PACKETS_PER_NF);
    expect(native.outcomes).toHaveLength(packets.length);
    expect(kinds.capture).toBeGreaterThan(0);
    for (const k of ['built', 'fields', 'bytes', 'junk', 'replay', 'burst'] as const) expect(kinds[k], k).toBeGreaterThan(100);
    expect(packets.every((p) => p.port >= 0 && p.port <= 15)).toBe(true);
    // the tables were reached; every keyed stage hit (entries were aimed at) and missed (values beside them)
    const keyed = new Set(setup.pipeline.steps.flatMap((s) => s.program.stages.filter((st) => st.keys.length > 0).map((st) => `${s.program.name}/${st.name}`)));
    for (const t of native.state.tables) {
      expect(t.hits + t.misses, `${t.program}/${t.stage} looked up`).toBeGreaterThan(0);
      if (keyed.has(`${t.program}/${t.stage}`)) {
        expect(t.hits, `${t.program}/${t.stage} hits`).toBeGreaterThan(0);
        if (coverage.neverMiss?.includes(`${t.program}/${t.stage}`)) expect(t.misses, `${t.program}/${t.stage} misses`).toBe(0);
        else expect(t.misses, `${t.program}/${t.stage} misses`).toBeGreaterThan(0);
      }
    }
    expect(native.forwarded).toBeGreaterThan(0);
    if (coverage.drops) expect(native.drops).toBeGreaterThan(100);
    if (coverage.replicas) expect(native.replicas).toBeGreaterThan(100);
    if (coverage.digests) expect(native.digests).toBeGreaterThan(100);
    if (coverage.rewrites) expect(native.rewritten).toBeGreaterThan(100);
    if (coverage.registers) {
      const written = native.state.registers.filter((e) => e.kind === 'register' && e.value !== '0x0');
      expect(written.length).toBeGreaterThan(2);
    }
  });

  const cases = (Object.keys(ENGINES) as Engine[]).flatMap((engine) => SLOT_COUNTS.map((slots) => [engine, slots] as const));
  it.each(cases)('virtualized (%s executor) on %i stage slot(s): byte-identical outputs, drops, digests and final state', (engine, slots) => {
    const v = runVirtual(setup, native, slots, engine);
    virtualRuns.set(`${nf}/${slots}/${engine}`, v);
    // the compiled executor's slot figures are the reference executor's, packet by packet
    const reference = virtualRuns.get(`${nf}/${slots}/reference`);
    if (engine === 'compiled' && reference) {
      const differ = v.slots.findIndex((f, i) => f !== reference.slots[i]);
      expect(differ, differ < 0 ? '' : `packet ${differ}: compiled ${v.slots[differ]}, reference ${reference.slots[differ]} (passes/tables/native/contained)`).toBe(-1);
    }
    expect(v.mismatches, `${v.mismatchCount} of ${setup.generated.packets.length} packets differ; the first ones`).toEqual([]);
    expect(v.state.registers).toEqual(native.state.registers);
    expect(v.state.counters).toEqual(native.state.counters);
    expect(v.state.directCounters).toEqual(native.state.directCounters);
    expect(v.state.tableEntries).toEqual(native.state.tableEntries);
    expect(v.state.tables).toEqual(native.state.tables);
    expect(v.slotViolations).toEqual([]);
    expect(v.slotPasses).toHaveLength(setup.generated.packets.length);
  });
});

describe('slot counts matter', () => {
  const total = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const run = (nf: ShippedNf, slots: SlotCount): VirtualRun => {
    const v = virtualRuns.get(`${nf}/${slots}/reference`);
    if (!v) throw new Error(`no virtualized run of ${nf} with ${slots} slots (run the whole file)`);
    return v;
  };

  it.each(NFS.map((n) => n.nf))('%s: resubmitted with one slot, never with a slot per stage; one slot costs the most passes', (nf) => {
    const one = run(nf, 1);
    // with one slot, every stage after the first needs a pass of its own
    expect(Math.max(...one.slotPasses)).toBeGreaterThan(1);
    for (const slots of SLOT_COUNTS) expect(total(one.slotPasses)).toBeGreaterThanOrEqual(total(run(nf, slots).slotPasses));
    const eight = run(nf, 8);
    if (fitsInOnePass(eight.report, 8)) expect(eight.slotPasses.every((n) => n === 1)).toBe(true);
  });

  it('resubmission is exercised with 2 slots, and 8 slots fit every example', () => {
    // with 2 slots, a program longer than two stages on a path needs more passes, and its packets take them
    const needed = NFS.filter(({ nf }) => run(nf, 2).report.programs.some((p) => p.worstCasePasses > 1)).map(({ nf }) => nf);
    const resubmitted = NFS.filter(({ nf }) => Math.max(...run(nf, 2).slotPasses) > 1).map(({ nf }) => nf);
    expect(needed.length).toBeGreaterThan(0);
    for (const nf of needed) expect(resubmitted, nf).toContain(nf);
    // the examples' chains have at most 8 stage ids, so with 8 slots no packet is ever resubmitted
    const fit = NFS.filter(({ nf }) => fitsInOnePass(run(nf, 8).report, 8)).map(({ nf }) => nf);
    expect(fit).toEqual(NFS.map(({ nf }) => nf));
    for (const nf of fit) expect(run(nf, 8).slotPasses.every((n) => n === 1), nf).toBe(true);
  });
});
