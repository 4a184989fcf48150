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
import { HELPERS, type Helpers } from './runtime.js';
import type { TablePlan, Val } from './tables.js';

/** Build generated source: run once with the helpers, it gives the function that binds it to state. */
function build(source: string): Factory {
  return (new Function('H', source) as (H: Helpers) => Factory)(HELPERS);
}

export type StepCode =
  | { readonly compiled: true; readonly source: string; readonly factory: Factory; readonly plans: readonly TablePlan[]; readonly constants: readonly Val[] }
  | { readonly compiled: false; readonly source: string; readonly reason: string };

/**
 * Built functions by their source text, so programs whose code is the same
 * text (the same shape, their constants lifted out) share one function —
 * one thing for the JIT to optimise. The oldest is dropped beyond `size`.
 */
export class FactoryCache {
  private readonly factories = new Map<string, Factory>();

  constructor(private readonly size = 512) {}

  build(source: string): Factory {
    let f = this.factories.get(source);
    if (f) this.factories.delete(source);
    else f = build(source);
    this.factories.set(source, f);
    if (this.factories.size > this.size) this.factories.delete(this.factories.keys().next().value!);
    return f;
  }
}

export function compileStep(program: Program, when: Expr | undefined, hooks?: ControlHooks, cache?: FactoryCache): StepCode {
  const scope = new Scope(program);
  const widths = (stage: Stage): number[] =>
    stage.keys.map((k) => {
      const f = scope.field(k.field);
      if (typeof f === 'string') throw new Unsupported(f);
      return f.width;
    });
  try {
    const gen = generateStep(program, when, widths, hooks);
    const factory = cache ? cache.build(gen.source) : build(gen.source);
    return { compiled: true, source: gen.source, factory, plans: gen.plans, constants: gen.constants };
  } catch (e) {
    if (!(e instanceof Unsupported) && !(e instanceof SyntaxError) && !(e instanceof RangeError)) throw e;
    return { compiled: false, source: `// ${program.name}: run by the reference interpreter: ${e.message}\n`, reason: e.message };
  }
}
