/**
 * Header types as values that carry their field widths in their types, so
 * `ipv4.ttl` is known to be `bit<8>` by the compiler.
 */
import type { HeaderType } from '../ir/header.js';

export interface Bit<W extends number = number> {
  readonly kind: 'bit';
  readonly width: W;
}

export interface Varbit<W extends number = number> {
  readonly kind: 'varbit';
  readonly maxWidth: W;
  /** size in bits = value(field) * multiplier + offset */
  readonly length: { readonly field: string; readonly multiplier: number; readonly offset: number };
}

export type FieldSpec = Bit | Varbit;

/** `bit<W>`: an unsigned field or value of W bits (1..2048). */
export function bit<W extends number>(width: W): Bit<W> {
  return { kind: 'bit', width };
}

/**
 * A varbit field of at most `maxWidth` bits whose size is read from a fixed
 * field of the same header: bits = field * multiplier + offset.
 */
export function varbit<W extends number>(
  maxWidth: W,
  length: { readonly field: string; readonly multiplier: number; readonly offset?: number },
): Varbit<W> {
  return { kind: 'varbit', maxWidth, length: { field: length.field, multiplier: length.multiplier, offset: length.offset ?? 0 } };
}

export interface HeaderDef<N extends string = string, F extends Record<string, FieldSpec> = Record<string, FieldSpec>> {
  readonly kind: 'headerDef';
  readonly name: N;
  readonly fields: F;
  toIR(): HeaderType;
}

export interface StackDef<T extends HeaderDef = HeaderDef, N extends number = number> {
  readonly kind: 'stackDef';
  readonly type: T;
  readonly size: N;
}

/** Declare a header type; field order is the order on the wire. */
export function header<N extends string, F extends Record<string, FieldSpec>>(name: N, fields: F): HeaderDef<N, F> {
  const ir: HeaderType = {
    kind: 'headerType',
    name,
    fields: Object.entries(fields).map(([fname, f]) =>
      f.kind === 'bit'
        ? { kind: 'bitField', name: fname, width: f.width }
        : { kind: 'varbitField', name: fname, maxWidth: f.maxWidth, length: { ...f.length } },
    ),
  };
  return { kind: 'headerDef', name, fields, toIR: () => ir };
}

/** A header stack of `size` elements (e.g. 802.1Q tags, MPLS labels). */
export function stack<T extends HeaderDef, N extends number>(type: T, size: N): StackDef<T, N> {
  return { kind: 'stackDef', type, size };
}
