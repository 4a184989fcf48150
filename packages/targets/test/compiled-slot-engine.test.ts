/**
 * The compiled image executor against the reference one while the
 * hypervisor is managed live: random scripts (fast-check) of packets,
 * entry writes (inserts, modifies, deletes, default actions), installs and
 * replacements, programs toggled out of a chain and back, uninstalls, on
 * two tenants at once. Two hypervisors, one per executor, receive the same
 * script (single packets, and batches through `processBatch`, which the
 * compiled executor takes a run of one vPDP at a time); every step must
 * give the same answer — a packet's outputs (bytes),
 * drop reason, passes, epoch and slot figures, the digests it raised, a
 * write's per-update results, an install's report or error — and at the end
 * both hold the same state. This is what "patched or regenerated on every
 * reconfiguration, swapped atomically between packets" must mean: the
 * compiled code never runs on a stale table or a stale epoch.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MpvisorError } from '@mpvisor/mpapi';
import { hex, Hypervisor, type HypervisorResult, type ImageExecutor, type PacketIn, type Update } from '@mpvisor/runtime';
import { CompiledSlotEngine, ReferenceSlotEngine, VirtualizedTarget } from '@mpvisor/targets';
import { finalState, NFS, setUp, type Setup } from './support/differential.js';
import { ingressPortOf, twoTenantFrames, twoTenants } from '../../../scripts/bench/workloads.js';

/** Tenant 1 owns ports 0-7, tenant 2 ports 8-15; each chooses among these NFs. */
const TENANTS = [
  { vpdp: 1, ports: [0, 1, 2, 3, 4, 5, 6, 7], ids: [1, 2, 3, 4, 5, 6, 7, 8], nfs: ['l2-switch', 'firewall', 'tenant-a', 'stateful-firewall'] },
  { vpdp: 2, ports: [8, 9, 10, 11, 12, 13, 14, 15], ids: [11, 12, 13, 14, 15, 16, 17, 18], nfs: ['router', 'tenant-b', 'nat', 'ecmp'] },
] as const;

type Op =
  | { readonly kind: 'packet'; readonly tenant: number; readonly nf: number; readonly index: number }
  /** Several packets through hv.processBatch, in runs of one tenant and across both. */
  | { readonly kind: 'batch'; readonly packets: readonly { readonly tenant: number; readonly nf: number; readonly index: number }[] }
  | { readonly kind: 'write'; readonly tenant: number; readonly update: number; readonly change: 'insert' | 'delete' | 'modify' | 'default' }
  | { readonly kind: 'install'; readonly tenant: number; readonly nf: number; readonly withEntries: boolean }
  | { readonly kind: 'toggle'; readonly tenant: number; readonly program: number; readonly enabled: boolean }
  | { readonly kind: 'uninstall'; readonly tenant: number };

const setups = new Map<string, Setup>();

beforeAll(async () => {
  for (const t of TENANTS) {
    for (const nf of t.nfs) {
      const n = NFS.find((x) => x.nf === nf)!;
      setups.set(nf, await setUp(n.nf, n.source, n.seed));
    }
  }
}, 120_000);

/** What one side answered to one step, as a comparable string. */
function answer(f: () => unknown): string {
  try {
    return JSON.stringify(f(), (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? hex(v) : v));
  } catch (e) {
    if (e instanceof MpvisorError) return `error ${e.code}: ${e.message}`;
    throw e;
  }
}

/** A packet's full virtual result: outputs, drop, passes, epoch and the slot figures. */
const packetAnswer = (r: HypervisorResult) => ({
  vpdp: r.vpdp ?? null,
  dropped: r.dropped ?? null,
  passes: r.passes,
  epoch: r.epoch,
  outputs: r.outputs.map((o) => `${o.port}/${o.instance}/${o.rid ?? '-'}/${hex(o.data)}`),
  slots: 'slots' in r ? r.slots : null,
});

class Side {
  readonly hv: Hypervisor;
  /** The NF each tenant runs now (its setup), for the entries a write picks from. */
  readonly running = new Map<number, string>();

