/**
 * fast-check arbitraries for random *valid* IR: programs (header types,
 * instances, metadata, a parser chain, stages with keys, actions, entries,
 * stateful objects, a control DAG) and policies over them. Everything is
 * built as the codec's types, and everything obeys the validator's rules
 * (P4_16 widths, P4Runtime entry rules, a DAG that applies every stage
 * once), so any issue decodeProgram reports is a false positive.
 *
 * The generator is imperative code over a `Rand` that draws from
 * `fc.gen()`, so failures still shrink and replay from a seed.
 */
import fc from 'fast-check';
import type {
  Action,
  ActionCall,
  ActionParam,
  Ancestor,
  BinaryOp,
  Control,
  ControlNode,
  Counter,
  Digest,
  Entry,
  Expr,
  HeaderField,
  HeaderInstance,
  HeaderType,
  Key,
  KeyMatch,
  KeysetValue,
  MatchKind,
  MetaField,
  Meter,
  NodeTarget,
  Parser,
  ParserOp,
  ParserState,
  Policy,
  PolicyStep,
  Primitive,
  Program,
  Register,
  SelectCase,
  Stage,
  Transition,
} from '@mpvisor/mpapi';
import { IR_VERSION } from '@mpvisor/mpapi';

// ---- random source ----------------------------------------------------------

const SPECIAL_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;
const ones = (w: number): bigint => (1n << BigInt(w)) - 1n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

export class Rand {
  constructor(private readonly g: fc.GeneratorValue) {}
  int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }
  chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(0, xs.length - 1)]!;
  }
  /** A uniformly random value of `width` bits (biased towards edges by fast-check). */
  bits(width: number): bigint {
    return this.g(fc.bigInt, { min: 0n, max: ones(width) });
  }
  subset<T>(xs: readonly T[]): T[] {
    return xs.filter(() => this.chance(50));
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** An identifier; `unique(i)` appends `_i`, so names in one namespace never collide. */
  ident(): string {
    return this.pick(['a', 'b', 'x', 'eth', 'ip', 'tcp', 'my_hdr', 'T', '_p', 'h2', 'Q9z']);
  }
  unique(i: number): string {
    return `${this.ident()}_${i}`;
  }
  /**
   * `n` distinct names for one namespace, now and then one that is also an
   * Object.prototype property (`__proto__`, `constructor`): names become
   * object keys (action arguments), and must survive as own properties.
   */
  names(n: number): string[] {
    const specials = this.shuffle(SPECIAL_NAMES);
    return Array.from({ length: n }, (_, i) => (specials.length > 0 && this.chance(8) ? specials.pop()! : this.unique(i)));
  }
  /** Mostly small widths, sometimes wide ones. */
  width(): number {
    const r = this.int(0, 99);
    return r < 50 ? this.int(1, 16) : r < 90 ? this.int(1, 64) : r < 98 ? this.int(65, 160) : this.int(161, 2048);
  }
  times<T>(min: number, max: number, f: (i: number) => T): T[] {
    const n = this.int(min, max);
    return Array.from({ length: n }, (_, i) => f(i));
  }
}

// ---- what names mean in a generated program -----------------------------------

export interface FieldInfo {
  readonly ref: string;
  readonly width: number;
  readonly writable: boolean;
}

interface Instance {
  readonly name: string;
  readonly type: HeaderType;
  readonly stack?: number;
}

/** What an expression may name: fields, header references, action parameters; parser-only forms. */
export interface Env {
  readonly fields: readonly FieldInfo[];
  readonly headerRefs: readonly string[];
  readonly params: readonly ActionParam[];
  readonly inParser: boolean;
}

const STANDARD: readonly FieldInfo[] = [
  { ref: 'standard.ingressPort', width: 9, writable: false },
  { ref: 'standard.egressPort', width: 9, writable: true },
  { ref: 'standard.packetLength', width: 32, writable: false },
  { ref: 'standard.parserError', width: 8, writable: false },
  { ref: 'standard.checksumError', width: 1, writable: false },
  { ref: 'standard.mcastGroup', width: 16, writable: true },
  { ref: 'standard.instanceType', width: 32, writable: false },
  { ref: 'standard.ingressTimestamp', width: 48, writable: false },
  { ref: 'standard.priority', width: 3, writable: true },
];

