/**
 * The generic image (HyperV §IV, Fig. 5): the one pipeline the hypervisor
 * owns. Its shape depends only on its configuration — the number of stage
 * slots N and the primitive tables per slot K — never on the tenants:
 * installing, replacing or removing a program writes and deletes entries in
 * these tables, nothing else. This file declares the tables and metadata,
 * for the resource reports (HyperV Tables I and II) and for targets that
 * place the image.
 */
import type { GenericProgram } from './generic-program.js';

export interface ImageConfig {
  /** N: stage slots; stage id mod N picks the slot (HyperV §IV-D). */
  readonly slots: number;
  /** K: primitive tables in one slot's action pipeline; longer actions span several slots. */
  readonly primitivesPerSlot: number;
  /** The header area: bits of packet headers a program may parse (HyperV reserves 800). */
  readonly headerBits: number;
  /** The user metadata area (HyperV reserves 256). */
  readonly userBits: number;
  /** Action parameters carried from the action-bitmap table to the primitive tables. */
  readonly paramBits: number;
  /** Header instances a program may have: the width of the valid bitmap. */
  readonly maxHeaders: number;
  /**
   * Bits of one class of a stage's keys (header fields, or user metadata)
   * the match tables take: a stage's keys of a class are gathered into this
   * key, not matched across the whole area, so a match table fits a
   * switch's match crossbar (RMT's is 640 bits).
   */
  readonly matchKeyBits: number;
}

/**
 * 16 primitive tables per slot as HyperV; header and user areas larger than
 * HyperV's 800 and 256 bits, so IPv4 and TCP with options and the stateful
 * firewall's 288 user bits fit; match keys of 160 bits, enough for an IPv4
 * 5-tuple (104 bits) with room to spare.
 */
export const DEFAULT_IMAGE: ImageConfig = { slots: 4, primitivesPerSlot: 16, headerBits: 1600, userBits: 512, paramBits: 256, maxHeaders: 32, matchKeyBits: 160 };

export type TableRole = 'config' | 'other' | 'condition' | 'match' | 'action';

export interface DeclaredTable {
  readonly name: string;
  readonly role: TableRole;
  readonly slot?: number;
  /** Key bits, for TCAM/SRAM placement. */
  readonly keyBits: number;
  readonly purpose: string;
}

/** The image's control fields (HyperV Table II "control"), with widths. */
export function controlFields(c: ImageConfig): readonly { readonly name: string; readonly width: number; readonly purpose: string }[] {
  return [
    { name: 'hv_vpdp', width: 16, purpose: 'virtual data plane of the packet' },
    { name: 'hv_program', width: 16, purpose: 'program of the chain being run' },
    { name: 'hv_stage', width: 16, purpose: 'current stage id' },
    { name: 'hv_next_stage', width: 16, purpose: 'next stage id (branches)' },
    { name: 'hv_pass', width: 8, purpose: 'slot passes so far (resubmissions)' },
    { name: 'hv_valid', width: c.maxHeaders, purpose: 'header valid bitmap' },
    { name: 'hv_parse_state', width: 8, purpose: 'parse-emulation state' },
    { name: 'hv_cursor', width: 16, purpose: 'parse-emulation bit offset' },
    { name: 'hv_match_header', width: 16, purpose: 'header match result' },
    { name: 'hv_match_standard', width: 16, purpose: 'standard metadata match result' },
    { name: 'hv_match_user', width: 16, purpose: 'user metadata match result' },
    { name: 'hv_action', width: 16, purpose: 'action id' },
    { name: 'hv_action_bitmap', width: c.primitivesPerSlot, purpose: 'primitive tables to run' },
    { name: 'hv_params', width: c.paramBits, purpose: 'action parameters' },
    { name: 'hv_key_header', width: c.matchKeyBits, purpose: 'the stage’s header-field keys, gathered' },
    { name: 'hv_key_user', width: c.matchKeyBits, purpose: 'the stage’s user-metadata keys, gathered' },
    { name: 'hv_flags', width: 3, purpose: 'hit, condition result, contained' },
  ];
}

const ID_BITS = 16 * 3; // vPDP, program, stage ids in every slot table's key