  constructor(executor: ImageExecutor, slots: number) {
    this.hv = new Hypervisor({ executor, image: { slots } });
    for (const t of TENANTS) {
      this.hv.createVpdp({ id: t.vpdp, name: `tenant-${t.vpdp}`, ports: [...t.ports], multicastGroups: [...t.ids], cloneSessions: [...t.ids] });
    }
    this.hv.setClassifier(TENANTS.flatMap((t) => t.ports.map((port) => ({ kind: 'port' as const, port, vpdp: t.vpdp }))));
    for (const t of TENANTS) this.run({ kind: 'install', tenant: t.vpdp, nf: 0, withEntries: true });
  }

  run(op: Op): string {
    if (op.kind === 'batch') {
      const packets = op.packets.map((x) => packetOf(x.tenant, x.nf, x.index));
      return answer(() => ({ results: this.hv.processBatch(packets).map(packetAnswer), digests: TENANTS.map((t) => this.hv.tenant(t.vpdp).drainDigests()) }));
    }
    const tenant = TENANTS.find((t) => t.vpdp === op.tenant)!;
    const control = () => this.hv.tenant(op.tenant);
    switch (op.kind) {
      case 'packet': {
        const packet = packetOf(op.tenant, op.nf, op.index);
        return answer(() => ({ result: packetAnswer(this.hv.process(packet)), digests: control().drainDigests() }));
      }
      case 'write': {
        const nf = this.running.get(op.tenant);
        if (!nf) return answer(() => control().write([], 'rollbackOnError'));
        return answer(() => control().write([changed(setups.get(nf)!.updates, op.update, op.change)], 'continueOnError'));
      }
      case 'install': {
        const nf = tenant.nfs[op.nf % tenant.nfs.length]!;
        const s = setups.get(nf)!;
        return answer(() => {
          const report = this.hv.install(op.tenant, s.source, op.withEntries ? { entries: s.updates } : {});
          this.running.set(op.tenant, nf);
          return report;
        });
      }
      case 'toggle': {
        const programs = this.hv.epoch.vpdps.get(op.tenant)!.device.pipeline.steps.map((st) => st.program.name);
        const program = programs[op.program % Math.max(1, programs.length)] ?? 'none';
        return answer(() => this.hv.setEnabled(op.tenant, program, op.enabled));
      }
      case 'uninstall':
        return answer(() => {
          this.hv.uninstall(op.tenant);
          this.running.delete(op.tenant);
        });
    }
  }

  state(tenant: number): string {
    const t = this.hv.tenant(tenant);
    const device = this.hv.epoch.vpdps.get(tenant)!.device;
    const tables = [...device.programs.values()].flatMap((ps) => [...ps.tables.values()].map((x) => ({ program: ps.program.name, stage: x.stage.name, hits: x.hits, misses: x.misses })));
    return answer(() => ({ state: finalState((r) => t.read(r), tables), counters: this.hv.counters(tenant) }));
  }
}

/** A packet of one of the tenant's NFs' generated traffic, on one of the tenant's ports. */
function packetOf(vpdp: number, nf: number, index: number): PacketIn {
  const tenant = TENANTS.find((t) => t.vpdp === vpdp)!;
  const s = setups.get(tenant.nfs[nf % tenant.nfs.length]!)!;
  const p = s.generated.packets[index % s.generated.packets.length]!;
  return { ...p, port: tenant.ports[p.port % tenant.ports.length]! };
}

/** An entry write made from one of the NF's shipped entries: itself, its deletion, a modify to another entry's action, or the stage's default set to it. */
function changed(updates: readonly Update[], pick: number, change: 'insert' | 'delete' | 'modify' | 'default'): Update {
  const u = updates[pick % updates.length]!;
  const e = u.entity;
  if (e.kind !== 'tableEntry') return u;
  switch (change) {
    case 'insert':
      return { type: 'insert', entity: e };
    case 'delete':
      return { type: 'delete', entity: e };
    case 'modify': {
      const other = updates.find((x, i) => i > pick % updates.length && x.entity.kind === 'tableEntry' && x.entity.stage === e.stage && x.entity.program === e.program);
      const action = other?.entity.kind === 'tableEntry' ? other.entity.action : e.action;
      return { type: 'modify', entity: { ...e, action } };
    }
    case 'default':
      return { type: 'modify', entity: { kind: 'defaultAction', ...(e.program !== undefined ? { program: e.program } : {}), stage: e.stage, action: e.action } };
  }
}

