/**
 * The compiled target: every program of a loaded pipeline becomes a
 * specialised JavaScript function (codegen.ts, built with `new Function`),
 * run by a pass loop that keeps standard metadata in a reused Float64Array.
 * Outputs are byte-identical to the reference target's; the differential
 * tests run it on every example NF.
 *
 * Reconfiguration: before the next packet, the tables the device's write
 * journal names are brought up to date (binding.ts): an exact-match table
 * is patched entry by entry, any other written table has its lookup
 * structure rebuilt (tables.ts), a written default action is re-decoded. A
 * batch is seen whole, between packets, and a failed all-or-nothing batch
 * changes nothing. Registers, counters, meters, direct counters and direct
 * meters are read and written in place on the DeviceState, so `read()` sees
 * them at once.
 *
 * A program the generator cannot compile runs with the reference
 * interpreter (its `source()` says so and why). A packet processed with
 * `{ trace: true }` runs on the reference interpreter over the same device
 * state, so its trace is the reference's and the state stays shared.
 */
import { MpvisorError, type Program, type StandardFieldName } from '@mpvisor/mpapi';
import { MAX_PORT, type DeviceState, type PacketIn, type Pipeline, type ProcessOptions, type ProcessResult, type TraceEvent } from '@mpvisor/runtime';
import { DeviceTarget } from '../device-target.js';
import { runControl } from '../reference/control.js';
import { ProgramLayout } from '../reference/packet-state.js';
import type { PassRequests } from '../reference/primitives.js';
import { processPacket, programStep } from '../reference/process.js';
import { bindProgram, newRequests, syncProgram, type BoundProgram, type StepFn } from './binding.js';
import { ALL_CAPS, capsOf, nativeLoop, PASS_STATE_SIZE, type NativeLoop } from './pass-loop.js';
import { timestampOf } from './runtime.js';
import { compileStep, type StepCode } from './step-code.js';

export interface CompiledTargetOptions {
  /** Passes a packet may make (1 + resubmissions + recirculations) before it is dropped. */
  readonly maxPasses?: number;
  /** Programs to run with the reference interpreter instead of compiling them (for comparison and debugging). */
  readonly interpret?: readonly string[];
}

interface StepPlan {
  readonly program: Program;
  readonly index: number;
  readonly code: StepCode;
}

interface Bound {
  readonly device: DeviceState;
  readonly programs: readonly BoundProgram[];
  readonly loop: NativeLoop;
}

const LAST_PORT = MAX_PORT;

export class CompiledTarget extends DeviceTarget {
  readonly name = 'compiled';
  private readonly interpret: ReadonlySet<string>;
  private plan: { readonly pipeline: Pipeline; readonly steps: readonly StepPlan[]; readonly layouts: ReadonlyMap<string, ProgramLayout> } | undefined;
  private bound: Bound | undefined;
  private readonly S = new Float64Array(PASS_STATE_SIZE);
  private readonly R = newRequests();

  constructor(options: CompiledTargetOptions = {}) {
    super(options);
    this.interpret = new Set(options.interpret ?? []);
  }

  /** Generate and compile every step's function; a program that cannot be compiled falls back to the reference. */
  protected prepare(pipeline: Pipeline): void {
    const steps = pipeline.steps.map((step, index): StepPlan => {
      const { program } = step;
      if (this.interpret.has(program.name)) {
        const reason = 'the target was asked to interpret it';
        return { program, index, code: { compiled: false, source: `// ${program.name}: run by the reference interpreter (${reason})\n`, reason } };
      }
      return { program, index, code: compileStep(program, step.when) };
    });
    this.plan = { pipeline, steps, layouts: new Map(pipeline.steps.map((s) => [s.program.name, new ProgramLayout(s.program)])) };
    this.bound = undefined;
  }

  /**
   * The generated JavaScript of a program of the loaded pipeline (every
   * step that runs it, for a program a policy runs twice), or the note
   * that it runs with the reference interpreter and why.
   */
  source(program?: string): string {
    void this.device;
    const steps = this.plan!.steps.filter((s) => program === undefined || s.program.name === program);
    if (steps.length === 0) throw new MpvisorError('INVALID_ARGUMENT', `the pipeline runs no program "${program}"`);
    return steps.map((s) => s.code.source).join('\n');
  }

  /** Which programs run compiled and which with the reference interpreter. */
  compiledPrograms(): { readonly program: string; readonly compiled: boolean }[] {
    void this.device;
    return this.plan!.steps.map((s) => ({ program: s.program.name, compiled: s.code.compiled }));
  }

