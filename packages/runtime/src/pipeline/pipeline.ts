/**
 * What a target loads: one program, or a tenant's policy, as a flat list of
 * steps. Input that came from outside (a file, a registry) is decoded and
 * validated here first, so a target only ever sees well-formed IR.
 */
import { either } from 'fp-ts';
import { decodeIR, digestOf, MpvisorError, type Expr, type Policy, type Program } from '@mpvisor/mpapi';

export interface PipelineStep {
  readonly program: Program;
  /** Run the program only when this holds on its own parse of the packet. */
  readonly when?: Expr;
}

export interface Pipeline {
  readonly name: string;
  readonly source: 'program' | 'policy';
  readonly steps: readonly PipelineStep[];
  /** Digest of the IR the pipeline was made from. */
  readonly digest: string;
}

/** Something that can give its IR: a program or policy builder, or the IR itself. */
export type PipelineSource = Program | Policy | { toIR(): Program | Policy };

export function pipelineOf(ir: Program | Policy): Pipeline {
  if (ir.kind === 'program') return { name: ir.name, source: 'program', steps: [{ program: ir }], digest: digestOf(ir) };
  const byName = new Map(ir.programs.map((p) => [p.name, p]));
  const steps = ir.steps.map((s): PipelineStep => {
    const program = byName.get(s.program);
    if (!program) throw new MpvisorError('INVALID_ARGUMENT', [{ message: `policy "${ir.name}" runs unknown program "${s.program}"` }]);
    return s.when !== undefined ? { program, when: s.when } : { program };
  });
  return { name: ir.name, source: 'policy', steps, digest: digestOf(ir) };
}

/**
 * A pipeline from a builder, from IR, or from unknown JSON (decoded and
 * validated; every problem is reported at once with its JSON path).
 */
export function loadPipeline(source: PipelineSource | unknown): Pipeline {
  // what a builder's toIR() returns is decoded too: anything can have a toIR method
  const ir = typeof source === 'object' && source !== null && typeof (source as { toIR?: unknown }).toIR === 'function' ? (source as { toIR(): unknown }).toIR() : source;
  const decoded = decodeIR(ir);
  if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', decoded.left);
  return pipelineOf(decoded.right);
}
