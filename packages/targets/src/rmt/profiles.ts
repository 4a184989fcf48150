/**
 * Hardware profiles: what one chip has, per stage and in total. Every figure
 * names its source; figures no source gave are marked ASSUMPTION with the
 * reason for the value chosen.
 *
 * Sources:
 * - [RMT]   Bosshart et al., "Forwarding Metamorphosis: Fast Programmable
 *           Match-Action Processing in Hardware for SDN", SIGCOMM'13.
 * - [Jose]  Jose, Yan, Varghese, McKeown, "Compiling Packet Programs to
 *           Reconfigurable Switches", NSDI'15, and the authors' compiler,
 *           whose RMT switch model (`rmt_switch.py`: blocks `{sram: 106,
 *           tcam: 16}`, `depth = {sram: 1000, tcam: 2000}`, `width = {sram: 80,
 *           tcam: 40}`, `numStages = 32`, 8 crossbar subunits of 80 b each for
 *           SRAM and for TCAM, `matchTablesPerStage = {sram: 8, tcam: 8}`,
 *           `delays = {match: 12, action: 3, successor: 1}`) and benchmark
 *           programs ("Reverse match counts as successor") are published with
 *           it (a copy read here: github.com/SketchLib/RMT_mapper,
 *           mapper/src/rmt/rmt_switch.py, mapper/src/rmt/rmt_dependency_analysis.py
 *           and the l2l3 benchmark in mapper/programs/l2l3_complex.py).
 * - [bf-p4c] The open-sourced Tofino compiler back end (github.com/p4lang/p4c,
 *           backends/tofino/bf-p4c; formerly p4lang/bf-p4c): `device.h`
 *           (TofinoDevice::getNumStages() = 12), `mau/memories.h` (SRAM_ROWS 8
 *           × SRAM_COLUMNS 10, SRAM_DEPTH 1024, TCAM_ROWS 12 × TCAM_COLUMNS 2,
 *           TCAM_DEPTH 512, TABLES_MAX 16, TERNARY_TABLES_MAX 8,
 *           LOGICAL_TABLES 16, GATEWAYS_PER_ROW 2), `mau/table_format.h`
 *           (SINGLE_RAM_BITS 128), `mau/input_xbar.h` (EXACT_GROUPS 8 ×
 *           EXACT_BYTES_PER_GROUP 16; 6 ternary byte groups ×
 *           TERNARY_BYTES_PER_BIG_GROUP 11), `phv/phv_spec.cpp`
 *           (TofinoPhvSpec MAU groups: 8-bit 4 × 16, 16-bit 6 × 16, 32-bit
 *           4 × 16) and its MAU spec (tcam_width 44 = 5 bytes + a 4-bit
 *           mid-byte).
 */
import { MpvisorError, type Issue } from '@mpvisor/mpapi';
import type { ContainerWidth, RmtProfile } from './model.js';

/**
 * Jose et al.'s latencies on RMT, in cycles a stage waits after the one
 * before it, by the dependency between them ([Jose] §2 and its compiler's
 * `delays`): a match dependency waits for the whole match and action (12), an
 * action dependency only for the action (3), a successor (predication) 1.
 * Reverse-match: 1 — the authors' benchmarks add reverse-match dependencies
 * to the successor list ("Reverse match counts as successor"). No dependency:
 * 1 — ASSUMPTION: consecutive stages are at least one cycle apart, as a
 * successor (predicated) stage is.
 */
const JOSE_LATENCY = { match: 12, action: 3, successor: 1, reverseMatch: 1, none: 1 } as const;

/**
 * ASSUMPTION: SRAM bits an exact entry needs besides its key. 32 makes an
 * 80-bit key fill one 112-bit RMT word, which is the match width per SRAM
 * block [Jose]'s model uses (`width = {sram: 80}`).
 */
export const DEFAULT_EXACT_OVERHEAD_BITS = 32;

