/**
 * The RMT reports: the text report says exactly what the placement holds
 * (every stage's tables and resources, PHV, pipeline length, latency with
 * its steps summing to the placement's figure); the SVG chart is
 * well-formed XML, deterministic and names every placed table; the
 * native/virtualized comparison and the image capacity agree with
 * placePipeline, placeImage, maxImageSlots and the hypervisor's install
 * reports; maxImageSlots is the largest N that places.
 */
import { describe, expect, it } from 'vitest';
import { MpvisorError } from '@mpvisor/mpapi';
import { DEFAULT_IMAGE, Hypervisor, type ImageConfig } from '@mpvisor/runtime';
import {
  maxImageSlots,
  placeImage,
  placePipeline,
  ReferenceSlotEngine,
  RMT_PROFILE,
  TOFINO_LIKE_PROFILE,
  type ContainerWidth,
  type LogicalTable,
  type PlacedTable,
  type Placement,
  type RmtProfile,
} from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';
import {
  compareNativeVirtual,
  formatCapacity,
  formatComparison,
  formatPlacement,
  imageCapacity,
  phvBits,
  placeBeside,
  stageRows,
  placementTotals,
} from '../src/rmt/report.js';
import { escapeXml, placementSvg } from '../src/rmt/svg.js';
import { latencyBreakdown } from '../src/rmt/latency.js';

const PROFILES = [RMT_PROFILE, TOFINO_LIKE_PROFILE] as const;
const SEEDS = [
  { name: 'l2-switch', source: programs.l2switch },
  { name: 'firewall', source: programs.firewall },
  { name: 'router', source: programs.router },
  { name: 'arp-proxy', source: programs.arpProxy },
];
const ALL = [...Object.entries(programs), ...Object.entries(policies)].map(([name, source]) => ({ name, source }));
/** An image small enough to place on the RMT profile (the header area is a ternary key: it must fit the crossbar). */
const SMALL_IMAGE: ImageConfig = { ...DEFAULT_IMAGE, slots: 1, headerBits: 400 };

// ---------------------------------------------------------------- a small XML well-formedness check

