/**
 * Control flow as a graph, as a P4 compiler's back end sees it (BMv2 JSON
 * does the same): every node names its successors, `null` ends the control.
 * Each stage is applied by at most one node, whose id is the stage's name.
 */
import * as t from 'io-ts';
import { byKind, Ident, node } from './codec-kit.js';
import { Expr } from './expr.js';

/** A successor: a node id, or null for the end of the control. */
export const NodeTarget = t.union([Ident, t.null]);
export type NodeTarget = t.TypeOf<typeof NodeTarget>;

export const ActionCase = node('actionCase', { kind: t.literal('actionCase'), action: Ident, to: NodeTarget });

export const Next = byKind('Next', {
  always: node('always', { kind: t.literal('always'), to: NodeTarget }),
  hitMiss: node('hitMiss', { kind: t.literal('hitMiss'), hit: NodeTarget, miss: NodeTarget }),
  /** Branch on the action that ran (hit or default); actions not listed go to `default`. */
  actionRun: node('actionRun', { kind: t.literal('actionRun'), cases: t.readonlyArray(ActionCase), default: NodeTarget }),
});
export type Next = t.TypeOf<typeof Next>;

export const ControlNode = byKind('ControlNode', {
  applyStage: node('applyStage', { kind: t.literal('applyStage'), id: Ident, stage: Ident, next: Next }),
  branch: node('branch', { kind: t.literal('branch'), id: Ident, cond: Expr, then: NodeTarget, else: NodeTarget }),
});
export type ControlNode = t.TypeOf<typeof ControlNode>;

export const Control = node('control', {
  kind: t.literal('control'),
  entry: NodeTarget,
  nodes: t.readonlyArray(ControlNode),
});
export type Control = t.TypeOf<typeof Control>;