/** The RMT chip of Bosshart et al. (SIGCOMM'13), as Jose et al. (NSDI'15) model it. */
export const RMT_PROFILE: RmtProfile = {
  name: 'rmt',
  source:
    'Bosshart et al., SIGCOMM\'13 (RMT chip design, §5) and Jose et al., NSDI\'15 (their RMT switch model); see packages/targets/src/rmt/profiles.ts for each figure',
  // [RMT] 32 physical match stages; [Jose] numStages = 32.
  stages: 32,
  // [Jose] 106 SRAM blocks per stage of 1K words ("depth 1000"; [RMT] "1K").
  // Word width 112 bits: [RMT] §5 (1K × 112b SRAM blocks) — recalled from the
  // paper, NOT verified against its text in this session; [Jose] uses 80 b of
  // match per block, i.e. 112 b minus 32 b of per-entry overhead.
  sram: { blocks: 106, words: 1024, wordBits: 112 },
  // [RMT] and [Jose]: 16 TCAM blocks of 2K × 40 b per stage.
  tcam: { blocks: 16, entries: 2048, bits: 40 },
  // [RMT] 640-bit exact and 640-bit ternary match crossbars; [Jose] 8 subunits × 80 b each.
  crossbar: { exactBits: 640, ternaryBits: 640 },
  // [Jose] matchTablesPerStage = {sram: 8, tcam: 8}.
  tablesPerStage: { exact: 8, ternary: 8 },
  // [RMT] PHV of 4 Kb: 64 × 8-bit, 96 × 16-bit, 64 × 32-bit containers.
  phv: { 8: 64, 16: 96, 32: 64 },
  // [RMT] one VLIW action unit per PHV container: 64 + 96 + 64.
  actionUnits: 224,
  latency: JOSE_LATENCY,
  // ASSUMPTION: 0. Neither paper gives parser/deparser cycles; [Jose]'s latency
  // metric counts only the delays between match-action stages.
  fixedCycles: 0,
  exactEntryOverheadBits: DEFAULT_EXACT_OVERHEAD_BITS,
  // gateways: the RMT paper gives no per-stage gateway figure, so none is modelled.
};

/** A smaller, Tofino-like chip: 12 stages with Tofino's per-stage memories, crossbars and PHV. */
export const TOFINO_LIKE_PROFILE: RmtProfile = {
  name: 'tofino-like',
  source: 'figures of the Tofino back end of the open-source P4 compiler (p4lang/p4c backends/tofino/bf-p4c); see packages/targets/src/rmt/profiles.ts',
  // [bf-p4c] TofinoDevice::getNumStages() = 12.
  stages: 12,
  // [bf-p4c] 8 rows × 10 columns of 1024 × 128-bit SRAMs.
  sram: { blocks: 80, words: 1024, wordBits: 128 },
  // [bf-p4c] 12 rows × 2 columns of 512 × 44-bit TCAMs.
  tcam: { blocks: 24, entries: 512, bits: 44 },
  // [bf-p4c] exact input crossbar 8 groups × 16 bytes = 1024 bits; ternary 6 groups × 11 bytes = 528 bits.
  crossbar: { exactBits: 1024, ternaryBits: 528 },
  // [bf-p4c] TABLES_MAX 16, TERNARY_TABLES_MAX 8 (and LOGICAL_TABLES 16 together).
  tablesPerStage: { exact: 16, ternary: 8 },
  logicalTablesPerStage: 16,
  // [bf-p4c] GATEWAYS_PER_ROW 2 × 8 SRAM rows.
  gateways: 16,
  // [bf-p4c] normal (non-tagalong) containers: 64 × 8-bit, 96 × 16-bit, 64 × 32-bit.
  phv: { 8: 64, 16: 96, 32: 64 },
  // ASSUMPTION: one ALU per normal PHV container, as in RMT.
  actionUnits: 224,
  // ASSUMPTION: Tofino's dependency latencies are not in the sources read; Jose et al.'s RMT figures are used.
  latency: JOSE_LATENCY,
  // ASSUMPTION: 0, as for RMT.
  fixedCycles: 0,
  // ASSUMPTION: as for RMT.
  exactEntryOverheadBits: DEFAULT_EXACT_OVERHEAD_BITS,
};

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<string, RmtProfile>> = { rmt: RMT_PROFILE, 'tofino-like': TOFINO_LIKE_PROFILE };

/** A built-in profile by name (case-insensitive): `rmt` or `tofino-like`. */
export function profileByName(name: string): RmtProfile {
  const p = PROFILES[name.toLowerCase()];
  if (!p) throw new MpvisorError('NOT_FOUND', `unknown RMT profile "${name}"; known profiles: ${Object.keys(PROFILES).join(', ')}`);
  return p;
}

