/**
 * A stage: one match-action table. Keys, actions and entries are typed
 * against the program's schema; the stage becomes IR when its program does.
 */
import type { Action, ActionParam } from '../ir/action.js';
import type { CounterUnit, Entry, Key, MatchKind, MeterUnit, Stage } from '../ir/stage.js';
import type { Bit } from '../headers/header-type.js';
import { MpvisorError, underPath, type FaultLocation } from '../errors.js';
import { toArgs, toKeyMatches, type MatchInputFor } from '../values/match.js';
import type { ValueInput } from '../values/value.js';
import { needsPriority } from '../validate/entry-rules.js';
import { ActionBuilder, type BuildContext } from './action-builder.js';
import { BitExpr } from './expression.js';
import type { ActionsSpec, FieldPath, ParamsSpec, Schema, TypeError } from './schema.js';

export type KeySpec<S extends Schema> = { readonly [P in FieldPath<S>]?: MatchKind };
/** Rejects keys that are not fields, with a readable message. */
export type KnownKeys<S extends Schema, KS> = KS & {
  readonly [P in Exclude<keyof KS, FieldPath<S>>]: TypeError<`unknown field "${P & string}": not a header or metadata field of this program`>;
};

export type ParamSpec = Record<string, Bit>;
export type ParamWidths<P extends ParamSpec> = { [K in keyof P]: P[K]['width'] };
export type ParamExprs<P extends ParamSpec> = { readonly [K in keyof P]: BitExpr<P[K]['width']> };
export type ArgsFor<P extends ParamsSpec> = { readonly [K in keyof P]: ValueInput };

/** `args` is required exactly when the action has parameters. */
type WithArgs<P extends ParamsSpec> = keyof P extends never ? { readonly args?: {} } : { readonly args: ArgsFor<P> };

export type EntrySpec<K extends Record<string, MatchKind>, A extends ActionsSpec> = {
  [N in keyof A & string]: {
    readonly key: { readonly [P in keyof K]: MatchInputFor<K[P]> };
    readonly action: N;
    /** Higher wins; omit on every entry to rank entries by their order (first highest). */
    readonly priority?: number;
  } & WithArgs<A[N]>;
}[keyof A & string];

type DefaultRest<P extends ParamsSpec> = keyof P extends never
  ? [args?: {}, options?: { readonly const?: boolean }]
  : [args: ArgsFor<P>, options?: { readonly const?: boolean }];

export interface EntryInput {
  readonly key: Readonly<Record<string, unknown>>;
  readonly action: string;
  readonly args?: Readonly<Record<string, ValueInput>>;
  readonly priority?: number;
}

interface StageState {
  readonly name: string;
  readonly keys: readonly Key[];
  readonly actions: readonly Action[];
  readonly defaultAction?: { readonly action: string; readonly args: Readonly<Record<string, ValueInput>>; readonly const: boolean };
  readonly size: number;
  readonly entries: readonly EntryInput[];
  readonly directCounter?: CounterUnit;
  readonly directMeter?: MeterUnit;
  readonly description?: string;
}

export const DEFAULT_STAGE_SIZE = 1024;
/** P4's implicit default: an action that does nothing. */
export const NO_ACTION = 'NoAction';

export class StageBuilder<S extends Schema, A extends ActionsSpec = {}, K extends Record<string, MatchKind> = {}> {
  /** @internal */
  constructor(
    private readonly ctx: BuildContext,
    private readonly state: StageState,
  ) {}

  /** @internal */
  static create<S extends Schema>(ctx: BuildContext, name: string): StageBuilder<S> {
    return new StageBuilder<S>({ ...ctx, where: { ...ctx.where, stage: name } }, { name, keys: [], actions: [], size: DEFAULT_STAGE_SIZE, entries: [] });
  }

  private next<A2 extends ActionsSpec = A, K2 extends Record<string, MatchKind> = K>(patch: Partial<StageState>): StageBuilder<S, A2, K2> {
    return new StageBuilder<S, A2, K2>(this.ctx, { ...this.state, ...patch });
  }

  /** Match keys, in order: `{ 'ipv4.dstAddr': 'lpm' }`. */
  key<KS extends KeySpec<S>>(keys: KnownKeys<S, KS>): StageBuilder<S, A, { [P in keyof KS]: KS[P] & MatchKind }> {
    const list: Key[] = Object.entries(keys as Record<string, MatchKind>).map(([field, match]) => ({ kind: 'key', field, match }));
    return this.next({ keys: [...this.state.keys, ...list] });
  }

  /** An action without parameters. */
  action<N extends string>(name: N, body: (a: ActionBuilder<S>) => ActionBuilder<S>): StageBuilder<S, A & Record<N, {}>, K>;
  /** An action with typed parameters, given by the control plane per entry: `{ port: bit(9) }`. */
  action<N extends string, P extends ParamSpec>(
    name: N,
    params: P,
    body: (a: ActionBuilder<S>, p: ParamExprs<P>) => ActionBuilder<S>,
  ): StageBuilder<S, A & Record<N, ParamWidths<P>>, K>;
  action(
    name: string,
    paramsOrBody: ParamSpec | ((a: ActionBuilder<S>) => ActionBuilder<S>),
    maybeBody?: (a: ActionBuilder<S>, p: Record<string, BitExpr<number>>) => ActionBuilder<S>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): StageBuilder<S, any, K> {
    const params: ParamSpec = typeof paramsOrBody === 'function' ? {} : paramsOrBody;
    const body = typeof paramsOrBody === 'function' ? paramsOrBody : maybeBody;
    if (!body) throw new MpvisorError('INVALID_ARGUMENT', [{ ...this.ctx.where, action: name, message: 'action needs a body' }]);
    const irParams: ActionParam[] = Object.entries(params).map(([pname, b]) => ({ kind: 'actionParam', name: pname, width: b.width }));
    const ctx: BuildContext = {
      ...this.ctx,
      where: { ...this.ctx.where, action: name },
      scope: this.ctx.scope,
    };
    const exprs: Record<string, BitExpr<number>> = {};
    for (const p of irParams) exprs[p.name] = new BitExpr({ kind: 'param', name: p.name }, p.width);
    const built = underPath(`$.actions[${this.state.actions.length}]`, () => body(new ActionBuilder<S>(ctx), exprs));
    const action: Action = { kind: 'action', name, params: irParams, body: built.primitives };
    return this.next({ actions: [...this.state.actions, action] });
  }

