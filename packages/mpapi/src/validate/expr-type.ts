/**
 * Typing of expressions, after P4_16: binary operators need equal widths
 * (no implicit widening — a width change is an explicit cast), shifts take
 * any width on the right, `++` concatenates, comparisons give bool.
 */
import type { Expr } from '../ir/expr.js';
import { MAX_WIDTH } from '../ir/expr.js';
import { fits, fromHex } from '../values/value.js';
import type { Scope } from './scope.js';

export type ExprType = { readonly kind: 'bit'; readonly width: number } | { readonly kind: 'bool' };

export interface ExprContext {
  readonly scope: Scope;
  /** Action parameters in scope (inside an action body). */
  readonly params?: ReadonlyMap<string, number>;
  /** `lookahead` and `.last` are only meaningful while parsing. */
  readonly inParser?: boolean;
  /** Checksum inputs may name a varbit field. */
  readonly allowVarbit?: boolean;
}

export type Report = (message: string, path: string) => void;

export function showType(t: ExprType): string {
  return t.kind === 'bool' ? 'bool' : `bit<${t.width}>`;
}

const bit = (width: number): ExprType => ({ kind: 'bit', width });
const BOOL: ExprType = { kind: 'bool' };

/** The type of `e`, or undefined after reporting why it has none. */
export function typeOf(e: Expr, ctx: ExprContext, path: string, report: Report): ExprType | undefined {
  switch (e.kind) {
    case 'const':
      if (!fits(fromHex(e.value), e.width)) {
        report(`constant ${e.value} does not fit in bit<${e.width}>`, path);
        return undefined;
      }
      return bit(e.width);
    case 'bool':
      return BOOL;
    case 'field': {
      const f = ctx.scope.field(e.ref);
      if (typeof f === 'string') return void report(f, path);
      if (f.index === 'last' && !ctx.inParser) return void report(`"${e.ref}": ".last" is only allowed in the parser`, path);
      if (f.varbit && !ctx.allowVarbit) return void report(`"${e.ref}" is a varbit field; it can only be a checksum input`, path);
      return bit(f.width);
    }
    case 'param': {
      const w = ctx.params?.get(e.name);
      if (w === undefined) return void report(ctx.params ? `unknown action parameter "${e.name}"` : `parameter "${e.name}" used outside an action`, path);
      return bit(w);
    }
    case 'lookahead':
      if (!ctx.inParser) return void report('lookahead is only allowed in the parser', path);
      return bit(e.width);
    case 'isValid': {
      const h = ctx.scope.header(e.header);
      if (typeof h === 'string') return void report(h, path);
      return BOOL;
    }
    case 'unary': {
      const a = typeOf(e.arg, ctx, `${path}.arg`, report);
      if (!a) return undefined;
      if (e.op === '!') return a.kind === 'bool' ? BOOL : void report(`"!" needs a bool, got ${showType(a)}`, path);
      return a.kind === 'bit' ? a : void report(`"${e.op}" needs a bit<N>, got bool`, path);
    }
    case 'binary': {
      const l = typeOf(e.left, ctx, `${path}.left`, report);
      const r = typeOf(e.right, ctx, `${path}.right`, report);
      if (!l || !r) return undefined;
      return binaryType(e.op, l, r, path, report);
    }
    case 'slice': {
      const a = typeOf(e.arg, ctx, `${path}.arg`, report);
      if (!a) return undefined;
      if (a.kind !== 'bit') return void report('cannot slice a bool', path);
      if (e.hi < e.lo || e.hi >= a.width) return void report(`slice [${e.hi}:${e.lo}] is outside bit<${a.width}>`, path);
      return bit(e.hi - e.lo + 1);
    }
    case 'cast': {
      const a = typeOf(e.arg, ctx, `${path}.arg`, report);
      return a ? bit(e.width) : undefined;
    }
    case 'mux': {
      const c = typeOf(e.cond, ctx, `${path}.cond`, report);
      const t = typeOf(e.then, ctx, `${path}.then`, report);
      const f = typeOf(e.else, ctx, `${path}.else`, report);
      if (!c || !t || !f) return undefined;
      if (c.kind !== 'bool') return void report(`condition must be bool, got ${showType(c)}`, `${path}.cond`);
      if (showType(t) !== showType(f)) return void report(`branches differ: ${showType(t)} and ${showType(f)}`, path);
      return t;
    }
  }
}

function binaryType(op: string, l: ExprType, r: ExprType, path: string, report: Report): ExprType | undefined {
  switch (op) {
    case '&&':
    case '||':
      if (l.kind === 'bool' && r.kind === 'bool') return BOOL;
      return void report(`"${op}" needs bool operands, got ${showType(l)} and ${showType(r)}`, path);
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (l.kind === 'bit' && r.kind === 'bit' && l.width === r.width) return BOOL;
      if ((op === '==' || op === '!=') && l.kind === 'bool' && r.kind === 'bool') return BOOL;
      return void report(widthMismatch(op, l, r), path);
    case '<<':
    case '>>':
      if (l.kind === 'bit' && r.kind === 'bit') return l;
      return void report(`"${op}" needs bit<N> operands`, path);
    case '++': {
      if (l.kind !== 'bit' || r.kind !== 'bit') return void report('"++" needs bit<N> operands', path);
      const w = l.width + r.width;
      return w <= MAX_WIDTH ? bit(w) : void report(`concatenation is ${w} bits, more than ${MAX_WIDTH}`, path);
    }
    default:
      if (l.kind === 'bit' && r.kind === 'bit' && l.width === r.width) return l;
      return void report(widthMismatch(op, l, r), path);
  }
}

function widthMismatch(op: string, l: ExprType, r: ExprType): string {
  return `width mismatch: "${op}" between ${showType(l)} and ${showType(r)}; cast one side explicitly`;
}
