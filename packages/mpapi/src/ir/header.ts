import * as t from 'io-ts';
import { byKind, Ident, intIn, Name, node } from './codec-kit.js';
import { MAX_WIDTH, Width } from './expr.js';

export const BitField = node('bitField', { kind: t.literal('bitField'), name: Ident, width: Width });
/**
 * A variable-size field, always the last of its header. Its size in bits is
 * `value(lengthField) * multiplier + offset`, read from a fixed field of the
 * same header (IPv4 options: ihl * 32 - 160).
 */
export const VarbitField = node('varbitField', {
  kind: t.literal('varbitField'),
  name: Ident,
  maxWidth: Width,
  length: node('VarbitLength', { field: Ident, multiplier: intIn('Multiplier', 1, MAX_WIDTH), offset: intIn('Offset', -MAX_WIDTH * 64, MAX_WIDTH) }),
});
export const HeaderField = byKind('HeaderField', { bitField: BitField, varbitField: VarbitField });
export type HeaderField = t.TypeOf<typeof HeaderField>;

export const HeaderType = node('headerType', {
  kind: t.literal('headerType'),
  name: Name,
  fields: t.readonlyArray(HeaderField),
});
export type HeaderType = t.TypeOf<typeof HeaderType>;

/** A header instance in a program; `stack: N` makes it a header stack of N elements. */
export const HeaderInstance = node(
  'header',
  { kind: t.literal('header'), name: Ident, type: Name },
  { stack: intIn('StackSize', 1, 64) },
);
export type HeaderInstance = t.TypeOf<typeof HeaderInstance>;

export const MetaField = node('metaField', { kind: t.literal('metaField'), name: Ident, width: Width });
export type MetaField = t.TypeOf<typeof MetaField>;
