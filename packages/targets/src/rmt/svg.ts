/**
 * A placement as a picture: a standalone SVG stage-occupancy chart. One
 * column per physical stage; in each, bars for the stage's SRAM and TCAM
 * blocks, exact and ternary crossbar bits, action units and exact and
 * ternary table slots, each as a fraction of what the stage has; under
 * them the logical tables placed there, coloured by program (a gateway
 * dashed); arrows for the dependencies that set the latency; a legend and
 * the profile. Stages that hold nothing are drawn narrow. The output is a
 * function of the placement and the title only: same input, same bytes.
 */
import type { DependencyKind, Placement } from './model.js';
import { stageRows, type StageRow } from './report.js';

/** Resources drawn per stage, in order: [label, colour]. */
const RESOURCES = [
  ['SRAM blocks', '#4e79a7'],
  ['TCAM blocks', '#e15759'],
  ['exact crossbar bits', '#76b7b2'],
  ['ternary crossbar bits', '#f28e2b'],
  ['action units', '#59a14f'],
  ['exact table slots', '#9c755f'],
  ['ternary table slots', '#b07aa1'],
] as const;

/** Under each bar, which resource it is. */
const ABBREV = ['SR', 'TC', 'xE', 'xT', 'AU', 'tE', 'tT'] as const;

/** Program colours, light enough for black text, in order of first appearance. */
const PROGRAM_COLOURS = ['#c6dbef', '#fdd0a2', '#c7e9c0', '#dadaeb', '#fcbba1', '#d9d9d9', '#fff2ae', '#ccebc5', '#f2f0f7', '#fde0ef'];

export const DEPENDENCY_COLOURS: Readonly<Record<DependencyKind, string>> = {
  match: '#d62728',
  action: '#ff7f0e',
  reverseMatch: '#1f77b4',
  successor: '#7f7f7f',
};

const FULL = 112; // width of a stage that holds something
const EMPTY = 22; // width of a stage that holds nothing
const GAP = 4;
const BAR_W = 12;
const BAR_GAP = (FULL - RESOURCES.length * BAR_W) / (RESOURCES.length + 1);
const BAR_H = 84;
const ROW_H = 18;
const MARGIN = 16;
const CHAR_W = 5.5; // monospace at 9px, generously

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Numbers in the output: at most one decimal, no `-0`. */
const n = (x: number): string => {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
};

const fit = (s: string, width: number): string => {
  const max = Math.max(1, Math.floor(width / CHAR_W));
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
};

/** Each resource of a stage as [used, limit]. */
function stageFigures(row: StageRow, p: Placement): readonly (readonly [number, number])[] {
  const f = p.profile;
  return [
    [row.sramBlocks, f.sram.blocks],
    [row.tcamBlocks, f.tcam.blocks],
    [row.exactCrossbarBits, f.crossbar.exactBits],
    [row.ternaryCrossbarBits, f.crossbar.ternaryBits],
    [row.actionUnits, f.actionUnits],
    [row.exactTables, f.tablesPerStage.exact],
    [row.ternaryTables, f.tablesPerStage.ternary],
  ];
}