function bitFields(t: HeaderType): { name: string; width: number }[] {
  return t.fields.flatMap((f) => (f.kind === 'bitField' ? [{ name: f.name, width: f.width }] : []));
}

/** Header element references: `h` or `h[0]`, `h[1]`, … for stacks. */
function elements(h: Instance): string[] {
  return h.stack === undefined ? [h.name] : Array.from({ length: h.stack }, (_, i) => `${h.name}[${i}]`);
}

function fieldsOf(instances: readonly Instance[], meta: readonly MetaField[], inParser: boolean): FieldInfo[] {
  const out: FieldInfo[] = [];
  for (const h of instances) {
    const refs = [...elements(h), ...(inParser && h.stack !== undefined ? [`${h.name}.last`] : [])];
    for (const r of refs) for (const f of bitFields(h.type)) out.push({ ref: `${r}.${f.name}`, width: f.width, writable: true });
  }
  for (const m of meta) out.push({ ref: `meta.${m.name}`, width: m.width, writable: true });
  return [...out, ...STANDARD];
}

function varbitRefs(instances: readonly Instance[]): { ref: string; width: number }[] {
  return instances.flatMap((h) =>
    h.type.fields.flatMap((f) => (f.kind === 'varbitField' ? elements(h).map((r) => ({ ref: `${r}.${f.name}`, width: f.maxWidth })) : [])),
  );
}

// ---- expressions ----------------------------------------------------------------

const ARITH: readonly BinaryOp[] = ['+', '-', '*', '|+|', '|-|', '&', '|', '^'];
const COMPARE: readonly BinaryOp[] = ['==', '!=', '<', '<=', '>', '>='];

export function constExpr(r: Rand, width: number): Expr {
  return { kind: 'const', width, value: hex(r.bits(width)) };
}

/** A `bit<width>` expression: fields, params and constants under +, -, &, |, ^, ~, casts, slices, shifts, ++ and ?:. */
export function bitExpr(r: Rand, env: Env, width: number, depth: number): Expr {
  const leaves: (() => Expr)[] = [() => constExpr(r, width)];
  const fields = env.fields.filter((f) => f.width === width);
  if (fields.length > 0) leaves.push(() => ({ kind: 'field', ref: r.pick(fields).ref }), () => ({ kind: 'field', ref: r.pick(fields).ref }));
  const params = env.params.filter((p) => p.width === width);
  if (params.length > 0) leaves.push(() => ({ kind: 'param', name: r.pick(params).name }), () => ({ kind: 'param', name: r.pick(params).name }));
  if (env.inParser) leaves.push(() => ({ kind: 'lookahead', width }));
  // a field of another width, made to fit
  const wider = env.fields.filter((f) => f.width > width);
  if (wider.length > 0) {
    leaves.push(() => {
      const f = r.pick(wider);
      const lo = r.int(0, f.width - width);
      return { kind: 'slice', arg: { kind: 'field', ref: f.ref }, hi: lo + width - 1, lo };
    });
  }
  if (env.fields.length > 0) leaves.push(() => ({ kind: 'cast', arg: { kind: 'field', ref: r.pick(env.fields).ref }, width }));
  if (depth <= 0 || r.chance(35)) return r.pick(leaves)();

  const d = depth - 1;
  const inner: (() => Expr)[] = [
    () => ({ kind: 'binary', op: r.pick(ARITH), left: bitExpr(r, env, width, d), right: bitExpr(r, env, width, d) }),
    () => ({ kind: 'binary', op: r.pick(['&', '|', '^'] as const), left: bitExpr(r, env, width, d), right: bitExpr(r, env, width, d) }),
    () => ({ kind: 'unary', op: r.pick(['~', '-'] as const), arg: bitExpr(r, env, width, d) }),
    () => ({ kind: 'cast', arg: bitExpr(r, env, r.width(), d), width }),
    () => ({ kind: 'cast', arg: boolExpr(r, env, d), width }),
    () => {
      const w = Math.min(width + r.int(0, 24), 2048);
      const lo = r.int(0, w - width);
      return { kind: 'slice', arg: bitExpr(r, env, w, d), hi: lo + width - 1, lo };
    },
    () => ({ kind: 'binary', op: r.pick(['<<', '>>'] as const), left: bitExpr(r, env, width, d), right: bitExpr(r, env, r.int(1, 8), d) }),
    () => ({ kind: 'mux', cond: boolExpr(r, env, d), then: bitExpr(r, env, width, d), else: bitExpr(r, env, width, d) }),
  ];
  if (width >= 2) {
    inner.push(() => {
      const hi = r.int(1, width - 1);
      return { kind: 'binary', op: '++', left: bitExpr(r, env, hi, d), right: bitExpr(r, env, width - hi, d) };
    });
  }
  return r.pick(inner)();
}

