import * as t from 'io-ts';
import { Name, node } from './codec-kit.js';
import { Expr } from './expr.js';
import { Program, IrVersion } from './program.js';

/**
 * One step of a chain: run `program`; with `when`, only if the condition
 * holds, evaluated on that program's own parse of the packet (so "send only
 * IPv4 to the router" is `when: isValid(ipv4)` on the router's step).
 */
export const PolicyStep = node('step', { kind: t.literal('step'), program: Name }, { when: Expr });
export type PolicyStep = t.TypeOf<typeof PolicyStep>;

/** A chain of programs for one tenant. Programs are embedded by value, so a policy is self-contained. */
export const Policy = node(
  'policy',
  {
    kind: t.literal('policy'),
    irVersion: IrVersion,
    name: Name,
    programs: t.readonlyArray(Program),
    steps: t.readonlyArray(PolicyStep),
  },
  { description: t.string },
);
export type Policy = t.TypeOf<typeof Policy>;
