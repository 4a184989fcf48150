import * as t from 'io-ts';
import { byKind, Ident, intIn, literalUnion, node } from './codec-kit.js';
import { FieldRef, Hex } from './expr.js';
import { Action, Args } from './action.js';

export const MATCH_KINDS = ['exact', 'lpm', 'ternary', 'range', 'optional'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const Key = node('key', { kind: t.literal('key'), field: FieldRef, match: literalUnion('MatchKind', MATCH_KINDS) });
export type Key = t.TypeOf<typeof Key>;

/**
 * One key's part of an entry. A don't-care is `any`, never a zero mask or a
 * /0 prefix (as P4Runtime requires don't-care fields to be omitted).
 */
export const KeyMatch = byKind('KeyMatch', {
  exact: node('exact', { kind: t.literal('exact'), value: Hex }),
  lpm: node('lpm', { kind: t.literal('lpm'), value: Hex, prefixLength: intIn('PrefixLength', 0, 2048) }),
  ternary: node('ternary', { kind: t.literal('ternary'), value: Hex, mask: Hex }),
  range: node('range', { kind: t.literal('range'), low: Hex, high: Hex }),
  optional: node('optional', { kind: t.literal('optional'), value: Hex }),
  any: node('any', { kind: t.literal('any') }),
});
export type KeyMatch = t.TypeOf<typeof KeyMatch>;

export const ActionCall = node('actionCall', { kind: t.literal('actionCall'), action: Ident, args: Args });
export type ActionCall = t.TypeOf<typeof ActionCall>;

/**
 * A table entry: one match per key, in key order. `priority` is required
 * exactly when the stage has a ternary, range or optional key; higher wins.
 */
export const Entry = node(
  'entry',
  { kind: t.literal('entry'), matches: t.readonlyArray(KeyMatch), action: ActionCall },
  { priority: intIn('Priority', 1, 2 ** 31 - 1) },
);
export type Entry = t.TypeOf<typeof Entry>;

export const COUNTER_UNITS = ['packets', 'bytes', 'packetsAndBytes'] as const;
export type CounterUnit = (typeof COUNTER_UNITS)[number];
export const METER_UNITS = ['packets', 'bytes'] as const;
export type MeterUnit = (typeof METER_UNITS)[number];

export const DefaultAction = node('defaultAction', {
  kind: t.literal('defaultAction'),
  action: ActionCall,
  /** A const default action cannot be changed by the control plane. */
  const: t.boolean,
});
export type DefaultAction = t.TypeOf<typeof DefaultAction>;

/** A stage: one match-action table. */
export const Stage = node(
  'stage',
  {
    kind: t.literal('stage'),
    name: Ident,
    keys: t.readonlyArray(Key),
    actions: t.readonlyArray(Action),
    defaultAction: DefaultAction,
    size: intIn('Size', 1, 2 ** 24),
    /** Const entries: installed with the program; the control plane cannot change them. */
    entries: t.readonlyArray(Entry),
  },
  {
    directCounter: literalUnion('CounterUnit', COUNTER_UNITS),
    directMeter: literalUnion('MeterUnit', METER_UNITS),
    description: t.string,
  },
);
export type Stage = t.TypeOf<typeof Stage>;