export function boolExpr(r: Rand, env: Env, depth: number): Expr {
  const leaves: (() => Expr)[] = [
    () => ({ kind: 'bool', value: r.chance(50) }),
    () => {
      const w = env.fields.length > 0 && r.chance(70) ? r.pick(env.fields).width : r.width();
      return { kind: 'binary', op: r.pick(COMPARE), left: bitExpr(r, env, w, Math.max(0, depth - 1)), right: bitExpr(r, env, w, Math.max(0, depth - 1)) };
    },
  ];
  if (env.headerRefs.length > 0) leaves.push(() => ({ kind: 'isValid', header: r.pick(env.headerRefs) }));
  if (depth <= 0 || r.chance(40)) return r.pick(leaves)();
  const d = depth - 1;
  return r.pick<() => Expr>([
    () => ({ kind: 'binary', op: r.pick(['&&', '||'] as const), left: boolExpr(r, env, d), right: boolExpr(r, env, d) }),
    () => ({ kind: 'binary', op: r.pick(['==', '!='] as const), left: boolExpr(r, env, d), right: boolExpr(r, env, d) }),
    () => ({ kind: 'unary', op: '!', arg: boolExpr(r, env, d) }),
    () => ({ kind: 'mux', cond: boolExpr(r, env, d), then: boolExpr(r, env, d), else: boolExpr(r, env, d) }),
  ])();
}

// ---- headers, metadata, stateful objects ------------------------------------------

function headerType(r: Rand, i: number): HeaderType {
  const fields: HeaderField[] = r.names(r.int(1, 5)).map((name) => ({ kind: 'bitField' as const, name, width: r.width() }));
  const total = fields.reduce((s, f) => s + (f.kind === 'bitField' ? f.width : 0), 0);
  if (total % 8 !== 0) fields.push({ kind: 'bitField', name: `pad_${fields.length}`, width: 8 - (total % 8) });
  if (r.chance(15)) {
    const len = r.pick(fields);
    fields.push({
      kind: 'varbitField',
      name: `opt_${fields.length}`,
      maxWidth: 8 * r.int(1, 40),
      length: { field: len.name, multiplier: r.int(1, 64), offset: r.int(-512, 64) },
    });
  }
  return { kind: 'headerType', name: r.pick([`${r.ident()}_t${i}`, `acme/${r.ident()}.t${i}`, `h-${i}@v1`]), fields };
}

// ---- parser ---------------------------------------------------------------------

function keysetValue(r: Rand, width: number): KeysetValue {
  switch (r.int(0, 3)) {
    case 0:
      return { kind: 'exact', value: hex(r.bits(width)) };
    case 1: {
      const mask = r.bits(width);
      return { kind: 'mask', value: hex(r.bits(width) & mask), mask: hex(mask) };
    }
    case 2: {
      const [a, b] = [r.bits(width), r.bits(width)];
      return { kind: 'range', low: hex(a < b ? a : b), high: hex(a < b ? b : a) };
    }
    default:
      return { kind: 'default' };
  }
}

