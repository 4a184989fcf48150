/**
 * The code generator: one program (and its policy step's `when`) into the
 * JavaScript source of a specialised step function
 *
 *     step(d: Uint8Array, S: Float64Array, R: Requests): Uint8Array | undefined
 *
 * that parses the bytes `d`, runs the control and returns the deparsed bytes
 * (undefined when the step's `when` is false). Everything a packet carries is
 * a local variable of that function: header validity and fields, stacks'
 * next indices, user and standard metadata. Field reads in the parser are
 * fixed-offset reads on the packet bytes relative to the current header;
 * `bit<W>` values are JS numbers up to 52 bits and BigInts above (see
 * runtime.ts); tables are looked up with generated functions over the
 * structures of tables.ts; actions are inlined at the stage that runs them.
 *
 * Two things keep the per-packet work down. A header the program never
 * writes is not re-serialised: only the fields something reads are
 * extracted, and the deparser copies its bytes (the output starts as a copy
 * of the input when the length is unchanged, so such a header emitted where
 * it was parsed costs nothing). And checksum inputs at bit offsets known at
 * generation time are summed as 16-bit words straight from the values.
 *
 * The semantics are the reference's, line for line: parse.ts (errors,
 * all-or-nothing extraction, varbit sizes, the state bound), evaluate.ts
 * (P4 unsigned arithmetic), control.ts (hit/miss, direct counters,
 * actionRun), primitives.ts and deparse.ts.
 *
 * What it cannot compile throws `Unsupported`; the target then runs that
 * program with the reference interpreter.
 */
import {
  PARSER_ERROR_CODES,
  Scope,
  topologicalOrder,
  type ControlNode,
  type Expr,
  type HeaderType,
  type KeysetValue,
  type Primitive,
  type Program,
  type ResolvedField,
  type Stage,
} from '@mpvisor/mpapi';
import { DROP_PORT } from '@mpvisor/runtime';
import { MAX_PARSER_STATES } from '../reference/parse.js';
import { NUM_MAX_WIDTH } from './runtime.js';
import { lookupSource, planTable, type TablePlan } from './tables.js';

export class Unsupported extends Error {}

/**
 * standard.ingressTimestamp: converted from the packet's BigInt when first
 * read, once per packet (S[7] is -1 until then), so programs that never
 * read it do not pay for the conversion.
 */
const TIMESTAMP = '(S[7] >= 0 ? S[7] : (S[7] = timestampOf(R.ts)))';

/** Slots of standard metadata in the pass's Float64Array. */
export const STD_INDEX = {
  ingressPort: 0,
  egressPort: 1,
  packetLength: 2,
  parserError: 3,
  checksumError: 4,
  mcastGroup: 5,
  instanceType: 6,
  ingressTimestamp: 7,
  priority: 8,
} as const;
export const STD_SLOTS = 9;

type Rep = 'bool' | 'num' | 'big';

/** A compiled expression: JS source, width (0 for bool), representation, and whether it can raise a parser fault. */
interface CE {
  readonly code: string;
  readonly width: number;
  readonly rep: Rep;
  readonly faults: boolean;
}

interface Cx {
  readonly inParser: boolean;
  readonly params?: ReadonlyMap<string, { readonly index: number; readonly width: number }>;
}

const repOf = (w: number): 'num' | 'big' => (w <= NUM_MAX_WIDTH ? 'num' : 'big');
const ce = (code: string, width: number, faults = false): CE => ({ code, width, rep: repOf(width), faults });
const bool = (code: string, faults = false): CE => ({ code, width: 0, rep: 'bool', faults });
const ones = (w: number): bigint => (1n << BigInt(w)) - 1n;
const P2 = (w: number): number => 2 ** w;

/** A literal of `width` bits in generated code. */
function lit(v: bigint, width: number): string {
  return width <= NUM_MAX_WIDTH ? String(Number(v)) : `0x${v.toString(16)}n`;
}

const toBig = (e: CE): string => (e.rep === 'big' ? e.code : e.rep === 'bool' ? `(${e.code} ? 1n : 0n)` : `BigInt(${e.code})`);

/** Where each field of a header type lives, relative to the header's first byte. */
interface TypeLayout {
  readonly type: HeaderType;
  readonly fixedBytes: number;
  readonly fields: readonly { readonly name: string; readonly width: number; readonly bit: number }[];
  readonly varbit?: {
    readonly name: string;
    readonly maxWidth: number;
    readonly lengthField: string;
    readonly multiplier: number;
    readonly offset: number;
  };
}

function typeLayout(type: HeaderType): TypeLayout {
  let bit = 0;
  const fields: { name: string; width: number; bit: number }[] = [];
  let varbit: TypeLayout['varbit'];
  for (const f of type.fields) {
    if (f.kind === 'bitField') {
      fields.push({ name: f.name, width: f.width, bit });
      bit += f.width;
    } else {
      varbit = { name: f.name, maxWidth: f.maxWidth, lengthField: f.length.field, multiplier: f.length.multiplier, offset: f.length.offset };
    }
  }
  if (bit % 8 !== 0) throw new Unsupported(`header type ${type.name}: fixed part of ${bit} bits is not whole bytes`);
  if (varbit && varbit.maxWidth % 8 !== 0) throw new Unsupported(`header type ${type.name}: varbit max width is not whole bytes`);
  return varbit ? { type, fixedBytes: bit / 8, fields, varbit } : { type, fixedBytes: bit / 8, fields };
}

/** Source of `width` bits (<= 52) of d starting `bit` bits after byte `base`. */
function readNum(base: string, bit: number, width: number): string {
  const at = (k: number): string => (base === '0' ? `d[${k}]` : `d[${base} + ${k}]`);
  if (bit % 8 === 0 && width % 8 === 0) {
    const b = bit / 8;
    const n = width / 8;
    if (n === 1) return at(b);
    if (n === 2) return `(${at(b)} << 8 | ${at(b + 1)})`;
    if (n === 3) return `(${at(b)} << 16 | ${at(b + 1)} << 8 | ${at(b + 2)})`;
    if (n === 4) return `((${at(b)} << 24 | ${at(b + 1)} << 16 | ${at(b + 2)} << 8 | ${at(b + 3)}) >>> 0)`;
    const hi = n - 4;
    return `(${readNum(base, bit, hi * 8)} * 4294967296 + ${readNum(base, bit + hi * 8, 32)})`;
  }
  // piece by piece: the field's bits within each byte it spans
  const end = bit + width;
  const pieces: string[] = [];
  for (let j = bit >> 3; j * 8 < end; j++) {
    const s = Math.max(bit, j * 8);
    const e = Math.min(end, j * 8 + 8);
    const right = j * 8 + 8 - e;
    const bits = e - s;
    const shift = end - e;
    let piece = right > 0 ? `(${at(j)} >>> ${right})` : at(j);
    if (bits < 8) piece = `(${piece} & ${(1 << bits) - 1})`;
    if (shift > 0) piece = shift + bits <= 31 ? `(${piece} << ${shift})` : `(${piece} * ${P2(shift)})`;
    pieces.push(piece);
  }
  return pieces.length === 1 ? pieces[0]! : `(${pieces.join(' + ')})`;
}

/** Source of a field value of `width` bits at a fixed bit offset from byte `base`. */
function readField(base: string, bit: number, width: number): string {
  if (width <= NUM_MAX_WIDTH) return readNum(base, bit, width);
  return `readBig(d, ${base === '0' ? bit >> 3 : `${base} + ${bit >> 3}`}, ${bit & 7}, ${width})`;
}