/** Every table of the image (HyperV Table I): configuration, parse/deparse/egress, and per slot condition, match and action pipelines. */
export function imageTables(c: ImageConfig): DeclaredTable[] {
  const std = 9 + 9 + 32 + 16 + 1 + 16 + 32 + 48 + 3; // standard metadata fields a key may use
  const out: DeclaredTable[] = [
    { name: 'config_first_stage', role: 'config', keyBits: 16 + 16, purpose: 'first stage id of the vPDP’s chain' },
    { name: 'config_resubmit', role: 'config', keyBits: 16 + 8, purpose: 'resubmit when the next stage lies in an earlier slot' },
    { name: 'parse_emulation', role: 'other', keyBits: 16 + 8 + 64, purpose: 'parse a program’s headers into the header area' },
    { name: 'deparse', role: 'other', keyBits: 16 + c.maxHeaders, purpose: 'emit valid headers in the program’s order, checksums' },
    { name: 'egress_filter', role: 'other', keyBits: 16 + 9, purpose: 'drop and count output outside the vPDP' },
  ];
  for (let s = 0; s < c.slots; s++) {
    out.push(
      { name: `slot${s}_condition`, role: 'condition', slot: s, keyBits: ID_BITS, purpose: 'evaluate the stage’s bound condition, branch' },
      { name: `slot${s}_match_header`, role: 'match', slot: s, keyBits: ID_BITS + c.matchKeyBits, purpose: 'match on header fields' },
      { name: `slot${s}_match_standard`, role: 'match', slot: s, keyBits: ID_BITS + std, purpose: 'match on standard metadata' },
      { name: `slot${s}_match_user`, role: 'match', slot: s, keyBits: ID_BITS + c.matchKeyBits, purpose: 'match on user metadata' },
      { name: `slot${s}_action_bitmap`, role: 'match', slot: s, keyBits: ID_BITS + 48, purpose: 'combined match result → action, bitmap, parameters' },
    );
    for (let k = 0; k < c.primitivesPerSlot; k++)
      out.push({ name: `slot${s}_primitive${k}`, role: 'action', slot: s, keyBits: ID_BITS + 16, purpose: `primitive ${k} of the action (gated by bitmap bit ${k})` });
  }
  return out;
}

export interface TableDeclaration {
  readonly config: number;
  readonly other: number;
  readonly condition: number;
  readonly match: number;
  readonly action: number;
  readonly perSlot: number;
  readonly total: number;
}

/** HyperV Table I for this configuration. */
export function tableDeclaration(c: ImageConfig): TableDeclaration {
  const t = imageTables(c);
  const count = (r: TableRole): number => t.filter((x) => x.role === r).length;
  return {
    config: count('config'),
    other: count('other'),
    condition: count('condition') / c.slots,
    match: count('match') / c.slots,
    action: count('action') / c.slots,
    perSlot: t.filter((x) => x.slot === 0).length,
    total: t.length,
  };
}

export interface MetadataBits {
  readonly header: number;
  readonly user: number;
  readonly control: number;
  readonly total: number;
}

/** HyperV Table II: metadata the image declares. */
export function metadataDeclaration(c: ImageConfig): MetadataBits {
  const control = controlFields(c).reduce((a, f) => a + f.width, 0);
  return { header: c.headerBits, user: c.userBits, control, total: c.headerBits + c.userBits + control };
}

/** Why a compiled program does not fit the image, or undefined. */
export function fitsImage(g: GenericProgram, c: ImageConfig): { resource: string; need: number; have: number } | undefined {
  if (g.layout.headerBits > c.headerBits) return { resource: 'header area bits', need: g.layout.headerBits, have: c.headerBits };
  if (g.layout.userBits > c.userBits) return { resource: 'user metadata bits', need: g.layout.userBits, have: c.userBits };
  if (g.layout.headers.length > c.maxHeaders) return { resource: 'header instances', need: g.layout.headers.length, have: c.maxHeaders };
  const params = Math.max(0, ...g.ir.stages.flatMap((s) => s.actions.map((a) => a.params.reduce((n, p) => n + p.width, 0))));
  if (params > c.paramBits) return { resource: 'action parameter bits', need: params, have: c.paramBits };
  for (const s of g.stages) {
    for (const cls of ['header', 'user'] as const) {
      const bits = s.match?.columns.filter((col) => col.class === cls).reduce((n, col) => n + col.width, 0) ?? 0;
      if (bits > c.matchKeyBits) return { resource: `${cls} match key bits (stage ${s.match!.stage})`, need: bits, have: c.matchKeyBits };
    }
  }
  return undefined;
}
