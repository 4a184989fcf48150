/**
 * The control-plane state of a loaded pipeline: per program its tables
 * (entries, default actions), registers, counters and meters; and the
 * device's multicast groups and clone sessions. Targets execute against it,
 * so every target shares one set of control-plane semantics.
 */
import { MpvisorError, type ActionCall, type KeyMatch, type Program, type Stage } from '@mpvisor/mpapi';
import { Scope } from '@mpvisor/mpapi';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { MeterConfig, Replica } from './entities.js';
import type { ResourceReport } from '../target/target.js';
import { WriteJournal } from './write-journal.js';

export interface StoredEntry {
  readonly matches: readonly KeyMatch[];
  readonly action: ActionCall;
  readonly priority?: number;
  /** Order of installation, for deterministic tie-breaking and reads. */
  readonly seq: number;
  /** Direct counter of this entry (when the stage has one). */
  packets: bigint;
  bytes: bigint;
  /** Direct meter of this entry (when the stage has one). */
  meter: MeterCell | null;
}

/** A configured meter and its token buckets; `state` is owned by the executing target. */
export interface MeterCell {
  readonly config: MeterConfig;
  state?: unknown;
}

export interface TableState {
  readonly program: string;
  readonly stage: Stage;
  readonly keyWidths: readonly number[];
  /** Entries by identity (matches + priority), in installation order. */
  readonly entries: Map<string, StoredEntry>;
  defaultAction: ActionCall;
  /** A stage with const entries is immutable to the control plane, as in P4_16. */
  readonly constEntries: boolean;
  /** Lookups that hit an entry, and that missed, since the pipeline was loaded. */
  hits: number;
  misses: number;
}

export interface ProgramState {
  readonly program: Program;
  readonly tables: ReadonlyMap<string, TableState>;
  readonly registers: ReadonlyMap<string, { readonly width: number; readonly cells: bigint[] }>;
  readonly counters: ReadonlyMap<string, { readonly packets: bigint[]; readonly bytes: bigint[] }>;
  readonly meters: ReadonlyMap<string, (MeterCell | null)[]>;
}

/**
 * The identity of an entry: P4Runtime identifies an entry by its match key and
 * priority. Each match is written in a fixed field order, so the same match
 * built with its properties in another order is the same entry.
 */
export function entryKey(matches: readonly KeyMatch[], priority: number | undefined): string {
  const canonical = (m: KeyMatch): readonly unknown[] => {
    if (typeof m !== 'object' || m === null) return [m];
    switch (m.kind) {
      case 'exact':
      case 'optional':
        return [m.kind, m.value];
      case 'lpm':
        return [m.kind, m.value, m.prefixLength];
      case 'ternary':
        return [m.kind, m.value, m.mask];
      case 'range':
        return [m.kind, m.low, m.high];
      default:
        return [(m as { kind?: unknown }).kind];
    }
  };
  return JSON.stringify([(Array.isArray(matches) ? matches : []).map(canonical), priority ?? null]);
}

export class DeviceState {
  readonly programs: ReadonlyMap<string, ProgramState>;
  readonly multicastGroups = new Map<number, readonly Replica[]>();
  readonly cloneSessions = new Map<number, number>();
  /** Bumped on every committed change, so a target can tell its caches are stale. */
  generation = 0;
  /** Which tables were written; carried over from the device this one replaces, as its programs' tables may be. */
  readonly journal: WriteJournal;
  private seq = 0;

  /**
   * `from` hands over programs' state from an earlier device (the hypervisor
   * keeps untouched programs' entries and state across a reload); entries
   * installed later keep counting from its installation order.
   */
  constructor(
    readonly pipeline: Pipeline,
    from?: { readonly device: DeviceState; readonly carry: (program: Program) => ProgramState | undefined },
  ) {
    if (from) this.seq = from.device.seq;
    this.journal = from?.device.journal ?? new WriteJournal();
    const programs = new Map<string, ProgramState>();
    for (const { program } of pipeline.steps) {
      if (programs.has(program.name)) continue;
      programs.set(program.name, from?.carry(program) ?? this.programState(program));
    }
    this.programs = programs;
  }

  nextSeq(): number {
    return this.seq++;
  }

  private programState(p: Program): ProgramState {
    const scope = new Scope(p);
    const tables = new Map<string, TableState>();
    for (const stage of p.stages) {
      const keyWidths = stage.keys.map((k) => {
        const f = scope.field(k.field);
        if (typeof f === 'string') throw new MpvisorError('INTERNAL', `program ${p.name}: ${f}`);
        return f.width;
      });
      const entries = new Map<string, StoredEntry>();
      for (const e of stage.entries) {
        entries.set(entryKey(e.matches, e.priority), {
          matches: e.matches,
          action: e.action,
          ...(e.priority !== undefined ? { priority: e.priority } : {}),
          seq: this.nextSeq(),
          packets: 0n,
          bytes: 0n,
          meter: null,
        });
      }
      tables.set(stage.name, {
        program: p.name,
        stage,
        keyWidths,
        entries,
        defaultAction: stage.defaultAction.action,
        constEntries: stage.entries.length > 0,
        hits: 0,
        misses: 0,
      });
    }
    return {
      program: p,
      tables,
      registers: new Map(p.registers.map((r) => [r.name, { width: r.width, cells: new Array<bigint>(r.size).fill(0n) }])),
      counters: new Map(p.counters.map((c) => [c.name, { packets: new Array<bigint>(c.size).fill(0n), bytes: new Array<bigint>(c.size).fill(0n) }])),
      meters: new Map(p.meters.map((m) => [m.name, new Array<MeterCell | null>(m.size).fill(null)])),
    };
  }

  /** The program an entity means: named, or the only one, or the only one with that object. */
  resolveProgram(name: string | undefined, has?: (p: ProgramState) => boolean): ProgramState | string {
    if (name !== undefined) return this.programs.get(name) ?? `unknown program "${name}"; the pipeline runs ${[...this.programs.keys()].join(', ')}`;
    const all = [...this.programs.values()];
    const candidates = has ? all.filter(has) : all;
    if (candidates.length === 1) return candidates[0]!;
    if (all.length === 1) return all[0]!;
    return candidates.length === 0 ? 'no program of the pipeline has it' : `ambiguous: ${candidates.map((p) => p.program.name).join(' and ')} both have it; name the program`;
  }
}

/** What a device's control-plane state occupies: tables with entries, hits and misses, and state cells (Target.resources()). */
export function deviceResources(device: DeviceState, target: string): ResourceReport {
  const programs = [...device.programs.values()];
  const sum = (f: (p: ProgramState) => number): number => programs.reduce((n, p) => n + f(p), 0);
  return {
    target,
    tables: programs.flatMap((p) => [...p.tables.values()].map((t) => ({ program: p.program.name, stage: t.stage.name, size: t.stage.size, used: t.entries.size, hits: t.hits, misses: t.misses }))),
    registerCells: sum((p) => [...p.registers.values()].reduce((n, r) => n + r.cells.length, 0)),
    counterCells: sum((p) => [...p.counters.values()].reduce((n, c) => n + c.packets.length, 0)),
    meterCells: sum((p) => [...p.meters.values()].reduce((n, m) => n + m.length, 0)),
    multicastGroups: device.multicastGroups.size,
    cloneSessions: device.cloneSessions.size,
  };
}
