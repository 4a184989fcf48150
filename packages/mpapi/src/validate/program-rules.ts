/**
 * Every rule a program must satisfy beyond its JSON shape: names resolve,
 * widths agree, entries are well formed, the control is a DAG with no
 * unreachable stage. One pass that collects every issue, so a user sees all
 * faults at once, each with program, stage, action and JSON path.
 */
import type { Issue } from '../errors.js';
import type { Expr } from '../ir/expr.js';
import type { Action, Primitive } from '../ir/action.js';
import type { Program } from '../ir/program.js';
import type { Stage } from '../ir/stage.js';
import { RESERVED_PREFIXES, RESERVED_STATES } from '../ir/standard-metadata.js';
import { fits, fromHex } from '../values/value.js';
import { checkActionCall, checkEntry } from './entry-rules.js';
import { findCycle, reachable } from './control-graph.js';
import { showType, typeOf, type ExprContext, type ExprType } from './expr-type.js';
import { fixedWidth, Scope } from './scope.js';

interface Where {
  readonly stage?: string;
  readonly action?: string;
}

export function validateProgram(p: Program): Issue[] {
  const issues: Issue[] = [];
  const at = (where: Where) => (message: string, path: string) =>
    issues.push({ program: p.name, ...where, message, path });
  const report = at({});
  const scope = new Scope(p);

  checkNames(p, report);
  checkHeaderTypes(p, report);
  checkParser(p, scope, report);
  checkDeparser(p, scope, report);
  p.stages.forEach((s, i) => checkStage(p, scope, s, `$.stages[${i}]`, at));
  checkControl(p, scope, at);
  return issues;
}

/** Each name that repeats, with the index of its first repeat: that is where the fault is reported. */
function repeats(names: readonly string[]): [name: string, index: number][] {
  const seen = new Set<string>();
  const out = new Map<string, number>();
  names.forEach((n, i) => {
    if (seen.has(n) && !out.has(n)) out.set(n, i);
    seen.add(n);
  });
  return [...out];
}

function checkNames(p: Program, report: (m: string, path: string) => void): void {
  const lists: [string, string, readonly { name: string }[]][] = [
    ['header type', 'headerTypes', p.headerTypes],
    ['header', 'headers', p.headers],
    ['metadata field', 'metadata', p.metadata],
    ['stage', 'stages', p.stages],
    ['parser state', 'parser.states', p.parser.states],
    ['digest', 'digests', p.digests],
  ];
  for (const [what, path, list] of lists) {
    for (const [d, i] of repeats(list.map((x) => x.name))) report(`duplicate ${what} name "${d}"`, `$.${path}[${i}].name`);
  }
  // registers, counters and meters share one namespace, as P4 externs do
  const stateful = [
    ...p.registers.map((x, i) => [x.name, `$.registers[${i}].name`] as const),
    ...p.counters.map((x, i) => [x.name, `$.counters[${i}].name`] as const),
    ...p.meters.map((x, i) => [x.name, `$.meters[${i}].name`] as const),
  ];
  for (const [d, i] of repeats(stateful.map(([name]) => name))) report(`duplicate register/counter/meter name "${d}"`, stateful[i]![1]);
  p.headers.forEach((h, i) => {
    if ((RESERVED_PREFIXES as readonly string[]).includes(h.name)) report(`header name "${h.name}" is reserved for metadata`, `$.headers[${i}].name`);
    if (!p.headerTypes.some((t) => t.name === h.type)) report(`header "${h.name}" has unknown type "${h.type}"`, `$.headers[${i}].type`);
  });
}

