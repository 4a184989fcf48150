/** Walking a program's control graph: apply stages (lookup, action, counters), take branches. */
import { toHex, type ControlNode, type NodeTarget, type StandardFieldName } from '@mpvisor/mpapi';
import type { TraceEvent } from '@mpvisor/runtime';
import { truthy } from './evaluate.js';
import { lookup } from './lookup.js';
import { runAction, type ActionContext } from './primitives.js';

export function runControl(ctx: ActionContext, trace: TraceEvent[] | undefined): void {
  const program = ctx.device.program;
  const nodes = new Map<string, ControlNode>(program.control.nodes.map((n) => [n.id, n]));
  let at: NodeTarget = program.control.entry;
  while (at !== null) at = applyNode(ctx, nodes.get(at)!, trace);
}

/**
 * One node of the control graph: a branch evaluates its condition, a table
 * stage looks up, counts and runs its action. Returns the node that runs
 * next. Targets that schedule nodes their own way (the RMT pipeline, stage
 * by stage) call it node by node.
 */
export function applyNode(ctx: ActionContext, node: ControlNode, trace: TraceEvent[] | undefined): NodeTarget {
  const { state, device } = ctx;
  const program = device.program;
  if (node.kind === 'branch') {
    const taken = truthy(node.cond, { state });
    trace?.push({ kind: 'branch', program: program.name, node: node.id, taken });
    return taken ? node.then : node.else;
  }
  const table = device.tables.get(node.stage)!;
  const keys = table.stage.keys.map((k) => state.get(k.field));
  const entry = lookup(table, keys);
  if (entry) table.hits++;
  else table.misses++;
  const call = entry?.action ?? table.defaultAction;
  const action = table.stage.actions.find((a) => a.name === call.action)!;
  const unit = table.stage.directCounter;
  if (entry && unit !== undefined) {
    if (unit !== 'bytes') entry.packets += 1n;
    if (unit !== 'packets') entry.bytes += state.standard.packetLength;
  }
  const before = trace ? snapshot(ctx) : undefined;
  runAction(action, call, { ...ctx, directMeter: entry?.meter, unit: table.stage.directMeter ?? 'bytes' });
  if (trace && before) {
    trace.push({
      kind: 'stage',
      program: program.name,
      stage: table.stage.name,
      keys: table.stage.keys.map((k, i) => ({ field: k.field, value: toHex(keys[i]!) })),
      hit: entry !== undefined,
      ...(entry ? { entry: [...table.entries.values()].indexOf(entry) } : {}),
      action: call.action,
      args: call.args,
      changes: diff(before, snapshot(ctx)),
    });
  }
  const next = node.next;
  if (next.kind === 'always') return next.to;
  if (next.kind === 'hitMiss') return entry ? next.hit : next.miss;
  return next.cases.find((c) => c.action === call.action)?.to ?? next.default;
}

/** Every field's value as text, for the trace's "what changed" (only built when tracing). */
export function snapshot(ctx: Pick<ActionContext, 'state'>): Map<string, string> {
  const { state } = ctx;
  const out = new Map<string, string>();
  const headers = [...state.headers].map(([n, h]) => [n, h] as const);
  const stacks = [...state.stacks].flatMap(([n, s]) => s.map((h, i) => [`${n}[${i}]`, h] as const));
  for (const [name, h] of [...headers, ...stacks]) {
    out.set(`${name}.$valid`, h.valid ? 'true' : 'false');
    h.type.fields.forEach((f, i) => out.set(`${name}.${f.name}`, toHex(h.fields[i]!)));
  }
  for (const [k, v] of state.meta) out.set(`meta.${k}`, toHex(v));
  for (const k of Object.keys(state.standard) as StandardFieldName[]) out.set(`standard.${k}`, toHex(state.standard[k]));
  return out;
}

export function diff(a: Map<string, string>, b: Map<string, string>): { field: string; from: string; to: string }[] {
  const out: { field: string; from: string; to: string }[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push({ field: k, from: a.get(k) ?? '', to: v });
  return out;
}
