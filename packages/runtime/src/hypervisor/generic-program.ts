/**
 * The dynamic compiler of HyperV §IV-E: a tenant program becomes what the
 * generic image holds — a positional copy of the program (no tenant name
 * survives: headers `h<i>`, fields `f<j>`, metadata `u<j>`, parser states
 * `q<i>`, stages `g<i>`, actions `a<j>`, parameters `p<j>`, registers `r<i>`,
 * counters `c<i>`, meters `m<i>`, digests `d<i>`), and one decoupled stage
 * per control node: a condition binding, match columns split by header /
 * standard / user metadata (HyperV's match pipeline), and actions as
 * primitive lists run by the slot's primitive tables. The hypervisor binds
 * the program's registers, counters, meters and digests to its vPDP's
 * segments when it installs it.
 */
import { mapExpr, mapPrimitiveExprs, type Action, type Control, type ControlNode, type Expr, type MatchKind, type Next, type ParserOp, type Primitive, type Program, type Stage, type Transition } from '@mpvisor/mpapi';
import { FlatLayout } from './flat-layout.js';
import { sequenceProgram, type NextId, type SequencedNext } from './sequence.js';

export type MatchClass = 'header' | 'standard' | 'user';

export interface GenericColumn {
  /** Which match table of the slot holds this key (HyperV's split). */
  readonly class: MatchClass;
  readonly ref: string;
  readonly width: number;
  readonly kind: MatchKind;
  /** Position of the key in the tenant stage (entries are written in that order). */
  readonly key: number;
}

export interface GenericMatch {
  /** The tenant stage (table) it realises: the control plane writes entries under this name. */
  readonly stage: string;
  /** The image's copy of the stage (`g<i>`, actions `a<j>`, parameters `p<j>`). */
  readonly generic: Stage;
  readonly columns: readonly GenericColumn[];
  /** Tenant action name → index in `generic.actions`. */
  readonly actionIndex: ReadonlyMap<string, number>;
  /** Tenant parameter names of each action, by position. */
  readonly paramNames: readonly (readonly string[])[];
}

export interface GenericStage {
  /** Stage id, relative to the program's first id. */
  readonly id: number;
  /** Stage slots it spans: its match plus its longest action's primitives, K per slot. */
  readonly span: number;
  /** The tenant's control node it realises (for traces). */
  readonly node: string;
  readonly cond?: Expr;
  readonly match?: GenericMatch;
  readonly next: SequencedNext;
}

export interface GenericProgram {
  readonly name: string;
  /** The positional copy the image runs: parser, headers, metadata, state and deparse order. */
  readonly ir: Program;
  /** Stage ids relative to 0; the hypervisor adds the program's base id. */
  readonly stages: readonly GenericStage[];
  readonly entry: NextId;
  readonly layout: FlatLayout;
  /** A policy step's condition, on the program's own parse. */
  readonly when?: Expr;
  /**
   * The tenant's name for each positional name (`h1` → `ipv4`, `h1.f8` →
   * `ipv4.protocol`, `meta.u0` → `meta.l4SrcPort`, `q1` → `parse_ipv4`):
   * for traces the tenant reads, never for execution.
   */
  readonly names: ReadonlyMap<string, string>;
}

/** Rewrites a program's names into the image's generic names. */
export class Rewriter {
  private readonly registers: Map<string, number>;
  private readonly counters: Map<string, number>;
  private readonly meters: Map<string, number>;
  private readonly digests: Map<string, number>;

  constructor(
    readonly layout: FlatLayout,
    private readonly program: Program,
  ) {
    const index = (xs: readonly { name: string }[]): Map<string, number> => new Map(xs.map((x, i) => [x.name, i]));
    this.registers = index(program.registers);
    this.counters = index(program.counters);
    this.meters = index(program.meters);
    this.digests = index(program.digests);
  }

  expr(e: Expr, params?: ReadonlyMap<string, number>): Expr {
    return mapExpr(e, (x) => {
      switch (x.kind) {
        case 'field':
          return { kind: 'field', ref: this.layout.fieldRef(x.ref) };
        case 'param':
          return { kind: 'param', name: `p${params?.get(x.name) ?? 0}` };
        case 'isValid':
          return { kind: 'isValid', header: this.layout.headerRef(x.header) };
        default:
          return undefined;
      }
    });
  }

