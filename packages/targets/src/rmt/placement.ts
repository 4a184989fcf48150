/**
 * Table placement: logical tables into the physical stages of a profile,
 * greedily as in Jose et al. (NSDI'15) §4 — tables in topological order, each
 * to the earliest stage its dependencies allow that has room for it.
 *
 * - A match or action dependency puts a table in a stage strictly after its
 *   predecessor's last stage; a successor or reverse-match dependency allows
 *   the predecessor's stage, never an earlier one.
 * - Room: a logical table slot of its kind (exact and keyless tables use an
 *   exact slot, ternary tables a ternary one; gateways use a gateway unit
 *   where the profile has a limit, and no slot), input crossbar bits (exact keys and gateway
 *   conditions on the exact crossbar, ternary keys on the ternary one; each
 *   table counted separately), action units (its most primitives), and memory.
 * - Memory: exact entries as (key + overhead) bits packed into SRAM words,
 *   several entries per word when they fit, an entry wider than a word
 *   spanning several blocks side by side (one such column of blocks is one
 *   hash way); ternary and LPM entries in TCAM, `ceil(entries / entries per
 *   block) × ceil(key bits / TCAM width)` blocks (range keys are not expanded
 *   into prefixes); action data (widest action's parameters + action id) and
 *   direct counters/meters per entry in SRAM, packed the same way; a
 *   register, counter or meter array in the SRAM of the stage of its first
 *   user. A table whose memory does not fit one stage is split across
 *   consecutive stages (each part taking a table slot, crossbar and action
 *   units in its stage); a table is split only when no stage holds it whole,
 *   or when splitting ends it in an earlier stage than placing it whole.
 * - A pipeline of several programs places them one after another: program
 *   k+1 starts after program k's last stage (its packet is re-parsed).
 *
 * A program that does not fit is refused with RESOURCE_EXHAUSTED naming the
 * stage, the resource, used/total, the table and how much more it needs:
 * `stage 7: TCAM blocks 16/16; table firewall/acl needs 4 more`, or
 * `stages 32/32: table chain/t32 needs 1 more stage (after stage 31)`.
 * Stages are numbered from 0.
 *
 * Latency (Jose et al.'s model): the sum, over consecutive used stages, of
 * the profile's latency for the strongest dependency from a table ending in
 * the first to a table starting in the second (a table split across both
 * counts as successor, a program boundary as match, nothing as `none`), plus
 * the profile's fixed cycles.
 */
import { MpvisorError, STANDARD_METADATA } from '@mpvisor/mpapi';
import { controlFields, DEFAULT_IMAGE, imageTables, type DeclaredTable, type ImageConfig } from '@mpvisor/runtime';
import { latencyBreakdown } from './latency.js';
import type { Dependency, LogicalTable, Placement, PlacedProgram, PlacedTable, RmtProfile, StageUsage } from './model.js';
import { linearControl, needsLaterStage, tableDependencies } from './dependencies.js';
import { pipelineTables, type PlacementInput } from './logical-tables.js';
import { allocatePhv, allocatePipelinePhv, type PhvField } from './phv.js';
import { DEFAULT_EXACT_OVERHEAD_BITS, RMT_PROFILE } from './profiles.js';

// ---- memory arithmetic --------------------------------------------------------

/** SRAM blocks for `entries` items of `bits` bits: packed several to a word, or spanning several blocks. */
export function sramBlocksFor(profile: RmtProfile, entries: number, bits: number): number {
  if (entries <= 0 || bits <= 0) return 0;
  const { words, wordBits } = profile.sram;
  if (bits <= wordBits) return Math.ceil(entries / (words * Math.floor(wordBits / bits)));
  return Math.ceil(entries / words) * Math.ceil(bits / wordBits);
}