/** Problems with `text` as XML: tags balance, names and attributes are well-formed and quoted, `&` starts an entity, one root. */
function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const NAME = /^[A-Za-z_:][\w.:-]*/;
  const checkText = (t: string, at: number): void => {
    for (const m of t.matchAll(/&[^;\s]*;?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) problems.push(`bad entity ${m[0]} at ${at + m.index}`);
    if (t.includes('>')) problems.push(`stray > at ${at}`);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (stack.length === 0 && chunk.trim() !== '') problems.push(`text outside the root at ${i}`);
    checkText(chunk, i);
    if (lt < 0) break;
    if (text.startsWith('<?', lt) || text.startsWith('<!--', lt)) {
      const close = text.startsWith('<?', lt) ? '?>' : '-->';
      const e = text.indexOf(close, lt);
      if (e < 0) return [...problems, `unclosed ${close} at ${lt}`];
      i = e + close.length;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) return [...problems, `unclosed tag at ${lt}`];
    let tag = text.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      if (selfClosing) tag = tag.slice(0, -1);
      const name = NAME.exec(tag)?.[0];
      if (name === undefined) {
        problems.push(`bad tag at ${lt}`);
        i = gt + 1;
        continue;
      }
      let rest = tag.slice(name.length);
      const seen = new Set<string>();
      while (rest.trim() !== '') {
        const m = /^\s+([A-Za-z_:][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(rest);
        if (!m) {
          problems.push(`bad attribute in <${name}> at ${lt}: ${rest.slice(0, 30)}`);
          break;
        }
        if (seen.has(m[1]!)) problems.push(`duplicate attribute ${m[1]} in <${name}> at ${lt}`);
        seen.add(m[1]!);
        checkText(m[3] ?? m[4] ?? '', lt);
        rest = rest.slice(m[0].length);
      }
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

describe('the XML check itself', () => {
  it('finds what is wrong', () => {
    expect(xmlProblems('<a><b/><c x="1">t &amp; u</c></a>')).toEqual([]);
    expect(xmlProblems('<a><b></a>')).not.toEqual([]);
    expect(xmlProblems('<a x=1/>')).not.toEqual([]);
    expect(xmlProblems('<a>&</a>')).not.toEqual([]);
    expect(xmlProblems('<a/><b/>')).not.toEqual([]);
  });
});

// ---------------------------------------------------------------- a hand-built placement

const PROFILE: RmtProfile = {
  name: 'test <&> chip',
  source: 'hand-built',
  stages: 6,
  sram: { blocks: 10, words: 1024, wordBits: 112 },
  tcam: { blocks: 4, entries: 2048, bits: 40 },
  crossbar: { exactBits: 640, ternaryBits: 640 },
  tablesPerStage: { exact: 2, ternary: 2 },
  phv: { 8: 4, 16: 4, 32: 4 },
  actionUnits: 12,
  latency: { match: 12, action: 3, successor: 1, reverseMatch: 1, none: 1 },
  fixedCycles: 10,
};
const lt = (program: string, node: string, kind: LogicalTable['kind'], entries = 0): LogicalTable => ({
  id: `${program}/${node}`,
  program,
  node,
  kind,
  entries,
  keyBits: 48,
  actionDataBits: 16,
  matchReads: [],
  actionReads: [],
  actionWrites: [],
  primitives: 1,
});
const pt = (t: LogicalTable, stages: [number, number, number, number][], actionUnits: number): PlacedTable => ({
  table: t,
  stages: stages.map(([stage, entries, sramBlocks, tcamBlocks]) => ({ stage, entries, sramBlocks, tcamBlocks })),
  crossbarBits: t.keyBits,
  actionUnits,
});
const usage = (stage: number, tables: string[], u: Partial<Omit<Placement['stages'][number], 'stage' | 'tables'>>): Placement['stages'][number] => ({
  stage,
  tables,
  exactTables: 0,
  ternaryTables: 0,
  sramBlocks: 0,
  tcamBlocks: 0,
  exactCrossbarBits: 0,
  ternaryCrossbarBits: 0,
  actionUnits: 0,
  ...u,
});
const DRAFT: Omit<Placement, 'latency' | 'latencyCycles'> = {
  profile: PROFILE,
  tables: [
    pt(lt('l2', 'smac', 'exact', 1024), [[0, 1024, 2, 0]], 1),
    pt(lt('l2', 'dmac', 'exact', 4096), [[1, 4096, 5, 0]], 2),
    pt(lt('fw', 'if_0', 'gateway'), [[1, 0, 0, 0]], 0),
    pt(lt('fw', 'acl<x>', 'ternary', 3000), [[2, 2048, 1, 4], [3, 952, 1, 2]], 3),
  ],
  dependencies: [
    { from: 'l2/smac', to: 'l2/dmac', kind: 'successor' },
    { from: 'l2/dmac', to: 'fw/acl<x>', kind: 'match', field: 'standard.egressPort' },
    { from: 'fw/if_0', to: 'fw/acl<x>', kind: 'successor' },
  ],
  stages: [
    usage(0, ['l2/smac'], { exactTables: 1, sramBlocks: 2, exactCrossbarBits: 48, actionUnits: 1 }),
    usage(1, ['l2/dmac', 'fw/if_0'], { exactTables: 1, sramBlocks: 5, exactCrossbarBits: 96, actionUnits: 2, gateways: 1 }),
    usage(2, ['fw/acl<x>'], { ternaryTables: 1, sramBlocks: 1, tcamBlocks: 4, ternaryCrossbarBits: 48, actionUnits: 3 }),
    usage(3, ['fw/acl<x>'], { ternaryTables: 1, sramBlocks: 1, tcamBlocks: 2, ternaryCrossbarBits: 48, actionUnits: 3 }),
  ],
  stagesUsed: 4,
  phv: { fields: new Map([['ethernet.dst', [{ container: 8, width: 32 as ContainerWidth, bits: 32, offset: 0 }, { container: 4, width: 16 as ContainerWidth, bits: 16, offset: 0 }]]]), used: { 8: 1, 16: 2, 32: 3 } },
};
// parser/deparser 10, the first stage 12, 0→1 successor 1, 1→2 match 12, 2→3 split (successor) 1
const FIXTURE: Placement = { ...DRAFT, latency: latencyBreakdown(DRAFT), latencyCycles: 36 };

// ---------------------------------------------------------------- the text report

/** The stage rows of a formatted placement: stage → its cells. */
function stageTable(text: string): Map<number, string[]> {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^\s+stage\s+tables/.test(l));
  const rows = new Map<number, string[]>();
  for (const line of lines.slice(header + 2)) {
    if (!/^\s+\d+ {2}/.test(line)) break;
    const cells = line.trim().split(/ {2,}/);
    rows.set(Number(cells[0]), cells);
  }
  return rows;
}

/** Every figure formatPlacement must show for a placement, checked against the text. */
function expectReportMatches(p: Placement, text: string): void {
  const f = p.profile;
  const rows = stageTable(text);
  expect([...rows.keys()]).toEqual(stageRows(p).filter((r) => r.stage < p.stagesUsed).map((r) => r.stage));
  for (const s of stageRows(p).filter((r) => r.stage < p.stagesUsed)) {
    const cells = rows.get(s.stage)!;
    expect(cells[1]!.split(', ').map((x) => x.replace(/\*$/, ''))).toEqual(s.tables.length > 0 ? s.tables : ['(empty)']);
    expect(cells.slice(2)).toEqual([
      `${s.exactTables}/${f.tablesPerStage.exact}`,
      `${s.ternaryTables}/${f.tablesPerStage.ternary}`,
      f.gateways !== undefined ? `${s.gateways ?? 0}/${f.gateways}` : String(s.gateways ?? 0),
      `${s.sramBlocks}/${f.sram.blocks}`,
      `${s.tcamBlocks}/${f.tcam.blocks}`,
      `${s.exactCrossbarBits}/${f.crossbar.exactBits}`,
      `${s.ternaryCrossbarBits}/${f.crossbar.ternaryBits}`,
      `${s.actionUnits}/${f.actionUnits}`,
    ]);
  }
  const sum = placementTotals(p);
  expect(text).toContain(`SRAM ${sum.sramBlocks}/${f.stages * f.sram.blocks} blocks`);
  expect(text).toContain(`TCAM ${sum.tcamBlocks}/${f.stages * f.tcam.blocks} blocks`);
  expect(text).toContain(`PHV: 8-bit ${p.phv.used[8]}/${f.phv[8]}, 16-bit ${p.phv.used[16]}/${f.phv[16]}, 32-bit ${p.phv.used[32]}/${f.phv[32]} containers; ${phvBits(p).used} of ${phvBits(p).total} bits`);
  expect(text).toContain(`Pipeline length: ${p.stagesUsed} of ${f.stages} stages`);
  expect(text).toContain(`in ${p.stagesUsed} of ${f.stages} stages, ${p.latencyCycles} cycles per pass`);
  const l = p.latency;
  // the steps are the placement's latency, step by step
  expect(l.total).toBe(p.latencyCycles);
  expect(l.gaps.length).toBe(Math.max(0, p.stagesUsed - 1));
  expect(text).toContain(`Latency: ${p.latencyCycles} cycles per pass = ${f.fixedCycles} (parser + deparser) + ${l.firstStage} (the first stage's match and action)${l.gaps.map((g) => ` + ${g.cycles}`).join('')}`);
  expect(l.fixed + l.firstStage + l.gaps.reduce((a, g) => a + g.cycles, 0)).toBe(p.latencyCycles);
  for (const g of l.gaps) expect(text).toContain(`stage ${g.from} → ${g.to}: ${g.kind}, ${g.cycles} cycle`);
  expect(text).not.toContain('the breakdown sums to');
}

describe('formatPlacement', () => {
  it('a hand-built placement: every stage figure, the split table, PHV and the latency steps', () => {
    const text = formatPlacement(FIXTURE, { title: 'fixture' });
    expectReportMatches(FIXTURE, text);
    expect(text).toContain('fw/acl<x>*');
    expect(text).toContain('split over stages: fw/acl<x> (stage 2: 2048 entries, stage 3: 952 entries)');
    expect(text).toContain('stage 0 → 1: successor, 1 cycle (l2/smac -successor-> l2/dmac)');
    expect(text).toContain('stage 1 → 2: match, 12 cycles (l2/dmac -match(standard.egressPort)-> fw/acl<x>)');
    expect(text).toContain('stage 2 → 3: successor, 1 cycle (fw/acl<x> is split across both stages)');
  });

  describe.each(PROFILES)('profile $name', (profile) => {
    it.each(ALL)('$name: the report shows what placePipeline placed', ({ source }) => {
      const p = placePipeline(source, profile);
      expectReportMatches(p, formatPlacement(p));
    });

    it('a policy: a program boundary is a match step', () => {
      const p = placePipeline(policies.tenantA, profile);
      const l = p.latency;
      expect(l.total).toBe(p.latencyCycles);
      const programs = p.programs ?? [];
      expect(programs.length).toBe(2);
      const boundary = programs[0]!.lastStage;
      if (programs[1]!.firstStage === boundary + 1) {
        const gap = l.gaps.find((g) => g.from === boundary)!;
        expect(gap.kind).toBe('match');
      }
    });
  });

  it('the image (small enough to place): the report shows what placeImage placed', () => {
    const p = placeImage(RMT_PROFILE, SMALL_IMAGE);
    expectReportMatches(p, formatPlacement(p, { title: 'image' }));
  });
});

// ---------------------------------------------------------------- the SVG chart

describe('placementSvg', () => {
  const cases: { name: string; placement: () => Placement }[] = [
    { name: 'hand-built', placement: () => FIXTURE },
    ...PROFILES.flatMap((profile) => ALL.map(({ name, source }) => ({ name: `${name} on ${profile.name}`, placement: () => placePipeline(source, profile) }))),
    { name: 'image on rmt', placement: () => placeImage(RMT_PROFILE, SMALL_IMAGE) },
  ];

  it.each(cases)('$name: well-formed, deterministic, every placed table and stage, the legend and the profile', ({ name, placement }) => {
    const p = placement();
    const svg = placementSvg(p, `${name} <chart> & "title"`);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // same input, same bytes: again, and from a placement computed again
    expect(placementSvg(p, `${name} <chart> & "title"`)).toBe(svg);
    expect(placementSvg(placement(), `${name} <chart> & "title"`)).toBe(svg);
    for (const t of p.tables) for (const s of t.stages) expect(svg).toContain(`<title>${escapeXml(t.table.id)} (${t.table.kind}`);
    for (let s = 0; s < p.profile.stages; s++) expect(svg).toContain(`<g id="stage-${s}">`);
    expect(svg).toContain(`profile ${escapeXml(p.profile.name)}: ${p.stagesUsed} of ${p.profile.stages} stages used`);
    for (const label of ['SRAM blocks', 'TCAM blocks', 'exact crossbar bits', 'ternary crossbar bits', 'action units', 'exact table slots', 'ternary table slots']) expect(svg).toContain(label);
    // a bar per resource in every used stage, its figure in its tooltip
    for (const r of stageRows(p).filter((x) => x.tables.length > 0)) {
      expect(svg).toContain(`stage ${r.stage}: SRAM blocks ${r.sramBlocks} of ${p.profile.sram.blocks}`);
      expect(svg).toContain(`stage ${r.stage}: TCAM blocks ${r.tcamBlocks} of ${p.profile.tcam.blocks}`);
      expect(svg).toContain(`stage ${r.stage}: action units ${r.actionUnits} of ${p.profile.actionUnits}`);
    }
    // an arrow for each step a dependency sets
    const arrows = p.latency.gaps.filter((g) => g.reason !== undefined && 'dependency' in g.reason).length;
    expect(svg.match(/marker-end=/g)?.length ?? 0).toBe(arrows);
    // and a dashed line for each program boundary of a policy
    const boundaries = p.latency.gaps.filter((g) => g.reason !== undefined && 'boundary' in g.reason);
    expect(svg.match(/<title>program boundary /g)?.length ?? 0).toBe(boundaries.length);
    if (name.startsWith('tenantA')) expect(boundaries.length).toBe(1);
  });
});

// ---------------------------------------------------------------- natively and virtualized; the image's capacity

describe.each(PROFILES)('the seed NFs natively and under the hypervisor, profile $name', (profile) => {
  it.each([DEFAULT_IMAGE, SMALL_IMAGE, { ...SMALL_IMAGE, headerBits: 1200 }])('image N=$slots, header $headerBits bits: the figures are the placements\' and the install reports\'', (image) => {
    const c = compareNativeVirtual(SEEDS, profile, image);
    let virtual: Placement | undefined;
    try {
      virtual = placeImage(profile, image);
    } catch (e) {
      expect((e as MpvisorError).code).toBe('RESOURCE_EXHAUSTED');
      expect(c.virtual).toEqual({ refused: (e as Error).message });
    }
    if (virtual) {
      expect('figures' in c.virtual && c.virtual.figures).toEqual({
        stages: virtual.stagesUsed,
        tables: virtual.tables.length,
        sramBlocks: placementTotals(virtual).sramBlocks,
        tcamBlocks: placementTotals(virtual).tcamBlocks,
        phvBits: phvBits(virtual).used,
        latencyCycles: virtual.latencyCycles,
      });
    }
    expect(c.rows.map((r) => r.name)).toEqual(SEEDS.map((s) => s.name));
    for (const [i, r] of c.rows.entries()) {
      const native = placePipeline(SEEDS[i]!.source, profile);
      expect('figures' in r.native && r.native.figures).toEqual({
        stages: native.stagesUsed,
        tables: native.tables.length,
        sramBlocks: placementTotals(native).sramBlocks,
        tcamBlocks: placementTotals(native).tcamBlocks,
        phvBits: phvBits(native).used,
        latencyCycles: native.latencyCycles,
      });
      // the passes are the hypervisor's own worst case for this image
      let worst: number | undefined;
      try {
        const hv = new Hypervisor({ executor: new ReferenceSlotEngine(), image });
        hv.createVpdp({ id: 1, name: r.name, ports: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], multicastGroups: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], cloneSessions: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] });
        worst = hv.install(1, SEEDS[i]!.source).programs.reduce((a, p) => a + p.worstCasePasses, 0);
      } catch {
        worst = undefined;
      }
      if (worst === undefined) expect('refused' in r.passes).toBe(true);
      else expect(r.passes).toEqual({ worst, perProgram: [worst] });
    }
    const text = formatComparison(c);
    for (const s of SEEDS) expect(text).toContain(s.name);
    if (virtual) {
      const v = 'figures' in c.virtual ? c.virtual.figures : undefined;
      for (const r of c.rows) {
        if (!('figures' in r.native) || !('worst' in r.passes)) continue;
        const line = text.split('\n').find((l) => l.trimStart().startsWith(`${r.name} `))!;
        expect(line).toContain(`${r.native.figures.stages} → ${v!.stages}`);
        expect(line).toContain(`${r.native.figures.latencyCycles} → ${v!.latencyCycles * r.passes.worst}`);
      }
    } else expect(text).toContain('does not fit');
  });
});

