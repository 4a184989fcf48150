import * as t from 'io-ts';
import { byKind, Ident, intIn, literalUnion, node } from './codec-kit.js';
import { Expr, FieldRef, Hex, HeaderRef, MAX_WIDTH } from './expr.js';

/** P4_16 core parser errors, in the order of `error { … }` in core.p4 (their numeric codes). */
export const PARSER_ERRORS = [
  'NoError',
  'PacketTooShort',
  'NoMatch',
  'StackOutOfBounds',
  'HeaderTooShort',
  'ParserTimeout',
  'ParserInvalidArgument',
] as const;
export type ParserErrorName = (typeof PARSER_ERRORS)[number];
export const ParserErrorName = literalUnion('ParserError', PARSER_ERRORS);

export const ParserOp = byKind('ParserOp', {
  /** Extract the next header; on a stack, into its next free element. */
  extract: node('extract', { kind: t.literal('extract'), header: HeaderRef }),
  /** Skip bits without extracting them. */
  advance: node('advance', { kind: t.literal('advance'), bits: intIn('Bits', 1, MAX_WIDTH * 64) }),
  /** Assign a metadata field while parsing. */
  set: node('set', { kind: t.literal('set'), target: FieldRef, value: Expr }),
  /** Fail with `error` unless `cond` holds (P4 `verify`). */
  verify: node('verify', { kind: t.literal('verify'), cond: Expr, error: ParserErrorName }),
});
export type ParserOp = t.TypeOf<typeof ParserOp>;

export const KeysetValue = byKind('KeysetValue', {
  exact: node('exact', { kind: t.literal('exact'), value: Hex }),
  mask: node('mask', { kind: t.literal('mask'), value: Hex, mask: Hex }),
  range: node('range', { kind: t.literal('range'), low: Hex, high: Hex }),
  default: node('default', { kind: t.literal('default') }),
});
export type KeysetValue = t.TypeOf<typeof KeysetValue>;

/** `accept`, `reject` or a state name. */
export const StateTarget = Ident;

export const SelectCase = node('selectCase', {
  kind: t.literal('selectCase'),
  values: t.readonlyArray(KeysetValue),
  next: StateTarget,
});
export type SelectCase = t.TypeOf<typeof SelectCase>;

export const Transition = byKind('Transition', {
  goto: node('goto', { kind: t.literal('goto'), state: StateTarget }),
  /** Cases are tried in order; none matching is the `NoMatch` parser error. */
  select: node('select', { kind: t.literal('select'), keys: t.readonlyArray(Expr), cases: t.readonlyArray(SelectCase) }),
});
export type Transition = t.TypeOf<typeof Transition>;

export const ParserState = node('parserState', {
  kind: t.literal('parserState'),
  name: Ident,
  ops: t.readonlyArray(ParserOp),
  transition: Transition,
});
export type ParserState = t.TypeOf<typeof ParserState>;

export const Parser = node('parser', {
  kind: t.literal('parser'),
  start: Ident,
  states: t.readonlyArray(ParserState),
});
export type Parser = t.TypeOf<typeof Parser>;