/** What `entries` entries of a table take: match SRAM, action-data and direct-state SRAM, TCAM. */
export function tableMemory(profile: RmtProfile, t: LogicalTable, entries: number): { match: number; action: number; direct: number; tcam: number } {
  if (entries <= 0) return { match: 0, action: 0, direct: 0, tcam: 0 };
  const overhead = profile.exactEntryOverheadBits ?? DEFAULT_EXACT_OVERHEAD_BITS;
  return {
    match: t.kind === 'exact' ? sramBlocksFor(profile, entries, t.keyBits + overhead) : 0,
    action: sramBlocksFor(profile, entries, t.actionDataBits),
    direct: sramBlocksFor(profile, entries, t.directStateBits ?? 0),
    tcam: t.kind === 'ternary' ? Math.ceil(entries / profile.tcam.entries) * Math.ceil(t.keyBits / profile.tcam.bits) : 0,
  };
}

/** SRAM blocks of the stateful arrays a table brings. */
export function statefulBlocks(profile: RmtProfile, t: LogicalTable): number {
  return (t.stateful ?? []).reduce((n, m) => n + sramBlocksFor(profile, m.cells, m.width), 0);
}

// ---- per-stage state ------------------------------------------------------------

interface StageState {
  exact: number;
  ternary: number;
  gateways: number;
  sramMatch: number;
  sramAction: number;
  sramState: number;
  tcam: number;
  exactXbar: number;
  ternaryXbar: number;
  actionUnits: number;
  readonly tables: string[];
}

const emptyStage = (): StageState => ({
  exact: 0,
  ternary: 0,
  gateways: 0,
  sramMatch: 0,
  sramAction: 0,
  sramState: 0,
  tcam: 0,
  exactXbar: 0,
  ternaryXbar: 0,
  actionUnits: 0,
  tables: [],
});

const sramUsed = (s: StageState): number => s.sramMatch + s.sramAction + s.sramState;

/** A resource that ran out: its name, used/total in a stage, and how much more a table needs. */
interface Shortage {
  readonly stage: number;
  readonly resource: string;
  readonly used: number;
  readonly total: number;
  readonly need: number;
}

const describe = (s: Shortage, table: string): string => `stage ${s.stage}: ${s.resource} ${s.used}/${s.total}; table ${table} needs ${s.need} more`;

interface Chunk {
  readonly stage: number;
  readonly entries: number;
}

/** Places tables into stages, one at a time; keeps every stage's usage. */
class Placer {
  readonly stages: StageState[];
  readonly placed = new Map<string, { table: LogicalTable; chunks: Chunk[] }>();
  readonly order: string[] = [];

  constructor(readonly profile: RmtProfile) {
    this.stages = Array.from({ length: profile.stages }, emptyStage);
  }

  /** The first per-stage (non-splittable) resource `t` lacks in stage `s`. */
  private lacking(t: LogicalTable, s: number): Shortage | undefined {
    const p = this.profile;
    const st = this.stages[s]!;
    const short = (resource: string, used: number, total: number, demand: number): Shortage | undefined =>
      used + demand > total ? { stage: s, resource, used, total, need: used + demand - total } : undefined;
    const isGateway = t.kind === 'gateway';
    const isTernary = t.kind === 'ternary';
    return (
      (isGateway
        ? p.gateways !== undefined
          ? short('gateways', st.gateways, p.gateways, 1)
          : undefined
        : isTernary
          ? short('ternary tables', st.ternary, p.tablesPerStage.ternary, 1)
          : short('exact tables', st.exact, p.tablesPerStage.exact, 1)) ??
      (!isGateway && p.logicalTablesPerStage !== undefined ? short('logical tables', st.exact + st.ternary, p.logicalTablesPerStage, 1) : undefined) ??
      (isTernary
        ? short('ternary crossbar bits', st.ternaryXbar, p.crossbar.ternaryBits, t.keyBits)
        : short('exact crossbar bits', st.exactXbar, p.crossbar.exactBits, t.keyBits)) ??
      short('action units', st.actionUnits, p.actionUnits, t.primitives)
    );
  }