  /** A primitive's expressions, then the names it holds itself: target fields, headers, state objects. */
  primitive(p: Primitive, params: ReadonlyMap<string, number>): Primitive {
    const q = mapPrimitiveExprs(p, (e) => this.expr(e, params));
    const f = (ref: string): string => this.layout.fieldRef(ref);
    const h = (ref: string): string => this.layout.headerRef(ref);
    switch (q.kind) {
      case 'assign':
      case 'maskedAssign':
      case 'directMeterRead':
      case 'hash':
      case 'checksumUpdate':
      case 'checksumIncremental':
        return { ...q, target: f(q.target) };
      case 'checksumVerify':
        return { ...q, checksum: f(q.checksum) };
      case 'setValid':
      case 'setInvalid':
      case 'pushFront':
      case 'popFront':
        return { ...q, header: h(q.header) };
      case 'copyHeader':
        return { ...q, dst: h(q.dst), src: h(q.src) };
      case 'digest':
        return { ...q, digest: `d${this.digests.get(q.digest)}` };
      case 'registerRead':
        return { ...q, register: `r${this.registers.get(q.register)}`, target: f(q.target) };
      case 'registerWrite':
        return { ...q, register: `r${this.registers.get(q.register)}` };
      case 'count':
        return { ...q, counter: `c${this.counters.get(q.counter)}` };
      case 'meterExecute':
        return { ...q, meter: `m${this.meters.get(q.meter)}`, target: f(q.target) };
      default:
        return q;
    }
  }

  parserOp(op: ParserOp): ParserOp {
    switch (op.kind) {
      case 'extract':
        return { ...op, header: this.layout.headerRef(op.header) };
      case 'advance':
        return op;
      case 'set':
        return { ...op, target: this.layout.fieldRef(op.target), value: this.expr(op.value) };
      case 'verify':
        return { ...op, cond: this.expr(op.cond) };
    }
  }

  /** A stage becomes `g<i>`, its actions `a<j>` with parameters `p<j>`; const entries and default action follow. */
  stage(s: Stage, i: number): Stage {
    const actionName = new Map(s.actions.map((a, j) => [a.name, `a${j}`]));
    const call = (c: { action: string; args: Readonly<Record<string, string>> }): { kind: 'actionCall'; action: string; args: Record<string, string> } => {
      const a = s.actions.find((x) => x.name === c.action)!;
      return { kind: 'actionCall', action: actionName.get(c.action)!, args: Object.fromEntries(a.params.map((p, j) => [`p${j}`, c.args[p.name] ?? '0x0'])) };
    };
    const { description: _d, ...rest } = s;
    return {
      ...rest,
      name: `g${i}`,
      keys: s.keys.map((k) => ({ ...k, field: this.layout.fieldRef(k.field) })),
      actions: s.actions.map((a, j): Action => {
        const params = new Map(a.params.map((p, k) => [p.name, k]));
        return { ...a, name: `a${j}`, params: a.params.map((p, k) => ({ ...p, name: `p${k}` })), body: a.body.map((p) => this.primitive(p, params)) };
      }),
      defaultAction: { ...s.defaultAction, action: call(s.defaultAction.action) },
      entries: s.entries.map((e) => ({ ...e, action: call(e.action) })),
    };
  }

  /** The control graph with nodes `n<i>`, stages `g<i>`, actions `a<j>`, conditions on positional fields. */
  control(c: Control): Control {
    const nodeName = new Map(c.nodes.map((n, i) => [n.id, `n${i}`]));
    const to = (id: string | null): string | null => (id === null ? null : nodeName.get(id)!);
    const stageIndex = new Map(this.program.stages.map((s, i) => [s.name, i]));
    const nodes = c.nodes.map((n): ControlNode => {
      if (n.kind === 'branch') return { ...n, id: to(n.id)!, cond: this.expr(n.cond), then: to(n.then), else: to(n.else) };
      const stage = this.program.stages[stageIndex.get(n.stage)!]!;
      const action = (name: string): string => `a${stage.actions.findIndex((a) => a.name === name)}`;
      const next: Next =
        n.next.kind === 'always'
          ? { ...n.next, to: to(n.next.to) }
          : n.next.kind === 'hitMiss'
            ? { ...n.next, hit: to(n.next.hit), miss: to(n.next.miss) }
            : { ...n.next, cases: n.next.cases.map((k) => ({ ...k, action: action(k.action), to: to(k.to) })), default: to(n.next.default) };
      return { ...n, id: to(n.id)!, stage: `g${stageIndex.get(n.stage)!}`, next };
    });
    return { ...c, entry: to(c.entry), nodes };
  }

  /** Parser states become `q<i>`; accept and reject keep their names. */
  state(name: string): string {
    if (name === 'accept' || name === 'reject') return name;
    return `q${this.program.parser.states.findIndex((s) => s.name === name)}`;
  }

  transition(t: Transition): Transition {
    if (t.kind === 'goto') return { ...t, state: this.state(t.state) };
    return { ...t, keys: t.keys.map((k) => this.expr(k)), cases: t.cases.map((c) => ({ ...c, next: this.state(c.next) })) };
  }
}

const classOf = (ref: string): MatchClass => (ref.startsWith('standard.') ? 'standard' : ref.startsWith('meta.') ? 'user' : 'header');

/**
 * Compile a validated program. `primitivesPerSlot` is K, the primitive
 * tables of one slot's action pipeline: an action of n primitives spans
 * ceil(n / K) slots, so stage ids leave room for the continuation.
 */
