/**
 * Key matches and action arguments as people write them — "10.0.0.0/8",
 * { value, mask }, [low, high], "_" — turned into IR. Used by const entries
 * and by entry files loaded at run time.
 */
import type { KeyMatch, MatchKind } from '../ir/stage.js';
import { ones, parseValue, toHex, type ValueInput } from './value.js';

export type MatchInput =
  | ValueInput
  | '_'
  | { readonly value: ValueInput; readonly prefixLength: number }
  | { readonly value: ValueInput; readonly mask: ValueInput }
  | { readonly low: ValueInput; readonly high: ValueInput }
  | readonly [ValueInput, ValueInput];

/** Inputs accepted for each match kind (a plain value always means "exactly this"). */
export type MatchInputFor<K extends MatchKind> = K extends 'exact'
  ? ValueInput
  : K extends 'lpm'
    ? ValueInput | '_' | { readonly value: ValueInput; readonly prefixLength: number }
    : K extends 'ternary'
      ? ValueInput | '_' | { readonly value: ValueInput; readonly mask: ValueInput }
      : K extends 'range'
        ? ValueInput | '_' | { readonly low: ValueInput; readonly high: ValueInput } | readonly [ValueInput, ValueInput]
        : ValueInput | '_';

function hex(v: ValueInput, what: string): string {
  const p = parseValue(v);
  if (typeof p === 'string') throw new Error(`${what}: ${p}`);
  return toHex(p);
}

/** Convert one key's input; throws an Error whose message names the fault (callers add where). */
export function toKeyMatch(kind: MatchKind, width: number, input: MatchInput): KeyMatch {
  if (input === '_') {
    if (kind === 'exact') throw new Error('an exact key cannot be a don\'t-care "_"');
    return { kind: 'any' };
  }
  if (Array.isArray(input)) {
    const [low, high] = input as readonly [ValueInput, ValueInput];
    if (kind !== 'range') throw new Error(`[low, high] is a range, but the key is ${kind}`);
    return { kind: 'range', low: hex(low, 'low'), high: hex(high, 'high') };
  }
  if (typeof input === 'object') {
    if ('prefixLength' in input) {
      if (kind !== 'lpm') throw new Error(`{ value, prefixLength } is an lpm match, but the key is ${kind}`);
      return { kind: 'lpm', value: hex(input.value, 'value'), prefixLength: input.prefixLength };
    }
    if ('mask' in input) {
      if (kind !== 'ternary') throw new Error(`{ value, mask } is a ternary match, but the key is ${kind}`);
      return { kind: 'ternary', value: hex(input.value, 'value'), mask: hex(input.mask, 'mask') };
    }
    if ('low' in input) {
      if (kind !== 'range') throw new Error(`{ low, high } is a range, but the key is ${kind}`);
      return { kind: 'range', low: hex(input.low, 'low'), high: hex(input.high, 'high') };
    }
    throw new Error(`unrecognised match ${JSON.stringify(input)}`);
  }
  if (typeof input === 'string' && input.includes('/')) {
    if (kind !== 'lpm') throw new Error(`"${input}" is a prefix, but the key is ${kind}`);
    const at = input.lastIndexOf('/');
    const len = Number(input.slice(at + 1));
    if (!Number.isInteger(len) || len < 0) throw new Error(`"${input}": bad prefix length`);
    return { kind: 'lpm', value: hex(input.slice(0, at), 'value'), prefixLength: len };
  }
  const v = hex(input, 'value');
  switch (kind) {
    case 'exact':
      return { kind: 'exact', value: v };
    case 'optional':
      return { kind: 'optional', value: v };
    case 'lpm':
      return { kind: 'lpm', value: v, prefixLength: width };
    case 'ternary':
      return { kind: 'ternary', value: v, mask: toHex(ones(width)) };
    case 'range':
      return { kind: 'range', low: v, high: v };
  }
}

/** Why a keyed entry could not become matches; callers word it for where it came from. */
export type KeyMatchesFault =
  | { readonly kind: 'unknownKey'; readonly key: string }
  | { readonly kind: 'missingKey'; readonly key: string }
  | { readonly kind: 'badValue'; readonly key: string; readonly message: string };

/**
 * One match per key, in key order, from an entry written by key name
 * (`{ 'ipv4.dstAddr': '10.0.0.0/8' }`): the one conversion const entries and
 * entries files share, so both mean the same.
 */
export function toKeyMatches(
  keys: readonly { readonly field: string; readonly match: MatchKind }[],
  widths: readonly number[],
  input: Readonly<Record<string, unknown>>,
): KeyMatch[] | KeyMatchesFault {
  for (const k of Object.keys(input)) if (!keys.some((key) => key.field === k)) return { kind: 'unknownKey', key: k };
  const matches: KeyMatch[] = [];
  for (const [i, key] of keys.entries()) {
    const value = input[key.field];
    if (value === undefined) return { kind: 'missingKey', key: key.field };
    try {
      matches.push(toKeyMatch(key.match, widths[i]!, value as MatchInput));
    } catch (err) {
      return { kind: 'badValue', key: key.field, message: (err as Error).message };
    }
  }
  return matches;
}

/** Action arguments by name → canonical hex. */
export function toArgs(args: Readonly<Record<string, ValueInput>>): Record<string, string> {
  // fromEntries defines own properties, so even a parameter named "__proto__" stays an argument
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, hex(v, `argument "${k}"`)]));
}
