/**
 * The hypervisor's resource figures, defined as in HyperV's evaluation
 * (§V-A): Table I — tables the image declares for N slots and K primitive
 * tables per slot; Table II — metadata bits split header / user / control;
 * Table III — tables a packet uses, virtualized and natively. Plus what the
 * paper implies but does not tabulate: the entries each generic table holds
 * for the programs installed (installing writes entries, never tables).
 */
import type { Epoch, InstalledProgram, VirtualResult } from './epoch.js';
import { imageTables, metadataDeclaration, tableDeclaration, type ImageConfig, type MetadataBits, type TableDeclaration } from './image.js';
import { slotOf } from './slot-map.js';

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: 0, median: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s.at(-1)! };
}

/** HyperV Table III for one program or chain: tables per packet over a run. */
export interface TableUsage {
  readonly packets: number;
  readonly native: Spread;
  readonly virtual: Spread;
  readonly slotPasses: Spread;
}

export function tableUsage(results: readonly VirtualResult[]): TableUsage {
  return {
    packets: results.length,
    native: spread(results.map((r) => r.slots.nativeTables)),
    virtual: spread(results.map((r) => r.slots.tablesUsed)),
    slotPasses: spread(results.map((r) => r.slots.slotPasses)),
  };
}

/** What a program occupies of the image's areas (HyperV Table II, per program). */
export interface ProgramFootprint {
  readonly program: string;
  readonly headerBits: number;
  readonly userBits: number;
  readonly headers: number;
  /** Native tables (stages) and decoupled stages (tables and conditions). */
  readonly stages: number;
  readonly decoupledStages: number;
  /** Stage ids taken, counting actions that continue into later slots. */
  readonly stageIds: number;
}

export function footprint(p: InstalledProgram): ProgramFootprint {
  const g = p.generic;
  const last = g.stages.at(-1);
  return {
    program: g.name,
    headerBits: g.layout.headerBits,
    userBits: g.layout.userBits,
    headers: g.layout.headers.length,
    stages: g.ir.stages.length,
    decoupledStages: g.stages.length,
    stageIds: last ? last.id + last.span : 0,
  };
}

/**
 * Entries per generic table for everything installed in an epoch. The
 * tables themselves are `imageTables(epoch.image)` whatever is installed;
 * only these counts change when tenants install, replace or remove programs.
 */
export function imageOccupancy(epoch: Epoch): Map<string, number> {
  const c = epoch.image;
  const out = new Map(imageTables(c).map((t) => [t.name, 0]));
  const add = (table: string, n = 1): void => void out.set(table, (out.get(table) ?? 0) + n);
  const seen = new Set<InstalledProgram>();
  for (const v of epoch.vpdps.values()) {
    add('config_resubmit');
    add('egress_filter', v.spec.ports.length);
    for (const p of v.steps) {
      add('config_first_stage');
      if (seen.has(p)) continue;
      seen.add(p);
      const g = p.generic;
      add('parse_emulation', g.ir.parser.states.reduce((n, s) => n + (s.transition.kind === 'select' ? s.transition.cases.length : 1), 0));
      add('deparse');
      for (const s of g.stages) {
        const id = p.base + s.id;
        const slot = slotOf(id, c.slots);
        if (s.cond) {
          add(`slot${slot}_condition`);
          continue;
        }
        const m = s.match!;
        const table = p.state.tables.get(m.stage)!;
        const entries = table.entries.size + 1; // and the default action
        const classes = new Set(m.columns.map((col) => col.class));
        for (const cls of classes) add(`slot${slot}_match_${cls}`, entries);
        // the action-bitmap table combines several classes; a keyless stage keeps only its default there
        if (classes.size !== 1) add(`slot${slot}_action_bitmap`, classes.size === 0 ? 1 : entries);
        for (const a of m.generic.actions)
          a.body.forEach((_, i) => add(`slot${slotOf(id + Math.floor(i / c.primitivesPerSlot), c.slots)}_primitive${i % c.primitivesPerSlot}`));
      }
    }
  }
  return out;
}

export interface ImageReport {
  readonly image: ImageConfig;
  readonly tables: TableDeclaration;
  readonly metadata: MetadataBits;
}

/** HyperV Tables I and II for an image configuration. */
export function imageReport(image: ImageConfig): ImageReport {
  return { image, tables: tableDeclaration(image), metadata: metadataDeclaration(image) };
}