function checkHeaderTypes(p: Program, report: (m: string, path: string) => void): void {
  p.headerTypes.forEach((h, i) => {
    const path = `$.headerTypes[${i}]`;
    for (const [d, j] of repeats(h.fields.map((f) => f.name))) report(`header type ${h.name}: duplicate field "${d}"`, `${path}.fields[${j}].name`);
    if (h.fields.length === 0) report(`header type ${h.name} has no fields`, `${path}.fields`);
    let total = 0;
    h.fields.forEach((f, j) => {
      if (f.kind === 'bitField') {
        total += f.width;
        return;
      }
      const fpath = `${path}.fields[${j}]`;
      if (j !== h.fields.length - 1) report(`header type ${h.name}: varbit field "${f.name}" must be the last field`, fpath);
      if (f.maxWidth % 8 !== 0) report(`header type ${h.name}: varbit field "${f.name}" max width ${f.maxWidth} is not a whole number of bytes`, fpath);
      const len = h.fields.slice(0, j).find((x) => x.name === f.length.field);
      if (!len || len.kind !== 'bitField') report(`header type ${h.name}: varbit "${f.name}" length field "${f.length.field}" must be a fixed field before it`, `${fpath}.length.field`);
    });
    if (total % 8 !== 0) report(`header type ${h.name} is ${total} bits, not a whole number of bytes`, path);
  });
}

function checkParser(p: Program, scope: Scope, report: (m: string, path: string) => void): void {
  const states = new Map(p.parser.states.map((s) => [s.name, s]));
  const ctx: ExprContext = { scope, inParser: true };
  const target = (name: string, path: string): void => {
    if (!(RESERVED_STATES as readonly string[]).includes(name) && !states.has(name)) report(`transition to unknown parser state "${name}"`, path);
  };
  if (!states.has(p.parser.start)) report(`parser start state "${p.parser.start}" does not exist`, '$.parser.start');
  p.parser.states.forEach((s, i) => {
    const path = `$.parser.states[${i}]`;
    if ((RESERVED_STATES as readonly string[]).includes(s.name)) report(`"${s.name}" is a reserved parser state name`, `${path}.name`);
    s.ops.forEach((op, j) => {
      const opath = `${path}.ops[${j}]`;
      switch (op.kind) {
        case 'extract': {
          const h = scope.header(op.header, true);
          if (typeof h === 'string') report(h, opath);
          return;
        }
        case 'set':
          checkAssign(scope, op.target, op.value, ctx, opath, report);
          return;
        case 'verify':
          expectBool(op.cond, ctx, `${opath}.cond`, report);
          return;
        case 'advance':
          if (op.bits % 8 !== 0) report(`advance by ${op.bits} bits is not a whole number of bytes`, opath);
          return;
      }
    });
    const t = s.transition;
    if (t.kind === 'goto') return target(t.state, `${path}.transition.state`);
    const keyTypes = t.keys.map((k, j) => typeOf(k, ctx, `${path}.transition.keys[${j}]`, report));
    if (t.keys.length === 0) report('select needs at least one key', `${path}.transition.keys`);
    t.cases.forEach((c, j) => {
      const cpath = `${path}.transition.cases[${j}]`;
      target(c.next, `${cpath}.next`);
      if (c.values.length !== t.keys.length) {
        report(`select case has ${c.values.length} values for ${t.keys.length} keys`, `${cpath}.values`);
        return;
      }
      c.values.forEach((v, k) => {
        const kt = keyTypes[k];
        if (!kt) return;
        if (kt.kind !== 'bit') return report('select keys must be bit<N>', `${path}.transition.keys[${k}]`);
        const vpath = `${cpath}.values[${k}]`;
        const check = (label: string, hex: string): boolean => {
          const ok = fits(fromHex(hex), kt.width);
          if (!ok) report(`select ${label} ${hex} does not fit the key's bit<${kt.width}>`, vpath);
          return ok;
        };
        if (v.kind === 'exact') check('value', v.value);
        else if (v.kind === 'mask') {
          if (check('value', v.value) && check('mask', v.mask) && (fromHex(v.value) & fromHex(v.mask)) !== fromHex(v.value)) {
            report(`select value ${v.value} has bits outside mask ${v.mask}`, vpath);
          }
        } else if (v.kind === 'range') {
          if (check('low', v.low) && check('high', v.high) && fromHex(v.low) > fromHex(v.high)) report(`select range low ${v.low} is greater than high ${v.high}`, vpath);
        }
      });
    });
  });
  // unreachable states are almost always a mistake in an NF
  const seen = new Set<string>();
  const todo = [p.parser.start];
  while (todo.length > 0) {
    const n = todo.pop()!;
    const s = states.get(n);
    if (seen.has(n) || !s) continue;
    seen.add(n);
    if (s.transition.kind === 'goto') todo.push(s.transition.state);
    else for (const c of s.transition.cases) todo.push(c.next);
  }
  p.parser.states.forEach((s, i) => {
    if (!seen.has(s.name)) report(`parser state "${s.name}" is unreachable from "${p.parser.start}"`, `$.parser.states[${i}]`);
  });
}