export function compileProgram(program: Program, primitivesPerSlot: number, when?: Expr): GenericProgram {
  const layout = new FlatLayout(program);
  const rw = new Rewriter(layout, program);
  const seq = sequenceProgram(program, 0);
  const stagesByName = new Map(program.stages.map((s) => [s.name, s]));
  // ids with room for multi-slot actions: a stage's id is the previous id plus the previous span
  const spans = seq.stages.map((d) => {
    if (!d.stage) return 1;
    const longest = Math.max(0, ...stagesByName.get(d.stage)!.actions.map((a) => a.body.length));
    return Math.max(1, Math.ceil(longest / primitivesPerSlot));
  });
  const idOf = new Map<number, number>();
  let next = 0;
  seq.stages.forEach((d, i) => {
    idOf.set(d.id, next);
    next += spans[i]!;
  });
  const to = (id: NextId): NextId => (id === null ? null : idOf.get(id)!);
  const renumber = (n: SequencedNext): SequencedNext => {
    switch (n.kind) {
      case 'always':
        return { kind: 'always', to: to(n.to) };
      case 'hitMiss':
        return { kind: 'hitMiss', hit: to(n.hit), miss: to(n.miss) };
      case 'actionRun':
        return { kind: 'actionRun', cases: Object.fromEntries(Object.entries(n.cases).map(([a, id]) => [a, to(id)])), default: to(n.default) };
      case 'condition':
        return { kind: 'condition', then: to(n.then), else: to(n.else) };
    }
  };
  const genericStages = new Map<string, Stage>();
  const stages = seq.stages.map((d, i): GenericStage => {
    const base = { id: idOf.get(d.id)!, span: spans[i]!, node: d.node, next: renumber(d.next) };
    if (!d.stage) return { ...base, cond: rw.expr(d.condition!) };
    const s = stagesByName.get(d.stage)!;
    const generic = rw.stage(s, program.stages.indexOf(s));
    genericStages.set(s.name, generic);
    const columns = s.keys.map((k, key): GenericColumn => {
      const ref = layout.fieldRef(k.field);
      const f = layout.scope.field(k.field);
      return { class: classOf(ref), ref, width: typeof f === 'string' ? 0 : f.width, kind: k.match, key };
    });
    return {
      ...base,
      match: {
        stage: s.name,
        generic,
        columns,
        actionIndex: new Map(s.actions.map((a, j) => [a.name, j])),
        paramNames: s.actions.map((a) => a.params.map((p) => p.name)),
      },
    };
  });
  const ir: Program = {
    ...program,
    headerTypes: program.headerTypes.map((type, i) => ({
      ...type,
      name: `t${i}`,
      fields: type.fields.map((f, j) =>
        f.kind === 'bitField' ? { ...f, name: `f${j}` } : { ...f, name: `f${j}`, length: { ...f.length, field: `f${type.fields.findIndex((x) => x.name === f.length.field)}` } },
      ),
    })),
    headers: program.headers.map((h) => ({ ...h, name: layout.instanceName(h.name), type: `t${program.headerTypes.findIndex((t) => t.name === h.type)}` })),
    metadata: program.metadata.map((m, j) => ({ ...m, name: `u${j}` })),
    parser: {
      ...program.parser,
      start: rw.state(program.parser.start),
      states: program.parser.states.map((s) => ({ ...s, name: rw.state(s.name), ops: s.ops.map((o) => rw.parserOp(o)), transition: rw.transition(s.transition) })),
    },
    stages: program.stages.map((s, i) => genericStages.get(s.name) ?? rw.stage(s, i)),
    control: rw.control(program.control),
    registers: program.registers.map((r, i) => ({ ...r, name: `r${i}` })),
    counters: program.counters.map((c, i) => ({ ...c, name: `c${i}` })),
    meters: program.meters.map((m, i) => ({ ...m, name: `m${i}` })),
    digests: program.digests.map((d, i) => ({ ...d, name: `d${i}` })),
    deparser: program.deparser.map((h) => layout.instanceName(h)),
  };
  return { name: program.name, ir, stages, entry: to(seq.entry), layout, names: tenantNames(program, layout, rw), ...(when ? { when: rw.expr(when) } : {}) };
}

function tenantNames(program: Program, layout: FlatLayout, rw: Rewriter): Map<string, string> {
  const names = new Map<string, string>();
  for (const h of layout.headers) {
    const positional = layout.headerRef(h.ref);
    names.set(positional, h.ref);
    h.fields.forEach((f, j) => names.set(`${positional}.f${j}`, `${h.ref}.${f.name}`));
  }
  for (const s of layout.stacks) names.set(`s${s.index}`, s.name);
  for (const m of program.metadata) names.set(layout.fieldRef(`meta.${m.name}`), `meta.${m.name}`);
  for (const st of program.parser.states) names.set(rw.state(st.name), st.name);
  return names;
}

/** Total stage ids a compiled program occupies (its last stage's id plus span). */
export function idSpan(g: GenericProgram): number {
  const last = g.stages.at(-1);
  return last ? last.id + last.span : 0;
}