  /** The memory shortage of `entries` entries of `t` in stage `s` (with its stateful arrays when `first`). */
  private memoryShortage(t: LogicalTable, s: number, entries: number, first: boolean): Shortage | undefined {
    const p = this.profile;
    const st = this.stages[s]!;
    const m = tableMemory(p, t, entries);
    const tcamFree = p.tcam.blocks - st.tcam;
    if (m.tcam > tcamFree) return { stage: s, resource: 'TCAM blocks', used: st.tcam, total: p.tcam.blocks, need: m.tcam - tcamFree };
    const sram = m.match + m.action + m.direct + (first ? statefulBlocks(p, t) : 0);
    const sramFree = p.sram.blocks - sramUsed(st);
    if (sram > sramFree) return { stage: s, resource: 'SRAM blocks', used: sramUsed(st), total: p.sram.blocks, need: sram - sramFree };
    return undefined;
  }

  /** Most entries of `t` (≤ wanted) stage `s` can hold; -1 when not even its stateful arrays fit. */
  private mostEntries(t: LogicalTable, s: number, wanted: number, first: boolean): number {
    if (this.memoryShortage(t, s, 0, first)) return -1;
    let lo = 0;
    let hi = wanted;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.memoryShortage(t, s, mid, first)) hi = mid - 1;
      else lo = mid;
    }
    return lo;
  }

  /** The earliest stage the dependencies into `t` allow. */
  earliest(t: LogicalTable, dependencies: readonly Dependency[], minStage: number): number {
    let stage = minStage;
    for (const d of dependencies) {
      if (d.to !== t.id) continue;
      const pred = this.placed.get(d.from);
      if (!pred) continue;
      stage = Math.max(stage, pred.chunks[pred.chunks.length - 1]!.stage + (needsLaterStage(d.kind) ? 1 : 0));
    }
    return stage;
  }

  /** Place `t` no earlier than `minStage` and its dependencies allow, or throw RESOURCE_EXHAUSTED. */
  place(t: LogicalTable, dependencies: readonly Dependency[], minStage: number): void {
    const p = this.profile;
    const S = p.stages;
    const earliest = this.earliest(t, dependencies, minStage);
    const refuse = (message: string): never => {
      throw new MpvisorError('RESOURCE_EXHAUSTED', [{ message }]);
    };
    if (earliest >= S) refuse(`stages ${S}/${S}: table ${t.id} needs ${earliest - S + 1} more stage${earliest - S + 1 === 1 ? '' : 's'} (after stage ${S - 1})`);

    // what no stage can ever give: refuse at once, naming the earliest stage
    const never = (() => {
      const saved = this.stages[earliest]!;
      this.stages[earliest] = emptyStage();
      const lack = this.lacking(t, earliest) ?? this.memoryShortage(t, earliest, Math.min(t.entries, 1), true);
      this.stages[earliest] = saved;
      return lack;
    })();
    if (never) {
      const actual = this.lacking(t, earliest) ?? this.memoryShortage(t, earliest, Math.min(t.entries, 1), true);
      refuse(describe(actual ?? never, t.id));
    }

    // whole, in the earliest stage with room for all of it
    let whole: Chunk[] | undefined;
    let lastShortage: Shortage | undefined;
    for (let s = earliest; s < S && !whole; s++) {
      const lack = this.lacking(t, s) ?? this.memoryShortage(t, s, t.entries, true);
      if (lack) lastShortage = lack;
      else whole = [{ stage: s, entries: t.entries }];
    }

    // split over consecutive stages, starting as early as possible
    let split: Chunk[] | undefined;
    if (t.entries > 1) {
      for (let start = earliest; start < S && !split; start++) {
        const chunks: Chunk[] = [];
        let left = t.entries;
        let s = start;
        for (; left > 0 && s < S; s++) {
          if (this.lacking(t, s)) break;
          const n = this.mostEntries(t, s, left, chunks.length === 0);
          if (n <= 0) break;
          chunks.push({ stage: s, entries: n });
          left -= n;
        }
        if (left === 0) split = chunks;
        else if (s >= S && chunks.length > 0) {
          // memory ran out with the last stage: nothing later can do better
          if (!whole) refuse(describe(this.outOfMemory(t, chunks, left), t.id));
          break;
        }
      }
    }

    const end = (c: Chunk[] | undefined): number => (c ? c[c.length - 1]!.stage : Infinity);
    const plan = split && end(split) < end(whole) ? split : whole;
    if (!plan) refuse(describe(lastShortage!, t.id));
    this.commit(t, plan!);
  }

  /**
   * The shortage when `chunks` filled the stages up to the last one and `left`
   * entries remain: the last stage's memory, full, and the blocks the rest needs.
   */
  private outOfMemory(t: LogicalTable, chunks: Chunk[], left: number): Shortage {
    const p = this.profile;
    this.commit(t, chunks);
    const last = this.stages[chunks[chunks.length - 1]!.stage]!;
    const stage = chunks[chunks.length - 1]!.stage;
    const rest = tableMemory(p, t, left);
    const shortage: Shortage =
      rest.tcam > p.tcam.blocks - last.tcam
        ? { stage, resource: 'TCAM blocks', used: last.tcam, total: p.tcam.blocks, need: rest.tcam }
        : { stage, resource: 'SRAM blocks', used: sramUsed(last), total: p.sram.blocks, need: rest.match + rest.action + rest.direct };
    this.uncommit(t);
    return shortage;
  }

  private apply(t: LogicalTable, chunks: readonly Chunk[], sign: 1 | -1): void {
    chunks.forEach((c, i) => {
      const st = this.stages[c.stage]!;
      const m = tableMemory(this.profile, t, c.entries);
      if (t.kind === 'gateway') st.gateways += sign;
      else if (t.kind === 'ternary') st.ternary += sign;
      else st.exact += sign;
      if (t.kind === 'ternary') st.ternaryXbar += sign * t.keyBits;
      else st.exactXbar += sign * t.keyBits;
      st.actionUnits += sign * t.primitives;
      st.tcam += sign * m.tcam;
      st.sramMatch += sign * m.match;
      st.sramAction += sign * m.action;
      st.sramState += sign * (m.direct + (i === 0 ? statefulBlocks(this.profile, t) : 0));
      if (sign === 1) st.tables.push(t.id);
      else st.tables.splice(st.tables.lastIndexOf(t.id), 1);
    });
  }

  private commit(t: LogicalTable, chunks: Chunk[]): void {
    this.apply(t, chunks, 1);
    this.placed.set(t.id, { table: t, chunks });
    this.order.push(t.id);
  }

  private uncommit(t: LogicalTable): void {
    const p = this.placed.get(t.id);
    if (!p) return;
    this.apply(t, p.chunks, -1);
    this.placed.delete(t.id);
    this.order.splice(this.order.lastIndexOf(t.id), 1);
  }

  /** Place a group (one program, or any table set) in dependency order, none before `minStage`; its first and last stage. */
  placeGroup(tables: readonly LogicalTable[], dependencies: readonly Dependency[], minStage: number): { first: number; last: number } {
    let first = Infinity;
    let last = -1;
    for (const t of topologicalByDependencies(tables, dependencies)) {
      this.place(t, dependencies, minStage);
      const chunks = this.placed.get(t.id)!.chunks;
      first = Math.min(first, chunks[0]!.stage);
      last = Math.max(last, chunks[chunks.length - 1]!.stage);
    }
    return last < 0 ? { first: -1, last: -1 } : { first, last };
  }

  placedTables(): PlacedTable[] {
    return this.order.map((id) => {
      const { table, chunks } = this.placed.get(id)!;
      return {
        table,
        stages: chunks.map((c, i) => {
          const m = tableMemory(this.profile, table, c.entries);
          return {
            stage: c.stage,
            entries: c.entries,
            sramBlocks: m.match + m.action + m.direct + (i === 0 ? statefulBlocks(this.profile, table) : 0),
            tcamBlocks: m.tcam,
          };
        }),
        crossbarBits: table.keyBits,
        actionUnits: table.primitives,
      };
    });
  }

  stageUsage(): StageUsage[] {
    return this.stages.map((s, stage) => ({
      stage,
      tables: [...s.tables],
      exactTables: s.exact,
      ternaryTables: s.ternary,
      sramBlocks: sramUsed(s),
      tcamBlocks: s.tcam,
      exactCrossbarBits: s.exactXbar,
      ternaryCrossbarBits: s.ternaryXbar,
      actionUnits: s.actionUnits,
      gateways: s.gateways,
      sramBreakdown: { match: s.sramMatch, action: s.sramAction, state: s.sramState },
    }));
  }

  /** The placement so far, with its latency (latency.ts). */
  result(dependencies: readonly Dependency[], phv: Placement['phv'], programs?: readonly PlacedProgram[]): Placement {
    const draft = {
      profile: this.profile,
      tables: this.placedTables(),
      dependencies,
      stages: this.stageUsage(),
      stagesUsed: this.stagesUsed(),
      phv,
      ...(programs ? { programs } : {}),
    };
    const latency = latencyBreakdown(draft);
    return { ...draft, latency, latencyCycles: latency.total };
  }

  stagesUsed(): number {
    let n = 0;
    this.stages.forEach((s, i) => {
      if (s.tables.length > 0) n = i + 1;
    });
    return n;
  }

}

