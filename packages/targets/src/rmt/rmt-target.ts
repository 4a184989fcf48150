/**
 * The RMT target: a program (or a policy, or the hypervisor's image) is
 * placed into a chip profile's stages first — a program that does not fit
 * is refused at load — and packets then run the way the chip runs them:
 * the parser fills the packet header vector, each physical stage applies
 * the logical tables placed in it whose predicate holds (the control path
 * reaches them), and only what the PHV holds travels from one stage to the
 * next. The P4 semantics of each table are the reference's (applyNode), so
 * outputs are byte-identical to it; what this target adds is the schedule,
 * the PHV and the resource and latency model.
 */
import { MpvisorError, topologicalOrder, type ControlNode, type NodeTarget } from '@mpvisor/mpapi';
import type { PacketIn, Pipeline, ProcessOptions, ProcessResult, TraceEvent } from '@mpvisor/runtime';
import { DeviceTarget } from '../device-target.js';
import { applyNode } from '../reference/control.js';
import { PacketState, ProgramLayout } from '../reference/packet-state.js';
import type { ActionContext } from '../reference/primitives.js';
import { programStep, runPasses } from '../reference/process.js';
import type { PhvAllocation, Placement, RmtProfile } from './model.js';
import { placePipeline } from './placement.js';
import { profileByName, RMT_PROFILE } from './profiles.js';

export interface RmtTargetOptions {
  /** A profile or its name (`rmt`, `tofino-like`); RMT by default. */
  readonly profile?: RmtProfile | string;
  readonly maxPasses?: number;
}

export interface RmtResult extends ProcessResult {
  /** Cycles from parser to deparser (the pipeline's latency: every packet crosses every used stage). */
  readonly cycles: number;
}

/** Per program: its control nodes by the physical stage that completes them, in control order. */
interface Schedule {
  readonly byStage: readonly (readonly ControlNode[])[];
  readonly entry: NodeTarget;
}

export class RmtTarget extends DeviceTarget<RmtResult> {
  readonly name: string;
  readonly profile: RmtProfile;
  private plan: { placement: Placement; layouts: Map<string, ProgramLayout>; schedules: Map<string, Schedule> } | undefined;

  constructor(options: RmtTargetOptions = {}) {
    super(options);
    this.profile = typeof options.profile === 'string' ? profileByName(options.profile) : (options.profile ?? RMT_PROFILE);
    this.name = `rmt(${this.profile.name})`;
  }

  /** Where the loaded pipeline went: stages, memory, PHV and latency. */
  get placement(): Placement {
    void this.device;
    return this.plan!.placement;
  }

  /** Place first: a pipeline that does not fit the profile is refused (RESOURCE_EXHAUSTED) and the target keeps what it had. */
  protected prepare(pipeline: Pipeline): void {
    const placement = placePipeline(pipeline, this.profile);
    const schedules = new Map<string, Schedule>();
    for (const { program } of pipeline.steps) {
      if (schedules.has(program.name)) continue;
      const last = new Map<string, number>();
      for (const t of placement.tables) if (t.table.program === program.name) last.set(t.table.node, Math.max(...t.stages.map((s) => s.stage)));
      const byStage: ControlNode[][] = Array.from({ length: this.profile.stages }, () => []);
      // control nodes in topological order, so nodes sharing a stage run in control order
      for (const node of topologicalOrder(program.control)) {
        const stage = last.get(node.id);
        if (stage === undefined) throw new MpvisorError('INTERNAL', `rmt: control node ${program.name}/${node.id} was not placed`);
        byStage[stage]!.push(node);
      }
      schedules.set(program.name, { byStage, entry: program.control.entry });
    }
    this.plan = { placement, layouts: new Map(pipeline.steps.map((s) => [s.program.name, new ProgramLayout(s.program)])), schedules };
  }

  protected run(packet: PacketIn, options: ProcessOptions): RmtResult {
    const device = this.device;
    const { placement, layouts, schedules } = this.plan!;
    const trace: TraceEvent[] | undefined = options.trace ? [] : undefined;
    const steps = device.pipeline.steps.map((step) => {
      const schedule = schedules.get(step.program.name)!;
      const control = (ctx: ActionContext, t: TraceEvent[] | undefined): void => runStaged(ctx, schedule, placement.phv, t);
      return { program: step.program.name, run: programStep(step, layouts.get(step.program.name)!, device.programs.get(step.program.name)!, control) };
    });
    const result = runPasses({ steps, multicastGroups: device.multicastGroups, cloneSessions: device.cloneSessions, digests: this.digests, maxPasses: this.maxPasses }, packet, trace);
    return { ...result, cycles: placement.latencyCycles * result.passes };
  }
}

/**
 * The control, stage by stage: in each physical stage the nodes placed
 * there run if the control path has reached them (predication); between
 * stages only the PHV carries the packet. Placement respects every
 * dependency, so the path never needs a node of an earlier stage.
 */
function runStaged(ctx: ActionContext, schedule: Schedule, phv: PhvAllocation, trace: TraceEvent[] | undefined): void {
  let at = schedule.entry;
  for (let stage = 0; stage < schedule.byStage.length && at !== null; stage++) {
    const nodes = schedule.byStage[stage]!;
    if (nodes.length === 0) continue;
    for (const node of nodes) if (node.id === at) at = applyNode(ctx, node, trace);
    throughPhv(ctx.state, phv);
  }
  if (at !== null) throw new MpvisorError('INTERNAL', `rmt: control node ${ctx.device.program.name}/${at} comes after the stage that ran its predecessor`);
}

/**
 * What crosses a stage boundary: the state written into the PHV's
 * containers and read back. A field the allocation gives no container, or
 * too few bits, comes out wrong — so a PHV allocation bug shows up as a
 * differential failure, not as silently right output. Standard metadata
 * the allocation leaves out is intrinsic (it travels beside the PHV).
 */
function throughPhv(state: PacketState, phv: PhvAllocation): void {
  const program = state.layout.program;
  const containers = new Map<number, bigint>();
  const read = (ref: string): bigint => {
    if (ref.endsWith('.$valid')) return state.header(ref.slice(0, -'.$valid'.length))?.valid ? 1n : 0n;
    return state.get(ref);
  };
  for (const [ref, pieces] of phv.fields) {
    if (!belongsTo(ref, program.name)) continue;
    let v = read(unscoped(ref));
    // most significant piece first: peel pieces off the low end, last piece first
    for (let i = pieces.length - 1; i >= 0; i--) {
      const p = pieces[i]!;
      const mask = (1n << BigInt(p.bits)) - 1n;
      containers.set(p.container, (containers.get(p.container) ?? 0n) | ((v & mask) << BigInt(p.offset)));
      v >>= BigInt(p.bits);
    }
  }
  for (const [ref, pieces] of phv.fields) {
    if (!belongsTo(ref, program.name)) continue;
    let v = 0n;
    for (const p of pieces) v = (v << BigInt(p.bits)) | (((containers.get(p.container) ?? 0n) >> BigInt(p.offset)) & ((1n << BigInt(p.bits)) - 1n));
    const field = unscoped(ref);
    if (field.endsWith('.$valid')) {
      const h = state.header(field.slice(0, -'.$valid'.length));
      if (h) h.valid = v !== 0n;
    } else state.set(field, v);
  }
}

/** PHV field names are the program's own, or `program/field` when several programs share the pipeline. */
const belongsTo = (ref: string, program: string): boolean => !ref.includes('/') || ref.startsWith(`${program}/`);
const unscoped = (ref: string): string => (ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref);
