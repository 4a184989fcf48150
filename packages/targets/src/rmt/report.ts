/**
 * Reports on a placement: what each physical stage holds and has (tables,
 * SRAM and TCAM blocks, crossbar bits, action units), the PHV containers
 * used, the pipeline length and the per-packet latency in cycles with the
 * dependencies that set it — and the four seed NFs natively next to the
 * hypervisor's generic image, the cost of virtualization on the chip.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import { DEFAULT_IMAGE, Hypervisor, type ImageConfig, type VpdpOptions } from '@mpvisor/runtime';
import { ReferenceSlotEngine } from '../hyperv/slot-engine.js';
import { tableDependencies } from './dependencies.js';
import { pipelineTables, toPipeline, type PlacementInput } from './logical-tables.js';
import type { ContainerWidth, Dependency, Placement, RmtProfile, StageUsage } from './model.js';
import type { LatencyGap } from './latency.js';
import { allocatePhv, programFields } from './phv.js';
import { imageLogicalTables, maxImageSlots, placeImage, placePipeline, placeTables } from './placement.js';

/** A stage's usage; every stage of the profile has one, empty if nothing is placed there. */
export type StageRow = StageUsage;

/** Every physical stage of the profile, in order, with its usage (zeros where the placement has none). */
export function stageRows(p: Placement): readonly StageRow[] {
  const byStage = new Map(p.stages.map((s) => [s.stage, s]));
  return Array.from(
    { length: p.profile.stages },
    (_, stage) =>
      byStage.get(stage) ?? { stage, tables: [], exactTables: 0, ternaryTables: 0, sramBlocks: 0, tcamBlocks: 0, exactCrossbarBits: 0, ternaryCrossbarBits: 0, actionUnits: 0 },
  );
}

const WIDTHS: readonly ContainerWidth[] = [8, 16, 32];

/** PHV bits: used containers and all containers, by width. */
export function phvBits(p: Placement): { readonly used: number; readonly total: number } {
  return {
    used: WIDTHS.reduce((a, w) => a + w * p.phv.used[w], 0),
    total: WIDTHS.reduce((a, w) => a + w * p.profile.phv[w], 0),
  };
}

/** Totals over every stage. */
export function placementTotals(p: Placement): { readonly sramBlocks: number; readonly tcamBlocks: number; readonly actionUnits: number; readonly exactCrossbarBits: number; readonly ternaryCrossbarBits: number } {
  const sum = (f: (s: StageUsage) => number): number => p.stages.reduce((a, s) => a + f(s), 0);
  return {
    sramBlocks: sum((s) => s.sramBlocks),
    tcamBlocks: sum((s) => s.tcamBlocks),
    actionUnits: sum((s) => s.actionUnits),
    exactCrossbarBits: sum((s) => s.exactCrossbarBits),
    ternaryCrossbarBits: sum((s) => s.ternaryCrossbarBits),
  };
}


/** Why a latency step has its kind, in words. */
export function describeGap(g: LatencyGap): string {
  const r = g.reason;
  const why = r === undefined ? 'no dependency' : 'dependency' in r ? describeDependency(r.dependency) : 'split' in r ? `${r.split} is split across both stages` : `program boundary ${r.boundary}`;
  return `stage ${g.from} → ${g.to}: ${g.kind}, ${g.cycles} cycle${g.cycles === 1 ? '' : 's'} (${why})`;
}

const pct = (used: number, limit: number): string => (limit > 0 ? `${Math.round((100 * used) / limit)}%` : '-');
const of = (used: number, limit: number): string => `${used}/${limit}`;

/** A plain text table: columns padded, the given columns right-aligned (the reports of the CLI use it too). */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[], indent = '  '): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `a -match(ipv4.dst)-> b`: a dependency as the reports print it. */
export const describeDependency = (d: Dependency): string => `${d.from} -${d.kind}${d.field !== undefined ? `(${d.field})` : ''}-> ${d.to}`;

export interface FormatPlacementOptions {
  /** The first line's subject, e.g. `program l2-switch` or `the hypervisor image (N=4)`. */
  readonly title?: string;
}

/**
 * A placement as text: per used stage the tables placed there and every
 * resource used of what the stage has; the PHV per container width; the
 * pipeline length; the latency with the dependency behind each step.
 */