/** Tables in an order where every dependency's source comes first (stable: ties keep the given order). */
function topologicalByDependencies(tables: readonly LogicalTable[], dependencies: readonly Dependency[]): LogicalTable[] {
  const index = new Map(tables.map((t, i) => [t.id, i]));
  const indegree = tables.map(() => 0);
  const out = new Map<number, number[]>();
  for (const d of dependencies) {
    const a = index.get(d.from);
    const b = index.get(d.to);
    if (a === undefined || b === undefined || a === b) continue;
    indegree[b]!++;
    out.set(a, [...(out.get(a) ?? []), b]);
  }
  const ready = tables.map((_, i) => i).filter((i) => indegree[i] === 0);
  const order: LogicalTable[] = [];
  while (ready.length > 0) {
    ready.sort((x, y) => x - y);
    const i = ready.shift()!;
    order.push(tables[i]!);
    for (const j of out.get(i) ?? []) if (--indegree[j]! === 0) ready.push(j);
  }
  if (order.length !== tables.length) throw new MpvisorError('INVALID_ARGUMENT', 'the table dependencies have a cycle');
  return order;
}

// ---- entry points ---------------------------------------------------------------

/**
 * Place a program, a policy or a loaded pipeline on a profile: logical
 * tables, dependencies, PHV, stages, latency. Throws RESOURCE_EXHAUSTED
 * (naming stage, resource, used/total, table and what it needs) when it does
 * not fit.
 */
