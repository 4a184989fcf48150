/**
 * Typed expressions. A `BitExpr<W>` carries its width in its type, so
 * `ipv4.srcAddr = ethernet.dstAddr` fails to compile; plain numbers, bigints
 * and address strings take the width of the other operand, as P4 integer
 * literals do. Widths the compiler cannot track (slices, concatenations) are
 * `Dyn` and checked when the IR is built.
 */
import type { Expr as IrExpr, BinaryOp } from '../ir/expr.js';
import { MpvisorError, type FaultLocation } from '../errors.js';
import { parseValue, toHex, type ValueInput } from '../values/value.js';
import type { Scope } from '../validate/scope.js';
import type { FieldPath, HeaderRef, Schema, WidthAt } from './schema.js';

declare const dyn: unique symbol;
/** A width the compiler does not know (slices, concatenations); checked at build time. */
export type Dyn = number & { readonly [dyn]: true };

export type Literal = ValueInput;
/** What may stand beside a `bit<W>`: another `bit<W>`, an expression of unknown width, or a literal. */
export type Operand<W extends number> = Literal | (Dyn extends W ? AnyBitExpr : BitExpr<W> | BitExpr<Dyn>);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBitExpr = BitExpr<any>;

export class BitExpr<W extends number> {
  /** Phantom: the width as the compiler sees it. */
  declare readonly __width?: W;
  constructor(
    readonly node: IrExpr,
    /** The width at run time (always known). */
    readonly width: number,
  ) {}

  private bin(op: BinaryOp, o: Operand<W>): BitExpr<W> {
    return new BitExpr<W>({ kind: 'binary', op, left: this.node, right: operandNode(o, this.width) }, this.width);
  }
  private cmp(op: BinaryOp, o: Operand<W>): BoolExpr {
    return new BoolExpr({ kind: 'binary', op, left: this.node, right: operandNode(o, this.width) });
  }

  /** Wrapping addition (mod 2^W). */
  add(o: Operand<W>): BitExpr<W> { return this.bin('+', o); }
  /** Wrapping subtraction (mod 2^W). */
  sub(o: Operand<W>): BitExpr<W> { return this.bin('-', o); }
  mul(o: Operand<W>): BitExpr<W> { return this.bin('*', o); }
  /** Saturating addition `|+|`. */
  addSat(o: Operand<W>): BitExpr<W> { return this.bin('|+|', o); }
  /** Saturating subtraction `|-|`. */
  subSat(o: Operand<W>): BitExpr<W> { return this.bin('|-|', o); }
  and(o: Operand<W>): BitExpr<W> { return this.bin('&', o); }
  or(o: Operand<W>): BitExpr<W> { return this.bin('|', o); }
  xor(o: Operand<W>): BitExpr<W> { return this.bin('^', o); }
  shl(o: Literal | AnyBitExpr): BitExpr<W> { return this.shift('<<', o); }
  shr(o: Literal | AnyBitExpr): BitExpr<W> { return this.shift('>>', o); }
  private shift(op: BinaryOp, o: Literal | AnyBitExpr): BitExpr<W> {
    const right = o instanceof BitExpr ? o.node : literalNode(o, 32);
    return new BitExpr<W>({ kind: 'binary', op, left: this.node, right }, this.width);
  }
  /** Bitwise complement `~`. */
  not(): BitExpr<W> { return new BitExpr<W>({ kind: 'unary', op: '~', arg: this.node }, this.width); }
  /** Two's complement negation (mod 2^W). */
  neg(): BitExpr<W> { return new BitExpr<W>({ kind: 'unary', op: '-', arg: this.node }, this.width); }
  /** Explicit width change: truncates or zero-extends. */
  cast<N extends number>(width: N): BitExpr<N> { return new BitExpr<N>({ kind: 'cast', arg: this.node, width }, width); }
  /** Bits hi..lo inclusive, as P4 `e[hi:lo]`. */
  slice(hi: number, lo: number): BitExpr<Dyn> { return new BitExpr<Dyn>({ kind: 'slice', arg: this.node, hi, lo }, hi - lo + 1); }
  /** Concatenation `this ++ o` (this in the high bits). */
  concat(o: AnyBitExpr): BitExpr<Dyn> {
    return new BitExpr<Dyn>({ kind: 'binary', op: '++', left: this.node, right: o.node }, this.width + o.width);
  }
  eq(o: Operand<W>): BoolExpr { return this.cmp('==', o); }
  ne(o: Operand<W>): BoolExpr { return this.cmp('!=', o); }
  lt(o: Operand<W>): BoolExpr { return this.cmp('<', o); }
  le(o: Operand<W>): BoolExpr { return this.cmp('<=', o); }
  gt(o: Operand<W>): BoolExpr { return this.cmp('>', o); }
  ge(o: Operand<W>): BoolExpr { return this.cmp('>=', o); }
}