export function formatPlacement(p: Placement, options: FormatPlacementOptions = {}): string {
  const f = p.profile;
  const rows = stageRows(p).filter((r) => r.stage < p.stagesUsed || r.tables.length > 0);
  const split = p.tables.filter((t) => t.stages.length > 1);
  const out: string[] = [];
  out.push(
    `RMT placement${options.title !== undefined ? ` of ${options.title}` : ''} on profile ${f.name}: ${p.tables.length} logical tables in ${p.stagesUsed} of ${f.stages} stages, ${p.latencyCycles} cycles per pass`,
  );
  const t = f.tablesPerStage;
  out.push(
    textTable(
      ['stage', 'tables', 'exact tables', 'ternary tables', 'gateways', 'SRAM blocks', 'TCAM blocks', 'exact xbar bits', 'ternary xbar bits', 'action units'],
      rows.map((r) => [
        String(r.stage),
        r.tables.length > 0 ? r.tables.map((id) => (split.some((s) => s.table.id === id) ? `${id}*` : id)).join(', ') : '(empty)',
        of(r.exactTables, t.exact),
        of(r.ternaryTables, t.ternary),
        f.gateways !== undefined ? of(r.gateways ?? 0, f.gateways) : String(r.gateways ?? 0),
        of(r.sramBlocks, f.sram.blocks),
        of(r.tcamBlocks, f.tcam.blocks),
        of(r.exactCrossbarBits, f.crossbar.exactBits),
        of(r.ternaryCrossbarBits, f.crossbar.ternaryBits),
        of(r.actionUnits, f.actionUnits),
      ]),
      [true, false, true, true, true, true, true, true, true, true],
    ),
  );
  const sum = placementTotals(p);
  const all = p.profile.stages;
  out.push(
    `  all stages: SRAM ${of(sum.sramBlocks, all * f.sram.blocks)} blocks (${pct(sum.sramBlocks, all * f.sram.blocks)}), TCAM ${of(sum.tcamBlocks, all * f.tcam.blocks)} blocks (${pct(sum.tcamBlocks, all * f.tcam.blocks)}), action units ${of(sum.actionUnits, all * f.actionUnits)}` +
      ` (SRAM block: ${f.sram.words} words of ${f.sram.wordBits} bits; TCAM block: ${f.tcam.entries} entries of ${f.tcam.bits} bits)`,
  );
  if (f.logicalTablesPerStage !== undefined) out.push(`  exact and ternary tables together: at most ${f.logicalTablesPerStage} per stage; gateways: ${f.gateways !== undefined ? `at most ${f.gateways} per stage` : 'not limited'}`);
  else if (f.gateways === undefined) out.push('  gateways (an if\'s condition) are not limited on this profile');
  if (split.length > 0)
    out.push(`  * split over stages: ${split.map((s) => `${s.table.id} (${s.stages.map((x) => `stage ${x.stage}: ${x.entries} entries`).join(', ')})`).join('; ')}`);

  const bits = phvBits(p);
  out.push(
    `PHV: ${WIDTHS.map((w) => `${w}-bit ${of(p.phv.used[w], f.phv[w])}`).join(', ')} containers; ${bits.used} of ${bits.total} bits (${pct(bits.used, bits.total)}), ${p.phv.fields.size} fields`,
  );
  out.push(`Pipeline length: ${p.stagesUsed} of ${f.stages} stages`);

  const l = p.latency;
  out.push(
    `Latency: ${p.latencyCycles} cycles per pass = ${l.fixed} (parser + deparser) + ${l.firstStage} (the first stage's match and action)${l.gaps.map((g) => ` + ${g.cycles}`).join('')}${l.gaps.length === 0 ? ' (one stage: no step between stages)' : ''}`,
  );
  out.push(...l.gaps.map((g) => `  ${describeGap(g)}`));
  const kinds = (['match', 'action', 'successor', 'reverseMatch', 'none'] as const).map((k) => `${k} ${f.latency[k]}`).join(', ');
  out.push(`  cycles per step, by the strongest dependency across it: ${kinds}`);
  return out.join('\n');
}

// ---- natively and under the hypervisor ---------------------------------------------