export function placePipeline(input: PlacementInput, profile: RmtProfile = RMT_PROFILE): Placement {
  const programs = pipelineTables(input);
  const phv = allocatePipelinePhv(profile, programs);
  const placer = new Placer(profile);
  const dependencies: Dependency[] = [];
  const placedPrograms: PlacedProgram[] = [];
  const boundaries = new Set<number>();
  let next = 0;
  for (const pt of programs) {
    const deps = tableDependencies(pt.tables, pt.control);
    dependencies.push(...deps);
    const { first, last } = placer.placeGroup(pt.tables, deps, next);
    placedPrograms.push({ label: pt.label, program: pt.program.name, firstStage: first, lastStage: last });
    if (last >= 0) {
      if (next > 0 && first === next) boundaries.add(next - 1);
      next = last + 1;
    }
  }
  return placer.result(dependencies, phv, placedPrograms);
}

/**
 * Place logical tables that do not come from a program (the hypervisor's
 * generic image, a hand-made set): `dependencies` as `tableDependencies`
 * gives them, `phvFields` the fields to allocate in the PHV (none if absent).
 */
export function placeTables(
  tables: readonly LogicalTable[],
  dependencies: readonly Dependency[],
  profile: RmtProfile = RMT_PROFILE,
  phvFields: readonly PhvField[] = [],
): Placement {
  const phv = allocatePhv(profile, phvFields);
  const placer = new Placer(profile);
  placer.placeGroup(tables, dependencies, 0);
  return placer.result(dependencies, phv);
}


