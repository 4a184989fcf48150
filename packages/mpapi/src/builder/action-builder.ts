/**
 * The body of an action: an immutable list of primitives, each call returning
 * a new builder. Targets, widths and names are checked by the compiler where
 * the schema allows it, and again when the IR is built.
 */
import type { Primitive } from '../ir/action.js';
import type { HashAlgorithm } from '../ir/action.js';
import type { Expr as IrExpr } from '../ir/expr.js';
import type { Digest } from '../ir/program.js';
import { MpvisorError } from '../errors.js';
import { parseValue, toHex } from '../values/value.js';
import { BitExpr, BoolExpr, ExprScope, literalNode, operandNode, type AnyBitExpr, type Dyn, type Literal, type Operand } from './expression.js';
import type {
  HeaderRef,
  HeaderRefOfType,
  HeadersWithFields,
  HeaderTypeName,
  Schema,
  StackName,
  TypeError,
  VarbitPath,
  WidthAt,
  WritablePath,
} from './schema.js';
import type { Scope } from '../validate/scope.js';
import type { FaultLocation } from '../errors.js';

/** Accepts `V` if it fits field `P`; otherwise the parameter type is a readable error. */
export type Assignable<S extends Schema, P, V> =
  V extends BitExpr<infer VW>
    ? Dyn extends VW
      ? V
      : [VW] extends [WidthAt<S, P>]
        ? V
        : TypeError<`width mismatch: ${P & string} is bit<${WidthAt<S, P>}> but the value is bit<${VW}>; convert it with .cast(${WidthAt<S, P>})`>
    : V extends BoolExpr
      ? TypeError<`${P & string} is bit<${WidthAt<S, P>}> but the value is bool; convert it with .toBit(${WidthAt<S, P>})`>
      : V;

/** Typed values of a digest's fields. */
export type DigestValues<F extends Record<string, number>> = { readonly [K in keyof F]: Operand<F[K]> };

export interface BuildContext {
  readonly scope: Scope;
  readonly digests: readonly Digest[];
  /** Register widths by name, to type literals written to a register. */
  readonly registers: ReadonlyMap<string, number>;
  readonly where: FaultLocation;
}

export class ActionBuilder<S extends Schema> extends ExprScope<S> {
  constructor(
    private readonly ctx: BuildContext,
    /** @internal */ readonly primitives: readonly Primitive[] = [],
  ) {
    super(ctx.scope, ctx.where);
  }

  private with(p: Primitive): ActionBuilder<S> {
    return new ActionBuilder<S>(this.ctx, [...this.primitives, p]);
  }

  private widthOf(path: string): number {
    return this.field(path).width;
  }

  /** target = value */
  assign<P extends WritablePath<S>, V extends Literal | AnyBitExpr | BoolExpr>(target: P, value: V & Assignable<S, P, V>): ActionBuilder<S> {
    const v = value as unknown as Literal | AnyBitExpr | BoolExpr;
    const node = v instanceof BoolExpr ? v.node : operandNode(v, this.widthOf(target));
    return this.with({ kind: 'assign', target, value: node });
  }