function checkDeparser(p: Program, scope: Scope, report: (m: string, path: string) => void): void {
  p.deparser.forEach((h, i) => {
    const r = scope.header(h, true);
    if (typeof r === 'string') report(`deparser: ${r}`, `$.deparser[${i}]`);
  });
  for (const [d, i] of repeats(p.deparser)) report(`deparser emits "${d}" twice`, `$.deparser[${i}]`);
  const extracted = new Set(p.parser.states.flatMap((s) => s.ops.flatMap((o) => (o.kind === 'extract' ? [o.header.replace(/\[.*$/, '')] : []))));
  for (const h of extracted) {
    if (!p.deparser.includes(h)) report(`header "${h}" is extracted by the parser but missing from the deparse order, so it would vanish from every packet`, '$.deparser');
  }
}

function checkStage(p: Program, scope: Scope, s: Stage, path: string, at: (w: Where) => (m: string, path: string) => void): void {
  const report = at({ stage: s.name });
  const keyWidths: number[] = [];
  s.keys.forEach((k, i) => {
    const f = scope.field(k.field);
    if (typeof f === 'string') report(f, `${path}.keys[${i}].field`);
    else if (f.varbit) report(`key ${k.field} is a varbit field and cannot be matched`, `${path}.keys[${i}].field`);
    else if (f.index === 'last') report(`key ${k.field}: ".last" is only allowed in the parser`, `${path}.keys[${i}].field`);
    keyWidths.push(typeof f === 'string' ? 0 : f.width);
  });
  for (const [d, i] of repeats(s.keys.map((k) => k.field))) report(`key ${d} appears twice`, `${path}.keys[${i}].field`);
  if (s.keys.filter((k) => k.match === 'lpm').length > 1) report('a stage may have at most one lpm key', `${path}.keys`);
  for (const [d, i] of repeats(s.actions.map((a) => a.name))) at({ stage: s.name, action: d })(`duplicate action name "${d}"`, `${path}.actions[${i}].name`);
  if (s.actions.length === 0) report('a stage needs at least one action', `${path}.actions`);
  s.actions.forEach((a, i) => checkAction(p, scope, s, a, `${path}.actions[${i}]`, at({ stage: s.name, action: a.name })));
  checkActionCall(s, s.defaultAction.action, `${path}.defaultAction.action`, report);
  if (s.entries.length > s.size) report(`${s.entries.length} const entries exceed the stage size ${s.size}`, `${path}.entries`);
  s.entries.forEach((e, i) => {
    if (keyWidths.every((w) => w > 0)) checkEntry(s, keyWidths, e, `${path}.entries[${i}]`, report);
  });
  if (s.keys.length === 0 && s.entries.length > 0) report('a stage without keys cannot have entries', `${path}.entries`);
  // two const entries with the same matches (and priority) would make lookup ambiguous
  const seen = new Map<string, number>();
  s.entries.forEach((e, i) => {
    const sig = JSON.stringify([e.matches, e.priority ?? null]);
    const first = seen.get(sig);
    if (first !== undefined) report(`entry ${i} duplicates entry ${first}`, `${path}.entries[${i}]`);
    else seen.set(sig, i);
  });
}

function checkAction(p: Program, scope: Scope, s: Stage, a: Action, path: string, report: (m: string, path: string) => void): void {
  for (const [d, i] of repeats(a.params.map((x) => x.name))) report(`duplicate parameter "${d}"`, `${path}.params[${i}].name`);
  const ctx: ExprContext = { scope, params: new Map(a.params.map((x) => [x.name, x.width])) };
  a.body.forEach((prim, i) => checkPrimitive(p, scope, s, prim, ctx, `${path}.body[${i}]`, report));
}

function checkPrimitive(
  p: Program,
  scope: Scope,
  s: Stage,
  prim: Primitive,
  ctx: ExprContext,
  path: string,
  report: (m: string, path: string) => void,
): void {
  const bits = (e: Expr, sub: string): ExprType | undefined => {
    const t = typeOf(e, ctx, `${path}.${sub}`, report);
    if (t && t.kind !== 'bit') return void report(`${sub} must be bit<N>, got bool`, `${path}.${sub}`);
    return t;
  };
  const exactly = (e: Expr, width: number, sub: string, what: string): void => {
    const t = bits(e, sub);
    if (t && t.kind === 'bit' && t.width !== width) report(`width mismatch: ${what} is bit<${width}>, value is ${showType(t)}; cast it explicitly`, `${path}.${sub}`);
  };
  const writable = (ref: string, sub: string): number | undefined => {
    const f = scope.field(ref);
    if (typeof f === 'string') return void report(f, `${path}.${sub}`);
    if (!f.writable) return void report(`${ref} is read-only`, `${path}.${sub}`);
    if (f.index === 'last') return void report(`${ref}: ".last" is only allowed in the parser`, `${path}.${sub}`);
    return f.width;
  };
  const header = (ref: string, sub: string, whole = false) => {
    const h = scope.header(ref, whole);
    if (typeof h === 'string') return void report(h, `${path}.${sub}`);
    return h;
  };
  const stateful = <T extends { name: string }>(kind: string, list: readonly T[], name: string): T | undefined => {
    const x = list.find((r) => r.name === name);
    if (!x) report(`unknown ${kind} "${name}"`, `${path}.${kind}`);
    return x;
  };
  const checksumInputs = (inputs: readonly Expr[], sub: string): number => {
    let total = 0;
    inputs.forEach((e, i) => {
      const t = typeOf(e, { ...ctx, allowVarbit: true }, `${path}.${sub}[${i}]`, report);
      if (t?.kind === 'bit') total += t.width;
      else if (t) report('checksum inputs must be bit<N>', `${path}.${sub}[${i}]`);
    });
    return total;
  };
  switch (prim.kind) {
    case 'assign':
    case 'maskedAssign': {
      checkAssign(scope, prim.target, prim.value, ctx, path, report);
      const w = scope.field(prim.target);
      if (prim.kind === 'maskedAssign' && typeof w !== 'string' && !fits(fromHex(prim.mask), w.width)) {
        report(`mask ${prim.mask} does not fit ${prim.target} (bit<${w.width}>)`, `${path}.mask`);
      }
      return;
    }
    case 'setValid':
    case 'setInvalid':
      header(prim.header, 'header');
      return;
    case 'copyHeader': {
      const d = header(prim.dst, 'dst');
      const src = header(prim.src, 'src');
      if (d && src && d.type.name !== src.type.name) report(`cannot copy ${src.type.name} "${prim.src}" into ${d.type.name} "${prim.dst}"`, path);
      return;
    }
    case 'pushFront':
    case 'popFront': {
      const h = header(prim.header, 'header', true);
      if (h && h.stack === undefined) report(`${prim.kind} needs a header stack; "${prim.header}" is not one`, `${path}.header`);
      else if (h && h.stack !== undefined && prim.count > h.stack) report(`${prim.kind} by ${prim.count} exceeds the stack size ${h.stack}`, `${path}.count`);
      return;
    }
    case 'drop':
    case 'resubmit':
    case 'recirculate':
      return;
    case 'setEgress':
      exactly(prim.port, 9, 'port', 'an egress port');
      return;
    case 'multicast':
      exactly(prim.group, 16, 'group', 'a multicast group');
      return;
    case 'clone':
      exactly(prim.session, 32, 'session', 'a clone session id');
      return;
    case 'digest': {
      const d = p.digests.find((x) => x.name === prim.digest);
      if (!d) return void report(`unknown digest "${prim.digest}"`, `${path}.digest`);
      if (d.fields.length !== prim.values.length) return void report(`digest "${d.name}" has ${d.fields.length} fields, ${prim.values.length} values given`, `${path}.values`);
      d.fields.forEach((f, i) => exactly(prim.values[i]!, f.width, `values[${i}]`, `digest field "${f.name}"`));
      return;
    }
    case 'registerRead': {
      const r = stateful('register', p.registers, prim.register);
      bits(prim.index, 'index');
      const w = writable(prim.target, 'target');
      if (r && w !== undefined && w !== r.width) report(`width mismatch: register "${r.name}" holds bit<${r.width}>, target ${prim.target} is bit<${w}>`, `${path}.target`);
      return;
    }
    case 'registerWrite': {
      const r = stateful('register', p.registers, prim.register);
      bits(prim.index, 'index');
      if (r) exactly(prim.value, r.width, 'value', `register "${r.name}"`);
      return;
    }
    case 'count':
      stateful('counter', p.counters, prim.counter);
      bits(prim.index, 'index');
      return;
    case 'meterExecute': {
      stateful('meter', p.meters, prim.meter);
      bits(prim.index, 'index');
      const w = writable(prim.target, 'target');
      if (w !== undefined && w < 2) report(`meter colour needs at least 2 bits; ${prim.target} is bit<${w}>`, `${path}.target`);
      return;
    }
    case 'directMeterRead': {
      if (s.directMeter === undefined) report(`stage "${s.name}" has no direct meter`, path);
      const w = writable(prim.target, 'target');
      if (w !== undefined && w < 2) report(`meter colour needs at least 2 bits; ${prim.target} is bit<${w}>`, `${path}.target`);
      return;
    }
    case 'hash': {
      prim.inputs.forEach((e, i) => bits(e, `inputs[${i}]`));
      const w = writable(prim.target, 'target');
      if (w !== undefined && !fits(fromHex(prim.base), w)) report(`hash base ${prim.base} does not fit ${prim.target}`, `${path}.base`);
      return;
    }
    case 'checksumVerify':
    case 'checksumUpdate': {
      const total = checksumInputs(prim.inputs, 'inputs');
      if (total % 8 !== 0) report(`checksum inputs are ${total} bits, not a whole number of bytes`, `${path}.inputs`);
      const sub = prim.kind === 'checksumVerify' ? 'checksum' : 'target';
      const ref = prim.kind === 'checksumVerify' ? prim.checksum : prim.target;
      const f = scope.field(ref);
      if (typeof f === 'string') report(f, `${path}.${sub}`);
      else if (f.width !== 16) report(`checksum field ${ref} must be bit<16>, it is bit<${f.width}>`, `${path}.${sub}`);
      else if (prim.kind === 'checksumUpdate' && !f.writable) report(`${ref} is read-only`, `${path}.${sub}`);
      return;
    }
    case 'checksumIncremental': {
      const w = writable(prim.target, 'target');
      if (w !== undefined && w !== 16) report(`checksum field ${prim.target} must be bit<16>, it is bit<${w}>`, `${path}.target`);
      const removed = checksumInputs(prim.removed, 'removed');
      const added = checksumInputs(prim.added, 'added');
      if (removed % 16 !== 0 || added % 16 !== 0 || removed !== added) {
        report(`incremental checksum needs removed and added of equal width in 16-bit words (got ${removed} and ${added} bits)`, path);
      }
      return;
    }
  }
}

function checkAssign(scope: Scope, target: string, value: Expr, ctx: ExprContext, path: string, report: (m: string, path: string) => void): void {
  const f = scope.field(target);
  const t = typeOf(value, ctx, `${path}.value`, report);
  if (typeof f === 'string') return report(f, `${path}.target`);
  if (!f.writable) return report(`${target} is read-only`, `${path}.target`);
  if (f.index === 'last' && !ctx.inParser) return report(`${target}: ".last" is only allowed in the parser`, `${path}.target`);
  if (!t) return;
  if (t.kind !== 'bit' || t.width !== f.width) {
    report(`width mismatch: ${target} is bit<${f.width}>, value is ${showType(t)}; cast it explicitly`, `${path}.value`);
  }
}

function expectBool(e: Expr, ctx: ExprContext, path: string, report: (m: string, path: string) => void): void {
  const t = typeOf(e, ctx, path, report);
  if (t && t.kind !== 'bool') report(`condition must be bool, got ${showType(t)}`, path);
}

function checkControl(p: Program, scope: Scope, at: (w: Where) => (m: string, path: string) => void): void {
  const report = at({});
  const c = p.control;
  const ids = new Set(c.nodes.map((n) => n.id));
  for (const [d, i] of repeats(c.nodes.map((n) => n.id))) report(`duplicate control node id "${d}"`, `$.control.nodes[${i}].id`);
  const target = (to: string | null, path: string): void => {
    if (to !== null && !ids.has(to)) report(`control refers to unknown node "${to}"`, path);
  };
  target(c.entry, '$.control.entry');
  const applied = new Map<string, number[]>();
  c.nodes.forEach((n, i) => {
    const path = `$.control.nodes[${i}]`;
    if (n.kind === 'branch') {
      expectBool(n.cond, { scope }, `${path}.cond`, report);
      target(n.then, `${path}.then`);
      target(n.else, `${path}.else`);
      return;
    }
    const stage = p.stages.find((s) => s.name === n.stage);
    if (!stage) report(`apply of undeclared stage "${n.stage}"`, `${path}.stage`);
    applied.set(n.stage, [...(applied.get(n.stage) ?? []), i]);
    const next = n.next;
    if (next.kind === 'always') target(next.to, `${path}.next.to`);
    else if (next.kind === 'hitMiss') {
      target(next.hit, `${path}.next.hit`);
      target(next.miss, `${path}.next.miss`);
    } else {
      target(next.default, `${path}.next.default`);
      next.cases.forEach((k, j) => {
        target(k.to, `${path}.next.cases[${j}].to`);
        if (stage && !stage.actions.some((a) => a.name === k.action)) at({ stage: n.stage })(`branch on action "${k.action}", which stage "${n.stage}" does not have`, `${path}.next.cases[${j}].action`);
      });
      for (const [d, j] of repeats(next.cases.map((k) => k.action))) at({ stage: n.stage })(`two branches for action "${d}"`, `${path}.next.cases[${j}].action`);
    }
  });
  for (const [stage, nodes] of applied) {
    if (nodes.length > 1) at({ stage })(`stage "${stage}" is applied ${nodes.length} times; a stage is applied at most once per pass`, `$.control.nodes[${nodes[1]}].stage`);
  }
  const cycle = findCycle(c);
  if (cycle) {
    // reported at the node whose edge closes the loop
    const closing = c.nodes.findIndex((n) => n.id === cycle[cycle.length - 2]);
    report(`the control flow has a cycle: ${cycle.join(' -> ')}`, closing >= 0 ? `$.control.nodes[${closing}]` : '$.control');
    return;
  }
  const live = reachable(c);
  c.nodes.forEach((n, i) => {
    if (!live.has(n.id)) report(`control node "${n.id}" is unreachable from the entry`, `$.control.nodes[${i}]`);
  });
  p.stages.forEach((s, i) => {
    const node = c.nodes.find((n) => n.kind === 'applyStage' && n.stage === s.name);
    if (!node || !live.has(node.id)) at({ stage: s.name })(`stage "${s.name}" is unreachable: no path of the control applies it`, `$.stages[${i}]`);
  });
}
