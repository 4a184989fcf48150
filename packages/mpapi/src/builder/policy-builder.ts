/**
 * A policy: the chain of programs one tenant runs, in order, each step
 * optionally guarded by a condition on that program's own parse.
 */
import { either } from 'fp-ts';
import type { Policy, PolicyStep } from '../ir/policy.js';
import type { Program } from '../ir/program.js';
import { IR_VERSION } from '../ir/version.js';
import { canonicalJson, digestOf } from '../ir/canonical.js';
import { decodePolicy } from '../ir/decode.js';
import { MpvisorError } from '../errors.js';
import { Scope } from '../validate/scope.js';
import { ExprScope, type BoolExpr } from './expression.js';
import type { ProgramBuilder } from './program-builder.js';
import type { Schema, StagesSpec } from './schema.js';

interface Step {
  readonly program: Program;
  readonly when?: BoolExpr;
}

export class PolicyBuilder {
  #ir: Policy | undefined;

  /** @internal */
  constructor(
    readonly name: string,
    private readonly steps: readonly Step[] = [],
    private readonly description?: string,
  ) {}

  describe(text: string): PolicyBuilder {
    return new PolicyBuilder(this.name, this.steps, text);
  }

  /**
   * Append programs, each run on every packet: `chain(l2switch, firewall)`.
   * Takes any program builder (of any schema) or anything else that compiles
   * to a program: `ProgramBuilder` is invariant in its schema, so
   * `ProgramBuilder<Schema, StagesSpec>` would accept no real program.
   */
  chain(...programs: readonly { toIR(): Program }[]): PolicyBuilder {
    return new PolicyBuilder(this.name, [...this.steps, ...programs.map((p) => ({ program: p.toIR() }))], this.description);
  }

  /** Append one program, run only when `when` holds on that program's parse of the packet. */
  step<S extends Schema, St extends StagesSpec>(program: ProgramBuilder<S, St>, options: { readonly when?: (c: ExprScope<S>) => BoolExpr } = {}): PolicyBuilder {
    const ir = program.toIR();
    const when = options.when?.(new ExprScope<S>(new Scope(ir), { program: ir.name }));
    return new PolicyBuilder(this.name, [...this.steps, { program: ir, ...(when ? { when } : {}) }], this.description);
  }

  toIR(): Policy {
    if (this.#ir) return this.#ir;
    const programs: Program[] = [];
    for (const s of this.steps) {
      const same = programs.find((p) => p.name === s.program.name);
      if (!same) programs.push(s.program);
      else if (digestOf(same) !== digestOf(s.program)) {
        throw new MpvisorError('INVALID_ARGUMENT', [{ message: `policy "${this.name}" uses two different programs named "${s.program.name}"` }]);
      }
    }
    const steps: PolicyStep[] = this.steps.map((s) => ({ kind: 'step', program: s.program.name, ...(s.when ? { when: s.when.node } : {}) }));
    const ir: Policy = {
      kind: 'policy',
      irVersion: IR_VERSION,
      name: this.name,
      ...(this.description !== undefined ? { description: this.description } : {}),
      programs,
      steps,
    };
    const decoded = decodePolicy(ir);
    if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', decoded.left);
    this.#ir = decoded.right;
    return decoded.right;
  }

  irDigest(): string {
    return digestOf(this.toIR());
  }

  canonicalJson(): string {
    return canonicalJson(this.toIR());
  }

  toJSON(): Policy {
    return this.toIR();
  }
}

/** Start a policy for one tenant. */
export function policy(name: string): PolicyBuilder {
  return new PolicyBuilder(name);
}