/** The statements writing a header's fixed fields at byte `p` of `o` (a fresh, zeroed buffer). */
function writeFixed(layout: TypeLayout, local: (field: string) => string): string[] {
  const lines: string[] = [];
  const bigs: string[] = [];
  for (let j = 0; j < layout.fixedBytes; j++) {
    const parts: string[] = [];
    for (const f of layout.fields) {
      const a = f.bit;
      const b = f.bit + f.width;
      const s = Math.max(a, j * 8);
      const e = Math.min(b, j * 8 + 8);
      if (s >= e || f.width > NUM_MAX_WIDTH) continue;
      const v = local(f.name);
      const right = b - e;
      const bits = e - s;
      const left = j * 8 + 8 - e;
      const shifted = right === 0 ? v : f.width <= 32 ? `(${v} >>> ${right})` : `(${v} / ${P2(right)})`;
      if (bits === 8) {
        parts.push(shifted);
        continue;
      }
      const masked = `(${shifted} & ${(1 << bits) - 1})`;
      parts.push(left > 0 ? `(${masked} << ${left})` : masked);
    }
    if (parts.length > 0) lines.push(`o[p + ${j}] = ${parts.join(' | ')};`);
  }
  for (const f of layout.fields) if (f.width > NUM_MAX_WIDTH) bigs.push(`writeBig(o, p + ${f.bit >> 3}, ${f.bit & 7}, ${local(f.name)}, ${f.width});`);
  return [...lines, ...bigs];
}

/** One header instance or stack element: its type and the prefix of its locals. */
interface Slot {
  readonly prefix: string;
  readonly layout: TypeLayout;
}

export interface GeneratedStep {
  /** The body of `new Function('H', source)`, which returns `bind(E)`, which returns the step function bound to the state E. */
  readonly source: string;
  /** Per stage (the program's order): how its table is looked up. */
  readonly plans: readonly TablePlan[];
  /** The values of the constants the hooks lifted out of the code (`E.constants`, in order). */
  readonly constants: readonly (number | bigint)[];
}

/** Indent every line of a block. */
const indent = (lines: readonly string[], by = '  '): string[] => lines.map((l) => (l === '' ? l : by + l));

/**
 * Code generated into a program's control, around its nodes (by node id):
 * the compiled image executor counts stage slots with it.
 */
export interface ControlHooks {
  /** Lines run once when the code is bound to its state `E`. */
  readonly prelude?: readonly string[];
  /** A title for the code's first line, instead of the program's name. */
  readonly title?: string;
  /**
   * Lift the control's constants out of the code into `E.constants`: code
   * that differs only in them is then the same text, so one function serves
   * every program of the same shape.
   */
  readonly liftConstants?: boolean;
  /** Before the node runs. */
  node(id: string): readonly string[];
  /** After a table node's action ran (the action's index in the node's stage). */
  action(id: string, action: number): readonly string[];
}

export function generateStep(program: Program, when: Expr | undefined, keyWidths: (stage: Stage) => readonly number[], hooks?: ControlHooks): GeneratedStep {
  return new ProgramGen(program, keyWidths, hooks).generate(when);
}

class ProgramGen {
  private readonly scope: Scope;
  private readonly layouts = new Map<string, TypeLayout>();
  /** Header instance → its slots (one, or one per stack element). */
  private readonly slots = new Map<string, readonly Slot[]>();
  private readonly stacks = new Set<string>();
  private needsTry = false;
  private readonly plans: TablePlan[];
  private readonly stageIndex = new Map<string, number>();

  constructor(
    private readonly program: Program,
    keyWidths: (stage: Stage) => readonly number[],
    private readonly hooks?: ControlHooks,
  ) {
    this.scope = new Scope(program);
    for (const t of program.headerTypes) this.layouts.set(t.name, typeLayout(t));
    for (const h of program.headers) {
      const layout = this.layouts.get(h.type);
      if (!layout) throw new Unsupported(`header ${h.name} has unknown type ${h.type}`);
      if (h.stack !== undefined) {
        this.stacks.add(h.name);
        this.slots.set(
          h.name,
          Array.from({ length: h.stack }, (_, i) => ({ prefix: `${h.name}$${i}`, layout })),
        );
      } else this.slots.set(h.name, [{ prefix: h.name, layout }]);
    }
    this.plans = program.stages.map((s) => planTable(s, keyWidths(s)));
    program.stages.forEach((s, i) => this.stageIndex.set(s.name, i));
  }

  /** Header instances whose fields or layout a parser `set` or a primitive can change. */
  private written: ReadonlySet<string> | undefined;

  /**
   * Whether a slot's bytes can only be what was extracted: nothing the
   * program does writes its fields. Such a header, emitted where it was
   * extracted, is already in place in a copy of the input.
   */
  private clean(slot: Slot): boolean {
    if (!this.written) {
      const w = new Set<string>();
      const field = (ref: string): void => {
        const f = this.scope.field(ref);
        if (typeof f !== 'string' && f.space === 'header') w.add(f.header!);
      };
      const header = (ref: string): void => void w.add(ref.replace(/\[[0-9]+\]$/, ''));
      for (const st of this.program.parser.states) for (const op of st.ops) if (op.kind === 'set') field(op.target);
      for (const stage of this.program.stages) {
        for (const a of stage.actions) {
          for (const p of a.body) {
            if ('target' in p && typeof p.target === 'string') field(p.target);
            if (p.kind === 'copyHeader') header(p.dst);
            if (p.kind === 'pushFront' || p.kind === 'popFront') header(p.header);
          }
        }
      }
      this.written = w;
    }
    return !this.written.has(slot.prefix.replace(/\$[0-9]+$/, ''));
  }

  /** Fields the program reads anywhere (expressions, keys, checksum inputs, masked targets), as "header.field" per instance. */
  private used: ReadonlySet<string> | undefined;

  /**
   * Whether extraction must read a field into its local: always for a header
   * the program writes (the deparser needs every field), otherwise only when
   * something reads it. A clean header is deparsed by copying its bytes.
   */
  private needed(slot: Slot, field: string): boolean {
    if (!this.clean(slot)) return true;
    if (!this.used) {
      const used = new Set<string>();
      const visit = (x: unknown): void => {
        if (Array.isArray(x)) return x.forEach(visit);
        if (typeof x !== 'object' || x === null) return;
        const o = x as Record<string, unknown>;
        // field expressions, stage keys, and primitives' targets and checksum fields (some read them: maskedAssign, checksumIncremental)
        for (const k of ['ref', 'field', 'target', 'checksum']) {
          const ref = o[k];
          if (typeof ref !== 'string') continue;
          const f = this.scope.field(ref);
          if (typeof f === 'string' || f.space !== 'header') continue;
          used.add(`${f.header}.${f.field}`);
        }
        Object.values(o).forEach(visit);
      };
      visit(this.program.parser);
      visit(this.program.stages);
      visit(this.program.control);
      visit(this.when);
      // copyHeader copies every field of its source
      for (const stage of this.program.stages) {
        for (const a of stage.actions) {
          for (const prim of a.body) {
            if (prim.kind !== 'copyHeader') continue;
            const src = this.slotOf(prim.src);
            for (const f of src?.layout.type.fields ?? []) used.add(`${prim.src.replace(/\[[0-9]+\]$/, '')}.${f.name}`);
          }
        }
      }
      this.used = used;
    }
    return this.used.has(`${slot.prefix.replace(/\$[0-9]+$/, '')}.${field}`);
  }