// ---- the hypervisor's generic image ---------------------------------------------------

/**
 * ASSUMPTION: entries of every table of the generic image. HyperV gives the
 * tables (Table I) but not their sizes; 1024 entries is the P4 default table
 * size the builders use too.
 */
export const DEFAULT_IMAGE_ENTRIES = 1024;

const IDS = ['hv_vpdp', 'hv_program', 'hv_stage'];
const STANDARD = Object.keys(STANDARD_METADATA).map((f) => `standard.${f}`);
const AREAS = ['hv_header', 'hv_user', ...STANDARD];
const WRITABLE_AREAS = ['hv_header', 'hv_user', 'standard.egressPort', 'standard.mcastGroup', 'standard.priority'];

/** What one image table reads and writes (the image's fields: control fields `hv_*`, header area `hv_header`, user area `hv_user`, standard metadata). */
function imageTableSets(t: DeclaredTable, c: ImageConfig): Pick<LogicalTable, 'kind' | 'matchReads' | 'actionReads' | 'actionWrites' | 'primitives' | 'actionDataBits'> {
  const exact = 'exact' as const;
  const ternary = 'ternary' as const;
  if (t.name === 'config_first_stage')
    return { kind: exact, matchReads: ['hv_vpdp', 'hv_program'], actionReads: [], actionWrites: ['hv_program', 'hv_stage', 'hv_next_stage', 'hv_pass'], primitives: 4, actionDataBits: 32 };
  if (t.name === 'config_resubmit')
    return { kind: exact, matchReads: ['hv_next_stage', 'hv_pass'], actionReads: ['hv_pass'], actionWrites: ['hv_pass', 'request:resubmit'], primitives: 2, actionDataBits: 1 };
  if (t.name === 'parse_emulation')
    return {
      kind: ternary,
      matchReads: ['hv_program', 'hv_parse_state', 'hv_cursor'],
      actionReads: ['hv_cursor'],
      actionWrites: ['hv_header', 'hv_valid', 'hv_parse_state', 'hv_cursor'],
      primitives: 4,
      actionDataBits: 16 + 16 + 8 + c.maxHeaders,
    };
  if (t.name === 'deparse')
    return { kind: exact, matchReads: ['hv_program', 'hv_valid'], actionReads: ['hv_header', 'hv_valid'], actionWrites: ['hv_header'], primitives: 2, actionDataBits: 32 };
  if (t.name === 'egress_filter')
    return { kind: exact, matchReads: ['hv_vpdp', 'standard.egressPort'], actionReads: [], actionWrites: ['standard.egressPort', 'standard.mcastGroup'], primitives: 2, actionDataBits: 1 };
  const area = t.name.endsWith('_match_header') ? ['hv_header'] : t.name.endsWith('_match_user') ? ['hv_user'] : STANDARD;
  const result = t.name.replace(/^slot\d+_/, 'hv_');
  switch (t.role) {
    case 'condition':
      return { kind: ternary, matchReads: [...IDS, 'hv_next_stage', ...AREAS], actionReads: [], actionWrites: ['hv_flags', 'hv_next_stage'], primitives: 2, actionDataBits: 16 + 1 };
    case 'match':
      if (t.name.endsWith('_action_bitmap'))
        return {
          kind: exact,
          matchReads: [...IDS, 'hv_match_header', 'hv_match_standard', 'hv_match_user'],
          actionReads: [],
          actionWrites: ['hv_action', 'hv_action_bitmap', 'hv_params'],
          primitives: 3,
          actionDataBits: 16 + c.primitivesPerSlot + c.paramBits,
        };
      return { kind: ternary, matchReads: [...IDS, 'hv_flags', ...area], actionReads: [], actionWrites: [result], primitives: 1, actionDataBits: 16 };
    case 'action':
      return {
        kind: exact,
        matchReads: [...IDS, 'hv_action', 'hv_action_bitmap'],
        actionReads: ['hv_params', ...AREAS],
        actionWrites: WRITABLE_AREAS,
        primitives: 1,
        actionDataBits: 32,
      };
    default:
      return { kind: exact, matchReads: [], actionReads: [], actionWrites: [], primitives: 1, actionDataBits: 0 };
  }
}

