/**
 * Control flow written as structured code — apply, if/else, branches on
 * hit/miss or on the action that ran — and compiled to the IR's graph, where
 * the code after a branch is the shared successor of both arms.
 */
import type { Control, ControlNode, Next, NodeTarget } from '../ir/control.js';
import type { Expr as IrExpr } from '../ir/expr.js';
import type { Scope } from '../validate/scope.js';
import type { FaultLocation } from '../errors.js';
import { ExprScope, type BoolExpr } from './expression.js';
import type { Schema, StagesSpec } from './schema.js';

type Stmt =
  | { readonly kind: 'apply'; readonly stage: string; readonly branches?: Branches }
  | { readonly kind: 'if'; readonly cond: IrExpr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] };
type Branches =
  | { readonly kind: 'hitMiss'; readonly hit: readonly Stmt[]; readonly miss: readonly Stmt[] }
  | { readonly kind: 'actionRun'; readonly cases: readonly (readonly [string, readonly Stmt[]])[]; readonly default: readonly Stmt[] };

export type Body<S extends Schema, St extends StagesSpec> = (c: ControlBuilder<S, St>) => ControlBuilder<S, St>;

/** Branch on hit/miss, or on which action ran (`default` catches the rest). */
export type ApplyBranches<S extends Schema, St extends StagesSpec, N extends keyof St> =
  | { readonly hit?: Body<S, St>; readonly miss?: Body<S, St> }
  | { readonly actions: { readonly [A in keyof St[N]['actions']]?: Body<S, St> }; readonly default?: Body<S, St> };

export class ControlBuilder<S extends Schema, St extends StagesSpec> extends ExprScope<S> {
  /** @internal */
  constructor(
    scope: Scope,
    where: FaultLocation,
    /** @internal */ readonly stmts: readonly Stmt[] = [],
  ) {
    super(scope, where);
  }

  private add(s: Stmt): ControlBuilder<S, St> {
    return new ControlBuilder<S, St>(this.scope, this.where, [...this.stmts, s]);
  }

  private body(fn: Body<S, St> | undefined): readonly Stmt[] {
    return fn ? fn(new ControlBuilder<S, St>(this.scope, this.where)).stmts : [];
  }

  /** Apply a stage, optionally branching on its result. */
  apply<N extends keyof St & string>(stage: N, branches?: ApplyBranches<S, St, N>): ControlBuilder<S, St> {
    if (!branches) return this.add({ kind: 'apply', stage });
    if ('actions' in branches) {
      const cases = Object.entries(branches.actions as Record<string, Body<S, St> | undefined>).map(
        ([action, fn]) => [action, this.body(fn)] as const,
      );
      return this.add({ kind: 'apply', stage, branches: { kind: 'actionRun', cases, default: this.body(branches.default) } });
    }
    return this.add({ kind: 'apply', stage, branches: { kind: 'hitMiss', hit: this.body(branches.hit), miss: this.body(branches.miss) } });
  }

  /** if (cond) { then } else { otherwise } */
  if(cond: BoolExpr, then: Body<S, St>, otherwise?: Body<S, St>): ControlBuilder<S, St> {
    return this.add({ kind: 'if', cond: cond.node, then: this.body(then), else: this.body(otherwise) });
  }

  /** @internal compile to the control graph. */
  toIR(): Control {
    return compileControl(this.stmts);
  }
}

/** Structured statements → graph. Node ids: the stage name, or `if_<n>` in source order. */
export function compileControl(stmts: readonly Stmt[]): Control {
  const order = new Map<Stmt, number>();
  const ids = new Map<Stmt, string>();
  let ifs = 0;
  const number = (list: readonly Stmt[]): void => {
    for (const s of list) {
      order.set(s, order.size);
      if (s.kind === 'if') {
        ids.set(s, `if_${ifs++}`);
        number(s.then);
        number(s.else);
      } else {
        ids.set(s, s.stage);
        if (s.branches?.kind === 'hitMiss') {
          number(s.branches.hit);
          number(s.branches.miss);
        } else if (s.branches) {
          for (const [, b] of s.branches.cases) number(b);
          number(s.branches.default);
        }
      }
    }
  };
  number(stmts);

  const nodes: [number, ControlNode][] = [];
  const seq = (list: readonly Stmt[], cont: NodeTarget): NodeTarget => list.reduceRight<NodeTarget>((to, s) => stmt(s, to), cont);
  const stmt = (s: Stmt, cont: NodeTarget): NodeTarget => {
    const id = ids.get(s)!;
    if (s.kind === 'if') {
      nodes.push([order.get(s)!, { kind: 'branch', id, cond: s.cond, then: seq(s.then, cont), else: seq(s.else, cont) }]);
      return id;
    }
    let next: Next;
    if (!s.branches) next = { kind: 'always', to: cont };
    else if (s.branches.kind === 'hitMiss') next = { kind: 'hitMiss', hit: seq(s.branches.hit, cont), miss: seq(s.branches.miss, cont) };
    else {
      next = {
        kind: 'actionRun',
        cases: s.branches.cases.map(([action, b]) => ({ kind: 'actionCase', action, to: seq(b, cont) })),
        default: seq(s.branches.default, cont),
      };
    }
    nodes.push([order.get(s)!, { kind: 'applyStage', id, stage: s.stage, next }]);
    return id;
  };
  const entry = seq(stmts, null);
  return { kind: 'control', entry, nodes: nodes.sort((a, b) => a[0] - b[0]).map(([, n]) => n) };
}