const onePacket = fc.record({ tenant: fc.constantFrom(1, 2), nf: fc.nat(3), index: fc.nat(9_999) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('packet' as const), tenant: fc.constantFrom(1, 2), nf: fc.nat(3), index: fc.nat(9_999) }) },
  // runs of one tenant's packets, then the other's, so the executor sees runs of several lengths
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('batch' as const), packets: fc.array(fc.array(onePacket, { minLength: 1, maxLength: 12 }).map((run) => run.map((p) => ({ ...p, tenant: run[0]!.tenant }))), { minLength: 1, maxLength: 4 }).map((runs) => runs.flat()) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), tenant: fc.constantFrom(1, 2), update: fc.nat(1_000), change: fc.constantFrom('insert' as const, 'delete' as const, 'modify' as const, 'default' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('install' as const), tenant: fc.constantFrom(1, 2), nf: fc.nat(3), withEntries: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('toggle' as const), tenant: fc.constantFrom(1, 2), program: fc.nat(3), enabled: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('uninstall' as const), tenant: fc.constantFrom(1, 2) }) },
);

/** Runs a script on both executors; returns the first step they disagree on, if any. */
function disagreement(slots: number, script: readonly Op[]): string | undefined {
  const reference = new Side(new ReferenceSlotEngine(), slots);
  const compiled = new Side(new CompiledSlotEngine(), slots);
  for (let i = 0; i < script.length; i++) {
    const want = reference.run(script[i]!);
    const got = compiled.run(script[i]!);
    if (got !== want) return `step ${i} ${JSON.stringify(script[i])}:\n  reference ${want}\n  compiled  ${got}`;
  }
  for (const t of TENANTS) {
    const want = reference.state(t.vpdp);
    const got = compiled.state(t.vpdp);
    if (got !== want) return `final state of tenant ${t.vpdp}:\n  reference ${want}\n  compiled  ${got}`;
  }
  return undefined;
}