  /** DeviceTarget.process (the same checks, the same errors), without its per-call default options object. */
  override process(packet: PacketIn, options?: ProcessOptions): ProcessResult {
    void this.device;
    if (typeof packet.port !== 'number' || (packet.port >>> 0) !== packet.port || packet.port > LAST_PORT) {
      throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${packet.port} is not in 0..${LAST_PORT}`);
    }
    if (!(packet.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
    if (options?.trace) return this.run(packet, options);
    this.sync();
    return this.pass(packet);
  }

  protected run(packet: PacketIn, options: ProcessOptions): ProcessResult {
    if (options.trace) {
      const trace: TraceEvent[] = [];
      return processPacket({ device: this.device, layouts: this.plan!.layouts, digests: this.digests, maxPasses: this.maxPasses }, packet, trace);
    }
    this.sync();
    return this.pass(packet);
  }

  /** Every packet checked first (nothing runs if one is bad, with process()'s error), then the batch in one generated loop. */
  override processBatch(packets: readonly PacketIn[]): readonly ProcessResult[] {
    void this.device;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      // the checks process() makes (>>> 0 keeps only integers 0..2^32-1 unchanged)
      if (typeof p.port !== 'number' || (p.port >>> 0) !== p.port || p.port > LAST_PORT) {
        throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${p.port} is not in 0..${LAST_PORT}`);
      }
      if (!(p.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
    }
    this.sync();
    const out = new Array<ProcessResult>(packets.length);
    this.bound!.loop.run(packets, 0, packets.length, out);
    return out;
  }

  // ------------------------------------------------------------ binding to the device

  /** Bring the lookup structures up to date with the device: at load, and after writes. */
  private sync(): void {
    const device = this.device;
    const b = this.bound;
    if (!b || b.device !== device) {
      this.bound = this.bind(device);
      return;
    }
    const journal = device.journal;
    for (const p of b.programs) if (p.seen !== journal.end) syncProgram(p, journal);
  }

  private bind(device: DeviceState): Bound {
    const plan = this.plan!;
    if (device.pipeline !== plan.pipeline) throw new MpvisorError('INTERNAL', 'compiled: the loaded device is not the pipeline that was compiled');
    // a program a policy runs twice is bound once: its state is one
    const programs = new Map<string, BoundProgram>();
    const steps = plan.steps.map((s): StepFn => {
      if (!s.code.compiled) return this.interpreted(s, device);
      let bp = programs.get(s.program.name);
      if (!bp) {
        bp = bindProgram(s.program, device.programs.get(s.program.name)!, s.code.plans, device.journal, (d) => this.digests.push(d));
        programs.set(s.program.name, bp);
      }
      return s.code.factory(bp.env);
    });
    const caps = plan.steps.map((s) => (s.code.compiled ? capsOf(s.program) : ALL_CAPS));
    const loop = nativeLoop(caps, { steps, cloneSessions: device.cloneSessions, multicastGroups: device.multicastGroups, maxPasses: this.maxPasses, S: this.S, R: this.R });
    return { device, programs: [...programs.values()], loop };
  }

  /** A program the reference interpreter runs, as a step of the compiled pass loop. */
  private interpreted(s: StepPlan, device: DeviceState): StepFn {
    const pipelineStep = device.pipeline.steps[s.index]!;
    const runner = programStep(pipelineStep, this.plan!.layouts.get(s.program.name)!, device.programs.get(s.program.name)!, runControl);
    return (d, S, R) => {
      const standard: Record<StandardFieldName, bigint> = {
        ingressPort: BigInt(S[0]!),
        egressPort: BigInt(S[1]!),
        packetLength: BigInt(S[2]!),
        parserError: 0n,
        checksumError: 0n,
        mcastGroup: BigInt(S[5]!),
        instanceType: BigInt(S[6]!),
        ingressTimestamp: BigInt(S[7]! >= 0 ? S[7]! : (S[7] = timestampOf(R.ts))),
        priority: BigInt(S[8]!),
      };
      const requests: PassRequests = { resubmit: false, recirculate: false };
      const out = runner({ current: d, standard, requests, digests: this.digests, trace: undefined });
      if (requests.clone) {
        R.cl = true;
        R.cs = requests.clone.session;
        R.cm = requests.clone.mode === 'ingress' ? 0 : 1;
      }
      if (requests.resubmit) R.rs = true;
      if (requests.recirculate) R.rc = true;
      if (!out) return undefined;
      S[1] = Number(out.standard.egressPort);
      S[5] = Number(out.standard.mcastGroup);
      S[8] = Number(out.standard.priority);
      return out.bytes;
    };
  }

  private pass(packet: PacketIn): ProcessResult {
    return this.bound!.loop.one(packet);
  }
}