/** The stage-occupancy chart of a placement, as a standalone SVG document. */
export function placementSvg(placement: Placement, title: string): string {
  const p = placement;
  const rows = stageRows(p);
  const latency = p.latency;
  const programs: string[] = [];
  for (const t of p.tables) if (!programs.includes(t.table.program)) programs.push(t.table.program);
  const colourOf = (program: string): string => PROGRAM_COLOURS[programs.indexOf(program) % PROGRAM_COLOURS.length]!;
  const byId = new Map(p.tables.map((t) => [t.table.id, t]));

  // columns
  const xs: number[] = [];
  let x = MARGIN;
  for (const r of rows) {
    xs.push(x);
    x += (r.tables.length > 0 ? FULL : EMPTY) + GAP;
  }
  const chartW = x - GAP + MARGIN;
  const maxTables = Math.max(1, ...rows.map((r) => r.tables.length));
  const top = 58; // title lines
  const barTop = top + 18; // stage numbers above the bars
  const tablesTop = barTop + BAR_H + 16;
  const tablesBottom = tablesTop + maxTables * ROW_H;

  // where each (table, stage) block is, for the arrows
  const block = new Map<string, { x: number; y: number }>();
  rows.forEach((r, i) => r.tables.forEach((id, k) => block.set(`${id}@${r.stage}`, { x: xs[i]!, y: tablesTop + k * ROW_H })));

  const f = p.profile;
  const legend: { heading: string; items: { swatch: string; label: string }[] }[] = [
    { heading: 'bars: used of what the stage has', items: RESOURCES.map(([label, colour], k) => ({ swatch: `<rect x="{x}" y="{y}" width="11" height="11" fill="${colour}"/>`, label: `${ABBREV[k]} ${label}` })) },
  ];
  for (let i = 0; i < programs.length; i += 4)
    legend.push({
      heading: i === 0 ? 'tables, by program' : '',
      items: programs.slice(i, i + 4).map((prog) => ({ swatch: `<rect x="{x}" y="{y}" width="11" height="11" fill="${colourOf(prog)}" stroke="#555555" stroke-width="0.6"/>`, label: `program ${prog}` })),
    });
  legend.push({
    heading: 'tables',
    items: [
      { swatch: `<rect x="{x}" y="{y}" width="11" height="11" fill="#ffffff" stroke="#555555" stroke-width="0.6" stroke-dasharray="3,2"/>`, label: 'gateway (an if’s condition)' },
      { swatch: `<rect x="{x}" y="{y}" width="11" height="11" fill="#ffffff" stroke="#555555" stroke-width="0.6"/>`, label: 'name*: split over several stages' },
      { swatch: `<rect x="{x}" y="{y}" width="11" height="11" fill="#ffffff" stroke="#000000" stroke-width="1.2"/>`, label: 'bar outlined: resource full' },
      ...(p.programs !== undefined && p.programs.length > 1
        ? [{ swatch: `<path d="M{x},{y} v11" transform="translate(5,0)" fill="none" stroke="${DEPENDENCY_COLOURS.match}" stroke-width="2" stroke-dasharray="4,3"/>`, label: 'dashed line: program boundary (match step)' }]
        : []),
    ],
  });
  legend.push({
    heading: 'arrows: latency steps',
    items: (Object.entries(DEPENDENCY_COLOURS) as [DependencyKind, string][]).map(([kind, colour]) => ({
      swatch: `<rect x="{x}" y="{y}" width="11" height="3" transform="translate(0,4)" fill="${colour}"/>`,
      label: `${kind} dependency: ${f.latency[kind]} cycle${f.latency[kind] === 1 ? '' : 's'}`,
    })),
  });
  const LEGEND_X = MARGIN + 200;
  const itemWidth = (label: string): number => 28 + label.length * 5.6;
  const legendW = Math.max(...legend.map((row) => LEGEND_X + row.items.reduce((a, it) => a + itemWidth(it.label), 0)));
  const legendTop = tablesBottom + 24;
  const height = legendTop + legend.length * 16 + MARGIN;
  const width = Math.max(chartW, legendW + MARGIN, 720);

  const o: string[] = [];
  o.push('<?xml version="1.0" encoding="UTF-8"?>');
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="Helvetica, Arial, sans-serif" font-size="10">`);
  o.push(`<title>${escapeXml(title)}</title>`);
  o.push('<defs>');
  for (const [kind, colour] of Object.entries(DEPENDENCY_COLOURS))
    o.push(`<marker id="arrow-${kind}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="${colour}"/></marker>`);
  o.push('</defs>');
  o.push(`<rect x="0" y="0" width="${n(width)}" height="${n(height)}" fill="#ffffff"/>`);
  o.push(`<text x="${MARGIN}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  const phvUsed = (8 * p.phv.used[8] + 16 * p.phv.used[16] + 32 * p.phv.used[32]);
  const phvTotal = 8 * f.phv[8] + 16 * f.phv[16] + 32 * f.phv[32];
  o.push(
    `<text x="${MARGIN}" y="36">${escapeXml(
      `profile ${f.name}: ${p.stagesUsed} of ${f.stages} stages used, ${p.tables.length} logical tables, latency ${p.latencyCycles} cycles, PHV ${phvUsed} of ${phvTotal} bits (8-bit ${p.phv.used[8]}/${f.phv[8]}, 16-bit ${p.phv.used[16]}/${f.phv[16]}, 32-bit ${p.phv.used[32]}/${f.phv[32]} containers)`,
    )}</text>`,
  );
  o.push(`<text x="${MARGIN}" y="50" fill="#555555">${escapeXml(`source: ${f.source}`)}</text>`);

  rows.forEach((r, i) => {
    const x0 = xs[i]!;
    const w = r.tables.length > 0 ? FULL : EMPTY;
    o.push(`<g id="stage-${r.stage}">`);
    o.push(`<rect x="${n(x0)}" y="${n(barTop - 14)}" width="${n(w)}" height="${n(tablesBottom - barTop + 18)}" fill="${r.tables.length > 0 ? '#f7f7f7' : '#fbfbfb'}" stroke="#dddddd"/>`);
    o.push(`<text x="${n(x0 + w / 2)}" y="${n(barTop - 3)}" text-anchor="middle" font-weight="bold">${r.stage}</text>`);
    if (r.tables.length === 0) {
      o.push('</g>');
      return;
    }
    stageFigures(r, p).forEach(([used, limit], k) => {
      const [label, colour] = RESOURCES[k]!;
      const bx = x0 + BAR_GAP + k * (BAR_W + BAR_GAP);
      const frac = limit > 0 ? Math.min(1, used / limit) : 0;
      const h = used > 0 ? Math.max(1, frac * BAR_H) : 0;
      o.push(`<rect x="${n(bx)}" y="${n(barTop)}" width="${BAR_W}" height="${BAR_H}" fill="#ffffff" stroke="${colour}" stroke-width="0.8"><title>${escapeXml(`stage ${r.stage}: ${label} ${used} of ${limit}`)}</title></rect>`);
      o.push(`<text x="${n(bx + BAR_W / 2)}" y="${n(barTop + BAR_H + 9)}" text-anchor="middle" font-size="7" fill="#555555">${ABBREV[k]}</text>`);
      if (h > 0)
        o.push(`<rect x="${n(bx)}" y="${n(barTop + BAR_H - h)}" width="${BAR_W}" height="${n(h)}" fill="${colour}"${used >= limit ? ' stroke="#000000" stroke-width="1.2"' : ''}><title>${escapeXml(`stage ${r.stage}: ${label} ${used} of ${limit} (${Math.round(100 * frac)}%)`)}</title></rect>`);
    });
    r.tables.forEach((id, k) => {
      const t = byId.get(id);
      const y = tablesTop + k * ROW_H;
      const part = t?.stages.find((s) => s.stage === r.stage);
      const split = t && t.stages.length > 1 ? `, part ${t.stages.findIndex((s) => s.stage === r.stage) + 1} of ${t.stages.length}` : '';
      const info = t
        ? `${id} (${t.table.kind}${split}): ${part?.entries ?? 0} entries, ${part?.sramBlocks ?? 0} SRAM and ${part?.tcamBlocks ?? 0} TCAM blocks, ${t.crossbarBits} crossbar bits, ${t.actionUnits} action units`
        : id;
      const dashed = t?.table.kind === 'gateway' ? ' stroke-dasharray="3,2"' : '';
      o.push(`<g><title>${escapeXml(info)}</title>`);
      o.push(`<rect x="${n(x0 + 3)}" y="${n(y)}" width="${FULL - 6}" height="${ROW_H - 3}" rx="2" fill="${colourOf(t?.table.program ?? '')}" stroke="#555555" stroke-width="0.6"${dashed}/>`);
      const label = t ? (programs.length > 1 ? `${t.table.program}/${t.table.node}` : t.table.node) : id;
      o.push(`<text x="${n(x0 + 6)}" y="${n(y + ROW_H - 7)}" font-family="Menlo, Consolas, monospace" font-size="9">${escapeXml(fit(split ? `${label}*` : label, FULL - 12))}</text>`);
      o.push('</g>');
    });
    o.push('</g>');
  });

  // the dependencies that set the latency
  for (const gap of latency.gaps) {
    if (gap.reason && 'boundary' in gap.reason) {
      // a policy's program boundary: the next program starts after a re-parse (a match step)
      const bx = xs[gap.to]! - GAP / 2;
      o.push(
        `<line x1="${n(bx)}" y1="${n(barTop - 14)}" x2="${n(bx)}" y2="${n(tablesBottom + 4)}" stroke="${DEPENDENCY_COLOURS.match}" stroke-width="2" stroke-dasharray="4,3"><title>${escapeXml(
          `program boundary ${gap.reason.boundary}: stage ${gap.from} → ${gap.to}, ${gap.cycles} cycles (counted as a match dependency)`,
        )}</title></line>`,
      );
      continue;
    }
    const d = gap.reason && 'dependency' in gap.reason ? gap.reason.dependency : undefined;
    if (!d) continue;
    const from = block.get(`${d.from}@${gap.from}`);
    const to = block.get(`${d.to}@${gap.to}`);
    if (!from || !to) continue;
    const x1 = from.x + FULL - 3;
    const y1 = from.y + (ROW_H - 3) / 2;
    const x2 = to.x + 3;
    const y2 = to.y + (ROW_H - 3) / 2;
    const mid = (x1 + x2) / 2;
    const colour = DEPENDENCY_COLOURS[d.kind];
    o.push(
      `<path d="M${n(x1)},${n(y1)} C${n(mid)},${n(y1)} ${n(mid)},${n(y2)} ${n(x2)},${n(y2)}" fill="none" stroke="${colour}" stroke-width="1.5" marker-end="url(#arrow-${d.kind})"><title>${escapeXml(
        `${d.kind} dependency ${d.from} → ${d.to}${d.field !== undefined ? ` (${d.field})` : ''}: stage ${gap.from} → ${gap.to}, ${gap.cycles} cycles`,
      )}</title></path>`,
    );
  }

  // legend
  legend.forEach((row, i) => {
    const ly = legendTop + i * 16;
    if (row.heading !== '') o.push(`<text x="${MARGIN}" y="${n(ly + 9)}" font-weight="bold">${escapeXml(row.heading)}</text>`);
    let lx = LEGEND_X;
    for (const it of row.items) {
      o.push(it.swatch.replaceAll('{x}', n(lx)).replaceAll('{y}', n(ly)));
      o.push(`<text x="${n(lx + 16)}" y="${n(ly + 9)}">${escapeXml(it.label)}</text>`);
      lx += itemWidth(it.label);
    }
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}
