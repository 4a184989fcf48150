/**
 * Edits on a control graph, for derive: insert a stage before or after
 * another, at the start or end, remove one, rename one. Each returns a new
 * graph or a message saying why the edit is ambiguous.
 */
import type { Control, ControlNode, Next, NodeTarget } from '../ir/control.js';
import { nextTargets } from '../validate/control-graph.js';

const mapNext = (next: Next, f: (t: NodeTarget) => NodeTarget): Next => {
  switch (next.kind) {
    case 'always':
      return { ...next, to: f(next.to) };
    case 'hitMiss':
      return { ...next, hit: f(next.hit), miss: f(next.miss) };
    case 'actionRun':
      return { ...next, cases: next.cases.map((c) => ({ ...c, to: f(c.to) })), default: f(next.default) };
  }
};

/** Rewrite every edge (and the entry) with `f`. */
function mapEdges(control: Control, f: (t: NodeTarget) => NodeTarget, skip?: string): Control {
  return {
    ...control,
    entry: f(control.entry),
    nodes: control.nodes.map((n): ControlNode => {
      if (n.id === skip) return n;
      return n.kind === 'branch' ? { ...n, then: f(n.then), else: f(n.else) } : { ...n, next: mapNext(n.next, f) };
    }),
  };
}

const applyNode = (stage: string, to: NodeTarget): ControlNode => ({ kind: 'applyStage', id: stage, stage, next: { kind: 'always', to } });

export function insertFirst(control: Control, stage: string): Control {
  return { ...control, entry: stage, nodes: [applyNode(stage, control.entry), ...control.nodes] };
}

export function insertLast(control: Control, stage: string): Control {
  const edited = mapEdges(control, (t) => (t === null ? stage : t));
  return { ...edited, nodes: [...edited.nodes, applyNode(stage, null)] };
}

export function insertBefore(control: Control, before: string, stage: string): Control | string {
  if (!control.nodes.some((n) => n.id === before)) return `the control does not apply "${before}"`;
  const edited = mapEdges(control, (t) => (t === before ? stage : t));
  const at = edited.nodes.findIndex((n) => n.id === before);
  return { ...edited, nodes: [...edited.nodes.slice(0, at), applyNode(stage, before), ...edited.nodes.slice(at)] };
}

/** The single successor of a node, if all its edges agree. */
function soleSuccessor(node: ControlNode): NodeTarget | undefined {
  const targets = new Set(node.kind === 'branch' ? [node.then, node.else] : nextTargets(node.next));
  return targets.size === 1 ? [...targets][0] : undefined;
}

export function insertAfter(control: Control, after: string, stage: string): Control | string {
  const node = control.nodes.find((n) => n.id === after);
  if (!node) return `the control does not apply "${after}"`;
  const to = soleSuccessor(node);
  if (to === undefined) return `"${after}" branches, so "after" it is ambiguous; insert before one of its successors instead`;
  const at = control.nodes.indexOf(node);
  const nodes = control.nodes.map((n) => (n === node ? { ...n, ...(n.kind === 'applyStage' ? { next: { kind: 'always' as const, to: stage } } : { then: stage, else: stage }) } : n));
  return { ...control, nodes: [...nodes.slice(0, at + 1), applyNode(stage, to), ...nodes.slice(at + 1)] };
}

/** Remove a node; allowed when all its edges lead to one place, which its predecessors then go to. */
export function removeNode(control: Control, id: string): Control | string {
  const node = control.nodes.find((n) => n.id === id);
  if (!node) return control;
  const to = soleSuccessor(node);
  if (to === undefined) return `"${id}" branches (hit/miss or per action), so removing it leaves its branches nowhere to go; use replaceStage`;
  const edited = mapEdges(control, (t) => (t === id ? to : t), id);
  return { ...edited, nodes: edited.nodes.filter((n) => n.id !== id) };
}

export function renameNode(control: Control, from: string, to: string): Control {
  const edited = mapEdges(control, (t) => (t === from ? to : t));
  return {
    ...edited,
    nodes: edited.nodes.map((n) => (n.id === from && n.kind === 'applyStage' ? { ...n, id: to, stage: to } : n)),
  };
}
