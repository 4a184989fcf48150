/**
 * RMT placement (issue: emulated RMT pipeline target, acceptance 2 and 3):
 * hand-built programs whose stage counts follow from Jose et al.'s
 * dependency rules place into exactly those counts; programs that do not fit
 * are refused naming the stage, the resource and the table; every example NF
 * and policy places; and, for random valid programs that place, every
 * dependency is respected and no stage exceeds any resource.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bit, header, MpvisorError, program, type Program } from '@mpvisor/mpapi';
import { DEFAULT_IMAGE } from '@mpvisor/runtime';
import {
  checkProfile,
  defineProfile,
  maxImageSlots,
  needsLaterStage,
  placeImage,
  placePipeline,
  profileByName,
  RMT_PROFILE,
  TOFINO_LIKE_PROFILE,
  type Placement,
  type RmtProfile,
} from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import { policyArb, programArb } from '../../mpapi/test/support/ir-arbitraries.js';

// ---- helpers ------------------------------------------------------------------

/** Stages of a placed table, by its id. */
function stagesOf(p: Placement, id: string): number[] {
  const t = p.tables.find((x) => x.table.id === id);
  if (!t) throw new Error(`table ${id} was not placed; placed: ${p.tables.map((x) => x.table.id).join(', ')}`);
  return t.stages.map((s) => s.stage);
}

const kindOf = (p: Placement, from: string, to: string): string | undefined => p.dependencies.find((d) => d.from === from && d.to === to)?.kind;

/** The RESOURCE_EXHAUSTED message placing `input` gives. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MpvisorError);
    expect((e as MpvisorError).code).toBe('RESOURCE_EXHAUSTED');
    return (e as MpvisorError).message;
  }
  throw new Error('expected a RESOURCE_EXHAUSTED refusal, but it placed');
}

// The DSL types field names as literals; the generated programs below name
// them in loops, so they go through an untyped builder.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A program with 8-bit metadata fields m0 … m(n-1) and no headers. */
function metaProgram(name: string, n: number, widths: Record<string, number> = {}): Loose {
  const meta: Record<string, ReturnType<typeof bit>> = {};
  for (let i = 0; i < n; i++) meta[`m${i}`] = bit(8);
  for (const [f, w] of Object.entries(widths)) meta[f] = bit(w);
  return (program(name) as Loose).metadata(meta).parser((p: Loose) => p.state('start', (s: Loose) => s.accept()));
}

/** k tables in a row, table i matching on m_i and writing m_{i+1}: k match dependencies' worth of stages. */
function matchChain(k: number, name = 'chain'): Program {
  let b = metaProgram(name, k + 1);
  for (let i = 0; i < k; i++)
    b = b.stage(`t${i}`, (t: Loose) => t.key({ [`meta.m${i}`]: 'exact' }).action('set', (a: Loose) => a.assign(`meta.m${i + 1}`, 1)).size(16));
  return b.toIR();
}

/** A custom profile whose latencies are all different, to tell them apart. */
const LAT = defineProfile({ name: 'latency-probe', latency: { match: 20, action: 7, successor: 3, reverseMatch: 2, none: 1 } });

// ---- dependency rules → stage counts -----------------------------------------------

