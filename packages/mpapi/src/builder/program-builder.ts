/**
 * A program: one NF. Each call returns a new builder (nothing is shared or
 * mutated), and the compiler tracks what has been declared so far, so later
 * calls can only name headers, fields, stages and actions that exist.
 */
import { either } from 'fp-ts';
import type { Bit, HeaderDef, StackDef } from '../headers/header-type.js';
import { header as headerDef, bit, stack as stackDef } from '../headers/header-type.js';
import type { Ancestor, Counter, Digest, Meter, Program, Register } from '../ir/program.js';
import type { Control } from '../ir/control.js';
import type { CounterUnit, MatchKind, MeterUnit, Stage } from '../ir/stage.js';
import type { Parser } from '../ir/parser.js';
import type { HeaderType } from '../ir/header.js';
import { IR_VERSION } from '../ir/version.js';
import { canonicalJson, digestOf } from '../ir/canonical.js';
import { decodeProgram } from '../ir/decode.js';
import { bindParams } from '../ir/transform.js';
import { MpvisorError, underPath, type FaultLocation, type Issue } from '../errors.js';
import { Scope } from '../validate/scope.js';
import type { ValueInput } from '../values/value.js';
import type { BuildContext } from './action-builder.js';
import { ControlBuilder } from './control-builder.js';
import { insertAfter, insertBefore, insertFirst, insertLast, removeNode, renameNode } from './control-edit.js';
import { ParserBuilder } from './parser-builder.js';
import { buildEntries, convertArgs, failAt, StageBuilder, type ArgsFor, type EntryInput, type EntrySpec, type ParamWidths } from './stage-builder.js';
import type { ActionsSpec, EmptySchema, HeaderName, HeadersSpec, MetadataSpec, Schema, StagesSpec } from './schema.js';

/** Replace some parts of a schema. */
export type Patch<S extends Schema, P extends Partial<Schema>> = {
  readonly [K in keyof Schema]: K extends keyof P ? P[K] : S[K];
};

interface StageEntry {
  readonly ir: Stage;
  readonly autoPriority: boolean;
}

interface ProgramState {
  readonly name: string;
  readonly description?: string;
  readonly headers: readonly (readonly [string, HeaderDef | StackDef])[];
  readonly metadata: readonly (readonly [string, number])[];
  readonly registers: readonly Register[];
  readonly counters: readonly Counter[];
  readonly meters: readonly Meter[];
  readonly digests: readonly Digest[];
  readonly parser?: Parser;
  readonly stages: readonly StageEntry[];
  readonly control?: Control;
  readonly deparser?: readonly string[];
  readonly lineage: readonly Ancestor[];
}

/** Where a derived NF's new stage goes in the control flow. */
export type Placement<St extends StagesSpec> =
  | 'first'
  | 'last'
  | { readonly before: keyof St & string }
  | { readonly after: keyof St & string };

type StageFn<S extends Schema, A extends ActionsSpec, K extends Record<string, MatchKind>> = (t: StageBuilder<S>) => StageBuilder<S, A, K>;

export class ProgramBuilder<S extends Schema = EmptySchema, St extends StagesSpec = {}> {
  #ir: Program | undefined;

  /** @internal */
  constructor(private readonly state: ProgramState) {}

  get name(): string {
    return this.state.name;
  }

  private next<S2 extends Schema = S, St2 extends StagesSpec = St>(patch: Partial<ProgramState>): ProgramBuilder<S2, St2> {
    return new ProgramBuilder<S2, St2>({ ...this.state, ...patch });
  }

  private headerTypes(): HeaderType[] {
    const out: HeaderType[] = [];
    const seen = new Set<string>();
    for (const [, def] of this.state.headers) {
      const t = (def.kind === 'stackDef' ? def.type : def).toIR();
      const key = canonicalJson(t);
      if (!seen.has(key)) out.push(t); // identical types are shared; different ones with one name are reported
      seen.add(key);
    }
    return out;
  }

  private scope(): Scope {
    return new Scope({
      headerTypes: this.headerTypes(),
      headers: this.state.headers.map(([name, def]) => headerInstance(name, def)),
      metadata: this.state.metadata.map(([name, width]) => ({ kind: 'metaField', name, width })),
    });
  }