function parserOps(r: Rand, env: Env, writable: readonly FieldInfo[]): ParserOp[] {
  return r.times(0, 2, (): ParserOp => {
    switch (r.int(0, 2)) {
      case 0: {
        const t = r.pick(writable);
        return { kind: 'set', target: t.ref, value: bitExpr(r, env, t.width, 2) };
      }
      case 1:
        return {
          kind: 'verify',
          cond: boolExpr(r, env, 2),
          error: r.pick(['NoError', 'PacketTooShort', 'NoMatch', 'StackOutOfBounds', 'HeaderTooShort', 'ParserTimeout', 'ParserInvalidArgument'] as const),
        };
      default:
        return { kind: 'advance', bits: 8 * r.int(1, 64) };
    }
  });
}

/** A chain of states, each extracting one of a random subset of the headers; every state is reachable. */
function parser(r: Rand, instances: readonly Instance[], env: Env): { parser: Parser; extracted: string[] } {
  const chain = r.shuffle(r.subset(instances));
  const extracts = chain.map((h) => (h.stack !== undefined && r.chance(50) ? `${h.name}[${r.int(0, h.stack - 1)}]` : h.name));
  const names = Array.from({ length: Math.max(1, chain.length) }, (_, i) => (i === 0 && r.chance(50) ? 'start' : r.unique(i)));
  const writable = env.fields.filter((f) => f.writable);
  const states = names.map((name, i): ParserState => {
    const ops: ParserOp[] = [];
    const extract = extracts[i];
    if (extract !== undefined) ops.push({ kind: 'extract', header: extract });
    ops.push(...parserOps(r, env, writable));
    const next = names[i + 1];
    const ends = ['accept', 'reject'];
    let transition: Transition;
    if (r.chance(40)) {
      transition = { kind: 'goto', state: next ?? r.pick(ends) };
    } else {
      const keyWidths = r.times(1, 2, () => (env.fields.length > 0 && r.chance(70) ? r.pick(env.fields).width : r.width()));
      const keys = keyWidths.map((w) => bitExpr(r, env, w, 1));
      const targets = [...ends, ...(next !== undefined ? [next] : [])];
      const cases: SelectCase[] = r.times(0, 3, () => ({ kind: 'selectCase', values: keyWidths.map((w) => keysetValue(r, w)), next: r.pick(targets) }));
      // the chain goes on: one case (somewhere) leads to the next state
      const onward: SelectCase = { kind: 'selectCase', values: keyWidths.map((w) => keysetValue(r, w)), next: next ?? r.pick(ends) };
      cases.splice(r.int(0, cases.length), 0, onward);
      transition = { kind: 'select', keys, cases };
    }
    return { kind: 'parserState', name, ops, transition };
  });
  return { parser: { kind: 'parser', start: names[0]!, states: r.shuffle(states) }, extracted: chain.map((h) => h.name) };
}

// ---- stages ---------------------------------------------------------------------

interface ProgramEnv {
  readonly instances: readonly Instance[];
  readonly fields: readonly FieldInfo[];
  readonly headerRefs: readonly string[];
  readonly registers: readonly Register[];
  readonly counters: readonly Counter[];
  readonly meters: readonly Meter[];
  readonly digests: readonly Digest[];
}

function exprs(r: Rand, env: Env, total: number, depth: number): Expr[] {
  // split `total` bits into 1..3 parts
  const out: Expr[] = [];
  let left = total;
  while (left > 0) {
    const w = out.length >= 2 ? left : r.int(1, left);
    out.push(bitExpr(r, env, w, depth));
    left -= w;
  }
  return out;
}