describe('compiled image executor under live management', () => {
  it.each([1, 3, 8])('random scripts of packets, writes, installs, toggles and uninstalls on two tenants (%i slots): every step as on the reference executor', (slots) => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 300 }), (script) => {
        expect(disagreement(slots, script)).toBeUndefined();
      }),
      { numRuns: 25, seed: 0x6d70 + slots },
    );
  });

  it('a long script: 20,000 steps, mostly packets, on 4 slots', () => {
    const script = fc.sample(op, { numRuns: 20_000, seed: 0x6d7076 });
    expect(disagreement(4, script)).toBeUndefined();
  });

  it.each(['reference', 'compiled'] as const)('processBatch gives what process gives, packet by packet, counters included (%s executor; port rules, a VLAN rule, unclassified packets)', (engine) => {
    const t = twoTenants();
    const make = (): Hypervisor => {
      const hv = new Hypervisor({ executor: engine === 'compiled' ? new CompiledSlotEngine() : new ReferenceSlotEngine(), image: { slots: 4 } });
      hv.createVpdp(t.a.vpdp);
      hv.createVpdp(t.b.vpdp);
      hv.setClassifier(t.rules);
      hv.install(1, t.a.source, { entries: t.a.updates });
      hv.install(2, t.b.source, { entries: t.b.updates });
      return hv;
    };
    // A's and B's frames alternate, so runs are short; every 17th goes to a port nobody owns (unclassified)
    const packets: PacketIn[] = twoTenantFrames(600).map((data, i) => ({ port: i % 17 === 16 ? 9 : ingressPortOf(data), data }));
    const one = make();
    const batched = make();
    const want = packets.map((p) => answer(() => packetAnswer(one.process(p))));
    const got: string[] = [];
    for (let i = 0; i < packets.length; i += 50) got.push(...batched.processBatch(packets.slice(i, i + 50)).map((r) => answer(() => packetAnswer(r))));
    expect(got).toEqual(want);
    expect(want.filter((a) => a.includes('"vpdp":null')).length).toBeGreaterThan(10);
    for (const vpdp of [1, 2]) {
      expect(batched.counters(vpdp)).toEqual(one.counters(vpdp));
      expect(batched.tenant(vpdp).drainDigests()).toEqual(one.tenant(vpdp).drainDigests());
    }
  });

  it('entries written between two packets reach the very next packet', () => {
    const router = setups.get('router')!;
    const ports = Array.from({ length: 16 }, (_, i) => i);
    const hypervisor = (executor: ImageExecutor, entries: readonly Update[]): Hypervisor => {
      const hv = new Hypervisor({ executor, image: { slots: 4 } });
      hv.createVpdp({ id: 1, name: 'r', ports });
      hv.setClassifier(ports.map((port) => ({ kind: 'port' as const, port, vpdp: 1 })));
      hv.install(1, router.source, { entries });
      return hv;
    };
    const packets = router.generated.packets.slice(0, 300);
    const run = (hv: Hypervisor): string[] => packets.map((p) => answer(() => ({ ...packetAnswer(hv.process(p)), epoch: null })));
    const hv = hypervisor(new CompiledSlotEngine(), []);
    const empty = run(hv);
    expect(empty).toEqual(run(hypervisor(new ReferenceSlotEngine(), [])));
    // the compiled code is warm on empty tables; the entries go in between two packets
    const w = hv.tenant(1).write(router.updates, 'rollbackOnError');
    expect(w.results.filter((r) => !r.ok)).toEqual([]);
    const full = run(hv);
    expect(full).toEqual(run(hypervisor(new ReferenceSlotEngine(), router.updates)));
    expect(full.filter((a, i) => a !== empty[i]).length).toBeGreaterThan(packets.length / 4);
  });

  it('a traced packet runs on the reference executor over the same state, with the same outcome', () => {
    const a = setups.get('tenant-a')!;
    const make = (executor: 'reference' | 'compiled') => {
      const t = new VirtualizedTarget({ image: { slots: 2 }, executor });
      t.load(a.pipeline);
      t.write(a.updates, { atomicity: 'rollbackOnError' });
      return t;
    };
    const compiled = make('compiled');
    const reference = make('reference');
    for (const p of a.generated.packets.slice(0, 300)) {
      const c = compiled.process(p, { trace: true });
      const r = reference.process(p, { trace: true });
      expect(answer(() => c)).toEqual(answer(() => r));
      expect(c.trace?.length).toBeGreaterThan(0);
    }
  });

  it('its generated code carries the slot accounting, and vPDPs running the same NF share it', () => {
    const engine = new CompiledSlotEngine();
    const hv = new Hypervisor({ executor: engine, image: { slots: 3 } });
    hv.createVpdp({ id: 1, name: 'a', ports: [0, 1] });
    hv.createVpdp({ id: 2, name: 'b', ports: [2, 3] });
    hv.install(1, setups.get('tenant-b')!.source);
    hv.install(2, setups.get('tenant-b')!.source);
    const epoch = hv.epoch;
    const source = engine.source(epoch, epoch.vpdps.get(1)!);
    // a stage in slot s: resubmit when the cursor is at or past s, then move the cursor
    expect(source).toMatch(/if \(S\[9\] >= SL\d+\) S\[10\]\+\+; S\[9\] = SL\d+;/);
    expect(source).not.toMatch(/ipv4|ethernet/);
    // the second tenant's programs lie on other stage ids, so other slots, yet run the same code
    expect(engine.source(epoch, epoch.vpdps.get(2)!)).toBe(source);
    // and each gets its own slots: the figures are the reference executor's on both (no entries: every lookup misses)
    const reference = new Hypervisor({ executor: new ReferenceSlotEngine(), image: { slots: 3 } });
    reference.createVpdp({ id: 1, name: 'a', ports: [0, 1] });
    reference.createVpdp({ id: 2, name: 'b', ports: [2, 3] });
    reference.install(1, setups.get('tenant-b')!.source);
    reference.install(2, setups.get('tenant-b')!.source);
    const b = setups.get('tenant-b')!;
    const rules = [0, 1, 2, 3].map((port) => ({ kind: 'port' as const, port, vpdp: port < 2 ? 1 : 2 }));
    for (const h of [hv, reference]) h.setClassifier(rules);
    const figures = (h: Hypervisor): string[] => b.generated.packets.slice(0, 500).map((p, i) => answer(() => packetAnswer(h.process({ ...p, port: i % 4 }))));
    const got = figures(hv);
    expect(got).toEqual(figures(reference));
    const passes = (vpdp: number): number => got.filter((a) => a.includes(`"vpdp":${vpdp}`)).map((a) => JSON.parse(a).slots.slotPasses as number).reduce((x, y) => x + y, 0);
    expect(passes(1)).not.toBe(passes(2));
  });
});