describe.each(PROFILES)('maxImageSlots, profile $name', (profile) => {
  it.each([DEFAULT_IMAGE, SMALL_IMAGE, { ...SMALL_IMAGE, primitivesPerSlot: 4 }])('header $headerBits bits, K=$primitivesPerSlot: the largest N that places; N+1 does not', (image) => {
    const n = maxImageSlots(profile, image);
    expect(n).toBeGreaterThanOrEqual(0);
    if (n > 0) expect(placeImage(profile, { ...image, slots: n }).stagesUsed).toBeLessThanOrEqual(profile.stages);
    let refusal: unknown;
    try {
      placeImage(profile, { ...image, slots: n + 1 });
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(MpvisorError);
    expect((refusal as MpvisorError).code).toBe('RESOURCE_EXHAUSTED');

    const c = imageCapacity(profile, image, SEEDS);
    expect(c.maxSlots).toBe(n);
    expect(c.nextRefused).toBe((refusal as Error).message);
    const text = formatCapacity(c);
    expect(text).toContain((refusal as Error).message);
    if (n === 0) {
      expect(text).toContain(`Max image slots on profile ${profile.name}: none`);
      expect(c.placement).toBeUndefined();
    } else {
      expect(text).toContain(`Max image slots on profile ${profile.name}: N=${n} `);
      const p = c.placement!;
      expect(p.stagesUsed).toBe(placeImage(profile, { ...image, slots: n }).stagesUsed);
      expect(text).toContain(`left for tenants' native programs: ${profile.stages - p.stagesUsed} empty stage`);
      for (const b of c.beside) {
        expect(text).toContain(b.name);
        if (b.fits) {
          // both placed: every table of the image and of the NF
          const together = placeBeside(profile, { ...image, slots: n }, SEEDS.find((s) => s.name === b.name)!.source);
          expect(together.tables.length).toBe(p.tables.length + placePipeline(SEEDS.find((s) => s.name === b.name)!.source, profile).tables.length);
        }
      }
    }
  });
});
