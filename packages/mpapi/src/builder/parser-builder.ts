/**
 * The parser: a state machine of named states, each extracting headers and
 * ending in accept, reject, a goto or a select. `start` is the start state.
 */
import type { KeysetValue, ParserErrorName, ParserOp, ParserState, Transition } from '../ir/parser.js';
import type { Parser } from '../ir/parser.js';
import { MpvisorError, underPath, type FaultLocation } from '../errors.js';
import type { Scope } from '../validate/scope.js';
import { parseValue, toHex, type ValueInput } from '../values/value.js';
import { BitExpr, ExprScope, operandNode, type AnyBitExpr, type BoolExpr, type Literal } from './expression.js';
import type { Assignable } from './action-builder.js';
import type { FieldPath, HeaderName, HeaderRef, LastPath, Schema, WritablePath } from './schema.js';

/** One key's value in a select case: a value, "_", { value, mask } or { low, high }. */
export type KeysetInput =
  | ValueInput
  | '_'
  | { readonly value: ValueInput; readonly mask: ValueInput }
  | { readonly low: ValueInput; readonly high: ValueInput };
/** `[value, 'next_state']`, or with several keys `[[v1, v2], 'next_state']`. */
export type SelectCaseInput = readonly [KeysetInput | readonly KeysetInput[], string];

/** The end of a state: returned by accept, reject, goto and select. */
export interface StateEnd {
  readonly __stateEnd: true;
  /** @internal */ readonly ops: readonly ParserOp[];
  /** @internal */ readonly transition: Transition;
}

export class StateBuilder<S extends Schema> extends ExprScope<S> {
  /** @internal */
  constructor(scope: Scope, where: FaultLocation, private readonly ops: readonly ParserOp[] = []) {
    super(scope, where);
  }

  private with(op: ParserOp): StateBuilder<S> {
    return new StateBuilder<S>(this.scope, this.where, [...this.ops, op]);
  }
  private end(transition: Transition): StateEnd {
    return { __stateEnd: true, ops: this.ops, transition };
  }
  /** `path` is relative to the state, e.g. `$.transition.cases[0].values`. */
  private fail(message: string, path?: string): never {
    throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.where, message, ...(path !== undefined ? { path } : {}) }]);
  }

  /** Extract the next header from the packet; a stack name extracts into its next free element. */
  extract(header: HeaderName<S> | HeaderRef<S>): StateBuilder<S> {
    return this.with({ kind: 'extract', header });
  }
  /** Skip `bits` bits (a whole number of bytes). */
  advance(bits: number): StateBuilder<S> {
    return this.with({ kind: 'advance', bits });
  }
  /** Assign a field while parsing (usually metadata). */
  set<P extends WritablePath<S>, V extends Literal | AnyBitExpr>(target: P, value: V & Assignable<S, P, V>): StateBuilder<S> {
    return this.with({ kind: 'set', target, value: operandNode(value as unknown as Literal | AnyBitExpr, this.field(target).width) });
  }
  /** Fail with `error` unless `cond` holds. */
  verify(cond: BoolExpr, error: ParserErrorName): StateBuilder<S> {
    return this.with({ kind: 'verify', cond: cond.node, error });
  }
  /** The next `width` bits of the packet, without consuming them. */
  lookahead<W extends number>(width: W): BitExpr<W> {
    return new BitExpr<W>({ kind: 'lookahead', width }, width);
  }
  /** A field of the last extracted element of a stack: `last('vlan.last.etherType')`. */
  last(path: LastPath<S>): AnyBitExpr {
    return this.field(path);
  }

  accept(): StateEnd {
    return this.end({ kind: 'goto', state: 'accept' });
  }
  /** Reject the packet (v1model: it continues with its parser error set, see docs/semantics.md). */
  reject(): StateEnd {
    return this.end({ kind: 'goto', state: 'reject' });
  }
  goto(state: string): StateEnd {
    return this.end({ kind: 'goto', state });
  }
  /**
   * Branch on one or more keys; cases are tried in order. `otherwise` adds a
   * default case; without one, no match is the NoMatch parser error.
   */
  select(keys: readonly (FieldPath<S> | AnyBitExpr)[], cases: readonly SelectCaseInput[], otherwise?: string): StateEnd {
    const keyExprs = keys.map((k) => (typeof k === 'string' ? this.field(k) : k));
    const irCases = cases.map(([values, next], i) => {
      const list = keyExprs.length === 1 && !Array.isArray(values) ? [values as KeysetInput] : (values as readonly KeysetInput[]);
      if (!Array.isArray(list) || list.length !== keyExprs.length) {
        this.fail(`select case ${i} has ${Array.isArray(list) ? list.length : 1} values for ${keyExprs.length} keys`, `$.transition.cases[${i}].values`);
      }
      return { kind: 'selectCase' as const, values: list.map((v, k) => this.keyset(v, `$.transition.cases[${i}].values[${k}]`)), next };
    });
    if (otherwise !== undefined) irCases.push({ kind: 'selectCase', values: keyExprs.map(() => ({ kind: 'default' as const })), next: otherwise });
    return this.end({ kind: 'select', keys: keyExprs.map((k) => k.node), cases: irCases });
  }

  private keyset(v: KeysetInput, path: string): KeysetValue {
    const hex = (x: ValueInput): string => {
      const p = parseValue(x);
      return typeof p === 'string' ? this.fail(`select value: ${p}`, path) : toHex(p);
    };
    if (v === '_') return { kind: 'default' };
    if (typeof v === 'object') return 'mask' in v ? { kind: 'mask', value: hex(v.value), mask: hex(v.mask) } : { kind: 'range', low: hex(v.low), high: hex(v.high) };
    return { kind: 'exact', value: hex(v) };
  }
}

export class ParserBuilder<S extends Schema> {
  /** @internal */
  constructor(
    private readonly scope: Scope,
    private readonly where: FaultLocation,
    private readonly states: readonly ParserState[] = [],
  ) {}

  /** Declare a state; the parser starts in the state named `start`. */
  state(name: string, body: (s: StateBuilder<S>) => StateEnd): ParserBuilder<S> {
    const end = underPath(`$.parser.states[${this.states.length}]`, () => body(new StateBuilder<S>(this.scope, this.where)));
    const state: ParserState = { kind: 'parserState', name, ops: end.ops, transition: end.transition };
    return new ParserBuilder<S>(this.scope, this.where, [...this.states, state]);
  }

  /** @internal */
  toIR(): Parser {
    return { kind: 'parser', start: 'start', states: this.states };
  }
}
