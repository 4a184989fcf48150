/**
 * The control DAG as a graph: successors, reachability, cycles and a
 * topological order (what HyperV's control-flow sequencing starts from).
 */
import type { Control, ControlNode, Next } from '../ir/control.js';

export function successors(node: ControlNode): (string | null)[] {
  if (node.kind === 'branch') return [node.then, node.else];
  return nextTargets(node.next);
}

export function nextTargets(next: Next): (string | null)[] {
  switch (next.kind) {
    case 'always':
      return [next.to];
    case 'hitMiss':
      return [next.hit, next.miss];
    case 'actionRun':
      return [...next.cases.map((c) => c.to), next.default];
  }
}

/** A cycle as a list of node ids (first repeated at the end), or undefined. */
export function findCycle(control: Control): string[] | undefined {
  const byId = new Map(control.nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'done') return undefined;
    if (s === 'open') return [...stack.slice(stack.indexOf(id)), id];
    const n = byId.get(id);
    if (!n) return undefined;
    state.set(id, 'open');
    stack.push(id);
    for (const next of successors(n)) {
      if (next === null) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const n of control.nodes) {
    const cycle = visit(n.id);
    if (cycle) return cycle;
  }
  return undefined;
}

export function reachable(control: Control): Set<string> {
  const byId = new Map(control.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const todo = control.entry === null ? [] : [control.entry];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = byId.get(id);
    if (n) for (const s of successors(n)) if (s !== null) todo.push(s);
  }
  return seen;
}

/**
 * Topological order of the reachable nodes (Kahn's algorithm, ties broken by
 * declaration order so the order is deterministic). Requires an acyclic graph.
 */
export function topologicalOrder(control: Control): ControlNode[] {
  const live = reachable(control);
  const nodes = control.nodes.filter((n) => live.has(n.id));
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  for (const n of nodes) for (const s of new Set(successors(n))) if (s !== null) indegree.set(s, (indegree.get(s) ?? 0) + 1);
  const order: ControlNode[] = [];
  const ready = nodes.filter((n) => indegree.get(n.id) === 0);
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const s of new Set(successors(n))) {
      if (s === null) continue;
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) {
        const m = nodes.find((x) => x.id === s)!;
        // keep declaration order among ready nodes
        const at = ready.findIndex((r) => nodes.indexOf(r) > nodes.indexOf(m));
        ready.splice(at === -1 ? ready.length : at, 0, m);
      }
    }
  }
  return order;
}
