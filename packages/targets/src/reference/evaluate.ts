/**
 * Expression evaluation with P4_16's unsigned semantics: `bit<W>` arithmetic
 * wraps modulo 2^W, saturating operators clamp, shifts by W or more give 0,
 * casts truncate or zero-extend. Booleans are carried as width-0 values 0/1.
 */
import type { Expr } from '@mpvisor/mpapi';
import { mask, readBits } from './bits.js';
import type { PacketState } from './packet-state.js';

export interface Env {
  readonly state: PacketState;
  /** Action arguments, by parameter name, with their widths. */
  readonly args?: ReadonlyMap<string, { readonly value: bigint; readonly width: number }>;
  /** In the parser: the packet and the current bit offset, for lookahead. */
  readonly packet?: Uint8Array;
  readonly offset?: number;
}

/** A value and its width; width 0 marks a bool. */
export type Value = readonly [bigint, number];

/** Thrown by lookahead past the end of the packet; the parser turns it into PacketTooShort. */
export class LookaheadPastEnd extends Error {}

export function evaluate(e: Expr, env: Env): Value {
  switch (e.kind) {
    case 'const':
      return [BigInt(e.value), e.width];
    case 'bool':
      return [e.value ? 1n : 0n, 0];
    case 'field': {
      const f = env.state.layout.field(e.ref);
      return [env.state.get(e.ref), f.width];
    }
    case 'param': {
      const a = env.args?.get(e.name);
      if (!a) throw new Error(`internal: unbound parameter ${e.name}`);
      return [a.value, a.width];
    }
    case 'lookahead': {
      const offset = env.offset ?? 0;
      if (!env.packet || offset + e.width > env.packet.length * 8) throw new LookaheadPastEnd();
      return [readBits(env.packet, offset, e.width), e.width];
    }
    case 'isValid':
      return [env.state.header(e.header)?.valid ? 1n : 0n, 0];
    case 'unary': {
      const [v, w] = evaluate(e.arg, env);
      if (e.op === '!') return [v === 0n ? 1n : 0n, 0];
      if (e.op === '~') return [~v & mask(w), w];
      return [-v & mask(w), w];
    }
    case 'binary':
      return binary(e.op, e.left, e.right, env);
    case 'slice': {
      const [v] = evaluate(e.arg, env);
      const w = e.hi - e.lo + 1;
      return [(v >> BigInt(e.lo)) & mask(w), w];
    }
    case 'cast': {
      const [v] = evaluate(e.arg, env);
      return [v & mask(e.width), e.width];
    }
    case 'mux': {
      const [c] = evaluate(e.cond, env);
      return c !== 0n ? evaluate(e.then, env) : evaluate(e.else, env);
    }
  }
}

function binary(op: string, left: Expr, right: Expr, env: Env): Value {
  // && and || short-circuit, as in P4
  if (op === '&&') return evaluate(left, env)[0] === 0n ? [0n, 0] : [evaluate(right, env)[0] === 0n ? 0n : 1n, 0];
  if (op === '||') return evaluate(left, env)[0] !== 0n ? [1n, 0] : [evaluate(right, env)[0] === 0n ? 0n : 1n, 0];
  const [l, w] = evaluate(left, env);
  const [r, rw] = evaluate(right, env);
  const m = mask(w);
  const bool = (b: boolean): Value => [b ? 1n : 0n, 0];
  switch (op) {
    case '+':
      return [(l + r) & m, w];
    case '-':
      return [(l - r) & m, w];
    case '*':
      return [(l * r) & m, w];
    case '|+|':
      return [l + r > m ? m : l + r, w];
    case '|-|':
      return [l > r ? l - r : 0n, w];
    case '&':
      return [l & r, w];
    case '|':
      return [l | r, w];
    case '^':
      return [l ^ r, w];
    case '<<':
      return [r >= BigInt(w) ? 0n : (l << r) & m, w];
    case '>>':
      return [r >= BigInt(w) ? 0n : l >> r, w];
    case '++':
      return [(l << BigInt(rw)) | r, w + rw];
    case '==':
      return bool(l === r);
    case '!=':
      return bool(l !== r);
    case '<':
      return bool(l < r);
    case '<=':
      return bool(l <= r);
    case '>':
      return bool(l > r);
    case '>=':
      return bool(l >= r);
  }
  throw new Error(`internal: unknown operator ${op}`);
}

export const truthy = (e: Expr, env: Env): boolean => evaluate(e, env)[0] !== 0n;
