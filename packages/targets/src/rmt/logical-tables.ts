/**
 * From IR to what the placer places: one logical table per control node — a
 * stage becomes an exact, ternary or keyless table, a branch becomes a
 * gateway — with the fields its match reads and its actions read and write.
 *
 * Field names are the IR's references (`ipv4.ttl`, `vlan[0].vid`,
 * `meta.nhop`, `standard.egressPort`). A header's valid bit is
 * `<header>.$valid` (`vlan[1].$valid`). State and requests that are not
 * fields get pseudo names, so that their order is kept by the dependency
 * rules: `register:<name>` (register cells), `request:clone`,
 * `request:resubmit`, `request:recirculate`.
 */
import {
  mapExpr,
  mapPrimitiveExprs,
  MpvisorError,
  Scope,
  successors,
  topologicalOrder,
  type Expr,
  type Policy,
  type Primitive,
  type Program,
  type Stage,
} from '@mpvisor/mpapi';
import { loadPipeline, pipelineOf, type Pipeline } from '@mpvisor/runtime';
import type { LogicalTable, StatefulMemory } from './model.js';

/** The control flow between a program's logical tables (a DAG). */
export interface ControlGraph {
  /** Logical table ids in a topological order of the control flow. */
  readonly order: readonly string[];
  /** Each table's control-flow successors, `null` for the end of the control; two or more distinct ones make it a branch point. */
  readonly next: ReadonlyMap<string, readonly (string | null)[]>;
}

/** One program (one step of a pipeline) as logical tables. */
export interface ProgramTables {
  /** The program's name, or `name#2`, … for a later step running the same program. */
  readonly label: string;
  readonly program: Program;
  /** In control (topological) order. */
  readonly tables: readonly LogicalTable[];
  readonly control: ControlGraph;
}

/** What the placer accepts: a loaded pipeline, IR, a list of programs, or a builder. */
export type PlacementInput = Pipeline | Program | Policy | readonly Program[] | { toIR(): Program | Policy };

/**
 * ASSUMPTION (neither paper sizes statistics memory): bits of SRAM per
 * counter cell — 64 per counted unit — and per meter cell (two 64-bit token
 * buckets of a two-rate three-colour meter).
 */
export const COUNTER_BITS = { packets: 64, bytes: 64, packetsAndBytes: 128 } as const;
export const METER_BITS = 128;

/** The `node` of a policy step's condition gateway (`<label>/$when`): not an Ident, so no control node has it. */
export const STEP_CONDITION = '$when';

/** The valid bit of a header (or stack element) as a field name. */
export const validBit = (header: string): string => `${header}.$valid`;

const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** Fields an expression reads (valid bits for `isValid`). */
export function exprReads(e: Expr): string[] {
  const out: string[] = [];
  mapExpr(e, (x) => {
    if (x.kind === 'field') out.push(x.ref);
    else if (x.kind === 'isValid') out.push(validBit(x.header));
    return undefined;
  });
  return out;
}