  private when: Expr | undefined;

  // ------------------------------------------------------------ names

  private resolve(ref: string): ResolvedField {
    const f = this.scope.field(ref);
    if (typeof f === 'string') throw new Unsupported(f);
    return f;
  }

  /** The slot of `ipv4` or `vlan[1]`; undefined for a bare stack or a bad index (the reference's `header()` gives undefined). */
  private slotOf(ref: string): Slot | undefined {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?$/.exec(ref);
    if (!m) return undefined;
    const slots = this.slots.get(m[1]!);
    if (!slots) return undefined;
    if (m[2] !== undefined) return this.stacks.has(m[1]!) ? slots[Number(m[2])] : undefined;
    return this.stacks.has(m[1]!) ? undefined : slots[0];
  }

  private fieldLocal(slot: Slot, field: string): string {
    return `F$${slot.prefix}$${field}`;
  }

  // ------------------------------------------------------------ expressions

  /** Read a field: a local, or for `stack.last` the element before the next index (StackOutOfBounds if none). */
  private readRef(ref: string): CE {
    const f = this.resolve(ref);
    if (f.space === 'meta') return ce(`M$${f.field}`, f.width);
    if (f.space === 'standard') return ce(f.field === 'ingressTimestamp' ? TIMESTAMP : `S$${f.field}`, f.width);
    const slots = this.slots.get(f.header!)!;
    if (f.index === 'last') {
      this.needsTry = true;
      let code = 'fault(3)';
      for (let i = slots.length; i >= 1; i--) code = `N$${f.header} === ${i} ? ${this.fieldLocal(slots[i - 1]!, f.field)} : ${code}`;
      return ce(`(${code})`, f.width, true);
    }
    const slot = f.index === undefined ? slots[0]! : slots[f.index]!;
    return ce(this.fieldLocal(slot, f.field), f.width);
  }

  /** The statement `ref = value` (value a JS expression of the field's representation). */
  private assign(ref: string, value: string): string {
    const f = this.resolve(ref);
    if (f.space === 'meta') return `M$${f.field} = ${value};`;
    if (f.space === 'standard') return `S$${f.field} = ${value};`;
    const slots = this.slots.get(f.header!)!;
    if (f.index === 'last') {
      this.needsTry = true;
      const cases = slots.map((s, i) => `if (N$${f.header} === ${i + 1}) ${this.fieldLocal(s, f.field)} = t; else `).join('');
      return `{ const t = ${value}; ${cases}fault(3); }`;
    }
    const slot = f.index === undefined ? slots[0]! : slots[f.index]!;
    return `${this.fieldLocal(slot, f.field)} = ${value};`;
  }

  private readonly constants: (number | bigint)[] = [];

  /** A constant bound with the state rather than written into the code (see ControlHooks.liftConstants). */
  private lifted(v: bigint, width: number): string {
    // one per occurrence, never shared by value: the code's text must not depend on the values
    const i = this.constants.push(width <= NUM_MAX_WIDTH ? Number(v) : v) - 1;
    return `K${i}`;
  }

  private widthOf(ref: string): number {
    return this.resolve(ref).width;
  }

  private expr(e: Expr, cx: Cx): CE {
    switch (e.kind) {
      case 'const':
        if (!cx.inParser && this.hooks?.liftConstants) return ce(this.lifted(BigInt(e.value), e.width), e.width);
        return ce(lit(BigInt(e.value), e.width), e.width);
      case 'bool':
        return bool(e.value ? 'true' : 'false');
      case 'field':
        return this.readRef(e.ref);
      case 'param': {
        const p = cx.params?.get(e.name);
        if (!p) throw new Unsupported(`unbound parameter ${e.name}`);
        return ce(`ag[${p.index}]`, p.width);
      }
      case 'lookahead': {
        if (!cx.inParser) throw new Unsupported('lookahead outside the parser');
        this.needsTry = true;
        return ce(`(off * 8 + ${e.width} > len * 8 ? fault(1) : ${readField('off', 0, e.width)})`, e.width, true);
      }
      case 'isValid': {
        const slot = this.slotOf(e.header);
        return bool(slot ? `V$${slot.prefix}` : 'false');
      }
      case 'unary': {
        const a = this.expr(e.arg, cx);
        if (e.op === '!') return bool(`(!${a.code})`, a.faults);
        if (a.rep === 'bool') throw new Unsupported(`${e.op} on a bool`);
        const w = a.width;
        if (e.op === '~') return ce(a.rep === 'big' ? `(${lit(ones(w), w)} - ${a.code})` : `(${P2(w) - 1} - ${a.code})`, w, a.faults);
        return ce(a.rep === 'big' ? `BigInt.asUintN(${w}, -${a.code})` : `((${P2(w)} - ${a.code}) % ${P2(w)})`, w, a.faults);
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right, cx);
      case 'slice': {
        const x = this.expr(e.arg, cx);
        if (x.rep === 'bool') throw new Unsupported('slice of a bool');
        const rw = e.hi - e.lo + 1;
        const { lo } = e;
        if (x.rep === 'big') {
          const shifted = lo === 0 ? x.code : `(${x.code} >> ${lo}n)`;
          return ce(rw <= NUM_MAX_WIDTH ? `Number(BigInt.asUintN(${rw}, ${shifted}))` : `BigInt.asUintN(${rw}, ${shifted})`, rw, x.faults);
        }
        if (x.width <= 32) {
          const shifted = lo === 0 ? x.code : `(${x.code} >>> ${lo})`;
          return ce(rw >= 32 ? `(${x.code} >>> ${lo})` : `(${shifted} & ${P2(rw) - 1})`, rw, x.faults);
        }
        const shifted = lo === 0 ? x.code : `Math.floor(${x.code} / ${P2(lo)})`;
        return ce(`(${shifted} % ${P2(rw)})`, rw, x.faults);
      }
      case 'cast': {
        const x = this.expr(e.arg, cx);
        const cw = e.width;
        if (x.rep === 'bool') return ce(cw <= NUM_MAX_WIDTH ? `(${x.code} ? 1 : 0)` : `(${x.code} ? 1n : 0n)`, cw, x.faults);
        if (x.rep === 'big') {
          if (cw <= NUM_MAX_WIDTH) return ce(`Number(BigInt.asUintN(${cw}, ${x.code}))`, cw, x.faults);
          return ce(cw >= x.width ? x.code : `BigInt.asUintN(${cw}, ${x.code})`, cw, x.faults);
        }
        if (cw >= x.width) return ce(cw <= NUM_MAX_WIDTH ? x.code : `BigInt(${x.code})`, cw, x.faults);
        return ce(x.width <= 32 ? `(${x.code} & ${P2(cw) - 1})` : `(${x.code} % ${P2(cw)})`, cw, x.faults);
      }
      case 'mux': {
        const c = this.expr(e.cond, cx);
        const t = this.expr(e.then, cx);
        const f = this.expr(e.else, cx);
        if (t.rep !== f.rep || t.width !== f.width) throw new Unsupported('mux branches of different types');
        const code = `(${c.code} ? ${t.code} : ${f.code})`;
        const faults = c.faults || t.faults || f.faults;
        return t.rep === 'bool' ? bool(code, faults) : ce(code, t.width, faults);
      }
    }
  }