function primitive(r: Rand, p: ProgramEnv, env: Env, stage: { directMeter: boolean }): Primitive | undefined {
  const writable = env.fields.filter((f) => f.writable);
  const target = (min = 1): FieldInfo | undefined => {
    const ok = writable.filter((f) => f.width >= min);
    return ok.length > 0 ? r.pick(ok) : undefined;
  };
  const anyIndex = (): Expr => bitExpr(r, env, r.int(1, 32), 1);
  const d = r.int(0, 3);
  switch (r.int(0, 22)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const t = target()!;
      return { kind: 'assign', target: t.ref, value: bitExpr(r, env, t.width, d) };
    }
    case 4: {
      const t = target()!;
      return { kind: 'maskedAssign', target: t.ref, value: bitExpr(r, env, t.width, d), mask: hex(r.bits(t.width)) };
    }
    case 5:
      return p.headerRefs.length > 0 ? { kind: r.pick(['setValid', 'setInvalid'] as const), header: r.pick(p.headerRefs) } : undefined;
    case 6: {
      const byType = p.instances.flatMap((h) => elements(h).map((ref) => ({ ref, type: h.type.name })));
      if (byType.length === 0) return undefined;
      const dst = r.pick(byType);
      return { kind: 'copyHeader', dst: dst.ref, src: r.pick(byType.filter((x) => x.type === dst.type)).ref };
    }
    case 7: {
      const stacks = p.instances.filter((h) => h.stack !== undefined);
      if (stacks.length === 0) return undefined;
      const s = r.pick(stacks);
      return { kind: r.pick(['pushFront', 'popFront'] as const), header: s.name, count: r.int(1, s.stack!) };
    }
    case 8:
      return { kind: r.pick(['drop', 'resubmit', 'recirculate'] as const) };
    case 9:
      return { kind: 'setEgress', port: bitExpr(r, env, 9, d) };
    case 10:
      return { kind: 'multicast', group: bitExpr(r, env, 16, d) };
    case 11:
      return { kind: 'clone', session: bitExpr(r, env, 32, d), mode: r.pick(['ingress', 'egress'] as const) };
    case 12: {
      if (p.digests.length === 0) return undefined;
      const dg = r.pick(p.digests);
      return { kind: 'digest', digest: dg.name, values: dg.fields.map((f) => bitExpr(r, env, f.width, d)) };
    }
    case 13: {
      if (p.registers.length === 0) return undefined;
      const reg = r.pick(p.registers);
      const ts = writable.filter((f) => f.width === reg.width);
      if (ts.length === 0) return { kind: 'registerWrite', register: reg.name, index: anyIndex(), value: bitExpr(r, env, reg.width, d) };
      return r.chance(50)
        ? { kind: 'registerRead', register: reg.name, index: anyIndex(), target: r.pick(ts).ref }
        : { kind: 'registerWrite', register: reg.name, index: anyIndex(), value: bitExpr(r, env, reg.width, d) };
    }
    case 14:
      return p.counters.length > 0 ? { kind: 'count', counter: r.pick(p.counters).name, index: anyIndex() } : undefined;
    case 15: {
      const t = target(2);
      return p.meters.length > 0 && t ? { kind: 'meterExecute', meter: r.pick(p.meters).name, index: anyIndex(), target: t.ref } : undefined;
    }
    case 16: {
      const t = target(2);
      return stage.directMeter && t ? { kind: 'directMeterRead', target: t.ref } : undefined;
    }
    case 17: {
      const t = target()!;
      return {
        kind: 'hash',
        algorithm: r.pick(['crc16', 'crc32', 'identity', 'csum16', 'xor16'] as const),
        target: t.ref,
        inputs: r.times(1, 3, () => bitExpr(r, env, r.width(), 1)),
        base: hex(r.bits(t.width)),
        max: hex(r.bits(r.int(1, 32))),
      };
    }
    case 18:
    case 19: {
      // inputs of a whole number of bytes, sometimes with a varbit field
      const varbits = varbitRefs(p.instances);
      const inputs = exprs(r, env, 8 * r.int(1, 8), 1);
      if (varbits.length > 0 && r.chance(50)) inputs.splice(r.int(0, inputs.length), 0, { kind: 'field', ref: r.pick(varbits).ref });
      const sixteen = env.fields.filter((f) => f.width === 16);
      if (r.chance(50)) return { kind: 'checksumVerify', algorithm: 'csum16', inputs, checksum: r.pick(sixteen).ref, payload: r.chance(50) };
      return { kind: 'checksumUpdate', algorithm: 'csum16', inputs, target: r.pick(sixteen.filter((f) => f.writable)).ref, payload: r.chance(50) };
    }
    case 20: {
      const words = r.int(0, 3);
      const t = r.pick(writable.filter((f) => f.width === 16));
      return {
        kind: 'checksumIncremental',
        target: t.ref,
        removed: words > 0 ? exprs(r, env, 16 * words, 1) : [],
        added: words > 0 ? exprs(r, env, 16 * words, 1) : [],
      };
    }
    default:
      return undefined;
  }
}