  /** target = (target & ~mask) | (value & mask) */
  maskedAssign<P extends WritablePath<S>, V extends Literal | AnyBitExpr>(target: P, value: V & Assignable<S, P, V>, mask: Literal): ActionBuilder<S> {
    const w = this.widthOf(target);
    const m = parseValue(mask);
    if (typeof m === 'string') throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: `mask: ${m}` }]);
    return this.with({ kind: 'maskedAssign', target, value: operandNode(value as unknown as Literal | AnyBitExpr, w), mask: toHex(m) });
  }

  /** Make a header valid (add it to the packet); its fields keep their values. */
  setValid(header: HeaderRef<S>): ActionBuilder<S> { return this.with({ kind: 'setValid', header }); }
  /** Make a header invalid (remove it from the packet). */
  setInvalid(header: HeaderRef<S>): ActionBuilder<S> { return this.with({ kind: 'setInvalid', header }); }
  /** Copy a header (fields and validity) onto another of the same type. */
  copyHeader<D extends HeaderRef<S>>(dst: D, src: HeaderRefOfType<S, HeaderTypeName<S, D>>): ActionBuilder<S> {
    return this.with({ kind: 'copyHeader', dst, src });
  }
  /** Shift a stack towards its end by `count`, making room (invalid) at the front. */
  pushFront(stack: StackName<S>, count = 1): ActionBuilder<S> { return this.with({ kind: 'pushFront', header: stack, count }); }
  /** Shift a stack towards its front by `count`, dropping the first elements. */
  popFront(stack: StackName<S>, count = 1): ActionBuilder<S> { return this.with({ kind: 'popFront', header: stack, count }); }

  drop(): ActionBuilder<S> { return this.with({ kind: 'drop' }); }
  /** Send the packet out of `port` (bit<9>). */
  setEgress(port: Operand<9>): ActionBuilder<S> { return this.with({ kind: 'setEgress', port: operandNode(port, 9) }); }
  /** Replicate the packet to multicast group `group` (bit<16>). */
  multicast(group: Operand<16>): ActionBuilder<S> { return this.with({ kind: 'multicast', group: operandNode(group, 16) }); }
  /** Clone to a clone session: `ingress` clones the packet as received, `egress` as it leaves. */
  clone(session: Operand<32>, mode: 'ingress' | 'egress' = 'ingress'): ActionBuilder<S> {
    return this.with({ kind: 'clone', session: operandNode(session, 32), mode });
  }
  resubmit(): ActionBuilder<S> { return this.with({ kind: 'resubmit' }); }
  recirculate(): ActionBuilder<S> { return this.with({ kind: 'recirculate' }); }

  /** Send a digest message to the control plane. */
  digest<N extends keyof S['digests'] & string>(name: N, values: DigestValues<S['digests'][N]>): ActionBuilder<S> {
    const d = this.ctx.digests.find((x) => x.name === name);
    if (!d) throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: `unknown digest "${name}"` }]);
    const given = values as Record<string, Literal | AnyBitExpr>;
    for (const k of Object.keys(given)) {
      if (!d.fields.some((f) => f.name === k)) throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: `digest "${name}" has no field "${k}"` }]);
    }
    const nodes = d.fields.map((f) => {
      const v = given[f.name];
      if (v === undefined) throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: `digest "${name}": missing field "${f.name}"` }]);
      return operandNode(v, f.width);
    });
    return this.with({ kind: 'digest', digest: name, values: nodes });
  }

  registerRead<R extends keyof S['registers'] & string>(target: WritablePath<S>, register: R, index: Operand<number>): ActionBuilder<S> {
    return this.with({ kind: 'registerRead', register, index: operandNode(index, 32), target });
  }
  registerWrite<R extends keyof S['registers'] & string>(register: R, index: Operand<number>, value: Operand<S['registers'][R]>): ActionBuilder<S> {
    const r = this.registerWidth(register);
    return this.with({ kind: 'registerWrite', register, index: operandNode(index, 32), value: operandNode(value, r) });
  }
  /** Count one packet (and its bytes) at `index` of an indexed counter. */
  count(counter: S['counters'], index: Operand<number>): ActionBuilder<S> {
    return this.with({ kind: 'count', counter, index: operandNode(index, 32) });
  }
  /** Run a two-rate three-colour meter; the colour (0 green, 1 yellow, 2 red) goes to `target`. */
  meterExecute(meter: S['meters'], index: Operand<number>, target: WritablePath<S>): ActionBuilder<S> {
    return this.with({ kind: 'meterExecute', meter, index: operandNode(index, 32), target });
  }
  /** Read the colour of this stage's direct meter for the matched entry. */
  directMeterRead(target: WritablePath<S>): ActionBuilder<S> { return this.with({ kind: 'directMeterRead', target }); }

  /**
   * target = base + hash(inputs) mod max (v1model `hash`). Without `max`, the
   * whole range of the target field: 2^width (2^64 - 1 from 64 bits on, as
   * the hash is computed in 64 bits). An explicit max of 0 gives `base`.
   */
  hash(target: WritablePath<S>, algorithm: HashAlgorithm, inputs: readonly AnyBitExpr[], opts: { base?: Literal; max?: Literal } = {}): ActionBuilder<S> {
    const w = this.widthOf(target);
    const fullRange = w < 64 ? 1n << BigInt(w) : (1n << 64n) - 1n;
    const hex = (v: Literal, what: string): string => {
      const n = literalNode(v, w);
      if (n.kind !== 'const') throw new MpvisorError('INTERNAL', what);
      return n.value;
    };
    return this.with({ kind: 'hash', algorithm, target, inputs: inputs.map((e) => e.node), base: hex(opts.base ?? 0, 'base'), max: hex(opts.max ?? fullRange, 'max') });
  }

  private checksumNodes(inputs: readonly (AnyBitExpr | VarbitPath<S>)[]): IrExpr[] {
    return inputs.map((e) => (typeof e === 'string' ? { kind: 'field', ref: e } : e.node));
  }
  /** Set standard.checksumError when `checksum` is not the ones-complement sum of `inputs` (and the payload). */
  checksumVerify(checksum: WritablePath<S>, inputs: readonly (AnyBitExpr | VarbitPath<S>)[], opts: { payload?: boolean } = {}): ActionBuilder<S> {
    return this.with({ kind: 'checksumVerify', algorithm: 'csum16', inputs: this.checksumNodes(inputs), checksum, payload: opts.payload ?? false });
  }
  /** target = ones-complement checksum (RFC 1071) of `inputs` (and the payload). */
  checksumUpdate(target: WritablePath<S>, inputs: readonly (AnyBitExpr | VarbitPath<S>)[], opts: { payload?: boolean } = {}): ActionBuilder<S> {
    return this.with({ kind: 'checksumUpdate', algorithm: 'csum16', inputs: this.checksumNodes(inputs), target, payload: opts.payload ?? false });
  }
  /**
   * Incremental checksum update, RFC 1624: `removed` are the old values of
   * the covered words, `added` the new ones (equal total widths, 16-bit words).
   */
  checksumIncremental(target: WritablePath<S>, removed: readonly AnyBitExpr[], added: readonly AnyBitExpr[]): ActionBuilder<S> {
    return this.with({ kind: 'checksumIncremental', target, removed: removed.map((e) => e.node), added: added.map((e) => e.node) });
  }

  /** Recompute an IPv4 header checksum over all its fields but the checksum (options included). */
  updateIpv4Checksum(header: HeadersWithFields<S, 'hdrChecksum'> = 'ipv4' as HeadersWithFields<S, 'hdrChecksum'>): ActionBuilder<S> {
    const h = this.ctx.scope.header(header);
    if (typeof h === 'string') throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: h }]);
    const inputs: IrExpr[] = h.type.fields.filter((f) => f.name !== 'hdrChecksum').map((f) => ({ kind: 'field', ref: `${header}.${f.name}` }));
    return this.with({ kind: 'checksumUpdate', algorithm: 'csum16', inputs, target: `${header}.hdrChecksum`, payload: false });
  }
  /** ttl = ttl - 1 and a fresh header checksum: what a router does to every IPv4 packet it forwards. */
  decrementTtl(header: HeadersWithFields<S, 'ttl' | 'hdrChecksum'> = 'ipv4' as HeadersWithFields<S, 'ttl' | 'hdrChecksum'>): ActionBuilder<S> {
    const ttl = this.field(`${header}.ttl`);
    const next = this.with({ kind: 'assign', target: `${header}.ttl`, value: { kind: 'binary', op: '-', left: ttl.node, right: literalNode(1, ttl.width) } });
    return next.updateIpv4Checksum(header as HeadersWithFields<S, 'hdrChecksum'>);
  }
  /** hopLimit = hopLimit - 1 (IPv6 has no header checksum). */
  decrementHopLimit(header: HeadersWithFields<S, 'hopLimit'> = 'ipv6' as HeadersWithFields<S, 'hopLimit'>): ActionBuilder<S> {
    const hl = this.field(`${header}.hopLimit`);
    return this.with({ kind: 'assign', target: `${header}.hopLimit`, value: { kind: 'binary', op: '-', left: hl.node, right: literalNode(1, hl.width) } });
  }

  /** Apply a reusable fragment: `a.apply(swapMacs)`. */
  apply(fragment: (a: ActionBuilder<S>) => ActionBuilder<S>): ActionBuilder<S> {
    return fragment(this);
  }

  private registerWidth(name: string): number {
    const w = this.ctx.registers.get(name);
    if (w === undefined) throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, message: `unknown register "${name}"` }]);
    return w;
  }
}