  private context(where: FaultLocation): BuildContext {
    return {
      scope: this.scope(),
      digests: this.state.digests,
      registers: new Map(this.state.registers.map((r) => [r.name, r.width])),
      where: { program: this.state.name, ...where },
    };
  }

  private fail(message: string, code: 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' = 'INVALID_ARGUMENT', stage?: string, path?: string): never {
    throw new MpvisorError(code, [{ program: this.state.name, ...(stage !== undefined ? { stage } : {}), message, ...(path !== undefined ? { path } : {}) }]);
  }

  describe(text: string): ProgramBuilder<S, St> {
    return this.next({ description: text });
  }

  /** Header instances, in wire order: `{ ethernet: std.ethernet, vlan: stack(std.vlan, 2) }`. */
  headers<H extends HeadersSpec>(headers: H): ProgramBuilder<Patch<S, { headers: S['headers'] & H }>, St> {
    return this.next({ headers: [...this.state.headers, ...Object.entries(headers)] });
  }

  /** User metadata fields, reachable as `meta.<name>`: `{ nextHop: bit(32) }`. */
  metadata<M extends MetadataSpec>(fields: M): ProgramBuilder<Patch<S, { meta: S['meta'] & M }>, St> {
    return this.next({ metadata: [...this.state.metadata, ...Object.entries(fields).map(([k, b]) => [k, b.width] as const)] });
  }

  register<N extends string, W extends number>(name: N, spec: { readonly width: W; readonly size: number }): ProgramBuilder<Patch<S, { registers: S['registers'] & Record<N, W> }>, St> {
    return this.next({ registers: [...this.state.registers, { kind: 'register', name, width: spec.width, size: spec.size }] });
  }

  counter<N extends string>(name: N, spec: { readonly size: number; readonly unit?: CounterUnit }): ProgramBuilder<Patch<S, { counters: S['counters'] | N }>, St> {
    return this.next({ counters: [...this.state.counters, { kind: 'counter', name, unit: spec.unit ?? 'packetsAndBytes', size: spec.size }] });
  }

  meter<N extends string>(name: N, spec: { readonly size: number; readonly unit?: MeterUnit }): ProgramBuilder<Patch<S, { meters: S['meters'] | N }>, St> {
    return this.next({ meters: [...this.state.meters, { kind: 'meter', name, unit: spec.unit ?? 'bytes', size: spec.size }] });
  }

  /** A digest (message to the control plane) with named fields, in order. */
  digest<N extends string, F extends Record<string, Bit>>(name: N, fields: F): ProgramBuilder<Patch<S, { digests: S['digests'] & Record<N, ParamWidths<F>> }>, St> {
    const d: Digest = { kind: 'digest', name, fields: Object.entries(fields).map(([f, b]) => ({ kind: 'digestField', name: f, width: b.width })) };
    return this.next({ digests: [...this.state.digests, d] });
  }

  parser(fn: (p: ParserBuilder<S>) => ParserBuilder<S>): ProgramBuilder<S, St> {
    const ctx = this.context({});
    return this.next({ parser: fn(new ParserBuilder<S>(ctx.scope, ctx.where)).toIR() });
  }

  /** Declare a stage (match-action table). */
  stage<N extends string, A extends ActionsSpec, K extends Record<string, MatchKind>>(
    name: N,
    fn: StageFn<S, A, K>,
  ): ProgramBuilder<S, St & Record<N, { actions: A; keys: K }>> {
    const built = underPath(`$.stages[${this.state.stages.length}]`, () => fn(StageBuilder.create<S>(this.context({}), name)).build());
    return this.next({ stages: [...this.state.stages, built] });
  }

  /** The control flow; without it, stages are applied in the order they were declared. */
  control(fn: (c: ControlBuilder<S, St>) => ControlBuilder<S, St>): ProgramBuilder<S, St> {
    const ctx = this.context({});
    return this.next({ control: underPath('$.control', () => fn(new ControlBuilder<S, St>(ctx.scope, ctx.where)).toIR()) });
  }

