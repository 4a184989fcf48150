import * as t from 'io-ts';
import { Ident, intIn, literalUnion, Name, node } from './codec-kit.js';
import { Width } from './expr.js';
import { HeaderInstance, HeaderType, MetaField } from './header.js';
import { Parser } from './parser.js';
import { COUNTER_UNITS, METER_UNITS, Stage } from './stage.js';
import { Control } from './control.js';
import { IR_VERSION } from './version.js';

const Size = intIn('Size', 1, 2 ** 24);

export const Register = node('register', { kind: t.literal('register'), name: Ident, width: Width, size: Size });
export type Register = t.TypeOf<typeof Register>;
export const Counter = node('counter', { kind: t.literal('counter'), name: Ident, unit: literalUnion('CounterUnit', COUNTER_UNITS), size: Size });
export type Counter = t.TypeOf<typeof Counter>;
/** A two-rate three-colour meter array (RFC 2698); rates are set by the control plane. */
export const Meter = node('meter', { kind: t.literal('meter'), name: Ident, unit: literalUnion('MeterUnit', METER_UNITS), size: Size });
export type Meter = t.TypeOf<typeof Meter>;
/** A message to the control plane, with named, typed fields. */
export const Digest = node('digest', {
  kind: t.literal('digest'),
  name: Ident,
  fields: t.readonlyArray(node('digestField', { kind: t.literal('digestField'), name: Ident, width: Width })),
});
export type Digest = t.TypeOf<typeof Digest>;

export const Digest256 = t.string.pipe(
  new t.Type<string, string, string>(
    'Digest256',
    (u): u is string => typeof u === 'string' && /^sha256:[0-9a-f]{64}$/.test(u),
    (u, c) => (/^sha256:[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected "sha256:" and 64 hex digits')),
    t.identity,
  ),
  'Digest256',
);

/** One ancestor of a derived NF: its name and the digest of its IR. */
export const Ancestor = node('ancestor', { kind: t.literal('ancestor'), name: Name, digest: Digest256 });
export type Ancestor = t.TypeOf<typeof Ancestor>;

export const IrVersion = new t.Type<typeof IR_VERSION, number, unknown>(
  'IrVersion',
  (u): u is typeof IR_VERSION => u === IR_VERSION,
  (u, c) =>
    u === IR_VERSION
      ? t.success(IR_VERSION)
      : t.failure(u, c, `unsupported irVersion ${JSON.stringify(u)}; this library reads irVersion ${IR_VERSION}`),
  t.identity,
);

/** One NF: headers, parser, metadata, stages, state, control and deparse order. */
export const Program = node(
  'program',
  {
    kind: t.literal('program'),
    irVersion: IrVersion,
    name: Name,
    headerTypes: t.readonlyArray(HeaderType),
    headers: t.readonlyArray(HeaderInstance),
    metadata: t.readonlyArray(MetaField),
    parser: Parser,
    registers: t.readonlyArray(Register),
    counters: t.readonlyArray(Counter),
    meters: t.readonlyArray(Meter),
    digests: t.readonlyArray(Digest),
    stages: t.readonlyArray(Stage),
    control: Control,
    /** Header instances in the order they are emitted; stacks emit all valid elements. */
    deparser: t.readonlyArray(Ident),
  },
  {
    description: t.string,
    /** Parent first, then its parent, and so on: the lineage of a derived NF. */
    lineage: t.readonlyArray(Ancestor),
  },
);
export type Program = t.TypeOf<typeof Program>;