  private binary(op: string, left: Expr, right: Expr, cx: Cx): CE {
    const l = this.expr(left, cx);
    const r = this.expr(right, cx);
    const faults = l.faults || r.faults;
    if (op === '&&' || op === '||') return bool(`(${l.code} ${op} ${r.code})`, faults);
    if (op === '==' || op === '!=') {
      if (l.rep !== r.rep) throw new Unsupported(`${op} on different types`);
      return bool(`(${l.code} ${op === '==' ? '===' : '!=='} ${r.code})`, faults);
    }
    if (l.rep === 'bool' || r.rep === 'bool') throw new Unsupported(`${op} on a bool`);
    const w = l.width;
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      if (l.rep !== r.rep) throw new Unsupported(`${op} on different widths`);
      return bool(`(${l.code} ${op} ${r.code})`, faults);
    }
    if (op === '++') {
      const total = l.width + r.width;
      if (total <= NUM_MAX_WIDTH) return ce(`(${l.code} * ${P2(r.width)} + ${r.code})`, total, faults);
      return ce(`((${toBig(l)} << ${r.width}n) | ${toBig(r)})`, total, faults);
    }
    if (op === '<<' || op === '>>') return this.shift(op, l, r, right);
    if (l.rep !== r.rep || l.width !== r.width) throw new Unsupported(`${op} on different widths`);
    const M = P2(w) - 1;
    if (l.rep === 'big') {
      const a = l.code;
      const b = r.code;
      switch (op) {
        case '+':
        case '-':
        case '*':
          return ce(`BigInt.asUintN(${w}, ${a} ${op} ${b})`, w, faults);
        case '|+|':
          return ce(`addSatB(${a}, ${b}, ${lit(ones(w), w)})`, w, faults);
        case '|-|':
          return ce(`subSatB(${a}, ${b})`, w, faults);
        case '&':
        case '|':
        case '^':
          return ce(`(${a} ${op} ${b})`, w, faults);
      }
      throw new Unsupported(`operator ${op}`);
    }
    const a = l.code;
    const b = r.code;
    if (op === '|+|') return ce(`Math.min(${a} + ${b}, ${M})`, w, faults);
    if (op === '|-|') return ce(`Math.max(${a} - ${b}, 0)`, w, faults);
    if (w <= 32) {
      const wrap = (x: string): string => (w === 32 ? `(${x} >>> 0)` : `(${x} & ${M})`);
      switch (op) {
        case '+':
          return ce(wrap(`(${a} + ${b})`), w, faults);
        case '-':
          return ce(wrap(`(${a} - ${b})`), w, faults);
        case '*':
          return ce(wrap(`Math.imul(${a}, ${b})`), w, faults);
        case '&':
        case '|':
        case '^':
          return ce(w === 32 ? `((${a} ${op} ${b}) >>> 0)` : `(${a} ${op} ${b})`, w, faults);
      }
      throw new Unsupported(`operator ${op}`);
    }
    const P = P2(w);
    switch (op) {
      case '+':
        return ce(`((${a} + ${b}) % ${P})`, w, faults);
      case '-':
        return ce(`((${a} - ${b} + ${P}) % ${P})`, w, faults);
      case '*':
        return ce(`mulN(${a}, ${b}, ${w})`, w, faults);
      case '&':
        return ce(`and52(${a}, ${b})`, w, faults);
      case '|':
        return ce(`or52(${a}, ${b})`, w, faults);
      case '^':
        return ce(`xor52(${a}, ${b})`, w, faults);
    }
    throw new Unsupported(`operator ${op}`);
  }

  private shift(op: '<<' | '>>', l: CE, r: CE, right: Expr): CE {
    const w = l.width;
    const faults = l.faults || r.faults;
    const zero = l.rep === 'big' ? '0n' : '0';
    if (right.kind === 'const') {
      const n = BigInt(right.value);
      // a shift by W or more gives 0; keep the left side if evaluating it can fault
      if (n >= BigInt(w)) return ce(l.faults ? `(${l.code}, ${zero})` : zero, w, l.faults);
      const k = Number(n);
      if (k === 0) return l;
      if (l.rep === 'big') return ce(op === '<<' ? `BigInt.asUintN(${w}, ${l.code} << ${k}n)` : `(${l.code} >> ${k}n)`, w, faults);
      if (w <= 32) {
        if (op === '>>') return ce(`(${l.code} >>> ${k})`, w, faults);
        return ce(w === 32 ? `((${l.code} << ${k}) >>> 0)` : `((${l.code} << ${k}) & ${P2(w) - 1})`, w, faults);
      }
      return ce(op === '<<' ? `shlN(${l.code}, ${k}, ${w})` : `Math.floor(${l.code} / ${P2(k)})`, w, faults);
    }
    if (l.rep === 'big') return ce(`${op === '<<' ? 'shlB' : 'shrB'}(${l.code}, ${r.code}, ${w})`, w, faults);
    if (w <= 32) return ce(op === '<<' ? `shl32(${l.code}, ${r.code}, ${w}, ${P2(w) - 1})` : `shr32(${l.code}, ${r.code}, ${w})`, w, faults);
    return ce(`${op === '<<' ? 'shlN' : 'shrN'}(${l.code}, ${r.code}, ${w})`, w, faults);
  }

  /** A bit<N> value as a number or BigInt (a bool becomes 0/1, as the reference carries it). */
  private bits(e: Expr, cx: Cx): CE {
    const v = this.expr(e, cx);
    return v.rep === 'bool' ? ce(`(${v.code} ? 1 : 0)`, 1, v.faults) : v;
  }

  // ------------------------------------------------------------ parser

  private parser(): string[] {
    const states = this.program.parser.states;
    const index = new Map(states.map((s, i) => [s.name, i]));
    const target = (name: string): number => (name === 'accept' ? -1 : name === 'reject' ? -2 : index.get(name)!);
    const succ = (i: number): number[] => {
      const t = states[i]!.transition;
      const names = t.kind === 'goto' ? [t.state] : t.cases.map((c) => c.next);
      return names.map(target).filter((x) => x >= 0);
    };
    // states reachable from start, in topological order when acyclic
    const start = target(this.program.parser.start);
    const order: number[] = [];
    const mark = new Map<number, 1 | 2>();
    let cyclic = false;
    const visit = (i: number): void => {
      const m = mark.get(i);
      if (m === 2) return;
      if (m === 1) {
        cyclic = true;
        return;
      }
      mark.set(i, 1);
      for (const s of succ(i)) visit(s);
      mark.set(i, 2);
      order.push(i);
    };
    if (start >= 0) visit(start);
    order.reverse();
    const straight = !cyclic && order.length <= MAX_PARSER_STATES;
    const body: string[] = [];
    const cx: Cx = { inParser: true };
    const stateCode = (i: number, next: (to: number) => string): string[] => {
      const s = states[i]!;
      const lines: string[] = [];
      for (const op of s.ops) {
        switch (op.kind) {
          case 'extract':
            lines.push(...this.extract(op.header));
            break;
          case 'advance':
            if (op.bits % 8 !== 0) throw new Unsupported('advance by a number of bits that is not whole bytes');
            lines.push(`if (off + ${op.bits / 8} > len) { err = 1; break P; }`, `off += ${op.bits / 8};`);
            break;
          case 'set': {
            const v = this.expr(op.value, cx);
            if (v.rep === 'bool') throw new Unsupported('set of a bool');
            lines.push(this.assign(op.target, v.code));
            break;
          }
          case 'verify': {
            const c = this.expr(op.cond, cx);
            lines.push(`if (!${c.code}) { err = ${PARSER_ERROR_CODES[op.error]}; break P; }`);
            break;
          }
        }
      }
      const t = s.transition;
      if (t.kind === 'goto') {
        lines.push(next(target(t.state)));
        return lines;
      }
      const keys = t.keys.map((k) => this.bits(k, cx));
      lines.push('{');
      keys.forEach((k, j) => lines.push(`  const s${j} = ${k.code};`));
      t.cases.forEach((c, ci) => {
        const cond = c.values.map((v, j) => keyset(v, `s${j}`, keys[j]!.width)).join(' && ') || 'true';
        lines.push(`  ${ci === 0 ? '' : 'else '}if (${cond}) ${next(target(c.next))}`);
      });
      lines.push(`  ${t.cases.length > 0 ? 'else ' : ''}{ err = 2; break P; }`, '}');
      return lines;
    };
    if (straight) {
      body.push(`let st = ${start};`);
      for (const i of order) body.push(`if (st === ${i}) { // ${states[i]!.name}`, ...indent(stateCode(i, (to) => `st = ${to};`)), '}');
    } else {
      body.push(`let st = ${start}, visits = 0;`, 'for (;;) {', '  if (st < 0) break P;', `  if (visits >= ${MAX_PARSER_STATES}) { err = 5; break P; }`, '  visits++;', '  switch (st) {');
      for (const i of order) body.push(`    case ${i}: { // ${states[i]!.name}`, ...indent(stateCode(i, (to) => `{ st = ${to}; continue; }`), '      '), '    }');
      body.push('  }', '}');
    }
    const lines = ['let off = 0, err = 0;', 'P: {'];
    if (this.needsTry) lines.push('  try {', ...indent(body, '    '), '  } catch (x) {', '    if (x instanceof Fault) err = x.code;', '    else throw x;', '  }');
    else lines.push(...indent(body));
    lines.push('}');
    return lines;
  }

  /** Extract into a header, a stack element, or a stack's next free element. */
  private extract(ref: string): string[] {
    if (this.stacks.has(ref)) {
      const slots = this.slots.get(ref)!;
      const lines: string[] = [];
      slots.forEach((slot, i) => {
        lines.push(`${i === 0 ? '' : 'else '}if (N$${ref} === ${i}) {`, ...indent(this.extractInto(slot)), `  N$${ref} = ${i + 1};`, '}');
      });
      lines.push('else { err = 3; break P; }');
      return lines;
    }
    const slot = this.slotOf(ref);
    if (!slot) throw new Unsupported(`extract into unknown header ${ref}`);
    return ['{', ...indent(this.extractInto(slot)), '}'];
  }

  /** All or nothing: every check first, then the fields, validity and the new offset. */
  private extractInto(slot: Slot): string[] {
    const { layout } = slot;
    const F = layout.fixedBytes;
    const lines = [`if (off + ${F} > len) { err = 1; break P; }`];
    const v = layout.varbit;
    if (v) {
      const lf = layout.fields.find((f) => f.name === v.lengthField);
      if (!lf) throw new Unsupported(`varbit length field ${v.lengthField} not found`);
      const raw = readField('off', lf.bit, lf.width);
      const value = lf.width > NUM_MAX_WIDTH ? `Number(${raw})` : raw;
      lines.push(
        `const sz = ${value} * ${v.multiplier} + ${v.offset};`,
        'if (sz < 0 || sz % 8 !== 0) { err = 6; break P; }',
        `if (sz > ${v.maxWidth}) { err = 4; break P; }`,
        `if (off + ${F} + sz / 8 > len) { err = 1; break P; }`,
      );
    }
    for (const f of layout.fields) if (this.needed(slot, f.name)) lines.push(`${this.fieldLocal(slot, f.name)} = ${readField('off', f.bit, f.width)};`);
    if (v) {
      const big = `readBig(d, off + ${F}, 0, sz)`;
      if (this.needed(slot, v.name)) lines.push(`${this.fieldLocal(slot, v.name)} = sz === 0 ? ${v.maxWidth > NUM_MAX_WIDTH ? '0n' : '0'} : ${v.maxWidth > NUM_MAX_WIDTH ? big : `Number(${big})`};`);
      lines.push(`B$${slot.prefix} = sz;`);
    }
    if (this.clean(slot)) lines.push(`O$${slot.prefix} = off;`);
    lines.push(`V$${slot.prefix} = true;`, v ? `off += ${F} + sz / 8;` : `off += ${F};`);
    return lines;
  }

  // ------------------------------------------------------------ control

  private control(): string[] {
    const nodes = topologicalOrder(this.program.control);
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const to = (id: string | null): number => (id === null ? -1 : (index.get(id) ?? -1));
    const lines = [`let at = ${to(this.program.control.entry)};`];
    nodes.forEach((n, i) => {
      lines.push(`if (at === ${i}) { // ${n.kind === 'branch' ? 'branch' : 'stage'} ${n.id}`, ...indent(this.node(n, to)), '}');
    });
    return lines;
  }

  private node(n: ControlNode, to: (id: string | null) => number): string[] {
    const before = this.hooks?.node(n.id) ?? [];
    if (n.kind === 'branch') {
      const c = this.expr(n.cond, { inParser: false });
      return [...before, `at = ${c.code} ? ${to(n.then)} : ${to(n.else)};`];
    }
    const si = this.stageIndex.get(n.stage);
    if (si === undefined) throw new Unsupported(`unknown stage ${n.stage}`);
    const stage = this.program.stages[si]!;
    const plan = this.plans[si]!;
    const lines: string[] = [...before];
    if (plan.kind === 'keyless') lines.push('const e = null;');
    else {
      const keys = stage.keys.map((k) => this.readRef(k.field).code);
      lines.push(`const e = L${si}(T${si}, ${keys.join(', ')});`);
    }
    const unit = stage.directCounter;
    const counted: string[] = [];
    if (unit !== undefined && unit !== 'bytes') counted.push('e.se.packets += 1n;');
    if (unit !== undefined && unit !== 'packets') counted.push('e.se.bytes += BigInt(S$packetLength);');
    lines.push(
      'let A, ag;',
      `if (e !== null) { TS${si}.hits++; A = e.a; ag = e.args;${counted.length > 0 ? ` ${counted.join(' ')}` : ''} }`,
      `else { TS${si}.misses++; A = T${si}.defA; ag = T${si}.defArgs; }`,
      'switch (A) {',
    );
    stage.actions.forEach((action, ai) => {
      const params = new Map(action.params.map((p, j) => [p.name, { index: j, width: p.width }]));
      const body = [...action.body.flatMap((p) => this.primitive(p, { inParser: false, params }, stage)), ...(this.hooks?.action(n.id, ai) ?? [])];
      lines.push(`  case ${ai}: { // ${action.name}`, ...indent(body, '    '), '    break;', '  }');
    });
    lines.push('}');
    const next = n.next;
    if (next.kind === 'always') lines.push(`at = ${to(next.to)};`);
    else if (next.kind === 'hitMiss') lines.push(`at = e !== null ? ${to(next.hit)} : ${to(next.miss)};`);
    else {
      // the reference: cases.find(action)?.to ?? default, so a case going to null takes the default
      lines.push('switch (A) {');
      for (const c of next.cases) {
        const ai = stage.actions.findIndex((a) => a.name === c.action);
        if (ai < 0) continue;
        if (next.cases.findIndex((x) => x.action === c.action) !== next.cases.indexOf(c)) continue;
        lines.push(`  case ${ai}: at = ${to(c.to ?? next.default)}; break;`);
      }
      lines.push(`  default: at = ${to(next.default)};`, '}');
    }
    return lines;
  }

  // ------------------------------------------------------------ primitives

  private primitive(p: Primitive, cx: Cx, stage: Stage): string[] {
    switch (p.kind) {
      case 'assign': {
        const v = this.bits(p.value, cx);
        return [this.assign(p.target, v.code)];
      }
      case 'maskedAssign': {
        const w = this.widthOf(p.target);
        const t = this.readRef(p.target).code;
        const v = this.bits(p.value, cx).code;
        const m = BigInt(p.mask);
        const keep = ~m & ones(w);
        if (w <= 32) return [this.assign(p.target, `(((${t} & ${Number(keep)}) | (${v} & ${Number(m)})) >>> 0)`)];
        if (w <= NUM_MAX_WIDTH) return [this.assign(p.target, `or52(and52(${t}, ${Number(keep)}), and52(${v}, ${Number(m & ones(w))}))`)];
        return [this.assign(p.target, `((${t} & ${lit(keep, w)}) | (${v} & 0x${m.toString(16)}n))`)];
      }
      case 'setValid':
      case 'setInvalid': {
        const slot = this.slotOf(p.header);
        return slot ? [`V$${slot.prefix} = ${p.kind === 'setValid'};`] : [];
      }
      case 'copyHeader': {
        const dst = this.slotOf(p.dst);
        const src = this.slotOf(p.src);
        if (!dst || !src || dst === src) return [];
        return this.copySlot(dst, src);
      }
      case 'pushFront':
      case 'popFront': {
        const slots = this.slots.get(p.header);
        if (!slots || !this.stacks.has(p.header)) throw new Unsupported(`${p.kind} on ${p.header}, which is not a stack`);
        const n = p.count;
        const size = slots.length;
        const lines: string[] = [];
        const order = p.kind === 'pushFront' ? [...slots.keys()].reverse() : [...slots.keys()];
        for (const i of order) {
          const from = p.kind === 'pushFront' ? i - n : i + n;
          const src = slots[from];
          lines.push(...(src ? this.copySlot(slots[i]!, src) : this.clearSlot(slots[i]!)));
        }
        lines.push(p.kind === 'pushFront' ? `N$${p.header} = Math.min(${size}, N$${p.header} + ${n});` : `N$${p.header} = Math.max(0, N$${p.header} - ${n});`);
        return lines;
      }
      case 'drop':
        return [`S$egressPort = ${DROP_PORT};`, 'S$mcastGroup = 0;'];
      case 'setEgress':
        return [`S$egressPort = ${this.bits(p.port, cx).code};`];
      case 'multicast':
        return [`S$mcastGroup = ${this.bits(p.group, cx).code};`];
      case 'clone': {
        const s = this.bits(p.session, cx);
        return [`R.cs = ${s.rep === 'big' ? `Number(${s.code})` : s.code};`, `R.cm = ${p.mode === 'ingress' ? 0 : 1};`, 'R.cl = true;'];
      }
      case 'resubmit':
        return ['R.rs = true;'];
      case 'recirculate':
        return ['R.rc = true;'];
      case 'digest': {
        const di = this.program.digests.findIndex((d) => d.name === p.digest);
        if (di < 0) throw new Unsupported(`unknown digest ${p.digest}`);
        const values = p.values.map((v) => this.bits(v, cx).code);
        return [`E.digest(${di}, [${values.join(', ')}], ${TIMESTAMP});`];
      }
      case 'registerRead': {
        const ri = this.program.registers.findIndex((r) => r.name === p.register);
        if (ri < 0) throw new Unsupported(`unknown register ${p.register}`);
        const i = this.bits(p.index, cx);
        const tw = this.widthOf(p.target);
        const cell = i.rep === 'big' ? `G${ri}[Number(i)]` : `G${ri}[i]`;
        const value = tw <= NUM_MAX_WIDTH ? `(i < G${ri}.length ? Number(${cell}) : 0)` : `(i < G${ri}.length ? ${cell} : 0n)`;
        return [`{ const i = ${i.code}; ${this.assign(p.target, value)} }`];
      }
      case 'registerWrite': {
        const ri = this.program.registers.findIndex((r) => r.name === p.register);
        if (ri < 0) throw new Unsupported(`unknown register ${p.register}`);
        const reg = this.program.registers[ri]!;
        const i = this.bits(p.index, cx);
        const v = this.bits(p.value, cx);
        const cell = i.rep === 'big' ? `G${ri}[Number(i)]` : `G${ri}[i]`;
        return [`{ const i = ${i.code}; if (i < G${ri}.length) ${cell} = BigInt.asUintN(${reg.width}, ${toBig(v)}); }`];
      }
      case 'count': {
        const ci = this.program.counters.findIndex((c) => c.name === p.counter);
        if (ci < 0) throw new Unsupported(`unknown counter ${p.counter}`);
        const unit = this.program.counters[ci]!.unit;
        const i = this.bits(p.index, cx);
        const at = i.rep === 'big' ? 'Number(i)' : 'i';
        const parts: string[] = [];
        if (unit !== 'bytes') parts.push(`C${ci}p[${at}] += 1n;`);
        if (unit !== 'packets') parts.push(`C${ci}b[${at}] += BigInt(S$packetLength);`);
        return [`{ const i = ${i.code}; if (i < C${ci}p.length) { ${parts.join(' ')} } }`];
      }
      case 'meterExecute': {
        const mi = this.program.meters.findIndex((m) => m.name === p.meter);
        if (mi < 0) throw new Unsupported(`unknown meter ${p.meter}`);
        const unit = this.program.meters[mi]!.unit;
        const i = this.bits(p.index, cx);
        const at = i.rep === 'big' ? 'Number(i)' : 'i';
        const colour = `meterColour(i < Q${mi}.length ? Q${mi}[${at}] : null, ${TIMESTAMP}, S$packetLength, '${unit}')`;
        return [`{ const i = ${i.code}; ${this.assign(p.target, this.colour(colour, this.widthOf(p.target)))} }`];
      }
      case 'directMeterRead': {
        const unit = stage.directMeter ?? 'bytes';
        const colour = `meterColour(e !== null ? e.se.meter : undefined, ${TIMESTAMP}, S$packetLength, '${unit}')`;
        return [this.assign(p.target, this.colour(colour, this.widthOf(p.target)))];
      }
      case 'hash':
        return this.hash(p, cx);
      case 'checksumVerify': {
        const c = this.readRef(p.checksum).code;
        return ['{', ...indent(this.checksumSum(p.inputs, cx, p.payload)), `  if (csumFinish(sum) !== ${c}) S$checksumError = 1;`, '}'];
      }
      case 'checksumUpdate':
        return ['{', ...indent(this.checksumSum(p.inputs, cx, p.payload)), `  ${this.assign(p.target, 'csumFinish(sum)')}`, '}'];
      case 'checksumIncremental': {
        const old = this.readRef(p.target).code;
        return [
          '{',
          ...indent(this.writeInputs('W1', p.removed, cx, false)),
          ...indent(this.writeInputs('W2', p.added, cx, false)),
          `  ${this.assign(p.target, `csumIncremental(${old}, W1, W2)`)}`,
          '}',
        ];
      }
    }
  }

  /** A meter colour (0..2) as a value of the target's width (it always fits: targets have at least 2 bits). */
  private colour(code: string, width: number): string {
    return width <= NUM_MAX_WIDTH ? code : `BigInt(${code})`;
  }

  private copySlot(dst: Slot, src: Slot): string[] {
    const lines = [`V$${dst.prefix} = V$${src.prefix};`];
    for (const f of dst.layout.fields) lines.push(`${this.fieldLocal(dst, f.name)} = ${this.fieldLocal(src, f.name)};`);
    const v = dst.layout.varbit;
    if (v) lines.push(`${this.fieldLocal(dst, v.name)} = ${this.fieldLocal(src, v.name)};`, `B$${dst.prefix} = B$${src.prefix};`);
    return lines;
  }

  private clearSlot(slot: Slot): string[] {
    const lines = [`V$${slot.prefix} = false;`];
    for (const f of slot.layout.fields) lines.push(`${this.fieldLocal(slot, f.name)} = ${f.width > NUM_MAX_WIDTH ? '0n' : '0'};`);
    const v = slot.layout.varbit;
    if (v) lines.push(`${this.fieldLocal(slot, v.name)} = ${v.maxWidth > NUM_MAX_WIDTH ? '0n' : '0'};`, `B$${slot.prefix} = 0;`);
    return lines;
  }

  /** Serialise checksum inputs into a writer: a varbit field contributes its actual size (reference inputBytes). */
  private writeInputs(w: string, inputs: readonly Expr[], cx: Cx, payload: boolean): string[] {
    const lines = [`${w}.reset();`];
    for (const e of inputs) {
      if (e.kind === 'field') {
        const f = this.resolve(e.ref);
        if (f.varbit) {
          if (f.index === 'last') throw new Unsupported('a varbit .last checksum input');
          const slots = this.slots.get(f.header!)!;
          const slot = f.index === undefined ? slots[0]! : slots[f.index]!;
          const local = this.fieldLocal(slot, f.field);
          lines.push(`if (B$${slot.prefix} > 0) ${w}.${f.width > NUM_MAX_WIDTH ? 'big' : 'num'}(${local}, B$${slot.prefix});`);
          continue;
        }
      }
      const v = this.expr(e, cx);
      if (v.rep === 'bool') continue; // a bool is carried with width 0: no bits
      lines.push(`${w}.${v.rep === 'big' ? 'big' : 'num'}(${v.code}, ${v.width});`);
    }
    if (payload) lines.push(`${w}.bytes(d, PAY, len);`);
    return lines;
  }

  /**
   * `let sum = …`: the sum of the 16-bit words of the checksum's inputs.
   * The inputs up to the first varbit or wide one lie at bit offsets known
   * here, so their words are computed from the values directly; the rest
   * (from a 16-bit boundary, so the sums add up) goes through the bit
   * writer, and a payload right after the fixed part is summed in place.
   */
  private checksumSum(inputs: readonly Expr[], cx: Cx, payload: boolean): string[] {
    const fixed: { index: number; value: CE; width: number; at: number }[] = [];
    let bit = 0;
    let i = 0;
    for (; i < inputs.length; i++) {
      const e = inputs[i]!;
      if (e.kind === 'field' && this.resolve(e.ref).varbit) break;
      const v = this.expr(e, cx);
      if (v.rep === 'big') break;
      if (v.rep === 'bool') continue; // a bool is carried with width 0: no bits
      fixed.push({ index: i, value: v, width: v.width, at: bit });
      bit += v.width;
    }
    // keep the fixed part to whole words; the inputs after it go to the writer
    while (bit % 16 !== 0) {
      const last = fixed.pop()!;
      bit = last.at;
      i = last.index;
    }
    const lines: string[] = [];
    const names = fixed.map((f, k) => {
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(f.value.code)) return f.value.code;
      lines.push(`const c${k} = ${f.value.code};`);
      return `c${k}`;
    });
    const words: string[] = [];
    for (let j = 0; j * 16 < bit; j++) {
      const parts: string[] = [];
      fixed.forEach((f, k) => {
        const a = f.at;
        const b = f.at + f.width;
        const s0 = Math.max(a, j * 16);
        const e0 = Math.min(b, j * 16 + 16);
        if (s0 >= e0) return;
        const right = b - e0;
        const left = j * 16 + 16 - e0;
        const v = names[k]!;
        const shifted = right === 0 ? v : f.width <= 32 ? `(${v} >>> ${right})` : `(${v} / ${P2(right)})`;
        const masked = `(${shifted} & ${P2(e0 - s0) - 1})`;
        parts.push(left > 0 ? `(${masked} << ${left})` : masked);
      });
      if (parts.length > 0) words.push(parts.length === 1 ? parts[0]! : `(${parts.join(' | ')})`);
    }
    lines.push(`let sum = ${words.join(' + ') || '0'};`);
    const rest = inputs.slice(i);
    if (rest.length === 0) {
      if (payload) lines.push('sum += sumBytes(d, PAY, len);');
      return lines;
    }
    lines.push(...this.writeInputs('W1', rest, cx, payload), 'sum += csumWords(W1);');
    return lines;
  }

  /** v1model hash: (hash(inputs) % max) + base in 64 bits, truncated to the target (runtime v1modelHash). */
  private hash(p: Extract<Primitive, { kind: 'hash' }>, cx: Cx): string[] {
    const width = this.widthOf(p.target);
    const lines = ['{', `  W1.reset();`];
    for (const e of p.inputs) {
      const v = this.expr(e, cx);
      if (v.rep === 'bool') continue;
      lines.push(`  W1.${v.rep === 'big' ? 'big' : 'num'}(${v.code}, ${v.width});`);
    }
    const base = BigInt.asUintN(64, BigInt(p.base));
    let max = BigInt.asUintN(64, BigInt(p.max));
    if (max === 0n) max = 1n;
    const fitsNumbers = p.algorithm !== 'identity' && base + max <= 2n ** 52n;
    if (fitsNumbers) {
      // the raw hash is below 2^32, so (h % max) + base is exact in doubles and below 2^64
      let value = `(h % ${max} + ${base})`;
      if (base + max - 1n > ones(Math.min(width, 64))) value = width <= NUM_MAX_WIDTH ? `(${value} % ${P2(width)})` : value;
      if (width > NUM_MAX_WIDTH) value = `BigInt(${value})`;
      lines.push(`  const h = hashNum('${p.algorithm}', W1);`, `  ${this.assign(p.target, value)}`);
    } else {
      const value = `hashResult(hashBig('${p.algorithm}', W1), ${base}n, ${max}n, ${width})`;
      lines.push(`  ${this.assign(p.target, width <= NUM_MAX_WIDTH ? `Number(${value})` : value)}`);
    }
    lines.push('}');
    return lines;
  }

  // ------------------------------------------------------------ deparser

  private deparser(): string[] {
    const emitted: Slot[] = [];
    for (const name of this.program.deparser) {
      const slots = this.slots.get(name);
      if (!slots) throw new Unsupported(`deparser names unknown header ${name}`);
      emitted.push(...slots);
    }
    const size = (s: Slot): string => (s.layout.varbit ? `${s.layout.fixedBytes} + (B$${s.prefix} >>> 3)` : `${s.layout.fixedBytes}`);
    /** Write a valid header at p (and move p past it); `skipClean`: not when it is already there. */
    const write = (s: Slot, skipClean: boolean): string[] => {
      const body = writeFixed(s.layout, (f) => this.fieldLocal(s, f));
      const v = s.layout.varbit;
      if (v) {
        const local = this.fieldLocal(s, v.name);
        const wr = v.maxWidth > NUM_MAX_WIDTH ? `writeBig(o, p + ${s.layout.fixedBytes}, 0, ${local}, B$${s.prefix});` : `writeNumBytes(o, p + ${s.layout.fixedBytes}, ${local}, B$${s.prefix} >>> 3);`;
        body.push(`if (B$${s.prefix} > 0) ${wr}`);
      }
      if (!this.clean(s)) return [`if (V$${s.prefix}) {`, ...indent(body), `  p += ${size(s)};`, '}'];
      // a header nothing writes holds what was extracted from O$ (or zeros if it never was): copy it
      const copy = `copyBytes(o, p, d, O$${s.prefix}, O$${s.prefix} + ${size(s)});`;
      const moved = skipClean
        ? [`if (O$${s.prefix} !== p) {`, `  if (O$${s.prefix} >= 0) ${copy}`, `  else o.fill(0, p, p + ${size(s)});`, '}']
        : [`if (O$${s.prefix} >= 0) ${copy}`];
      return [`if (V$${s.prefix}) {`, ...indent(moved), `  p += ${size(s)};`, '}'];
    };
    const lines = ['let n = len - PAY;'];
    for (const s of emitted) lines.push(`if (V$${s.prefix}) n += ${size(s)};`);
    lines.push('let o, p = 0;');
    if (emitted.every((s) => this.clean(s))) {
      // nothing writes a header: if each valid one is emitted where it was parsed, the output is the input, unchanged —
      // forwarded without a copy (targets never write into a packet's bytes)
      const inPlace = emitted.flatMap((s) => [`if (V$${s.prefix}) {`, `  if (O$${s.prefix} !== p) moved = true;`, `  p += ${size(s)};`, '}']);
      lines.push('if (n === len) {', '  let moved = false;', ...indent(inPlace), '  if (!moved) return d;', '  p = 0;', '}');
    }
    lines.push(
      'if (n === len) {',
      '  // the headers take the bytes they were parsed from: start from a copy of the input (payload included)',
      '  o = copyOut(d);',
      ...indent(emitted.flatMap((s) => write(s, true))),
      '} else {',
      '  o = allocOut(n);',
      ...indent(emitted.flatMap((s) => write(s, false))),
      '  copyBytes(o, p, d, PAY, len);',
      '}',
    );
    return lines;
  }

  // ------------------------------------------------------------ the whole step

  generate(when: Expr | undefined): GeneratedStep {
    this.when = when;
    const p = this.program;
    const state: string[] = [
      'const len = d.length;',
      'let S$ingressPort = S[0], S$egressPort = S[1], S$packetLength = S[2], S$parserError = 0, S$checksumError = 0;',
      'let S$mcastGroup = S[5], S$instanceType = S[6], S$priority = S[8];',
    ];
    for (const [name, slots] of this.slots) {
      for (const s of slots) {
        const decl = [`V$${s.prefix} = false`, ...s.layout.fields.map((f) => `${this.fieldLocal(s, f.name)} = ${f.width > NUM_MAX_WIDTH ? '0n' : '0'}`)];
        const v = s.layout.varbit;
        if (v) decl.push(`${this.fieldLocal(s, v.name)} = ${v.maxWidth > NUM_MAX_WIDTH ? '0n' : '0'}`, `B$${s.prefix} = 0`);
        if (this.clean(s)) decl.push(`O$${s.prefix} = -1`);
        state.push(`let ${decl.join(', ')};`);
      }
      if (this.stacks.has(name)) state.push(`let N$${name} = 0;`);
    }
    for (const m of p.metadata) state.push(`let M$${m.name} = ${m.width > NUM_MAX_WIDTH ? '0n' : '0'};`);
    const parser = this.parser();
    const whenLines: string[] = [];
    if (when) {
      const c = this.expr(when, { inParser: false });
      whenLines.push(`if (!${c.code}) return undefined;`);
    }
    const control = this.control();
    const deparser = this.deparser();
    const body = [
      ...state,
      '// parser',
      ...parser,
      'S$parserError = err;',
      'const PAY = off;',
      ...(whenLines.length > 0 ? ['// the policy step runs the program only when this holds', ...whenLines] : []),
      '// control',
      ...control,
      'S[1] = S$egressPort; S[5] = S$mcastGroup; S[8] = S$priority;',
      '// deparser',
      ...deparser,
      'return o;',
    ];
    // once per source: the helpers, scratch buffers and the table lookups, which take their table as an
    // argument, so every binding calls the same function objects (call sites stay monomorphic, lookups inline)
    const shared = [
      `// ${this.hooks?.title ?? p.name}: generated by the compiled target`,
      '"use strict";',
      'const { fault, and52, or52, xor52, mulN, shl32, shr32, shlN, shrN, shlB, shrB, addSatB, subSatB, readBig, writeBig, writeNumBytes, copyBytes, allocOut, copyOut, BitBuf, csum, csumWords, csumFinish, sumBytes, csumIncremental, hashNum, hashBig, hashResult, meterColour, timestampOf, Fault } = H;',
      'const W1 = new BitBuf(), W2 = new BitBuf();',
    ];
    // once per binding: the state it is bound to
    const bound: string[] = [];
    p.stages.forEach((s, i) => {
      bound.push(`const TS${i} = E.tables[${i}], T${i} = E.ctables[${i}]; // stage ${s.name} (${this.plans[i]!.kind})`);
      if (this.plans[i]!.kind !== 'keyless') shared.push(lookupSource(`L${i}`, this.plans[i]!));
    });
    p.registers.forEach((r, i) => bound.push(`const G${i} = E.registers[${i}]; // register ${r.name}`));
    p.counters.forEach((c, i) => bound.push(`const C${i}p = E.counters[${i}].packets, C${i}b = E.counters[${i}].bytes; // counter ${c.name}`));
    p.meters.forEach((m, i) => bound.push(`const Q${i} = E.meters[${i}]; // meter ${m.name}`));
    bound.push(...(this.hooks?.prelude ?? []));
    this.constants.forEach((_, i) => bound.push(`const K${i} = E.constants[${i}];`));
    const source = [...shared, 'return function bind(E) {', ...indent([...bound, 'return function step(d, S, R) {', ...indent(body), '};']), '};', ''].join('\n');
    return { source, plans: this.plans, constants: this.constants };
  }
}

/** Whether a select key matches one keyset value (reference keysetMatches). */
function keyset(v: KeysetValue, key: string, width: number): string {
  switch (v.kind) {
    case 'default':
      return 'true';
    case 'exact':
      return `${key} === ${lit(BigInt(v.value), width)}`;
    case 'range':
      return `(${lit(BigInt(v.low), width)} <= ${key} && ${key} <= ${lit(BigInt(v.high), width)})`;
    case 'mask': {
      const m = BigInt(v.mask);
      const want = BigInt(v.value) & m;
      // the mask may be wider than the key in principle; the reference ANDs the full values
      if (width > NUM_MAX_WIDTH || m > ones(width)) {
        const k = width > NUM_MAX_WIDTH ? key : `BigInt(${key})`;
        return `(${k} & 0x${m.toString(16)}n) === 0x${want.toString(16)}n`;
      }
      if (width <= 32) return `((${key} & ${Number(m)}) >>> 0) === ${Number(want)}`;
      return `and52(${key}, ${Number(m)}) === ${Number(want)}`;
    }
  }
}
