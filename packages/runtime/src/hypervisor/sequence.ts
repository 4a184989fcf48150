/**
 * Control-flow sequencing, after HyperV §IV-C: every node of a program's
 * control DAG becomes one decoupled stage — a condition-binding part, a
 * match part and an action part — and the DAG is sorted topologically into
 * a linear sequence. Each decoupled stage gets a unique stage id; branches
 * become next-stage ids, which always point forward, so a sequence never
 * branches backwards.
 *
 * An `if` becomes a stage with only a condition binding (its match and
 * action pipelines are bypassed); a table becomes a stage whose condition
 * is always true.
 */
import { topologicalOrder, type Expr, type Program } from '@mpvisor/mpapi';

/** Where a decoupled stage goes next: a stage id, or null for the end of the program. */
export type NextId = number | null;

export type SequencedNext =
  | { readonly kind: 'always'; readonly to: NextId }
  | { readonly kind: 'hitMiss'; readonly hit: NextId; readonly miss: NextId }
  | { readonly kind: 'actionRun'; readonly cases: Readonly<Record<string, NextId>>; readonly default: NextId }
  | { readonly kind: 'condition'; readonly then: NextId; readonly else: NextId };

export interface DecoupledStage {
  readonly id: number;
  /** The control node it came from. */
  readonly node: string;
  /** Condition binding: the boolean bound to the stage; absent means always true. */
  readonly condition?: Expr;
  /** Match and action parts: the stage (table) they come from; absent for a pure condition. */
  readonly stage?: string;
  readonly next: SequencedNext;
}

export interface Sequence {
  readonly program: string;
  /** Stage id of the first decoupled stage, or null for an empty control. */
  readonly entry: NextId;
  /** In topological order, ids increasing. */
  readonly stages: readonly DecoupledStage[];
}

/**
 * Sequence a (validated) program; stage ids start at `firstId`, so several
 * programs on one data plane get disjoint ids.
 */
export function sequenceProgram(program: Program, firstId = 0): Sequence {
  const order = topologicalOrder(program.control);
  const idOf = new Map(order.map((n, i) => [n.id, firstId + i]));
  const to = (node: string | null): NextId => (node === null ? null : idOf.get(node)!);
  const stages = order.map((n, i): DecoupledStage => {
    const id = firstId + i;
    if (n.kind === 'branch') return { id, node: n.id, condition: n.cond, next: { kind: 'condition', then: to(n.then), else: to(n.else) } };
    const next: SequencedNext =
      n.next.kind === 'always'
        ? { kind: 'always', to: to(n.next.to) }
        : n.next.kind === 'hitMiss'
          ? { kind: 'hitMiss', hit: to(n.next.hit), miss: to(n.next.miss) }
          : { kind: 'actionRun', cases: Object.fromEntries(n.next.cases.map((c) => [c.action, to(c.to)])), default: to(n.next.default) };
    return { id, node: n.id, stage: n.stage, next };
  });
  return { program: program.name, entry: to(program.control.entry), stages };
}

/** Every stage id a decoupled stage may go to next. */
export function nextIds(s: DecoupledStage): NextId[] {
  const n = s.next;
  switch (n.kind) {
    case 'always':
      return [n.to];
    case 'hitMiss':
      return [n.hit, n.miss];
    case 'actionRun':
      return [...Object.values(n.cases), n.default];
    case 'condition':
      return [n.then, n.else];
  }
}