export class BoolExpr {
  constructor(readonly node: IrExpr) {}
  and(o: BoolExpr): BoolExpr { return new BoolExpr({ kind: 'binary', op: '&&', left: this.node, right: o.node }); }
  or(o: BoolExpr): BoolExpr { return new BoolExpr({ kind: 'binary', op: '||', left: this.node, right: o.node }); }
  not(): BoolExpr { return new BoolExpr({ kind: 'unary', op: '!', arg: this.node }); }
  /** `this ? a : b` */
  select<W extends number>(a: BitExpr<W>, b: Operand<W>): BitExpr<W> {
    return new BitExpr<W>({ kind: 'mux', cond: this.node, then: a.node, else: operandNode(b, a.width) }, a.width);
  }
  /** bool as bit<W>: 1 or 0. */
  toBit<N extends number = 1>(width: N = 1 as N): BitExpr<N> {
    return new BitExpr<N>({ kind: 'cast', arg: this.node, width }, width);
  }
}

/** A literal as a `bit<width>` constant; the value is parsed now, its fit is checked at build time. */
export function literalNode(v: Literal, width: number): IrExpr {
  const parsed = parseValue(v);
  if (typeof parsed === 'string') throw new MpvisorError('INVALID_ARGUMENT', parsed);
  return { kind: 'const', width, value: toHex(parsed) };
}

export function operandNode(o: Literal | AnyBitExpr, width: number): IrExpr {
  return o instanceof BitExpr ? o.node : literalNode(o, width);
}

/** `bit<W>` constant: `constant(0x0800, 16)`. */
export function constant<W extends number>(value: Literal, width: W): BitExpr<W> {
  return new BitExpr<W>(literalNode(value, width), width);
}

export const TRUE = new BoolExpr({ kind: 'bool', value: true });
export const FALSE = new BoolExpr({ kind: 'bool', value: false });

/** Reads fields and header validity for one schema; the base of action, control and parser builders. */
export class ExprScope<S extends Schema> {
  constructor(
    /** @internal */ readonly scope: Scope,
    /** @internal */ readonly where: FaultLocation,
  ) {}

  /** A field's current value: `get('ipv4.ttl')` is a `BitExpr<8>`. */
  get<P extends FieldPath<S>>(path: P): BitExpr<WidthAt<S, P>> {
    return this.field(path) as BitExpr<WidthAt<S, P>>;
  }

  /** @internal resolve any field path (including `.last` in the parser). */
  field(path: string): AnyBitExpr {
    const f = this.scope.field(path);
    if (typeof f === 'string') throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.where, message: f }]);
    return new BitExpr({ kind: 'field', ref: path }, f.width);
  }

  isValid(header: HeaderRef<S>): BoolExpr {
    return new BoolExpr({ kind: 'isValid', header });
  }

  const<W extends number>(value: Literal, width: W): BitExpr<W> {
    return constant(value, width);
  }

  get true(): BoolExpr { return TRUE; }
  get false(): BoolExpr { return FALSE; }
}
