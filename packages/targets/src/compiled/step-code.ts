/**
 * A program (or a policy step: a program and its condition) as a compiled
 * function factory: generated source, built with `new Function`. What the
 * generator refuses, or JavaScript the engine cannot build (too large, too
 * deep), comes back without a factory and with the reason, for the caller
 * to run on the reference interpreter.
 */
import { Scope, type Expr, type Program, type Stage } from '@mpvisor/mpapi';
import type { Factory } from './binding.js';
import { generateStep, Unsupported, type ControlHooks } from './codegen.js';
import type { TablePlan } from './tables.js';

export type StepCode =
  | { readonly compiled: true; readonly source: string; readonly factory: Factory; readonly plans: readonly TablePlan[] }
  | { readonly compiled: false; readonly source: string; readonly reason: string };

export function compileStep(program: Program, when: Expr | undefined, hooks?: ControlHooks): StepCode {
  const scope = new Scope(program);
  const widths = (stage: Stage): number[] =>
    stage.keys.map((k) => {
      const f = scope.field(k.field);
      if (typeof f === 'string') throw new Unsupported(f);
      return f.width;
    });
  try {
    const gen = generateStep(program, when, widths, hooks);
    const factory = new Function('H', 'E', gen.source) as Factory;
    return { compiled: true, source: gen.source, factory, plans: gen.plans };
  } catch (e) {
    if (!(e instanceof Unsupported) && !(e instanceof SyntaxError) && !(e instanceof RangeError)) throw e;
    return { compiled: false, source: `// ${program.name}: run by the reference interpreter: ${e.message}\n`, reason: e.message };
  }
}
