/**
 * Installing with entries in one step, and the stage and program ids a
 * data plane hands out: reused when a program is replaced, refused when the
 * image's 16-bit id fields would overflow.
 */
import { describe, expect, it } from 'vitest';
import { bit, MpvisorError, program, std } from '@mpvisor/mpapi';
import { Hypervisor, type ImageExecutor, type Update } from '@mpvisor/runtime';
import { router } from '../../../examples/nfs/router.js';

/** Installs and ids need no packets: an executor that must never be called. */
const never: ImageExecutor = {
  name: 'never',
  process: () => {
    throw new Error('no packets in these tests');
  },
};

const route = (prefix: string, length: number, port: number): Update => ({
  type: 'insert',
  entity: {
    kind: 'tableEntry',
    program: 'router',
    stage: 'ipv4_lpm',
    matches: [{ kind: 'lpm', value: `0x${prefix.split('.').reduce((a, o) => a * 256 + Number(o), 0).toString(16)}`, prefixLength: length }],
    action: { kind: 'actionCall', action: 'set_nhop', args: { nhop: '0xa000001', port: `0x${port.toString(16)}` } },
  },
});

function world(slots = 4): Hypervisor {
  const hv = new Hypervisor({ executor: never, image: { slots } });
  hv.createVpdp({ id: 1, name: 'a', ports: [1, 2, 3] });
  hv.createVpdp({ id: 2, name: 'b', ports: [4, 5, 6] });
  return hv;
}

const routes = (hv: Hypervisor, vpdp = 1): unknown[] => hv.tenant(vpdp).read({ kind: 'tableEntry', program: 'router', stage: 'ipv4_lpm' });

function refusal(f: () => unknown): MpvisorError {
  try {
    f();
  } catch (e) {
    if (e instanceof MpvisorError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('install with entries: one step, all or nothing', () => {
  it('writes the entries into the new configuration before it runs', () => {
    const hv = world();
    const before = hv.epoch.number;
    const report = hv.install(1, router, { entries: [route('10.0.0.0', 8, 2), route('10.1.0.0', 16, 3)] });
    expect(report.epoch).toBe(before + 1);
    expect(hv.epoch.number).toBe(before + 1);
    expect(routes(hv)).toHaveLength(2);
  });

  it('a refused entry leaves the running configuration, its entries and the epoch as they were', () => {
    const hv = world();
    hv.install(1, router, { entries: [route('10.0.0.0', 8, 2)] });
    const epoch = hv.epoch;
    const derived = router.derive('router').resize('ipv4_lpm', 64);
    const denied = refusal(() => hv.install(1, derived, { entries: [route('10.2.0.0', 16, 2), route('10.3.0.0', 16, 5)] }));
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.issues).toHaveLength(1);
    expect(denied.issues[0]!.message).toMatch(/entries\[1\]: .*port 5, outside the vPDP/);
    const invalid = refusal(() => hv.install(1, derived, { entries: [route('10.2.0.0', 16, 2), { ...route('10.2.0.0', 16, 2) }] }));
    expect(invalid.code).toBe('ALREADY_EXISTS');
    expect(hv.epoch).toBe(epoch);
    expect(routes(hv)).toEqual([expect.objectContaining({ matches: [{ kind: 'lpm', value: '0xa000000', prefixLength: 8 }] })]);
  });

  it('an unchanged program keeps its entries and takes the new ones on top', () => {
    const hv = world();
    hv.install(1, router, { entries: [route('10.0.0.0', 8, 2)] });
    const report = hv.install(1, router, { entries: [route('10.9.0.0', 16, 3)] });
    expect(report.programs[0]!.kept).toBe(true);
    expect(routes(hv)).toHaveLength(2);
  });
});

describe('stage and program ids', () => {
  it('are disjoint between programs on the data plane', () => {
    const hv = world();
    const a = hv.install(1, router);
    const b = hv.install(2, router.derive('router').resize('forward', 8));
    expect(a.programs[0]!.programId).not.toBe(b.programs[0]!.programId);
    const ids = [...a.programs[0]!.stageIds, ...b.programs[0]!.stageIds];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('are reused when a program is replaced, so 1,000 reloads do not run them out', () => {
    const hv = world();
    hv.install(2, router);
    const versions = [router, router.derive('router').resize('ipv4_lpm', 64)];
    const seen = new Set<number>();
    let maxStage = 0;
    for (let i = 0; i < 1000; i++) {
      const r = hv.install(1, versions[i % 2]!);
      expect(r.programs[0]!.kept).toBe(false);
      seen.add(r.programs[0]!.programId);
      maxStage = Math.max(maxStage, ...r.programs[0]!.stageIds);
    }
    expect(seen.size).toBe(1);
    expect(maxStage).toBeLessThan(2 * 5);
  });

  it('running out of 16-bit stage ids is RESOURCE_EXHAUSTED, naming the program, and changes nothing', () => {
    // one primitive table per slot: an action of 300 primitives takes 300 stage ids
    const hv = new Hypervisor({ executor: never, image: { primitivesPerSlot: 1 } });
    const wide = (i: number) =>
      program(`wide-${i}`)
        .headers({ ethernet: std.ethernet })
        .metadata({ x: bit(16) })
        .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
        .stage('many', (t) => t.action('count', (a) => Array.from({ length: 300 }, () => 0).reduce((b) => b.assign('meta.x', b.get('meta.x').add(1)), a)).defaultAction('count').size(1));
    let refused: MpvisorError | undefined;
    let installed = 0;
    for (let i = 0; i < 300 && !refused; i++) {
      hv.createVpdp({ id: i, name: `t${i}`, ports: [i] });
      const epoch = hv.epoch;
      try {
        hv.install(i, wide(i));
        installed++;
      } catch (e) {
        refused = e as MpvisorError;
        expect(hv.epoch).toBe(epoch);
      }
    }
    expect(installed).toBe(Math.floor(0x10000 / 300));
    expect(refused?.code).toBe('RESOURCE_EXHAUSTED');
    expect(refused?.message).toMatch(/no room for 300 stage ids for "wide-218": ids are 16 bits/);
  });
});