  /** The action run on a miss (P4's default is `NoAction`); `const` forbids the control plane to change it. */
  defaultAction<N extends keyof A & string>(name: N, ...rest: DefaultRest<A[N]>): StageBuilder<S, A, K> {
    const [args, options] = rest;
    return this.next({ defaultAction: { action: name, args: (args ?? {}) as Record<string, ValueInput>, const: options?.const ?? false } });
  }

  /** Maximum number of entries. */
  size(entries: number): StageBuilder<S, A, K> {
    return this.next({ size: entries });
  }

  /** Const entries, installed with the program. Without priorities, earlier entries win. */
  entries(...entries: readonly EntrySpec<K, A>[]): StageBuilder<S, A, K> {
    return this.next({ entries: [...this.state.entries, ...(entries as readonly EntryInput[])] });
  }

  /** A counter per entry, counted on every hit. */
  directCounter(unit: CounterUnit = 'packetsAndBytes'): StageBuilder<S, A, K> {
    return this.next({ directCounter: unit });
  }

  /** A two-rate three-colour meter per entry; read it with `directMeterRead`. */
  directMeter(unit: MeterUnit = 'bytes'): StageBuilder<S, A, K> {
    return this.next({ directMeter: unit });
  }

  describe(text: string): StageBuilder<S, A, K> {
    return this.next({ description: text });
  }

  /** @internal the stage as IR; values are parsed here, their fit is checked by validation. */
  build(): BuiltStage {
    const s = this.state;
    const fail = failAt(this.ctx.where);
    const actions = s.defaultAction || s.actions.some((a) => a.name === NO_ACTION)
      ? s.actions
      : [...s.actions, { kind: 'action' as const, name: NO_ACTION, params: [], body: [] }];
    const def = s.defaultAction ?? { action: NO_ACTION, args: {}, const: false };
    const { entries, autoPriority } = buildEntries(s, s.entries, this.ctx.scope, fail);
    const ir: Stage = {
      kind: 'stage',
      name: s.name,
      keys: s.keys,
      actions,
      defaultAction: {
        kind: 'defaultAction',
        action: { kind: 'actionCall', action: def.action, args: convertArgs(def.args, '$.defaultAction.args', def.action, fail) },
        const: def.const,
      },
      size: s.size,
      entries,
      ...(s.directCounter !== undefined ? { directCounter: s.directCounter } : {}),
      ...(s.directMeter !== undefined ? { directMeter: s.directMeter } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
    };
    return { ir, autoPriority };
  }
}

/** A built stage, and whether its entries are ranked by position (no explicit priorities). */
export interface BuiltStage {
  readonly ir: Stage;
  readonly autoPriority: boolean;
}

type Fail = (message: string, path: string, action?: string) => never;

export function failAt(where: FaultLocation): Fail {
  return (message, path, action) => {
    throw new MpvisorError('INVALID_ARGUMENT', [{ ...where, ...(action !== undefined ? { action } : {}), message, path }]);
  };
}

export function convertArgs(args: Readonly<Record<string, ValueInput>>, path: string, action: string, fail: Fail): Record<string, string> {
  try {
    return toArgs(args);
  } catch (e) {
    return fail((e as Error).message, path, action);
  }
}

/**
 * Entries as IR. With priorities needed and none given, entries are ranked by
 * position, first highest (as P4_16 const entries are); mixing is an error.
 */
export function buildEntries(
  stage: Pick<Stage, 'keys'>,
  inputs: readonly EntryInput[],
  scope: BuildContext['scope'],
  fail: Fail,
  firstIndex = 0,
): { entries: Entry[]; autoPriority: boolean } {
  const needs = needsPriority(stage);
  const auto = needs && inputs.every((e) => e.priority === undefined);
  if (needs && !auto && inputs.some((e) => e.priority === undefined)) {
    fail('give every entry a priority, or none (then earlier entries win)', '$.entries');
  }
  const entries = inputs.map((e, n): Entry => {
    const path = `$.entries[${firstIndex + n}]`;
    const widths = stage.keys.map((key) => {
      const f = scope.field(key.field);
      return typeof f === 'string' ? 1 : f.width;
    });
    const matches = toKeyMatches(stage.keys, widths, e.key);
    if (!Array.isArray(matches)) {
      const message =
        matches.kind === 'unknownKey'
          ? `entry names "${matches.key}", which is not a key of this stage`
          : matches.kind === 'missingKey'
            ? `entry has no value for key ${matches.key}`
            : `key ${matches.key}: ${matches.message}`;
      return fail(message, `${path}.key`);
    }
    const priority = auto ? inputs.length - n : e.priority;
    return {
      kind: 'entry',
      matches,
      action: { kind: 'actionCall', action: e.action, args: convertArgs(e.args ?? {}, `${path}.args`, e.action, fail) },
      ...(priority !== undefined ? { priority } : {}),
    };
  });
  return { entries, autoPriority: auto };
}