function matchFor(r: Rand, kind: MatchKind, width: number): KeyMatch {
  const dontCare = kind !== 'exact' && r.chance(20);
  if (dontCare) return { kind: 'any' };
  switch (kind) {
    case 'exact':
      return { kind: 'exact', value: hex(r.bits(width)) };
    case 'optional':
      return { kind: 'optional', value: hex(r.bits(width)) };
    case 'lpm': {
      const prefixLength = r.int(1, width);
      const mask = ones(width) ^ ones(width - prefixLength);
      return { kind: 'lpm', value: hex(r.bits(width) & mask), prefixLength };
    }
    case 'ternary': {
      let mask = r.bits(width);
      if (mask === 0n) mask = 1n << BigInt(r.int(0, width - 1));
      return { kind: 'ternary', value: hex(r.bits(width) & mask), mask: hex(mask) };
    }
    case 'range': {
      const [a, b] = [r.bits(width), r.bits(width)];
      return { kind: 'range', low: hex(a < b ? a : b), high: hex(a < b ? b : a) };
    }
  }
}

function call(r: Rand, actions: readonly Action[]): ActionCall {
  const a = r.pick(actions);
  return { kind: 'actionCall', action: a.name, args: Object.fromEntries(a.params.map((p) => [p.name, hex(r.bits(p.width))])) };
}

function stage(r: Rand, p: ProgramEnv, name: string): Stage {
  // keys: distinct fields (no `.last`), at most one lpm
  const keyable = p.fields.filter((f) => !f.ref.includes('.last.'));
  const keyFields = r.shuffle(keyable).slice(0, r.int(0, 3));
  let lpm = false;
  const keys: Key[] = keyFields.map((f) => {
    const kinds: MatchKind[] = lpm ? ['exact', 'ternary', 'range', 'optional'] : ['exact', 'lpm', 'ternary', 'range', 'optional'];
    const match = r.pick(kinds);
    if (match === 'lpm') lpm = true;
    return { kind: 'key', field: f.ref, match };
  });
  const directMeter = r.chance(30);
  const actions: Action[] = r.names(r.int(1, 3)).map((actionName) => {
    const params: ActionParam[] = r.names(r.int(0, 3)).map((name) => ({ kind: 'actionParam', name, width: r.width() }));
    const env: Env = { fields: p.fields, headerRefs: p.headerRefs, params, inParser: false };
    const body = r.times(0, 4, () => primitive(r, p, env, { directMeter })).filter((x): x is Primitive => x !== undefined);
    return { kind: 'action', name: actionName, params, body };
  });
  const priorities = keys.some((k) => k.match !== 'exact' && k.match !== 'lpm');
  const widths = keys.map((k) => keyFields.find((f) => f.ref === k.field)!.width);
  const seen = new Set<string>();
  const entries: Entry[] = [];
  if (keys.length > 0) {
    for (let i = r.int(0, 4); i > 0; i--) {
      const matches = keys.map((k, j) => matchFor(r, k.match, widths[j]!));
      const priority = priorities ? r.pick([1, 2, 10, r.int(1, 2 ** 31 - 1)]) : undefined;
      const sig = JSON.stringify([matches, priority ?? null]);
      if (seen.has(sig)) continue;
      seen.add(sig);
      entries.push({ kind: 'entry', matches, action: call(r, actions), ...(priority !== undefined ? { priority } : {}) });
    }
  }
  const size = r.chance(10) ? r.int(1, 2 ** 24) : r.int(Math.max(1, entries.length), 4096);
  return {
    kind: 'stage',
    name,
    keys,
    actions,
    defaultAction: { kind: 'defaultAction', action: call(r, actions), const: r.chance(30) },
    size: Math.max(size, entries.length),
    entries,
    ...(r.chance(30) ? { directCounter: r.pick(['packets', 'bytes', 'packetsAndBytes'] as const) } : {}),
    ...(directMeter ? { directMeter: r.pick(['packets', 'bytes'] as const) } : {}),
    ...(r.chance(20) ? { description: `stage ${name}` } : {}),
  };
}

