/**
 * Expressions: the one recursive part of the IR, so its type is written out
 * and the codec is checked against it.
 */
import * as t from 'io-ts';
import { byKind, Ident, intIn, literalUnion, node, pattern } from './codec-kit.js';

export const MAX_WIDTH = 2048;
export const Width = intIn('Width', 1, MAX_WIDTH);
/** Unsigned values are written as lower-case hex strings without leading zeros: "0x0", "0x800". */
export const Hex = pattern('Hex', /^0x(0|[1-9a-f][0-9a-f]*)$/, 'a canonical hex string such as "0x0" or "0x800" (lower case, no leading zeros)');
/** A field reference: `ipv4.ttl`, `vlan[0].vid`, `vlan.last.etherType` (parser only), `meta.x`, `standard.egressPort`. */
export const FieldRef = pattern('FieldRef', /^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\]|\.last)?\.[A-Za-z_][A-Za-z0-9_]*$/, 'a field reference such as "ipv4.ttl", "vlan[0].vid" or "meta.port"');
/** A header reference: `ipv4` or a stack element `vlan[1]`. */
export const HeaderRef = pattern('HeaderRef', /^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?$/, 'a header reference such as "ipv4" or "vlan[0]"');

export const UNARY_OPS = ['~', '-', '!'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
export const ARITH_OPS = ['+', '-', '*', '|+|', '|-|', '&', '|', '^'] as const;
export const SHIFT_OPS = ['<<', '>>'] as const;
export const COMPARE_OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
export const LOGIC_OPS = ['&&', '||'] as const;
export const BINARY_OPS = [...ARITH_OPS, ...SHIFT_OPS, '++', ...COMPARE_OPS, ...LOGIC_OPS] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type Expr =
  | { readonly kind: 'const'; readonly width: number; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'field'; readonly ref: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'lookahead'; readonly width: number }
  | { readonly kind: 'isValid'; readonly header: string }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'slice'; readonly arg: Expr; readonly hi: number; readonly lo: number }
  | { readonly kind: 'cast'; readonly arg: Expr; readonly width: number }
  | { readonly kind: 'mux'; readonly cond: Expr; readonly then: Expr; readonly else: Expr };

export const Expr: t.Type<Expr, unknown, unknown> = t.recursion('Expr', () =>
  byKind('Expr', {
    const: node('const', { kind: t.literal('const'), width: Width, value: Hex }),
    bool: node('bool', { kind: t.literal('bool'), value: t.boolean }),
    field: node('field', { kind: t.literal('field'), ref: FieldRef }),
    param: node('param', { kind: t.literal('param'), name: Ident }),
    lookahead: node('lookahead', { kind: t.literal('lookahead'), width: Width }),
    isValid: node('isValid', { kind: t.literal('isValid'), header: HeaderRef }),
    unary: node('unary', { kind: t.literal('unary'), op: literalUnion('UnaryOp', UNARY_OPS), arg: Expr }),
    binary: node('binary', {
      kind: t.literal('binary'),
      op: literalUnion('BinaryOp', BINARY_OPS),
      left: Expr,
      right: Expr,
    }),
    slice: node('slice', { kind: t.literal('slice'), arg: Expr, hi: intIn('Bit', 0, MAX_WIDTH - 1), lo: intIn('Bit', 0, MAX_WIDTH - 1) }),
    cast: node('cast', { kind: t.literal('cast'), arg: Expr, width: Width }),
    mux: node('mux', { kind: t.literal('mux'), cond: Expr, then: Expr, else: Expr }),
  }) as t.Type<Expr, unknown, unknown>,
);
