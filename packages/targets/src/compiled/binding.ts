/**
 * Generated code bound to a device's state: a program's tables (the
 * control plane's entries rebuilt into lookup structures, tables.ts), its
 * registers, counters and meters (read and written in place, so `read()`
 * sees them at once) and where its digests go. The compiled target binds
 * the programs of its pipeline; the compiled image executor binds each
 * installed program of each vPDP. Both bring the lookup structures up to
 * date from the device's write journal before a packet.
 */
import { toHex, type KeyMatch, type Program } from '@mpvisor/mpapi';
import type { DigestMessage, MeterCell, ProgramState, TableState, WriteJournal } from '@mpvisor/runtime';
import { buildTable, CTable, patchExact, syncDefault, type TablePlan, type Val } from './tables.js';

/** What an action asks of the pass, in the form generated code writes it. */
export interface Requests {
  /** clone requested, its session and mode (0 ingress, 1 egress) */
  cl: boolean;
  cs: number;
  cm: number;
  /** resubmit, recirculate */
  rs: boolean;
  rc: boolean;
  /** The packet's timestamp, converted into S[7] by the first program that reads it (S[7] is -1 until then). */
  ts: bigint | undefined;
}

export function newRequests(): Requests {
  return { cl: false, cs: 0, cm: 0, rs: false, rc: false, ts: undefined };
}

/** One program's generated function: the packet's bytes in, the deparsed bytes out (undefined when a policy step's condition skipped it). */
export type StepFn = (d: Uint8Array, S: Float64Array, R: Requests) => Uint8Array | undefined;

/** What the generated code sees as `E`. */
export interface Env {
  readonly tables: readonly TableState[];
  readonly ctables: readonly CTable[];
  readonly registers: readonly bigint[][];
  readonly counters: readonly { readonly packets: bigint[]; readonly bytes: bigint[] }[];
  readonly meters: readonly (MeterCell | null)[][];
  readonly digest: (index: number, values: readonly Val[], timestamp: number) => void;
  /** The stage slot of each decoupled stage id (relative to the program's first), for code generated with slot accounting. */
  readonly slots?: readonly number[];
  /** The constants lifted out of the code (see ControlHooks.liftConstants). */
  readonly constants?: readonly Val[];
}

/** Generated code, built: binds the step function to a program's state. */
export type Factory = (E: Env) => StepFn;

export interface BoundProgram {
  /** The program whose names the state goes by (the tenant's, for a positional copy in the image). */
  readonly program: Program;
  readonly plans: readonly TablePlan[];
  readonly tables: readonly TableState[];
  readonly ctables: readonly CTable[];
  readonly env: Env;
  /** How far into the device's write journal the lookup structures are up to date. */
  seen: number;
}

/**
 * Bind a program's state. `program` names the state (its stages,
 * registers, counters, meters and digests, in the order the generated code
 * indexes them); `plans` come from the generated code; `digest` takes the
 * digests it sends; `extra` has what code generated with hooks reads (an
 * image program's stage slots and lifted constants).
 */
export function bindProgram(program: Program, state: ProgramState, plans: readonly TablePlan[], journal: WriteJournal, digest: (message: DigestMessage) => void, extra: Pick<Env, 'slots' | 'constants'> = {}): BoundProgram {
  const tables = program.stages.map((st) => state.tables.get(st.name)!);
  const ctables = program.stages.map(() => new CTable());
  const seen = journal.end;
  tables.forEach((t, i) => buildTable(ctables[i]!, t, plans[i]!));
  const env: Env = {
    tables,
    ctables,
    registers: program.registers.map((r) => state.registers.get(r.name)!.cells),
    counters: program.counters.map((c) => state.counters.get(c.name)!),
    meters: program.meters.map((m) => state.meters.get(m.name)!),
    digest: (index, values, timestamp) => {
      const d = program.digests[index]!;
      const out: Record<string, string> = {};
      d.fields.forEach((f, j) => (out[f.name] = toHex(BigInt.asUintN(f.width, BigInt(values[j]!)))));
      digest({ program: program.name, digest: d.name, values: out, timestamp: BigInt(timestamp) });
    },
    ...extra,
  };
  return { program, plans, tables, ctables, env, seen };
}

/**
 * Bring a bound program's lookup structures up to date with the journal:
 * an exact-match table is patched entry by entry, any other table written
 * is rebuilt, a written default action is re-decoded. A consumer that fell
 * behind what the journal keeps rebuilds every table.
 */
export function syncProgram(bp: BoundProgram, journal: WriteJournal): void {
  const writes = journal.since(bp.seen);
  bp.seen = journal.end;
  const { program, tables, ctables, plans } = bp;
  if (!writes) {
    tables.forEach((t, i) => buildTable(ctables[i]!, t, plans[i]!));
    return;
  }
  const byStage = new Map<string, (readonly KeyMatch[] | undefined)[]>();
  for (const w of writes) {
    if (w.program !== program.name) continue;
    const list = byStage.get(w.stage) ?? [];
    list.push(w.matches);
    byStage.set(w.stage, list);
  }
  if (byStage.size === 0) return;
  program.stages.forEach((stage, i) => {
    const written = byStage.get(stage.name);
    if (!written) return;
    const ct = ctables[i]!;
    const ts = tables[i]!;
    const plan = plans[i]!;
    if (plan.kind !== 'exact' || written.length > ts.entries.size) return buildTable(ct, ts, plan);
    syncDefault(ct, ts);
    for (const matches of written) if (matches) patchExact(ct, ts, plan, matches);
  });
}
