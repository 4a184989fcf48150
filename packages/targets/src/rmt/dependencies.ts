/**
 * The table dependency graph of Jose et al., "Compiling Packet Programs to
 * Reconfigurable Switches" (NSDI'15), §2. The rules below paraphrase the
 * paper's definitions (its text was not at hand here, so these are not
 * quotations); where the paper is informal, the field sets follow the P4
 * HLIR's `p4_hlir/hlir/table_dependency.py` (p4lang/p4-hlir, the analysis
 * that produced the benchmark dependency graphs of Jose et al.'s compiler).
 * For logical tables A and B where B comes after A on some control path:
 *
 * - match: A modifies a field that B matches on — B's key (a gateway's
 *   condition) reads a field A's actions write (HLIR: `action_fields_write &
 *   to.match_fields`). B needs A's result before it can look up: a later
 *   stage, waiting for A's match and action.
 * - action: A and B both change the same field and B's value must win, or B's
 *   actions read what A's wrote (HLIR: `action_fields_write &
 *   to.action_fields`, reads and writes). B's action must follow A's: a later
 *   stage, but only A's action latency is waited for.
 * - successor: whether B runs depends on A's outcome — B is reached only on
 *   some of A's branches (an if's gateway, a hit/miss or an action-run
 *   switch), i.e. B is control dependent on A. RMT runs B speculatively and
 *   predicates its action, so B may share A's stage but not precede it.
 * - reverse-match: A matches on (or reads in an action) a field B modifies,
 *   and must read it before B changes it (HLIR: `match_fields &
 *   to.action_fields_write | action_fields_read & to.action_fields_write`).
 *   A stage's matches happen before its actions, so B may share A's stage but
 *   not precede it.
 *
 * One edge per ordered pair, of the strongest kind (match > action >
 * successor > reverse-match, the HLIR's order), naming the first field that
 * causes it.
 */
import type { Dependency, DependencyKind, LogicalTable } from './model.js';
import type { ControlGraph } from './logical-tables.js';

/** Strength of a dependency kind; stronger kinds constrain placement and latency more. */
export const DEPENDENCY_STRENGTH: Readonly<Record<DependencyKind, number>> = { match: 4, action: 3, successor: 2, reverseMatch: 1 };

/** Whether B must go in a strictly later stage than A (match, action) rather than in A's stage or later. */
export const needsLaterStage = (kind: DependencyKind): boolean => kind === 'match' || kind === 'action';

function firstCommon(a: readonly string[], b: ReadonlySet<string>): string | undefined {
  return a.find((f) => b.has(f));
}

/** For each node, every node after it on some path (transitive successors). */
function reachability(control: ControlGraph): Map<string, Set<string>> {
  const reach = new Map<string, Set<string>>();
  for (const id of [...control.order].reverse()) {
    const r = new Set<string>();
    for (const s of control.next.get(id) ?? []) {
      if (s === null) continue;
      r.add(s);
      for (const x of reach.get(s) ?? []) r.add(x);
    }
    reach.set(id, r);
  }
  return reach;
}

/** For each node, the nodes on every path from it to the end (its post-dominators, itself included). */
function postDominators(control: ControlGraph): Map<string, Set<string>> {
  const pdom = new Map<string, Set<string>>();
  for (const id of [...control.order].reverse()) {
    const succ = control.next.get(id) ?? [];
    let common: Set<string> | undefined;
    for (const s of succ) {
      const ps = s === null ? new Set<string>() : (pdom.get(s) ?? new Set<string>());
      common = common === undefined ? new Set(ps) : new Set([...common].filter((x) => ps.has(x)));
    }
    pdom.set(id, new Set([id, ...(common ?? [])]));
  }
  return pdom;
}

/** The dependency between A and a later B on a control path, if any (strongest kind). */
export function dependencyBetween(a: LogicalTable, b: LogicalTable, controlDependent: boolean): Dependency | undefined {
  const aWrites = new Set(a.actionWrites);
  const match = firstCommon(b.matchReads, aWrites);
  if (match !== undefined) return { from: a.id, to: b.id, kind: 'match', field: match };
  const action = firstCommon([...b.actionReads, ...b.actionWrites], aWrites);
  if (action !== undefined) return { from: a.id, to: b.id, kind: 'action', field: action };
  if (controlDependent) return { from: a.id, to: b.id, kind: 'successor' };
  const reverse = firstCommon([...a.matchReads, ...a.actionReads], new Set(b.actionWrites));
  if (reverse !== undefined) return { from: a.id, to: b.id, kind: 'reverseMatch', field: reverse };
  return undefined;
}

/** Every dependency between the tables of one control graph (`tables` in any order; ids as in `control`). */
export function tableDependencies(tables: readonly LogicalTable[], control: ControlGraph): Dependency[] {
  const byId = new Map(tables.map((t) => [t.id, t]));
  const reach = reachability(control);
  const pdom = postDominators(control);
  const out: Dependency[] = [];
  for (const aId of control.order) {
    const a = byId.get(aId);
    if (!a) continue;
    const branches = new Set(control.next.get(aId) ?? []).size >= 2;
    const aPdom = pdom.get(aId) ?? new Set<string>();
    for (const bId of control.order) {
      if (!reach.get(aId)?.has(bId)) continue;
      const b = byId.get(bId);
      if (!b) continue;
      const d = dependencyBetween(a, b, branches && !aPdom.has(bId));
      if (d) out.push(d);
    }
  }
  return out;
}

/** A linear control graph: each table followed by the next (for table sets that do not come from a program). */
export function linearControl(ids: readonly string[]): ControlGraph {
  return { order: ids, next: new Map(ids.map((id, i) => [id, [ids[i + 1] ?? null]])) };
}
