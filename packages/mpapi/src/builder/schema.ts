/**
 * The type-level view of a program: which headers, metadata, stateful
 * objects and stages it declares, and the field paths and widths that
 * follow. Builders are generic over a `Schema`, so a typo in a field path or
 * a width mismatch is a compile error at the call site.
 */
import type { Bit, FieldSpec, HeaderDef, StackDef } from '../headers/header-type.js';
import type { STANDARD_METADATA } from '../ir/standard-metadata.js';
import type { MatchKind } from '../ir/stage.js';

export type HeadersSpec = Record<string, HeaderDef | StackDef>;
export type MetadataSpec = Record<string, Bit>;

export interface Schema {
  readonly headers: HeadersSpec;
  readonly meta: MetadataSpec;
  readonly registers: Record<string, number>;
  readonly counters: string;
  readonly meters: string;
  readonly digests: Record<string, Record<string, number>>;
}

export interface EmptySchema extends Schema {
  readonly headers: {};
  readonly meta: {};
  readonly registers: {};
  readonly counters: never;
  readonly meters: never;
  readonly digests: {};
}

/** A readable compile-time error, shown where a value of this type is expected. */
export interface TypeError<Message extends string> {
  readonly __error: Message;
}

/** Action parameter widths by name; stage name → action name → params. */
export type ParamsSpec = Record<string, number>;
export type ActionsSpec = Record<string, ParamsSpec>;
/** What the compiler knows of a stage: its actions' parameters and its keys' match kinds. */
export interface StageSpec {
  readonly actions: ActionsSpec;
  readonly keys: Record<string, MatchKind>;
}
export type StagesSpec = Record<string, StageSpec>;

/** '0' | '1' | … | 'N-1' */
export type Indices<N extends number, Acc extends unknown[] = []> = number extends N
  ? `${number}`
  : Acc['length'] extends N
    ? never
    : `${Acc['length']}` | Indices<N, [...Acc, unknown]>;

type BitFieldNames<F extends Record<string, FieldSpec>> = {
  [K in keyof F & string]: F[K] extends Bit ? K : never;
}[keyof F & string];
type VarbitFieldNames<F extends Record<string, FieldSpec>> = Exclude<keyof F & string, BitFieldNames<F>>;
type WidthOf<S> = S extends Bit<infer W> ? W : never;

type HeaderFieldEntries<H extends HeadersSpec> = {
  [I in keyof H & string]: H[I] extends StackDef<infer T, infer N>
    ? { [F in BitFieldNames<T['fields']>]: [`${I}[${Indices<N>}].${F}`, WidthOf<T['fields'][F]>] }[BitFieldNames<T['fields']>]
    : H[I] extends HeaderDef<string, infer Fs>
      ? { [F in BitFieldNames<Fs>]: [`${I}.${F}`, WidthOf<Fs[F]>] }[BitFieldNames<Fs>]
      : never;
}[keyof H & string];

type MetaEntries<M extends MetadataSpec> = { [K in keyof M & string]: [`meta.${K}`, WidthOf<M[K]>] }[keyof M & string];

type Std = typeof STANDARD_METADATA;
type StdEntries = { [K in keyof Std & string]: [`standard.${K}`, Std[K]['width']] }[keyof Std & string];
type WritableStd = { [K in keyof Std & string]: Std[K]['writable'] extends true ? `standard.${K}` : never }[keyof Std & string];

type EntriesToMap<E extends [string, number]> = { [X in E as X[0]]: X[1] };

/** Every readable bit field of a schema, by path, with its width. */
export type Fields<S extends Schema> = EntriesToMap<HeaderFieldEntries<S['headers']> | MetaEntries<S['meta']> | StdEntries>;
export type FieldPath<S extends Schema> = keyof Fields<S> & string;
/** Fields an action may assign: header and user metadata fields, writable standard metadata. */
export type WritablePath<S extends Schema> =
  | (keyof EntriesToMap<HeaderFieldEntries<S['headers']> | MetaEntries<S['meta']>> & string)
  | WritableStd;

/** Varbit fields (`ipv4.options`): only checksum inputs may name them. */
export type VarbitPath<S extends Schema> = {
  [I in keyof S['headers'] & string]: S['headers'][I] extends HeaderDef<string, infer Fs> ? `${I}.${VarbitFieldNames<Fs>}` : never;
}[keyof S['headers'] & string];

/** Header references: `ipv4`, or a stack element `vlan[0]`. */
export type HeaderRef<S extends Schema> = {
  [I in keyof S['headers'] & string]: S['headers'][I] extends StackDef<HeaderDef, infer N> ? `${I}[${Indices<N>}]` : I;
}[keyof S['headers'] & string];
/** Header instances including bare stack names (for extract, deparse, push/pop). */
export type HeaderName<S extends Schema> = keyof S['headers'] & string;
export type StackName<S extends Schema> = {
  [I in keyof S['headers'] & string]: S['headers'][I] extends StackDef ? I : never;
}[keyof S['headers'] & string];
/** In the parser, `vlan.last.etherType` reads the last extracted element of a stack. */
export type LastPath<S extends Schema> = {
  [I in keyof S['headers'] & string]: S['headers'][I] extends StackDef<infer T>
    ? `${I}.last.${BitFieldNames<T['fields']>}`
    : never;
}[keyof S['headers'] & string];

/** Header instances whose type is the same as that of `R`. */
export type HeaderTypeName<S extends Schema, R extends string> = R extends `${infer I}[${string}]`
  ? TypeNameOf<S['headers'][I]>
  : TypeNameOf<S['headers'][R]>;
type TypeNameOf<D> = D extends StackDef<infer T> ? T['name'] : D extends HeaderDef<infer N> ? N : never;

/** The width of field `P`, as a number literal type. */
export type WidthAt<S extends Schema, P> = Fields<S> extends infer F ? (P extends keyof F ? F[P] & number : never) : never;

/** Header references whose header type is `T` (for copyHeader). */
export type HeaderRefOfType<S extends Schema, T> = {
  [R in HeaderRef<S>]: HeaderTypeName<S, R> extends T ? R : never;
}[HeaderRef<S>];

/** Header instances whose type has all of the fields `F` (for helpers such as decrementTtl). */
export type HeadersWithFields<S extends Schema, F extends string> = {
  [I in keyof S['headers'] & string]: S['headers'][I] extends HeaderDef<string, infer Fs> ? ([F] extends [keyof Fs] ? I : never) : never;
}[keyof S['headers'] & string];