// ---- control --------------------------------------------------------------------

/**
 * A random DAG over the stages (each applied once) and some branch nodes:
 * nodes in a random topological order, a random spanning tree from the
 * first so every node is reachable, the remaining edges to later nodes or
 * to the end.
 */
function control(r: Rand, stages: readonly Stage[], env: Env): Control {
  const branches = r.times(0, Math.min(3, stages.length + 1), (i) => `if_${i}`);
  type Slot = { readonly set: (to: NodeTarget) => void; filled: boolean };
  interface Draft {
    readonly id: string;
    readonly slots: Slot[];
    readonly build: () => ControlNode;
  }
  const order = r.shuffle([...stages.map((s) => ({ stage: s })), ...branches.map((id) => ({ branch: id }))]);
  const drafts: Draft[] = order.map((n, index): Draft => {
    const targets: NodeTarget[] = [];
    const slot = (i: number): Slot => ({ set: (to) => void (targets[i] = to), filled: false });
    if ('branch' in n) {
      const cond = boolExpr(r, env, 2);
      const slots = [slot(0), slot(1)];
      return { id: n.branch, slots, build: () => ({ kind: 'branch', id: n.branch, cond, then: targets[0] ?? null, else: targets[1] ?? null }) };
    }
    const s = n.stage;
    // the builder names a stage's node after the stage; IR from elsewhere need not
    const id = r.chance(25) ? `node_${index}` : s.name;
    const kind = r.int(0, 2);
    if (kind === 0) {
      return { id, slots: [slot(0)], build: () => ({ kind: 'applyStage', id, stage: s.name, next: { kind: 'always', to: targets[0] ?? null } }) };
    }
    if (kind === 1) {
      return {
        id,
        slots: [slot(0), slot(1)],
        build: () => ({ kind: 'applyStage', id, stage: s.name, next: { kind: 'hitMiss', hit: targets[0] ?? null, miss: targets[1] ?? null } }),
      };
    }
    const cased = r.subset(s.actions).map((a) => a.name);
    const slots = [slot(0), ...cased.map((_, i) => slot(i + 1))];
    return {
      id,
      slots,
      build: () => ({
        kind: 'applyStage',
        id,
        stage: s.name,
        next: { kind: 'actionRun', cases: cased.map((action, i) => ({ kind: 'actionCase', action, to: targets[i + 1] ?? null })), default: targets[0] ?? null },
      }),
    };
  });
  // spanning tree: node j hangs off a free slot of an earlier node (there always is one: each node has >= 1 slot)
  for (let j = 1; j < drafts.length; j++) {
    const free = drafts.slice(0, j).flatMap((d) => d.slots.filter((s) => !s.filled));
    const s = r.pick(free);
    s.set(drafts[j]!.id);
    s.filled = true;
  }
  drafts.forEach((d, i) => {
    const later = [null, ...drafts.slice(i + 1).map((x) => x.id)];
    for (const s of d.slots) if (!s.filled) s.set(r.pick(later));
  });
  return { kind: 'control', entry: drafts[0]?.id ?? null, nodes: r.shuffle(drafts.map((d) => d.build())) };
}

// ---- programs and policies --------------------------------------------------------------

export interface Generated {
  readonly ir: Program;
  /** What a condition over this program (a policy step's `when`) may name. */
  readonly env: Env;
}

