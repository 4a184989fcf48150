/** Rewrites over IR trees, used by derive (binding action parameters to constants). */
import type { Primitive, Action } from './action.js';
import type { Expr } from './expr.js';

export function mapExpr(e: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const r = f(e);
  if (r !== undefined) return r;
  switch (e.kind) {
    case 'unary':
      return { ...e, arg: mapExpr(e.arg, f) };
    case 'binary':
      return { ...e, left: mapExpr(e.left, f), right: mapExpr(e.right, f) };
    case 'slice':
    case 'cast':
      return { ...e, arg: mapExpr(e.arg, f) };
    case 'mux':
      return { ...e, cond: mapExpr(e.cond, f), then: mapExpr(e.then, f), else: mapExpr(e.else, f) };
    default:
      return e;
  }
}

/** Apply `f` to every expression a primitive holds. */
export function mapPrimitiveExprs(p: Primitive, f: (e: Expr) => Expr): Primitive {
  const m = (e: Expr): Expr => f(e);
  const ms = (es: readonly Expr[]): Expr[] => es.map(m);
  switch (p.kind) {
    case 'assign':
    case 'maskedAssign':
      return { ...p, value: m(p.value) };
    case 'setEgress':
      return { ...p, port: m(p.port) };
    case 'multicast':
      return { ...p, group: m(p.group) };
    case 'clone':
      return { ...p, session: m(p.session) };
    case 'digest':
      return { ...p, values: ms(p.values) };
    case 'registerRead':
    case 'count':
    case 'meterExecute':
      return { ...p, index: m(p.index) };
    case 'registerWrite':
      return { ...p, index: m(p.index), value: m(p.value) };
    case 'hash':
    case 'checksumVerify':
    case 'checksumUpdate':
      return { ...p, inputs: ms(p.inputs) };
    case 'checksumIncremental':
      return { ...p, removed: ms(p.removed), added: ms(p.added) };
    default:
      return p;
  }
}

/** Replace parameters by constants: the action loses those parameters. */
export function bindParams(action: Action, values: ReadonlyMap<string, string>): Action {
  const sub = (e: Expr): Expr =>
    mapExpr(e, (x) => {
      if (x.kind !== 'param') return undefined;
      const v = values.get(x.name);
      const p = action.params.find((q) => q.name === x.name);
      return v !== undefined && p ? { kind: 'const', width: p.width, value: v } : undefined;
    });
  return {
    ...action,
    params: action.params.filter((p) => !values.has(p.name)),
    body: action.body.map((p) => mapPrimitiveExprs(p, sub)),
  };
}