  /** Emit order; without it, headers are emitted in the order they were declared. */
  deparse(...headers: HeaderName<S>[]): ProgramBuilder<S, St> {
    return this.next({ deparser: headers });
  }

  // ---- derive ---------------------------------------------------------------

  /**
   * A new NF from this one. It starts as a copy; the operations below change
   * it; its IR records this NF's name and digest (and this NF's lineage).
   */
  derive(name: string, description?: string): ProgramBuilder<S, St> {
    const parent: Ancestor = { kind: 'ancestor', name: this.state.name, digest: this.irDigest() };
    return this.next({ name, lineage: [parent, ...this.state.lineage], ...(description !== undefined ? { description } : {}) });
  }

  private stageAt(name: string): number {
    const i = this.state.stages.findIndex((s) => s.ir.name === name);
    return i >= 0 ? i : this.fail(`program "${this.state.name}" has no stage "${name}"`, 'NOT_FOUND');
  }

  private withStage(name: string, f: (s: StageEntry) => StageEntry): ProgramBuilder<S, St> {
    const i = this.stageAt(name);
    const stages = this.state.stages.map((s, j) => (j === i ? underPath(`$.stages[${i}]`, () => f(s)) : s));
    return this.next({ stages });
  }

  private currentControl(): Control {
    return this.state.control ?? sequentialControl(this.state.stages.map((s) => s.ir.name));
  }

  /** Change a stage's size. */
  resize(stage: keyof St & string, size: number): ProgramBuilder<S, St> {
    return this.withStage(stage, (s) => ({ ...s, ir: { ...s.ir, size } }));
  }

  /** Change a stage's default action (refused when it is const). */
  defaultAction<N extends keyof St & string, A extends keyof St[N]['actions'] & string>(
    stage: N,
    action: A,
    ...rest: keyof St[N]['actions'][A] extends never
      ? [args?: {}, options?: { readonly const?: boolean }]
      : [args: ArgsFor<St[N]['actions'][A]>, options?: { readonly const?: boolean }]
  ): ProgramBuilder<S, St> {
    const [args, options] = rest;
    return this.withStage(stage, (s) => {
      if (s.ir.defaultAction.const) this.fail(`the default action of stage "${stage}" is const`, 'FAILED_PRECONDITION', stage, '$.defaultAction.const');
      const fail = failAt({ program: this.state.name, stage });
      const call = { kind: 'actionCall' as const, action, args: convertArgs((args ?? {}) as Record<string, ValueInput>, '$.defaultAction.args', action, fail) };
      return { ...s, ir: { ...s.ir, defaultAction: { kind: 'defaultAction', action: call, const: options?.const ?? false } } };
    });
  }

  /** Add const entries to a stage; in a stage ranked by position they come after the existing ones. */
  addEntries<N extends keyof St & string>(stage: N, ...entries: readonly EntrySpec<St[N]['keys'], St[N]['actions']>[]): ProgramBuilder<S, St> {
    return this.withStage(stage, (s) => {
      const fail = failAt({ program: this.state.name, stage });
      const inputs = entries as readonly EntryInput[];
      if (s.autoPriority && inputs.some((e) => e.priority !== undefined)) {
        fail('stage ranks its entries by position; add entries without priorities', '$.entries');
      }
      const built = buildEntries(s.ir, inputs, this.scope(), fail, s.ir.entries.length);
      const all = s.autoPriority
        ? [...s.ir.entries, ...built.entries].map((e, i, list) => ({ ...e, priority: list.length - i }))
        : [...s.ir.entries, ...built.entries];
      return { ...s, ir: { ...s.ir, entries: all } };
    });
  }