export function genProgram(r: Rand, name?: string): Generated {
  const headerTypes = r.times(1, 4, (i) => headerType(r, i));
  const instances: Instance[] = r.names(r.int(0, 5)).map((instance) => {
    const type = r.pick(headerTypes);
    return r.chance(25) ? { name: instance, type, stack: r.int(1, 4) } : { name: instance, type };
  });
  const headers: HeaderInstance[] = instances.map((h) => ({ kind: 'header', name: h.name, type: h.type.name, ...(h.stack !== undefined ? { stack: h.stack } : {}) }));
  const metadata: MetaField[] = r.names(r.int(0, 4)).map((name) => ({ kind: 'metaField', name, width: r.width() }));
  const headerRefs = instances.flatMap(elements);

  // registers, counters and meters share one namespace
  const stateful = r.times(0, 4, (i) => ({ name: r.unique(i), what: r.int(0, 2) }));
  const registers: Register[] = stateful.filter((s) => s.what === 0).map((s) => ({ kind: 'register', name: s.name, width: r.width(), size: r.int(1, 4096) }));
  const counters: Counter[] = stateful
    .filter((s) => s.what === 1)
    .map((s) => ({ kind: 'counter', name: s.name, unit: r.pick(['packets', 'bytes', 'packetsAndBytes'] as const), size: r.int(1, 4096) }));
  const meters: Meter[] = stateful.filter((s) => s.what === 2).map((s) => ({ kind: 'meter', name: s.name, unit: r.pick(['packets', 'bytes'] as const), size: r.int(1, 4096) }));
  const digests: Digest[] = r.times(0, 2, (i) => ({
    kind: 'digest',
    name: r.unique(i),
    fields: r.names(r.int(0, 3)).map((field) => ({ kind: 'digestField' as const, name: field, width: r.width() })),
  }));

  const parserEnv: Env = { fields: fieldsOf(instances, metadata, true), headerRefs, params: [], inParser: true };
  const { parser: prs, extracted } = parser(r, instances, parserEnv);
  const deparser = r.shuffle([...new Set([...extracted, ...r.subset(instances.map((h) => h.name))])]);

  const fields = fieldsOf(instances, metadata, false);
  const penv: ProgramEnv = { instances, fields, headerRefs, registers, counters, meters, digests };
  const stages = r.names(r.int(0, 4)).map((name) => stage(r, penv, name));
  const env: Env = { fields, headerRefs, params: [], inParser: false };

  const lineage: Ancestor[] = r.chance(20)
    ? r.times(1, 2, (i) => ({ kind: 'ancestor', name: `parent-${i}`, digest: `sha256:${r.bits(256).toString(16).padStart(64, '0')}` }))
    : [];
  const ir: Program = {
    kind: 'program',
    irVersion: IR_VERSION,
    name: name ?? r.pick([`nf_${r.ident()}`, `acme/${r.ident()}-fw`, `t.${r.ident()}@2`]),
    ...(r.chance(30) ? { description: r.pick(['', 'a random NF', 'ünïcødé ✓ "quoted" \\ \n line']) } : {}),
    ...(lineage.length > 0 ? { lineage } : {}),
    headerTypes,
    headers,
    metadata,
    parser: prs,
    registers,
    counters,
    meters,
    digests,
    stages,
    control: control(r, stages, env),
    deparser,
  };
  return { ir, env };
}

export function genPolicy(r: Rand): Policy {
  const programs = r.times(1, 3, (i) => genProgram(r, `prog-${i}`));
  const steps: PolicyStep[] = r.times(1, 4, () => {
    const p = r.pick(programs);
    return { kind: 'step', program: p.ir.name, ...(r.chance(50) ? { when: boolExpr(r, p.env, 2) } : {}) };
  });
  return {
    kind: 'policy',
    irVersion: IR_VERSION,
    name: `tenant-${r.ident()}`,
    ...(r.chance(30) ? { description: 'a random policy' } : {}),
    programs: programs.map((p) => p.ir),
    steps,
  };
}

/** Random valid program IR. */
export const programArb: fc.Arbitrary<Program> = fc.gen().map((g) => genProgram(new Rand(g)).ir);
/** Random valid policy IR. */
export const policyArb: fc.Arbitrary<Policy> = fc.gen().map((g) => genPolicy(new Rand(g)));