/** What `defineProfile` takes: any figures to change, nested objects partially. */
export interface ProfileSpec {
  readonly name: string;
  readonly source?: string;
  readonly stages?: number;
  readonly sram?: Partial<RmtProfile['sram']>;
  readonly tcam?: Partial<RmtProfile['tcam']>;
  readonly crossbar?: Partial<RmtProfile['crossbar']>;
  readonly tablesPerStage?: Partial<RmtProfile['tablesPerStage']>;
  readonly phv?: Partial<Record<ContainerWidth, number>>;
  readonly actionUnits?: number;
  readonly latency?: Partial<RmtProfile['latency']>;
  readonly fixedCycles?: number;
  readonly gateways?: number;
  readonly logicalTablesPerStage?: number;
  readonly exactEntryOverheadBits?: number;
}

/**
 * A user-defined profile: `spec`'s figures over those of `base` (RMT unless
 * given). Every figure is checked; all problems are reported at once as one
 * INVALID_ARGUMENT error whose issues carry a JSON path (`$.sram.blocks`).
 */
export function defineProfile(spec: ProfileSpec, base: RmtProfile = RMT_PROFILE): RmtProfile {
  const merged: RmtProfile = {
    ...base,
    ...omitUndefined({
      stages: spec.stages,
      actionUnits: spec.actionUnits,
      fixedCycles: spec.fixedCycles,
      gateways: spec.gateways,
      logicalTablesPerStage: spec.logicalTablesPerStage,
      exactEntryOverheadBits: spec.exactEntryOverheadBits,
    }),
    name: spec.name,
    source: spec.source ?? `user-defined, based on ${base.name}`,
    sram: { ...base.sram, ...omitUndefined(spec.sram ?? {}) },
    tcam: { ...base.tcam, ...omitUndefined(spec.tcam ?? {}) },
    crossbar: { ...base.crossbar, ...omitUndefined(spec.crossbar ?? {}) },
    tablesPerStage: { ...base.tablesPerStage, ...omitUndefined(spec.tablesPerStage ?? {}) },
    phv: { ...base.phv, ...omitUndefined(spec.phv ?? {}) },
    latency: { ...base.latency, ...omitUndefined(spec.latency ?? {}) },
  };
  const issues = checkProfile(merged);
  if (issues.length > 0) throw new MpvisorError('INVALID_ARGUMENT', issues);
  return merged;
}

function omitUndefined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Every problem with a profile's figures (empty when it is sound). */
export function checkProfile(p: RmtProfile): Issue[] {
  const issues: Issue[] = [];
  const who = `profile "${p.name}"`;
  const check = (path: string, value: unknown, min: number): void => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
      issues.push({ message: `${who}: ${path.slice(2)} must be an integer >= ${min}, got ${JSON.stringify(value)}`, path });
  };
  if (typeof p.name !== 'string' || p.name.trim() === '') issues.push({ message: 'a profile needs a non-empty name', path: '$.name' });
  check('$.stages', p.stages, 1);
  check('$.sram.blocks', p.sram.blocks, 0);
  check('$.sram.words', p.sram.words, 1);
  check('$.sram.wordBits', p.sram.wordBits, 1);
  check('$.tcam.blocks', p.tcam.blocks, 0);
  check('$.tcam.entries', p.tcam.entries, 1);
  check('$.tcam.bits', p.tcam.bits, 1);
  check('$.crossbar.exactBits', p.crossbar.exactBits, 0);
  check('$.crossbar.ternaryBits', p.crossbar.ternaryBits, 0);
  check('$.tablesPerStage.exact', p.tablesPerStage.exact, 0);
  check('$.tablesPerStage.ternary', p.tablesPerStage.ternary, 0);
  for (const w of [8, 16, 32] as const) check(`$.phv.${w}`, p.phv[w], 0);
  check('$.actionUnits', p.actionUnits, 0);
  for (const k of ['match', 'action', 'successor', 'reverseMatch', 'none'] as const) check(`$.latency.${k}`, p.latency[k], 0);
  check('$.fixedCycles', p.fixedCycles, 0);
  if (p.gateways !== undefined) check('$.gateways', p.gateways, 0);
  if (p.logicalTablesPerStage !== undefined) check('$.logicalTablesPerStage', p.logicalTablesPerStage, 0);
  if (p.exactEntryOverheadBits !== undefined) check('$.exactEntryOverheadBits', p.exactEntryOverheadBits, 0);
  // match ≥ action ≥ successor keeps "the strongest dependency" the slowest one
  if (issues.length === 0 && !(p.latency.match >= p.latency.action && p.latency.action >= p.latency.successor))
    issues.push({ message: `${who}: latencies must satisfy match >= action >= successor (got ${p.latency.match}, ${p.latency.action}, ${p.latency.successor})`, path: '$.latency' });
  return issues;
}