  /** Fix some parameters of an action to constants; entries and the default lose those arguments. */
  bind<N extends keyof St & string, A extends keyof St[N]['actions'] & string, B extends Partial<ArgsFor<St[N]['actions'][A]>>>(
    stage: N,
    action: A,
    args: B,
  ): ProgramBuilder<S, St & Record<N, { actions: Record<A, Omit<St[N]['actions'][A], keyof B>>; keys: St[N]['keys'] }>> {
    return this.withStage(stage, (s) => {
      const fail = failAt({ program: this.state.name, stage, action });
      const a = s.ir.actions.find((x) => x.name === action) ?? fail(`stage "${stage}" has no action "${action}"`, '$.actions');
      for (const k of Object.keys(args)) if (!a.params.some((p) => p.name === k)) fail(`action "${action}" has no parameter "${k}"`, '$.actions');
      const values = new Map(Object.entries(convertArgs(args as Record<string, ValueInput>, '$.actions', action, fail)));
      const strip = (call: Stage['defaultAction']['action']) =>
        call.action === action ? { ...call, args: Object.fromEntries(Object.entries(call.args).filter(([k]) => !values.has(k))) } : call;
      const ir: Stage = {
        ...s.ir,
        actions: s.ir.actions.map((x) => (x.name === action ? bindParams(x, values) : x)),
        defaultAction: { ...s.ir.defaultAction, action: strip(s.ir.defaultAction.action) },
        entries: s.ir.entries.map((e) => ({ ...e, action: strip(e.action) })),
      };
      return { ...s, ir };
    }) as never;
  }

  /** Add a stage and apply it at `placement` in the control flow (default: last). */
  addStage<N extends string, A extends ActionsSpec, K extends Record<string, MatchKind>>(
    name: N,
    fn: StageFn<S, A, K>,
    placement: Placement<St> = 'last',
  ): ProgramBuilder<S, St & Record<N, { actions: A; keys: K }>> {
    if (this.state.stages.some((s) => s.ir.name === name)) this.fail(`program "${this.state.name}" already has a stage "${name}"`);
    const control = this.currentControl();
    const built = underPath(`$.stages[${this.state.stages.length}]`, () => fn(StageBuilder.create<S>(this.context({}), name)).build());
    const edited =
      placement === 'first'
        ? insertFirst(control, name)
        : placement === 'last'
          ? insertLast(control, name)
          : 'before' in placement
            ? insertBefore(control, placement.before, name)
            : insertAfter(control, placement.after, name);
    if (typeof edited === 'string') this.fail(`cannot add stage "${name}": ${edited}`);
    return this.next({ stages: [...this.state.stages, built], control: edited });
  }

  /** Replace a stage by a new definition with the same name; the control flow is kept. */
  replaceStage<N extends keyof St & string, A extends ActionsSpec, K extends Record<string, MatchKind>>(
    name: N,
    fn: StageFn<S, A, K>,
  ): ProgramBuilder<S, Omit<St, N> & Record<N, { actions: A; keys: K }>> {
    const i = this.stageAt(name);
    const built = underPath(`$.stages[${i}]`, () => fn(StageBuilder.create<S>(this.context({}), name)).build());
    return this.next({ stages: this.state.stages.map((s, j) => (j === i ? built : s)), control: this.currentControl() });
  }

  /** Remove a stage; its predecessors go straight to its successor. */
  removeStage<N extends keyof St & string>(name: N): ProgramBuilder<S, Omit<St, N>> {
    const i = this.stageAt(name);
    const control = this.currentControl();
    const edited = removeNode(control, name);
    if (typeof edited === 'string') {
      this.fail(`cannot remove stage "${name}": ${edited}`, 'FAILED_PRECONDITION', name, `$.control.nodes[${control.nodes.findIndex((n) => n.id === name)}]`);
    }
    return this.next({ stages: this.state.stages.filter((_, j) => j !== i), control: edited });
  }

  /** Rename a stage (and its place in the control flow). */
  renameStage<N extends keyof St & string, M extends string>(from: N, to: M): ProgramBuilder<S, Omit<St, N> & Record<M, St[N]>> {
    const i = this.stageAt(from);
    if (this.state.stages.some((s) => s.ir.name === to)) this.fail(`program "${this.state.name}" already has a stage "${to}"`);
    const control = renameNode(this.currentControl(), from, to);
    return this.next({ stages: this.state.stages.map((s, j) => (j === i ? { ...s, ir: { ...s.ir, name: to } } : s)), control });
  }

  // ---- output ---------------------------------------------------------------