/** The figures a comparison puts side by side. */
export interface PlacementFigures {
  readonly stages: number;
  readonly tables: number;
  readonly sramBlocks: number;
  readonly tcamBlocks: number;
  readonly phvBits: number;
  readonly latencyCycles: number;
}

export function placementFigures(p: Placement): PlacementFigures {
  const t = placementTotals(p);
  return { stages: p.stagesUsed, tables: p.tables.length, sramBlocks: t.sramBlocks, tcamBlocks: t.tcamBlocks, phvBits: phvBits(p).used, latencyCycles: p.latencyCycles };
}

/** A placement, or why there is none (a RESOURCE_EXHAUSTED refusal's message). */
export type Placed = { readonly placement: Placement; readonly figures: PlacementFigures } | { readonly refused: string };

/** Place, keeping a refusal (RESOURCE_EXHAUSTED) as its message; other errors propagate. */
export function tryPlace(place: () => Placement): Placed {
  try {
    const placement = place();
    return { placement, figures: placementFigures(placement) };
  } catch (e) {
    if (e instanceof MpvisorError && e.code === 'RESOURCE_EXHAUSTED') return { refused: e.message };
    throw e;
  }
}

/** An NF to compare: a name and what `placePipeline` accepts (a builder, IR, a loaded pipeline). */
export interface ComparedNf {
  readonly name: string;
  readonly source: PlacementInput;
  /** The vPDP that hosts it under the hypervisor (ports, multicast groups, clone sessions, quotas); by default ports 0–15, groups and sessions 1–16. */
  readonly vpdp?: Omit<VpdpOptions, 'id' | 'name'>;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const DEFAULT_VPDP: Omit<VpdpOptions, 'id' | 'name'> = { ports: range(0, 15), multicastGroups: range(1, 16), cloneSessions: range(1, 16) };

export interface NativeVirtualRow {
  readonly name: string;
  readonly native: Placed;
  /**
   * Most passes a packet of this NF needs through the image's slots (1 +
   * resubmissions), per program as the hypervisor's install reports; a chain
   * counts the sum, a bound. Or why the hypervisor refused the NF.
   */
  readonly passes: { readonly worst: number; readonly perProgram: readonly number[] } | { readonly refused: string };
}

export interface NativeVirtualComparison {
  readonly profile: RmtProfile;
  readonly image: ImageConfig;
  /** The generic image of `image` on the profile: the same for every tenant (only entries and stage ids differ). */
  readonly virtual: Placed;
  readonly rows: readonly NativeVirtualRow[];
}

/** Worst-case slot passes of an NF on a hypervisor with this image, from its install report. */
function imagePasses(nf: ComparedNf, image: ImageConfig): NativeVirtualRow['passes'] {
  try {
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine(), image });
    hv.createVpdp({ ...(nf.vpdp ?? DEFAULT_VPDP), id: 1, name: nf.name });
    const report = hv.installPipeline(1, toPipeline(nf.source));
    const perProgram = report.programs.map((p) => p.worstCasePasses);
    return { worst: perProgram.reduce((a, b) => a + b, 0), perProgram };
  } catch (e) {
    return { refused: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Each NF natively (`placePipeline`) next to the hypervisor hosting it (the
 * generic image of `image`, `placeImage`): stages, SRAM and TCAM blocks, PHV
 * bits and latency. A packet under the hypervisor crosses the image's
 * pipeline once per slot pass, so its latency is the image's per pass times
 * its passes.
 */
export function compareNativeVirtual(nfs: readonly ComparedNf[], profile: RmtProfile, image: ImageConfig = DEFAULT_IMAGE): NativeVirtualComparison {
  return {
    profile,
    image,
    virtual: tryPlace(() => placeImage(profile, image)),
    rows: nfs.map((nf) => ({ name: nf.name, native: tryPlace(() => placePipeline(nf.source, profile)), passes: imagePasses(nf, image) })),
  };
}

const arrow = (a: number | string, b: number | string): string => `${a} → ${b}`;

/** The comparison as text: one row per NF, each figure `native → virtualized`. */
export function formatComparison(c: NativeVirtualComparison): string {
  const out: string[] = [];
  const img = `N=${c.image.slots}, K=${c.image.primitivesPerSlot}`;
  const v = 'figures' in c.virtual ? c.virtual.figures : undefined;
  out.push(
    v
      ? `Natively → under the hypervisor, profile ${c.profile.name} (image ${img}): each figure native → virtualized`
      : `Natively, profile ${c.profile.name}: the hypervisor's image (${img}) does not fit, so there is no virtualized figure`,
  );
  const rows = c.rows.map((r) => {
    const n = 'figures' in r.native ? r.native.figures : undefined;
    const passes = 'worst' in r.passes ? r.passes.worst : undefined;
    const chain = 'perProgram' in r.passes && r.passes.perProgram.length > 1;
    const cell = (f: (x: PlacementFigures) => number): string => {
      const native = n ? String(f(n)) : 'refused';
      return v ? arrow(native, f(v)) : native;
    };
    const worst = v && passes !== undefined ? `${chain ? '≤ ' : ''}${v.latencyCycles * passes}` : 'refused';
    return [
      r.name,
      cell((x) => x.stages),
      cell((x) => x.tables),
      cell((x) => x.sramBlocks),
      cell((x) => x.tcamBlocks),
      cell((x) => x.phvBits),
      passes !== undefined ? `${chain ? '≤ ' : ''}${passes}` : 'refused',
      v ? arrow(n ? n.latencyCycles : 'refused', worst) : n ? String(n.latencyCycles) : 'refused',
    ];
  });
  out.push(
    textTable(
      ['NF', 'stages', 'logical tables', 'SRAM blocks', 'TCAM blocks', 'PHV bits', 'hypervisor slot passes (worst case)', v ? 'cycles per packet (worst case)' : 'cycles per packet'],
      rows,
      [false, true, true, true, true, true, true, true],
    ),
  );
  if (v)
    out.push(
      `  Virtualized, every tenant runs on the same generic image (a tenant changes its entries and stage ids, not its tables): ${v.latencyCycles} cycles per slot pass,`,
      `  and a packet crosses the pipeline once per slot pass, so its cycles are ${v.latencyCycles} × its slot passes (a chain's passes are bounded by the sum over its programs).`,
    );
  else out.push(`  The image does not fit: ${(c.virtual as { refused: string }).refused}`);
  for (const r of c.rows) {
    if ('refused' in r.native) out.push(`  ${r.name} natively: ${r.native.refused}`);
    if ('refused' in r.passes) out.push(`  ${r.name} under the hypervisor: ${r.passes.refused}`);
  }
  return out.join('\n');
}

/** The biggest image a profile holds, and what it leaves. */
export interface ImageCapacity {
  readonly profile: RmtProfile;
  /** The image configuration, `slots` aside. */
  readonly image: ImageConfig;
  /** The most slots N whose image places (0: not even one). */
  readonly maxSlots: number;
  /** The image at N = maxSlots, when maxSlots > 0. */
  readonly placement?: Placement;
  /** Why N = maxSlots + 1 does not place. */
  readonly nextRefused: string;
  /** Per NF: whether it places natively beside the image of N = maxSlots (in the stages' leftover resources), or why not. */
  readonly beside: readonly { readonly name: string; readonly fits: boolean; readonly stages?: number; readonly refused?: string }[];
  /** The most slots for other K (primitive tables per slot), the image's own K among them: fewer primitive tables, more slots. */
  readonly byPrimitives: readonly { readonly primitivesPerSlot: number; readonly maxSlots: number }[];
}

/** K values the capacity is also given for. */
const CAPACITY_K = [16, 8, 4, 2, 1] as const;

/**
 * Place the image and a native program together: both sets of tables in
 * one placement, no dependency between them (a packet runs one or the
 * other, chosen by port), and the program's fields overlaid on the image's
 * in the PHV (they are never live together).
 */
export function placeBeside(profile: RmtProfile, image: ImageConfig, source: PlacementInput): Placement {
  const img = imageLogicalTables(image);
  const programs = pipelineTables(source);
  const tables = [...img.tables, ...programs.flatMap((p) => p.tables)];
  const dependencies = [...img.dependencies, ...programs.flatMap((p) => tableDependencies(p.tables, p.control))];
  const placed = placeTables(tables, dependencies, profile);
  const phv = allocatePhv(profile, img.phvFields, programs.map((p) => programFields(p.program, `${p.label}/`)));
  return { ...placed, phv };
}

/** `maxImageSlots` with what it means: the image at that N, why one more slot fails, and which NFs still fit beside it. */
export function imageCapacity(profile: RmtProfile, image: ImageConfig = DEFAULT_IMAGE, nfs: readonly ComparedNf[] = []): ImageCapacity {
  const maxSlots = maxImageSlots(profile, image);
  const next = tryPlace(() => placeImage(profile, { ...image, slots: maxSlots + 1 }));
  const nextRefused = 'refused' in next ? next.refused : `N=${maxSlots + 1} places too`;
  const at = { ...image, slots: Math.max(1, maxSlots) };
  const placement = maxSlots > 0 ? placeImage(profile, at) : undefined;
  const beside = nfs.map((nf) => {
    if (maxSlots === 0) return { name: nf.name, fits: false, refused: 'no image fits' };
    const r = tryPlace(() => placeBeside(profile, at, nf.source));
    return 'refused' in r ? { name: nf.name, fits: false, refused: r.refused } : { name: nf.name, fits: true, stages: r.figures.stages };
  });
  const ks = [...new Set([image.primitivesPerSlot, ...CAPACITY_K])].sort((a, b) => b - a);
  const byPrimitives = ks.map((k) => ({ primitivesPerSlot: k, maxSlots: k === image.primitivesPerSlot ? maxSlots : maxImageSlots(profile, { ...image, primitivesPerSlot: k }) }));
  return { profile, image, maxSlots, ...(placement ? { placement } : {}), nextRefused, beside, byPrimitives };
}

/** The capacity as text: the max N, why N+1 fails, what the image leaves. */
export function formatCapacity(c: ImageCapacity): string {
  const f = c.profile;
  const out: string[] = [];
  const k = `K=${c.image.primitivesPerSlot}, header area ${c.image.headerBits} bits, user area ${c.image.userBits} bits`;
  const byK = `  max slots by primitive tables per slot (each primitive table depends on the one before, so a slot takes about K stages): ${c.byPrimitives.map((b) => `K=${b.primitivesPerSlot}: ${b.maxSlots === 0 ? 'none' : `N=${b.maxSlots}`}`).join(', ')}`;
  if (c.maxSlots === 0 || !c.placement) {
    out.push(`Max image slots on profile ${f.name}: none — the image (${k}) does not fit with even N=1: ${c.nextRefused}`, byK);
    return out.join('\n');
  }
  const p = c.placement;
  const t = placementTotals(p);
  const bits = phvBits(p);
  out.push(`Max image slots on profile ${f.name}: N=${c.maxSlots} (${k}); N=${c.maxSlots + 1} is refused: ${c.nextRefused}`, byK);
  out.push(
    `  the image at N=${c.maxSlots}: ${p.tables.length} logical tables in ${p.stagesUsed} of ${f.stages} stages, SRAM ${t.sramBlocks}/${f.stages * f.sram.blocks} blocks, TCAM ${t.tcamBlocks}/${f.stages * f.tcam.blocks} blocks, PHV ${bits.used}/${bits.total} bits, ${p.latencyCycles} cycles per pass`,
  );
  const rows = stageRows(p);
  const free = (g: (r: StageRow) => number, cap: number): number => rows.reduce((a, r) => a + (cap - g(r)), 0);
  out.push(
    `  left for tenants' native programs: ${f.stages - p.stagesUsed} empty stage${f.stages - p.stagesUsed === 1 ? '' : 's'}; SRAM ${free((r) => r.sramBlocks, f.sram.blocks)} blocks, TCAM ${free((r) => r.tcamBlocks, f.tcam.blocks)} blocks, ` +
      `exact table slots ${free((r) => r.exactTables, f.tablesPerStage.exact)}, ternary table slots ${free((r) => r.ternaryTables, f.tablesPerStage.ternary)}, action units ${free((r) => r.actionUnits, f.actionUnits)} over all stages; PHV ${bits.total - bits.used} bits`,
  );
  for (const b of c.beside)
    out.push(b.fits ? `  ${b.name} fits natively beside the image (image and ${b.name} together in ${b.stages} stages)` : `  ${b.name} does not fit natively beside the image: ${b.refused ?? ''}`);
  return out.join('\n');
}