describe('dependencies decide the stage count', () => {
  it.each([1, 2, 3, 5, 8, 32])('a chain of %i tables, each matching on what the previous wrote, takes that many stages', (k) => {
    const p = placePipeline(matchChain(k));
    expect(p.stagesUsed).toBe(k);
    for (let i = 0; i < k; i++) expect(stagesOf(p, `chain/t${i}`)).toEqual([i]);
    for (let i = 1; i < k; i++) expect(kindOf(p, `chain/t${i - 1}`, `chain/t${i}`)).toBe('match');
    // the first stage's own match and action, then a full match latency per step
    expect(p.latencyCycles).toBe(k * RMT_PROFILE.latency.match + RMT_PROFILE.fixedCycles);
  });

  it('independent tables share one stage', () => {
    let b = metaProgram('indep', 8);
    for (let i = 0; i < 4; i++)
      b = b.stage(`t${i}`, (t: Loose) => t.key({ [`meta.m${i}`]: 'exact' }).action('set', (a: Loose) => a.assign(`meta.m${i + 4}`, 1)).size(64));
    const p = placePipeline(b.toIR());
    expect(p.stagesUsed).toBe(1);
    expect(p.dependencies).toEqual([]);
    expect(p.latencyCycles).toBe(RMT_PROFILE.latency.match + RMT_PROFILE.fixedCycles);
  });

  it('the tables of an if/else share the stage of its gateway (successor dependencies)', () => {
    const ir = program('ifelse')
      .metadata({ a: bit(8), x: bit(8), y: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('yes', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('no', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.y', 1)))
      .control((c) => c.if(c.get('meta.a').eq(1), (c) => c.apply('yes'), (c) => c.apply('no')))
      .toIR();
    const p = placePipeline(ir);
    expect(p.stagesUsed).toBe(1);
    expect(kindOf(p, 'ifelse/#if_0', 'ifelse/yes')).toBe('successor');
    expect(kindOf(p, 'ifelse/#if_0', 'ifelse/no')).toBe('successor');
    expect(stagesOf(p, 'ifelse/#if_0')).toEqual([0]);
  });

  it('a table run on a hit or on an action of another shares its stage (successor)', () => {
    const ir = program('hitmiss')
      .metadata({ a: bit(8), b: bit(8), x: bit(8), y: bit(8), z: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('first', (t) => t.key({ 'meta.a': 'exact' }).action('hit', (a) => a.assign('meta.x', 1)).action('other', (a) => a.assign('meta.x', 2)))
      .stage('onhit', (t) => t.key({ 'meta.b': 'exact' }).action('set', (a) => a.assign('meta.y', 1)))
      .stage('onother', (t) => t.key({ 'meta.b': 'exact' }).action('set', (a) => a.assign('meta.z', 1)))
      .control((c) => c.apply('first', { actions: { hit: (c) => c.apply('onhit'), other: (c) => c.apply('onother') } }))
      .toIR();
    const p = placePipeline(ir);
    expect(p.stagesUsed).toBe(1);
    expect(kindOf(p, 'hitmiss/first', 'hitmiss/onhit')).toBe('successor');
    expect(kindOf(p, 'hitmiss/first', 'hitmiss/onother')).toBe('successor');
  });

  it('a table after the join of an if does not depend on its gateway', () => {
    const ir = program('join')
      .metadata({ a: bit(8), x: bit(8), y: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('inner', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('after', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.y', 1)))
      .control((c) => c.if(c.get('meta.a').eq(1), (c) => c.apply('inner')).apply('after'))
      .toIR();
    const p = placePipeline(ir);
    expect(kindOf(p, 'join/#if_0', 'join/inner')).toBe('successor');
    expect(kindOf(p, 'join/#if_0', 'join/after')).toBeUndefined();
    expect(p.stagesUsed).toBe(1);
  });

  it('two tables writing the same field (an action dependency) take two stages, 3 cycles apart', () => {
    const ir = program('waw')
      .metadata({ a: bit(8), b: bit(8), x: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('one', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('two', (t) => t.key({ 'meta.b': 'exact' }).action('set', (a) => a.assign('meta.x', 2)))
      .toIR();
    const p = placePipeline(ir);
    expect(kindOf(p, 'waw/one', 'waw/two')).toBe('action');
    expect(stagesOf(p, 'waw/one')).toEqual([0]);
    expect(stagesOf(p, 'waw/two')).toEqual([1]);
    expect(p.latencyCycles).toBe(RMT_PROFILE.latency.match + RMT_PROFILE.latency.action);
  });

  it("a table whose action reads what another's wrote is action dependent too", () => {
    const ir = program('raw')
      .metadata({ a: bit(8), b: bit(8), x: bit(8), y: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('one', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('two', (t) => t.key({ 'meta.b': 'exact' }).action('copy', (a) => a.assign('meta.y', a.get('meta.x'))))
      .toIR();
    const p = placePipeline(ir);
    expect(kindOf(p, 'raw/one', 'raw/two')).toBe('action');
    expect(p.stagesUsed).toBe(2);
  });

  it('a table writing a field an earlier table matches on (reverse match) shares its stage', () => {
    const ir = program('rev')
      .metadata({ a: bit(8), b: bit(8), x: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('reader', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('writer', (t) => t.key({ 'meta.b': 'exact' }).action('set', (a) => a.assign('meta.a', 2)))
      .toIR();
    const p = placePipeline(ir);
    expect(kindOf(p, 'rev/reader', 'rev/writer')).toBe('reverseMatch');
    expect(p.stagesUsed).toBe(1);
  });

  it('a mix: match → gateway → successor, then action and reverse match: 3 stages, 12 + 3 cycles', () => {
    const ir = program('mix')
      .metadata({ a: bit(8), b: bit(8), x: bit(8), y: bit(8), z: bit(8) })
      .parser((p) => p.state('start', (s) => s.accept()))
      .stage('t0', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.x', 1)))
      .stage('t1', (t) => t.key({ 'meta.b': 'exact' }).action('set', (a) => a.assign('meta.y', 1)))
      .stage('t2', (t) => t.key({ 'meta.a': 'exact' }).action('set', (a) => a.assign('meta.y', 2).assign('meta.b', 3)))
      .control((c) => c.apply('t0').if(c.get('meta.x').eq(1), (c) => c.apply('t1').apply('t2')))
      .toIR();
    const p = placePipeline(ir);
    expect(kindOf(p, 'mix/t0', 'mix/#if_0')).toBe('match'); // the gateway reads meta.x, which t0 writes
    expect(kindOf(p, 'mix/#if_0', 'mix/t1')).toBe('successor');
    expect(kindOf(p, 'mix/t1', 'mix/t2')).toBe('action'); // both write meta.y (t1 also matches meta.b, which t2 writes)
    expect(stagesOf(p, 'mix/t0')).toEqual([0]);
    expect(stagesOf(p, 'mix/#if_0')).toEqual([1]);
    expect(stagesOf(p, 'mix/t1')).toEqual([1]);
    expect(stagesOf(p, 'mix/t2')).toEqual([2]);
    expect(p.stagesUsed).toBe(3);
    expect(p.latencyCycles).toBe(2 * RMT_PROFILE.latency.match + RMT_PROFILE.latency.action);
  });

  it('a policy places its programs one after another, with the step condition as a gateway', () => {
    const p = placePipeline(policies.tenantB.toIR());
    expect(p.programs?.map((x) => [x.label, x.firstStage, x.lastStage])).toEqual([
      ['nat', 0, 0],
      ['router', 1, 2],
    ]);
    expect(stagesOf(p, 'router/$when')).toEqual([1]);
    expect(kindOf(p, 'router/$when', 'router/ipv4_lpm')).toBe('successor');
  });
});

describe('latency per dependency kind (Jose et al.: match 12, action 3, successor 1 cycles on RMT)', () => {
  it('RMT figures', () => {
    expect(RMT_PROFILE.latency).toEqual({ match: 12, action: 3, successor: 1, reverseMatch: 1, none: 1 });
  });

  /** Two independent ternary tables that cannot share a stage's 16 TCAM blocks. */
  const tcamHog = (name: string, second: (t: Loose) => Loose): Program =>
    metaProgram(name, 4, { k: 40 })
      .stage('big1', (t: Loose) => t.key({ 'meta.k': 'ternary' }).action('set', (a: Loose) => a.assign('meta.m0', 1)).size(9 * 2048))
      .stage('big2', (t: Loose) => second(t.key({ 'meta.k': 'ternary' })).size(9 * 2048))
      .toIR();

  it.each([
    ['match', 20, () => matchChain(2)],
    ['action', 7, () => tcamHog('act', (t) => t.action('set', (a: Loose) => a.assign('meta.m0', 2)))],
    ['reverseMatch', 2, () => tcamHog('rm', (t) => t.action('set', (a: Loose) => a.assign('meta.k', 2)))],
    ['none', 1, () => tcamHog('none', (t) => t.action('set', (a: Loose) => a.assign('meta.m1', 2)))],
  ] as const)('between two stages separated by a %s dependency: %i cycles', (kind, cycles, make) => {
    const p = placePipeline(make(), LAT);
    expect(p.stagesUsed).toBe(2);
    if (kind !== 'none') expect(p.dependencies.map((d) => d.kind)).toEqual([kind]);
    else expect(p.dependencies).toEqual([]);
    // the first stage counts a full match latency (20 on this probe profile), then the step
    expect(p.latencyCycles).toBe(LAT.latency.match + cycles);
  });

  it('a table split over two stages continues as a successor', () => {
    const ir = metaProgram('split', 2, { k: 40 })
      .stage('huge', (t: Loose) => t.key({ 'meta.k': 'ternary' }).action('set', (a: Loose) => a.assign('meta.m0', 1)).size(20 * 2048))
      .toIR();
    const p = placePipeline(ir, LAT);
    const huge = p.tables.find((t) => t.table.id === 'split/huge')!;
    expect(huge.stages.map((s) => [s.stage, s.entries, s.tcamBlocks])).toEqual([
      [0, 16 * 2048, 16],
      [1, 4 * 2048, 4],
    ]);
    expect(p.latencyCycles).toBe(LAT.latency.match + 3);
  });
});

// ---- refusals ------------------------------------------------------------------------

describe('programs that do not fit are refused, naming stage, resource and table', () => {
  it('stages: a chain of 33 match dependencies on 32 stages', () => {
    expect(refusal(() => placePipeline(matchChain(33)))).toMatch(/stages 32\/32: table chain\/t32 needs 1 more stage \(after stage 31\)/);
  });

  it('SRAM: an exact table larger than every stage together', () => {
    const ir = metaProgram('sram', 2, { k: 64 })
      .stage('huge', (t: Loose) => t.key({ 'meta.k': 'exact' }).action('set', (a: Loose) => a.assign('meta.m0', 1)).size(1 << 22))
      .toIR();
    expect(refusal(() => placePipeline(ir))).toMatch(/stage 31: SRAM blocks 106\/106; table sram\/huge needs \d+ more/);
  });

  it('TCAM: a ternary table larger than every stage together', () => {
    const ir = metaProgram('tcam', 2, { k: 32 })
      .stage('acl', (t: Loose) => t.key({ 'meta.k': 'ternary' }).action('set', (a: Loose) => a.assign('meta.m0', 1)).size(33 * 16 * 2048))
      .toIR();
    expect(refusal(() => placePipeline(ir))).toMatch(/stage 31: TCAM blocks 16\/16; table tcam\/acl needs 16 more/);
  });

  it('TCAM: the example firewall with an ACL of 2^20 entries on the Tofino-like profile', () => {
    const ir = programs.firewall.derive('big-fw').resize('acl', 1 << 20).toIR();
    expect(refusal(() => placePipeline(ir, TOFINO_LIKE_PROFILE))).toMatch(/stage 11: TCAM blocks 24\/24; table big-fw\/acl needs \d+ more/);
  });

  it('exact crossbar: a key wider than the 640-bit crossbar', () => {
    const ir = metaProgram('xbar', 2, { k: 700 })
      .stage('wide', (t: Loose) => t.key({ 'meta.k': 'exact' }).action('set', (a: Loose) => a.assign('meta.m0', 1)))
      .toIR();
    expect(refusal(() => placePipeline(ir))).toMatch(/stage 0: exact crossbar bits 0\/640; table xbar\/wide needs 60 more/);
  });

  it('ternary crossbar: a ternary key wider than the 528-bit Tofino-like crossbar', () => {
    const ir = metaProgram('txbar', 2, { k: 600 })
      .stage('wide', (t: Loose) => t.key({ 'meta.k': 'ternary' }).action('set', (a: Loose) => a.assign('meta.m0', 1)))
      .toIR();
    expect(refusal(() => placePipeline(ir, TOFINO_LIKE_PROFILE))).toMatch(/stage 0: ternary crossbar bits 0\/528; table txbar\/wide needs 72 more/);
  });

  it('PHV: more metadata than the 4096-bit PHV holds', () => {
    const ir = metaProgram('phv', 1, { a: 2048, b: 2048, c: 2048 })
      .stage('t', (t: Loose) => t.key({ 'meta.m0': 'exact' }).action('set', (a: Loose) => a.assign('meta.m0', 1)))
      .toIR();
    expect(refusal(() => placePipeline(ir))).toMatch(/PHV: 32-bit containers 64\/64 \(16-bit 96\/96, 8-bit 64\/64\); field meta\.\w+ needs \d+ more bits/);
  });

  it('action units: an action of 225 primitives on 224 units', () => {
    const ir = metaProgram('alu', 2)
      .stage('long', (t: Loose) =>
        t.key({ 'meta.m0': 'exact' }).action('many', (a: Loose) => {
          let x = a;
          for (let i = 0; i < 225; i++) x = x.assign('meta.m1', i % 256);
          return x;
        }),
      )
      .toIR();
    expect(refusal(() => placePipeline(ir))).toMatch(/stage 0: action units 0\/224; table alu\/long needs 1 more/);
  });

  it('tables per stage: 9 ternary tables on a one-stage chip with 8 ternary slots', () => {
    const one = defineProfile({ name: 'one-stage', stages: 1 });
    let b = metaProgram('slots', 10);
    for (let i = 0; i < 9; i++)
      b = b.stage(`t${i}`, (t: Loose) => t.key({ [`meta.m${i}`]: 'ternary' }).action('noop', (a: Loose) => a).size(16));
    expect(refusal(() => placePipeline(b.toIR(), one))).toMatch(/stage 0: ternary tables 8\/8; table slots\/t8 needs 1 more/);
  });

  it('exact tables per stage: 9 exact tables on a one-stage chip with 8 exact slots', () => {
    const one = defineProfile({ name: 'one-stage', stages: 1 });
    let b = metaProgram('eslots', 10);
    for (let i = 0; i < 9; i++)
      b = b.stage(`t${i}`, (t: Loose) => t.key({ [`meta.m${i}`]: 'exact' }).action('noop', (a: Loose) => a).size(16));
    expect(refusal(() => placePipeline(b.toIR(), one))).toMatch(/stage 0: exact tables 8\/8; table eslots\/t8 needs 1 more/);
  });

  it('gateways: 17 ifs on a one-stage Tofino-like chip with 16 gateways', () => {
    const one = defineProfile({ name: 'one-stage-tofino', stages: 1 }, TOFINO_LIKE_PROFILE);
    let b = metaProgram('gw', 17);
    for (let i = 0; i < 17; i++) b = b.stage(`t${i}`, (t: Loose) => t.action('noop', (a: Loose) => a));
    b = b.control((c: Loose) => {
      let x = c;
      for (let i = 0; i < 17; i++) x = x.if(c.get(`meta.m${i}`).eq(1), (c2: Loose) => c2.apply(`t${i}`));
      return x;
    });
    expect(refusal(() => placePipeline(b.toIR(), one))).toMatch(/stage 0: gateways 16\/16; table gw\/#if_\d+ needs 1 more/);
  });

  it('a refused program is refused with one RESOURCE_EXHAUSTED error, not a crash', () => {
    const e = (() => {
      try {
        placePipeline(matchChain(40));
      } catch (x) {
        return x as MpvisorError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('RESOURCE_EXHAUSTED');
    expect(e?.issues).toHaveLength(1);
  });
});

// ---- the example NFs --------------------------------------------------------------------

describe('every example NF and policy places', () => {
  // Stage counts follow from the dependency rules: e.g. the router's forward
  // table matches on the next hop ipv4_lpm writes (2 stages); ecmp chains
  // group → next hop → egress-port MAC (3); the stateful firewall's gateways
  // read what track and the window tables write (3).
  const expected: Record<string, [rmt: number, tofino: number]> = {
    l2switch: [1, 1],
    firewall: [1, 1],
    router: [2, 3],
    arpProxy: [1, 1],
    nat: [1, 2],
    statefulFirewall: [3, 3],
    ecmp: [3, 4],
    fwStrict: [1, 2],
    tenantA: [2, 2],
    tenantB: [3, 5],
  };
  const all = { ...programs, ...policies };

  it.each(Object.keys(expected))('%s', (name) => {
    const nf = all[name as keyof typeof all];
    const [rmt, tofino] = expected[name]!;
    expect(placePipeline(nf.toIR(), RMT_PROFILE).stagesUsed).toBe(rmt);
    expect(placePipeline(nf.toIR(), TOFINO_LIKE_PROFILE).stagesUsed).toBe(tofino);
  });

  it('covers every example', () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(all).sort());
  });

  it('puts large tables where they fit: the router LPM table in TCAM, NAT in SRAM', () => {
    const router = placePipeline(programs.router.toIR());
    const lpm = router.tables.find((t) => t.table.id === 'router/ipv4_lpm')!;
    expect(lpm.table.kind).toBe('ternary');
    expect(lpm.stages).toEqual([{ stage: 0, entries: 16384, sramBlocks: 8, tcamBlocks: 8 }]);
    const nat = placePipeline(programs.nat.toIR()).tables.find((t) => t.table.id === 'nat/nat_snat')!;
    // 56-bit key + 32 overhead = 88 bits: one entry per 112-bit word, 64 blocks; 49 bits of action data: two per word, 32 blocks
    expect(nat.stages).toEqual([{ stage: 0, entries: 65536, sramBlocks: 96, tcamBlocks: 0 }]);
  });

  it("keeps the stateful firewall's registers in the SRAM of their first user's stage", () => {
    const p = placePipeline(programs.statefulFirewall.toIR());
    const track = p.tables.find((t) => t.table.id === 'stateful-firewall/track')!;
    expect(track.table.stateful?.map((m) => m.name).sort()).toEqual(['pkt_count', 'window_start']);
    expect(track.stages).toEqual([{ stage: 0, entries: 0, sramBlocks: 2, tcamBlocks: 0 }]);
    expect(p.stages[0]!.sramBreakdown?.state).toBe(2);
  });
});

// ---- the hypervisor's generic image ---------------------------------------------------------

describe('the generic image', () => {
  it('with the default configuration (K = 16): one slot on RMT, none on the 12-stage profile — the primitive tables chain by action dependencies', () => {
    expect(maxImageSlots(RMT_PROFILE, DEFAULT_IMAGE)).toBe(1);
    expect(maxImageSlots(TOFINO_LIKE_PROFILE, DEFAULT_IMAGE)).toBe(0);
    expect(refusal(() => placeImage(RMT_PROFILE, { ...DEFAULT_IMAGE, slots: 2 }))).toMatch(/stages 32\/32: table image\/slot1_primitive\d+ needs 1 more stage/);
    expect(refusal(() => placeImage(TOFINO_LIKE_PROFILE, { ...DEFAULT_IMAGE, slots: 1 }))).toMatch(/stages 12\/12: table image\/slot0_primitive\d+ needs 1 more stage/);
    // fewer primitive tables per slot: more slots
    expect(maxImageSlots(RMT_PROFILE, { ...DEFAULT_IMAGE, primitivesPerSlot: 4 })).toBe(3);
    expect(maxImageSlots(TOFINO_LIKE_PROFILE, { ...DEFAULT_IMAGE, primitivesPerSlot: 4 })).toBe(1);
  });

  it('a match key wider than the crossbar does not place', () => {
    expect(refusal(() => placeImage(RMT_PROFILE, { ...DEFAULT_IMAGE, slots: 1, matchKeyBits: 600 }))).toMatch(/ternary crossbar bits \d+\/640; table image\/slot0_match_header needs \d+ more/);
  });

  it('a smaller image places, and as many slots as the stages allow', () => {
    const small = { ...DEFAULT_IMAGE, headerBits: 256, userBits: 128, primitivesPerSlot: 4 };
    const n = maxImageSlots(RMT_PROFILE, small);
    expect(n).toBeGreaterThan(0);
    expect(() => placeImage(RMT_PROFILE, { ...small, slots: n })).not.toThrow();
    expect(refusal(() => placeImage(RMT_PROFILE, { ...small, slots: n + 1 }))).toMatch(/stage|stages/);
  });
});

// ---- profiles ----------------------------------------------------------------------------------

describe('profiles', () => {
  it('by name', () => {
    expect(profileByName('rmt')).toBe(RMT_PROFILE);
    expect(profileByName('Tofino-Like')).toBe(TOFINO_LIKE_PROFILE);
    expect(() => profileByName('nope')).toThrow(/unknown RMT profile "nope"; known profiles: rmt, tofino-like/);
  });

  it('the built-in profiles are sound', () => {
    expect(checkProfile(RMT_PROFILE)).toEqual([]);
    expect(checkProfile(TOFINO_LIKE_PROFILE)).toEqual([]);
    expect(RMT_PROFILE.actionUnits).toBe(RMT_PROFILE.phv[8] + RMT_PROFILE.phv[16] + RMT_PROFILE.phv[32]);
  });

  it('user-defined profiles are checked, every problem reported with its path', () => {
    const p = defineProfile({ name: 'mine', stages: 4, sram: { blocks: 10 } });
    expect(p.sram).toEqual({ blocks: 10, words: 1024, wordBits: 112 });
    expect(p.tcam).toEqual(RMT_PROFILE.tcam);
    try {
      defineProfile({ name: 'bad', stages: 0, sram: { wordBits: 1.5 }, latency: { match: -1 } });
      expect.unreachable();
    } catch (e) {
      const err = e as MpvisorError;
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.issues.map((i) => i.path)).toEqual(['$.stages', '$.sram.wordBits', '$.latency.match']);
      expect(err.issues[0]!.message).toBe('profile "bad": stages must be an integer >= 1, got 0');
    }
  });
});

// ---- property: placement respects dependencies and resources ----------------------------------

/** Check a placement against its profile: dependencies in stage order, no stage over any resource. */
function checkPlacement(p: Placement): void {
  const prof: RmtProfile = p.profile;
  const span = new Map(p.tables.map((t) => [t.table.id, { first: t.stages[0]!.stage, last: t.stages[t.stages.length - 1]!.stage }]));
  for (const d of p.dependencies) {
    const a = span.get(d.from)!;
    const b = span.get(d.to)!;
    if (needsLaterStage(d.kind)) expect(b.first, `${d.kind} ${d.from} → ${d.to}`).toBeGreaterThan(a.last);
    else expect(b.first, `${d.kind} ${d.from} → ${d.to}`).toBeGreaterThanOrEqual(a.last);
  }
  const usage = Array.from({ length: prof.stages }, () => ({ exact: 0, ternary: 0, gateways: 0, sram: 0, tcam: 0, xe: 0, xt: 0, alu: 0 }));
  for (const t of p.tables) {
    // split tables take consecutive stages and all their entries
    t.stages.forEach((s, i) => i > 0 && expect(s.stage).toBe(t.stages[i - 1]!.stage + 1));
    expect(t.stages.reduce((n, s) => n + s.entries, 0)).toBe(t.table.entries);
    for (const s of t.stages) {
      const u = usage[s.stage]!;
      if (t.table.kind === 'gateway') u.gateways++;
      else if (t.table.kind === 'ternary') u.ternary++;
      else u.exact++;
      if (t.table.kind === 'ternary') u.xt += t.table.keyBits;
      else u.xe += t.table.keyBits;
      u.alu += t.table.primitives;
      u.sram += s.sramBlocks;
      u.tcam += s.tcamBlocks;
    }
  }
  usage.forEach((u, i) => {
    const s = p.stages[i]!;
    expect([s.exactTables, s.ternaryTables, s.sramBlocks, s.tcamBlocks, s.exactCrossbarBits, s.ternaryCrossbarBits, s.actionUnits]).toEqual([
      u.exact,
      u.ternary,
      u.sram,
      u.tcam,
      u.xe,
      u.xt,
      u.alu,
    ]);
    expect(u.exact).toBeLessThanOrEqual(prof.tablesPerStage.exact);
    expect(u.ternary).toBeLessThanOrEqual(prof.tablesPerStage.ternary);
    if (prof.gateways !== undefined) expect(u.gateways).toBeLessThanOrEqual(prof.gateways);
    if (prof.logicalTablesPerStage !== undefined) expect(u.exact + u.ternary).toBeLessThanOrEqual(prof.logicalTablesPerStage);
    expect(u.sram).toBeLessThanOrEqual(prof.sram.blocks);
    expect(u.tcam).toBeLessThanOrEqual(prof.tcam.blocks);
    expect(u.xe).toBeLessThanOrEqual(prof.crossbar.exactBits);
    expect(u.xt).toBeLessThanOrEqual(prof.crossbar.ternaryBits);
    expect(u.alu).toBeLessThanOrEqual(prof.actionUnits);
  });
  // PHV: within capacity; within one program, no two fields share a bit
  for (const w of [8, 16, 32] as const) expect(p.phv.used[w]).toBeLessThanOrEqual(prof.phv[w]);
  const taken = new Map<string, Set<string>>();
  for (const [name, pieces] of p.phv.fields) {
    const scope = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    for (const piece of pieces) {
      expect(piece.offset + piece.bits).toBeLessThanOrEqual(piece.width);
      for (let b = piece.offset; b < piece.offset + piece.bits; b++) {
        const bit = `${piece.container}:${b}`;
        for (const [other, bits] of taken) if (other === scope || other === '' || scope === '') expect(bits.has(bit), `${name} overlaps at ${bit}`).toBe(false);
        taken.set(scope, (taken.get(scope) ?? new Set()).add(bit));
      }
    }
  }
}

describe('property: any valid program that places respects every dependency and every resource', () => {
  const placeOrSkip = (ir: Program | Parameters<typeof placePipeline>[0], profile: RmtProfile): Placement | undefined => {
    try {
      return placePipeline(ir, profile);
    } catch (e) {
      if (e instanceof MpvisorError && e.code === 'RESOURCE_EXHAUSTED') return undefined;
      throw e;
    }
  };

  it.each([RMT_PROFILE, TOFINO_LIKE_PROFILE, defineProfile({ name: 'tiny', stages: 3, sram: { blocks: 4 }, tcam: { blocks: 2 }, tablesPerStage: { exact: 2, ternary: 1 }, gateways: 2 })])(
    'programs on $name',
    (profile) => {
      let placed = 0;
      fc.assert(
        fc.property(programArb, (ir) => {
          const p = placeOrSkip(ir, profile);
          if (!p) return;
          placed++;
          checkPlacement(p);
        }),
        { numRuns: 300 },
      );
      expect(placed).toBeGreaterThan(0);
    },
  );

  it('policies on the RMT profile', () => {
    fc.assert(
      fc.property(policyArb, (ir) => {
        const p = placeOrSkip(ir, RMT_PROFILE);
        if (p) checkPlacement(p);
      }),
      { numRuns: 150 },
    );
  });
});