/** Fields (and pseudo fields) one primitive reads and writes. */
export function primitiveEffects(p: Primitive, scope: Scope): { reads: string[]; writes: string[] } {
  const reads: string[] = [];
  const writes: string[] = [];
  mapPrimitiveExprs(p, (e) => {
    reads.push(...exprReads(e));
    return e;
  });
  const headerFields = (ref: string): string[] => {
    const h = scope.header(ref, true);
    if (typeof h === 'string') return [];
    const elements = h.stack !== undefined && h.index === undefined ? Array.from({ length: h.stack }, (_, i) => `${ref}[${i}]`) : [ref];
    return elements.flatMap((el) => [...h.type.fields.map((f) => `${el}.${f.name}`), validBit(el)]);
  };
  switch (p.kind) {
    case 'assign':
    case 'registerRead':
    case 'meterExecute':
    case 'directMeterRead':
    case 'hash':
    case 'checksumUpdate':
      writes.push(p.target);
      break;
    case 'maskedAssign':
    case 'checksumIncremental':
      // the bits outside the mask (the old checksum) are read too
      reads.push(p.target);
      writes.push(p.target);
      break;
    case 'setValid':
    case 'setInvalid':
      writes.push(validBit(p.header));
      break;
    case 'copyHeader':
      reads.push(...headerFields(p.src));
      writes.push(...headerFields(p.dst));
      break;
    case 'pushFront':
    case 'popFront':
      reads.push(...headerFields(p.header));
      writes.push(...headerFields(p.header));
      break;
    case 'drop':
      // v1model mark_to_drop: egress port := drop port, multicast group := 0
      writes.push('standard.egressPort', 'standard.mcastGroup');
      break;
    case 'setEgress':
      writes.push('standard.egressPort');
      break;
    case 'multicast':
      writes.push('standard.mcastGroup');
      break;
    case 'clone':
      writes.push('request:clone');
      break;
    case 'resubmit':
      writes.push('request:resubmit');
      break;
    case 'recirculate':
      writes.push('request:recirculate');
      break;
    case 'checksumVerify':
      reads.push(p.checksum);
      writes.push('standard.checksumError');
      break;
    case 'registerWrite':
      writes.push(`register:${p.register}`);
      break;
    case 'digest':
    case 'count':
      break;
  }
  if (p.kind === 'registerRead') reads.push(`register:${p.register}`);
  return { reads, writes };
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** Width of a field name (valid bits 1); 0 for pseudo fields and unknown names. */
export function fieldWidth(scope: Scope, ref: string): number {
  if (ref.endsWith('.$valid')) return 1;
  const f = scope.field(ref);
  return typeof f === 'string' ? 0 : f.width;
}

function stageTable(program: Program, label: string, scope: Scope, node: string, stage: Stage): LogicalTable {
  const effects = stage.actions.map((a) => a.body.map((p) => primitiveEffects(p, scope)));
  const matchReads = unique(stage.keys.map((k) => k.field));
  const kind = stage.keys.length === 0 ? 'keyless' : stage.keys.every((k) => k.match === 'exact') ? 'exact' : 'ternary';
  const params = Math.max(0, ...stage.actions.map((a) => a.params.reduce((n, p) => n + p.width, 0)));
  const directStateBits =
    (stage.directCounter !== undefined ? COUNTER_BITS[stage.directCounter] : 0) + (stage.directMeter !== undefined ? METER_BITS : 0);
  return {
    id: `${label}/${stage.name}`,
    program: program.name,
    node,
    kind,
    entries: kind === 'keyless' ? 0 : stage.size,
    keyBits: stage.keys.reduce((n, k) => n + fieldWidth(scope, k.field), 0),
    actionDataBits: params + ceilLog2(stage.actions.length),
    matchReads,
    actionReads: unique(effects.flatMap((a) => a.flatMap((e) => e.reads))),
    actionWrites: unique(effects.flatMap((a) => a.flatMap((e) => e.writes))),
    primitives: Math.max(0, ...stage.actions.map((a) => a.body.length)),
    ...(directStateBits > 0 && kind !== 'keyless' ? { directStateBits } : {}),
  };
}

function gateway(program: Program, label: string, scope: Scope, node: string, cond: Expr): LogicalTable {
  const matchReads = unique(exprReads(cond));
  return {
    id: node === STEP_CONDITION ? `${label}/${node}` : `${label}/#${node}`,
    program: program.name,
    node,
    kind: 'gateway',
    entries: 0,
    keyBits: matchReads.reduce((n, f) => n + fieldWidth(scope, f), 0),
    actionDataBits: 0,
    matchReads,
    actionReads: [],
    actionWrites: [],
    primitives: 0,
  };
}

/** Which stateful arrays a table's actions touch, by name. */
function statefulUses(stage: Stage): string[] {
  const names: string[] = [];
  for (const a of stage.actions)
    for (const p of a.body) {
      if (p.kind === 'registerRead' || p.kind === 'registerWrite') names.push(p.register);
      else if (p.kind === 'count') names.push(p.counter);
      else if (p.kind === 'meterExecute') names.push(p.meter);
    }
  return unique(names);
}

/**
 * A program's logical tables in control order: `<label>/<stage>` for a stage
 * (its `node` the control node's id), `<label>/#<node>` for a branch. With
 * `when` (a policy step's condition) a gateway `<label>/$when` comes first
 * and every table depends on it.
 */
export function logicalTables(program: Program, options: { readonly label?: string; readonly when?: Expr } = {}): ProgramTables {
  const label = options.label ?? program.name;
  const scope = new Scope(program);
  const stages = new Map(program.stages.map((s) => [s.name, s]));
  const nodes = topologicalOrder(program.control);
  const idOf = new Map(nodes.map((n) => [n.id, n.kind === 'applyStage' ? `${label}/${n.stage}` : `${label}/#${n.id}`]));
  const target = (t: string | null): string | null => (t === null ? null : (idOf.get(t) ?? null));

  const memories = new Map<string, StatefulMemory>([
    ...program.registers.map((r): [string, StatefulMemory] => [r.name, { name: r.name, kind: 'register', cells: r.size, width: r.width }]),
    ...program.counters.map((c): [string, StatefulMemory] => [c.name, { name: c.name, kind: 'counter', cells: c.size, width: COUNTER_BITS[c.unit] }]),
    ...program.meters.map((m): [string, StatefulMemory] => [m.name, { name: m.name, kind: 'meter', cells: m.size, width: METER_BITS }]),
  ]);
  const allocated = new Set<string>();

  const tables: LogicalTable[] = [];
  const next = new Map<string, (string | null)[]>();
  const entry = target(program.control.entry);
  if (options.when !== undefined && entry !== null) {
    const g = gateway(program, label, scope, STEP_CONDITION, options.when);
    tables.push(g);
    next.set(g.id, [entry, null]);
  }
  for (const n of nodes) {
    const id = idOf.get(n.id)!;
    if (n.kind === 'branch') tables.push(gateway(program, label, scope, n.id, n.cond));
    else {
      const stage = stages.get(n.stage);
      if (!stage) throw new MpvisorError('INVALID_ARGUMENT', [{ program: program.name, message: `control node "${n.id}" applies unknown stage "${n.stage}"` }]);
      // a stateful array lives in the stage of its first user (in control order)
      const stateful = statefulUses(stage)
        .filter((s) => !allocated.has(s))
        .flatMap((s) => {
          allocated.add(s);
          const m = memories.get(s);
          return m ? [m] : [];
        });
      const t = stageTable(program, label, scope, n.id, stage);
      tables.push(stateful.length > 0 ? { ...t, stateful } : t);
    }
    next.set(id, [...new Set(successors(n).map(target))]);
  }
  return { label, program, tables, control: { order: tables.map((t) => t.id), next } };
}

/** Normalise what the placer accepts to a pipeline. */
export function toPipeline(input: PlacementInput): Pipeline {
  if (Array.isArray(input)) {
    const programs = input as readonly Program[];
    return { name: programs.map((p) => p.name).join(' >> '), source: 'policy', steps: programs.map((program) => ({ program })), digest: '' };
  }
  const x = input as Pipeline | Program | Policy | { toIR(): Program | Policy };
  if ('toIR' in x && typeof x.toIR === 'function') return loadPipeline(x);
  if ('steps' in x && 'digest' in x && !('kind' in x)) return x;
  return pipelineOf(x as Program | Policy);
}

/** Every step of a pipeline as logical tables; a program run by several steps gets labels `name`, `name#2`, …. */
export function pipelineTables(input: PlacementInput): ProgramTables[] {
  const pipeline = toPipeline(input);
  const seen = new Map<string, number>();
  return pipeline.steps.map((step) => {
    const k = (seen.get(step.program.name) ?? 0) + 1;
    seen.set(step.program.name, k);
    const label = k === 1 ? step.program.name : `${step.program.name}#${k}`;
    return logicalTables(step.program, step.when !== undefined ? { label, when: step.when } : { label });
  });
}
