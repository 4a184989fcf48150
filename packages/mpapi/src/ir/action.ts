import * as t from 'io-ts';
import { byKind, Ident, literalUnion, Name, node } from './codec-kit.js';
import { Expr, FieldRef, Hex, HeaderRef, Width } from './expr.js';

export const HASH_ALGORITHMS = ['crc16', 'crc32', 'identity', 'csum16', 'xor16'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];
/** The Internet checksum (RFC 1071 ones-complement sum) is the one checksum algorithm. */
export const CHECKSUM_ALGORITHMS = ['csum16'] as const;

const e = Expr;
const list = t.readonlyArray;

/** The primitive actions; an action is a list of them, run in order. */
export const Primitive = byKind('Primitive', {
  assign: node('assign', { kind: t.literal('assign'), target: FieldRef, value: e }),
  /** target = (target & ~mask) | (value & mask) */
  maskedAssign: node('maskedAssign', { kind: t.literal('maskedAssign'), target: FieldRef, value: e, mask: Hex }),
  setValid: node('setValid', { kind: t.literal('setValid'), header: HeaderRef }),
  setInvalid: node('setInvalid', { kind: t.literal('setInvalid'), header: HeaderRef }),
  copyHeader: node('copyHeader', { kind: t.literal('copyHeader'), dst: HeaderRef, src: HeaderRef }),
  pushFront: node('pushFront', { kind: t.literal('pushFront'), header: Ident, count: Width }),
  popFront: node('popFront', { kind: t.literal('popFront'), header: Ident, count: Width }),
  drop: node('drop', { kind: t.literal('drop') }),
  setEgress: node('setEgress', { kind: t.literal('setEgress'), port: e }),
  multicast: node('multicast', { kind: t.literal('multicast'), group: e }),
  clone: node('clone', { kind: t.literal('clone'), session: e, mode: literalUnion('CloneMode', ['ingress', 'egress'] as const) }),
  resubmit: node('resubmit', { kind: t.literal('resubmit') }),
  recirculate: node('recirculate', { kind: t.literal('recirculate') }),
  digest: node('digest', { kind: t.literal('digest'), digest: Name, values: list(e) }),
  registerRead: node('registerRead', { kind: t.literal('registerRead'), register: Name, index: e, target: FieldRef }),
  registerWrite: node('registerWrite', { kind: t.literal('registerWrite'), register: Name, index: e, value: e }),
  count: node('count', { kind: t.literal('count'), counter: Name, index: e }),
  meterExecute: node('meterExecute', { kind: t.literal('meterExecute'), meter: Name, index: e, target: FieldRef }),
  directMeterRead: node('directMeterRead', { kind: t.literal('directMeterRead'), target: FieldRef }),
  /** target = base + (hash(inputs) mod max), as v1model `hash` (computed in 64 bits; max 0 gives base, as v1model.p4 documents). */
  hash: node('hash', {
    kind: t.literal('hash'),
    algorithm: literalUnion('HashAlgorithm', HASH_ALGORITHMS),
    target: FieldRef,
    inputs: list(e),
    base: Hex,
    max: Hex,
  }),
  /** Sets standard.checksumError when the ones-complement sum of inputs (and payload) does not match. */
  checksumVerify: node('checksumVerify', {
    kind: t.literal('checksumVerify'),
    algorithm: literalUnion('ChecksumAlgorithm', CHECKSUM_ALGORITHMS),
    inputs: list(e),
    checksum: FieldRef,
    payload: t.boolean,
  }),
  checksumUpdate: node('checksumUpdate', {
    kind: t.literal('checksumUpdate'),
    algorithm: literalUnion('ChecksumAlgorithm', CHECKSUM_ALGORITHMS),
    inputs: list(e),
    target: FieldRef,
    payload: t.boolean,
  }),
  /** Incremental update of a ones-complement checksum, RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
  checksumIncremental: node('checksumIncremental', {
    kind: t.literal('checksumIncremental'),
    target: FieldRef,
    removed: list(e),
    added: list(e),
  }),
});
export type Primitive = t.TypeOf<typeof Primitive>;
export type PrimitiveKind = Primitive['kind'];

export const ActionParam = node('actionParam', { kind: t.literal('actionParam'), name: Ident, width: Width });
export type ActionParam = t.TypeOf<typeof ActionParam>;

export const Action = node('action', {
  kind: t.literal('action'),
  name: Ident,
  params: list(ActionParam),
  body: list(Primitive),
});
export type Action = t.TypeOf<typeof Action>;

/** Action arguments by parameter name. */
export const Args = t.readonly(t.record(t.string, Hex));
export type Args = t.TypeOf<typeof Args>;
