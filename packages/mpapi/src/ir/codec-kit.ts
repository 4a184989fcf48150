/**
 * Small io-ts combinators the IR codecs are written with. `node` builds a
 * closed record: unknown properties are an error, not silently stripped, so a
 * typo in hand-written IR JSON is reported with its path.
 */
import * as t from 'io-ts';
import { either } from 'fp-ts';

type Props = Record<string, t.Mixed>;
type RequiredProps<P extends Props> = { readonly [K in keyof P]: t.TypeOf<P[K]> };
type OptionalProps<P extends Props> = { readonly [K in keyof P]?: t.TypeOf<P[K]> };
/** Flattened so editors show `{ readonly kind: "stage"; … }`, not the codec's type expression. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Node<R extends Props, O extends Props> = Simplify<RequiredProps<R> & OptionalProps<O>>;

export function node<R extends Props>(name: string, required: R): t.Type<Simplify<RequiredProps<R>>, unknown, unknown>;
export function node<R extends Props, O extends Props>(name: string, required: R, optional: O): t.Type<Node<R, O>, unknown, unknown>;
export function node<R extends Props, O extends Props>(
  name: string,
  required: R,
  optional?: O,
): t.Type<Node<R, O>, unknown, unknown> {
  const allowed = new Set([...Object.keys(required), ...Object.keys(optional ?? {})]);
  const req = t.type(required);
  const opt = t.partial(optional ?? {});
  return new t.Type<Node<R, O>, unknown, unknown>(
    name,
    (u): u is Node<R, O> => req.is(u) && opt.is(u),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object (${name})`);
      const extra = Object.keys(u).filter((k) => !allowed.has(k));
      if (extra.length > 0) {
        return t.failures(
          extra.map((k) => ({
            value: (u as Record<string, unknown>)[k],
            context: [...c, { key: k, type: t.never, actual: (u as Record<string, unknown>)[k] }],
            message: `unknown property "${k}" in ${name}`,
          })),
        );
      }
      // Optional properties that are present must not be undefined (exactOptionalPropertyTypes).
      const r = req.validate(u, c);
      const o = opt.validate(u, c);
      if (either.isLeft(r) || either.isLeft(o)) {
        return t.failures([...(either.isLeft(r) ? r.left : []), ...(either.isLeft(o) ? o.left : [])]);
      }
      const out: Record<string, unknown> = { ...r.right };
      for (const [k, v] of Object.entries(o.right)) if (v !== undefined) out[k] = v;
      return t.success(out as Node<R, O>);
    },
    (a) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
        if (v === undefined) continue;
        const codec = required[k] ?? optional?.[k];
        out[k] = codec ? codec.encode(v) : v;
      }
      return out;
    },
  );
}

/** A string matching a pattern, e.g. a hex literal. */
export function pattern(name: string, re: RegExp, hint: string): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && re.test(u),
    (u, c) => (typeof u === 'string' && re.test(u) ? t.success(u) : t.failure(u, c, `expected ${hint}`)),
    t.identity,
  );
}

/** An integer in [min, max]. */
export function intIn(name: string, min: number, max: number): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected an integer from ${min} to ${max}`),
    t.identity,
  );
}

/** A name: letters, digits, `_`, `-`, `/`, `.` and `@` (scoped NF names such as `acme/fw-strict`). */
export const Name = pattern('Name', /^[A-Za-z_][A-Za-z0-9_\-./@]*$/, 'a name (letters, digits, _ - / . @; starting with a letter or _)');

/** An identifier usable inside field paths: no dots. */
export const Ident = pattern('Ident', /^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier (letters, digits and _)');

export function literalUnion<L extends string>(name: string, values: readonly L[]): t.Type<L, L, unknown> {
  const set = new Set<string>(values);
  return new t.Type<L, L, unknown>(
    name,
    (u): u is L => typeof u === 'string' && set.has(u),
    (u, c) => (typeof u === 'string' && set.has(u) ? t.success(u as L) : t.failure(u, c, `expected one of ${values.join(', ')}`)),
    t.identity,
  );
}

/** Discriminated union on `kind`: reports "unknown kind" instead of every member's failure. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function byKind<M extends Record<string, t.Type<any, unknown, unknown>>>(
  name: string,
  members: M,
): t.Type<t.TypeOf<M[keyof M]>, unknown, unknown> {
  type A = t.TypeOf<M[keyof M]>;
  const lookup = (u: unknown): M[keyof M] | undefined => {
    const kind = typeof u === 'object' && u !== null ? (u as { kind?: unknown }).kind : undefined;
    return typeof kind === 'string' && Object.hasOwn(members, kind) ? (members[kind] as M[keyof M]) : undefined;
  };
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => lookup(u)?.is(u) ?? false,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object (${name})`);
      const member = lookup(u);
      if (!member) {
        const kind = (u as { kind?: unknown }).kind;
        return t.failure(u, c, `unknown ${name} kind ${JSON.stringify(kind)}; expected one of ${Object.keys(members).join(', ')}`);
      }
      return member.validate(u, c) as t.Validation<A>;
    },
    (a) => lookup(a)!.encode(a),
  );
}