/**
 * The generic image of `imageTables(config)` as logical tables, in pipeline
 * order (configuration, parse emulation, per slot condition → three match
 * tables → action bitmap → primitive tables in sequence, resubmit, deparse,
 * egress filter), with their dependencies and PHV fields. Key bits are the
 * runtime's declaration; entries `entries` each (an assumption).
 */
export function imageLogicalTables(
  config: ImageConfig = DEFAULT_IMAGE,
  entries: number = DEFAULT_IMAGE_ENTRIES,
): { tables: LogicalTable[]; dependencies: Dependency[]; phvFields: PhvField[] } {
  const declared = imageTables(config);
  const rank = (t: DeclaredTable): number =>
    t.name === 'config_first_stage' ? 0 : t.name === 'parse_emulation' ? 1 : t.slot !== undefined ? 2 : t.name === 'config_resubmit' ? 3 : 4;
  const ordered = declared.map((t, i) => ({ t, i })).sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i);
  const tables = ordered.map(({ t }): LogicalTable => ({
    id: `image/${t.name}`,
    program: 'image',
    node: t.name,
    entries,
    keyBits: t.keyBits,
    ...imageTableSets(t, config),
  }));
  const dependencies = tableDependencies(tables, linearControl(tables.map((t) => t.id)));
  const phvFields: PhvField[] = [
    ...controlFields(config).map((f) => ({ name: f.name, width: f.width })),
    { name: 'hv_header', width: config.headerBits },
    { name: 'hv_user', width: config.userBits },
    ...Object.entries(STANDARD_METADATA).map(([f, m]) => ({ name: `standard.${f}`, width: m.width })),
  ];
  return { tables, dependencies, phvFields };
}

/** Place the generic image of `config`; throws RESOURCE_EXHAUSTED when it does not fit. */
export function placeImage(profile: RmtProfile, config: ImageConfig = DEFAULT_IMAGE, entries: number = DEFAULT_IMAGE_ENTRIES): Placement {
  const { tables, dependencies, phvFields } = imageLogicalTables(config, entries);
  return placeTables(tables, dependencies, profile, phvFields);
}

/** The most stage slots N whose image (`config` with `slots: N`) places on `profile`; 0 when not even one does. */
export function maxImageSlots(profile: RmtProfile, config: ImageConfig = DEFAULT_IMAGE, entries: number = DEFAULT_IMAGE_ENTRIES): number {
  let best = 0;
  // every slot takes at least one stage, so more slots than stages never place
  for (let n = 1; n <= profile.stages; n++) {
    try {
      placeImage(profile, { ...config, slots: n }, entries);
      best = n;
    } catch (e) {
      if (e instanceof MpvisorError && e.code === 'RESOURCE_EXHAUSTED') break;
      throw e;
    }
  }
  return best;
}
