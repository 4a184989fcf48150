/**
 * The RMT target against the reference, byte for byte (RMT issue,
 * acceptance 1): every example NF and both policies place on the RMT
 * profile and, with their shipped entries, give the same outcome for the
 * same 10,000+ packets (outputs, drops, passes, digests) and end in the
 * same control-plane state. Between stages only the PHV carries a packet,
 * so a field the PHV allocation loses shows up here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Hypervisor } from '@mpvisor/runtime';
import { RmtImageExecutor, RmtTarget, RMT_PROFILE, TOFINO_LIKE_PROFILE, type RmtProfile, type RmtVirtualResult } from '@mpvisor/targets';
import { finalState, MIN_PACKETS_PER_NF, nativeRuns, NFS, outcome, type NativeRun, type Setup } from './support/differential.js';

let setups: Awaited<ReturnType<typeof nativeRuns>>;

beforeAll(async () => {
  setups = await nativeRuns();
}, 120_000);

function runRmt(profile: RmtProfile, setup: Setup, native: NativeRun) {
  const t = new RmtTarget({ profile });
  t.load(setup.pipeline);
  const w = t.write(setup.updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`rmt: the entries do not install: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  const mismatches: string[] = [];
  let cycles = 0;
  setup.generated.packets.forEach((p, i) => {
    const r = t.process(p);
    cycles = Math.max(cycles, r.cycles);
    const got = outcome(r, t.drainDigests());
    if (got !== native.outcomes[i] && mismatches.length < 3) mismatches.push(`packet ${i} port ${p.port}:\n  native ${native.outcomes[i]}\n  rmt    ${got}`);
  });
  const tables = t.resources().tables.map(({ program, stage, hits, misses }) => ({ program, stage, hits, misses }));
  return { mismatches, state: finalState((r) => t.read(r), tables), placement: t.placement, cycles };
}

describe.each([RMT_PROFILE, TOFINO_LIKE_PROFILE])('RMT target, $name profile, against the reference', (profile) => {
  it.each(NFS.map((n) => n.nf))('%s: byte-identical outcomes and final state', (nf) => {
    const { setup, native } = setups.get(nf)!;
    expect(setup.generated.packets.length).toBeGreaterThanOrEqual(MIN_PACKETS_PER_NF);
    const run = runRmt(profile, setup, native);
    expect(run.mismatches).toEqual([]);
    expect(run.state).toEqual(native.state);
    // every packet crosses every used stage: the latency is the pipeline's, per pass
    expect(run.placement.stagesUsed).toBeGreaterThan(0);
    expect(run.placement.stagesUsed).toBeLessThanOrEqual(profile.stages);
    expect(run.cycles).toBeGreaterThanOrEqual(run.placement.latencyCycles);
  });
});

describe('the hypervisor on an RMT chip (RmtImageExecutor)', () => {
  it('refuses an image that does not fit the profile, before any packet', () => {
    expect(() => new Hypervisor({ executor: new RmtImageExecutor('tofino-like'), image: { slots: 1 } })).toThrow(/RESOURCE_EXHAUSTED: stages 12\/12: table image\/slot0_primitive\d+ needs 1 more stage/);
  });

  it.each(['tenant-a', 'router'])('%s virtualized on the image that fits RMT (N=1) is byte-identical to the reference, at the image latency per slot pass', (nf) => {
    const { setup, native } = setups.get(nf)!;
    const executor = new RmtImageExecutor('rmt');
    const hv = new Hypervisor({ executor, image: { slots: 1 } });
    const ports = Array.from({ length: 16 }, (_, i) => i);
    hv.createVpdp({ id: 1, name: nf, ports, multicastGroups: [1, 2, 3, 4], cloneSessions: [1, 2, 3, 4] });
    hv.setClassifier(ports.map((port) => ({ kind: 'port' as const, port, vpdp: 1 })));
    hv.install(1, setup.source, { entries: setup.updates });
    const perPass = executor.placement(hv.image).latencyCycles;
    let bad = 0;
    setup.generated.packets.forEach((p, i) => {
      const r = hv.process(p) as RmtVirtualResult;
      if (outcome(r, hv.tenant(1).drainDigests()) !== native.outcomes[i]) bad++;
      if (r.cycles !== perPass * r.slots.slotPasses) bad++;
    });
    expect(bad).toBe(0);
    expect(perPass).toBeGreaterThan(0);
  });
});