  /** The program as validated IR; throws one MpvisorError listing every problem. */
  toIR(): Program {
    if (this.#ir) return this.#ir;
    const s = this.state;
    if (!s.parser) this.fail(`program "${s.name}" has no parser; declare one with .parser(p => p.state('start', …))`);
    const ir: Program = {
      kind: 'program',
      irVersion: IR_VERSION,
      name: s.name,
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.lineage.length > 0 ? { lineage: s.lineage } : {}),
      headerTypes: this.headerTypes(),
      headers: s.headers.map(([name, def]) => headerInstance(name, def)),
      metadata: s.metadata.map(([name, width]) => ({ kind: 'metaField', name, width })),
      parser: s.parser,
      registers: s.registers,
      counters: s.counters,
      meters: s.meters,
      digests: s.digests,
      stages: s.stages.map((x) => x.ir),
      control: this.currentControl(),
      deparser: s.deparser ?? s.headers.map(([name]) => name),
    };
    const decoded = decodeProgram(ir);
    if (either.isLeft(decoded)) {
      const issues: Issue[] = decoded.left.map((i) => ({ program: s.name, ...i }));
      throw new MpvisorError('INVALID_ARGUMENT', issues);
    }
    this.#ir = decoded.right;
    return decoded.right;
  }

  /** `sha256:…` of the canonical IR: equal NFs have equal digests. */
  irDigest(): string {
    return digestOf(this.toIR());
  }

  /** Canonical JSON text of the IR. */
  canonicalJson(): string {
    return canonicalJson(this.toIR());
  }

  /** So that `JSON.stringify(program)` gives its IR. */
  toJSON(): Program {
    return this.toIR();
  }
}

function headerInstance(name: string, def: HeaderDef | StackDef): Program['headers'][number] {
  return def.kind === 'stackDef'
    ? { kind: 'header', name, type: def.type.name, stack: def.size }
    : { kind: 'header', name, type: def.name };
}

/** The default control: apply every stage once, in declaration order. */
export function sequentialControl(stages: readonly string[]): Control {
  return {
    kind: 'control',
    entry: stages[0] ?? null,
    nodes: stages.map((s, i) => ({ kind: 'applyStage', id: s, stage: s, next: { kind: 'always', to: stages[i + 1] ?? null } })),
  };
}

/** Start a new NF. */
export function program(name: string): ProgramBuilder {
  return new ProgramBuilder({ name, headers: [], metadata: [], registers: [], counters: [], meters: [], digests: [], stages: [], lineage: [] });
}

/**
 * A builder from IR (e.g. pulled from a registry), to derive from. Its
 * schema is not known to the compiler; generated modules add the types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function programFromIR(ir: Program): ProgramBuilder<any, any> {
  const types = new Map(ir.headerTypes.map((t) => [t.name, t]));
  const defs = ir.headers.map((h): readonly [string, HeaderDef | StackDef] => {
    const t = types.get(h.type);
    if (!t) throw new MpvisorError('INVALID_ARGUMENT', [{ program: ir.name, message: `header "${h.name}" has unknown type "${h.type}"` }]);
    const fields = Object.fromEntries(
      t.fields.map((f) => [f.name, f.kind === 'bitField' ? bit(f.width) : { kind: 'varbit' as const, maxWidth: f.maxWidth, length: f.length }]),
    );
    const def = headerDef(t.name, fields);
    return [h.name, h.stack !== undefined ? stackDef(def, h.stack) : def];
  });
  const builder = new ProgramBuilder({
    name: ir.name,
    ...(ir.description !== undefined ? { description: ir.description } : {}),
    headers: defs,
    metadata: ir.metadata.map((m) => [m.name, m.width] as const),
    registers: ir.registers,
    counters: ir.counters,
    meters: ir.meters,
    digests: ir.digests,
    parser: ir.parser,
    stages: ir.stages.map((s) => ({ ir: s, autoPriority: false })),
    control: ir.control,
    deparser: ir.deparser,
    lineage: ir.lineage ?? [],
  });
  return builder;
}

/**
 * A builder of any program. `ProgramBuilder` is invariant in its schema (the
 * schema types both inputs and outputs), so only `any` admits every program;
 * `ProgramBuilder<Schema, StagesSpec>` would admit none.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProgramBuilder = ProgramBuilder<any, any>;
