/**
 * The compiled target: every program of a loaded pipeline becomes a
 * specialised JavaScript function (codegen.ts, built with `new Function`),
 * run by a pass loop that keeps standard metadata in a reused Float64Array.
 * Outputs are byte-identical to the reference target's; the differential
 * tests run it on every example NF.
 *
 * Reconfiguration: a control-plane write records the entries it changed;
 * before the next packet (when the device's generation moved), an
 * exact-match table is patched entry by entry and any other touched table
 * has its lookup structure rebuilt (tables.ts), and changed default actions
 * are re-decoded: a batch is seen whole, between packets, and a failed
 * all-or-nothing batch changes nothing. Registers, counters, meters, direct
 * counters and direct meters are read and written in place on the
 * DeviceState, so `read()` sees them at once.
 *
 * A program the generator cannot compile runs with the reference
 * interpreter (its `source()` says so and why). A packet processed with
 * `{ trace: true }` runs on the reference interpreter over the same device
 * state, so its trace is the reference's and the state stays shared.
 */
import { MpvisorError, Scope, toHex, type KeyMatch, type Program, type StandardFieldName } from '@mpvisor/mpapi';
import {
  DROP_PORT,
  MAX_PORT,
  type DeviceState,
  type MeterCell,
  type PacketIn,
  type PacketOut,
  type Pipeline,
  type ProcessOptions,
  type ProcessResult,
  type TableState,
  type TraceEvent,
  type Update,
  type WriteResult,
  type Atomicity,
} from '@mpvisor/runtime';
import { DeviceTarget } from '../device-target.js';
import { runControl } from '../reference/control.js';
import { ProgramLayout } from '../reference/packet-state.js';
import type { PassRequests } from '../reference/primitives.js';
import { processPacket, programStep } from '../reference/process.js';
import { generateStep, STD_SLOTS, Unsupported } from './codegen.js';
import { HELPERS, timestampOf, type Helpers } from './runtime.js';
import { buildTable, CTable, patchExact, syncDefault, type TablePlan, type Val } from './tables.js';

export interface CompiledTargetOptions {
  /** Passes a packet may make (1 + resubmissions + recirculations) before it is dropped. */
  readonly maxPasses?: number;
  /** Programs to run with the reference interpreter instead of compiling them (for comparison and debugging). */
  readonly interpret?: readonly string[];
}

/** What an action asks of the pass, in the form generated code writes it. */
export interface Requests {
  /** clone requested, its session and mode (0 ingress, 1 egress) */
  cl: boolean;
  cs: number;
  cm: number;
  /** resubmit, recirculate */
  rs: boolean;
  rc: boolean;
  /** The packet's timestamp, converted into S[7] by the first program that reads it (S[7] is -1 until then). */
  ts: bigint | undefined;
}

type StepFn = (d: Uint8Array, S: Float64Array, R: Requests) => Uint8Array | undefined;

/** What the generated code sees as `E`. */
interface Env {
  readonly tables: readonly TableState[];
  readonly ctables: readonly CTable[];
  readonly registers: readonly bigint[][];
  readonly counters: readonly { readonly packets: bigint[]; readonly bytes: bigint[] }[];
  readonly meters: readonly (MeterCell | null)[][];
  readonly digest: (index: number, values: readonly Val[], timestamp: number) => void;
}

type Factory = (H: Helpers, E: Env) => StepFn;

interface StepPlan {
  readonly program: Program;
  readonly index: number;
  readonly source: string;
  /** Set when compiled; absent when the program runs with the reference interpreter. */
  readonly factory?: Factory;
  readonly plans?: readonly TablePlan[];
}

interface BoundProgram {
  readonly program: Program;
  readonly plans: readonly TablePlan[];
  readonly tables: readonly TableState[];
  readonly ctables: readonly CTable[];
  readonly env: Env;
}

interface Bound {
  readonly device: DeviceState;
  generation: number;
  readonly programs: readonly BoundProgram[];
  readonly steps: readonly StepFn[];
}

const OUTPUT_INSTANCE = { ingress: 'ingressClone', egress: 'egressClone' } as const;
/** Entry writes remembered between packets for patching; beyond this, tables are rebuilt. */
const MAX_REMEMBERED_WRITES = 100_000;
// module constants: read once, not through a module namespace on every packet
const DROP = DROP_PORT;
const LAST_PORT = MAX_PORT;

export class CompiledTarget extends DeviceTarget {
  readonly name = 'compiled';
  private readonly interpret: ReadonlySet<string>;
  private plan: { readonly pipeline: Pipeline; readonly steps: readonly StepPlan[]; readonly layouts: ReadonlyMap<string, ProgramLayout> } | undefined;
  private bound: Bound | undefined;
  /** Entry writes since the structures were brought up to date: patched into exact tables, rebuilding the others. */
  private readonly changed: { readonly stage: string; readonly matches: readonly KeyMatch[] }[] = [];
  /** Set when more writes came than are worth remembering one by one: every table is rebuilt. */
  private rebuildAll = false;
  private readonly S = new Float64Array(STD_SLOTS);
  private readonly R: Requests = { cl: false, cs: 0, cm: 0, rs: false, rc: false, ts: undefined };

  constructor(options: CompiledTargetOptions = {}) {
    super(options);
    this.interpret = new Set(options.interpret ?? []);
  }

  /** Generate and compile every step's function; a program that cannot be compiled falls back to the reference. */
  protected prepare(pipeline: Pipeline): void {
    const steps = pipeline.steps.map((step, index): StepPlan => {
      const { program } = step;
      if (this.interpret.has(program.name)) {
        return { program, index, source: `// ${program.name}: run by the reference interpreter (the target was asked to interpret it)\n` };
      }
      const scope = new Scope(program);
      const widths = (stage: Program['stages'][number]): number[] =>
        stage.keys.map((k) => {
          const f = scope.field(k.field);
          if (typeof f === 'string') throw new Unsupported(f);
          return f.width;
        });
      try {
        const gen = generateStep(program, step.when, widths);
        const factory = new Function('H', 'E', gen.source) as Factory;
        return { program, index, source: gen.source, factory, plans: gen.plans };
      } catch (e) {
        // what the generator refuses, or JavaScript it cannot build (too large, too deep): the reference runs it
        if (!(e instanceof Unsupported) && !(e instanceof SyntaxError) && !(e instanceof RangeError)) throw e;
        return { program, index, source: `// ${program.name}: run by the reference interpreter: ${e.message}\n` };
      }
    });
    this.plan = { pipeline, steps, layouts: new Map(pipeline.steps.map((s) => [s.program.name, new ProgramLayout(s.program)])) };
    this.bound = undefined;
    this.changed.length = 0;
    this.rebuildAll = false;
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
    return steps.map((s) => s.source).join('\n');
  }

  /** Which programs run compiled and which with the reference interpreter. */
  compiledPrograms(): { readonly program: string; readonly compiled: boolean }[] {
    void this.device;
    return this.plan!.steps.map((s) => ({ program: s.program.name, compiled: s.factory !== undefined }));
  }

  override write(updates: readonly Update[], options: { readonly atomicity?: Atomicity } = {}): WriteResult {
    const device = this.device;
    const before = device.generation;
    const result = super.write(updates, options);
    if (device.generation !== before) {
      updates.forEach((u, i) => {
        const e = u.entity;
        // an update that failed changed nothing (a rolled-back batch does not bump the generation at all)
        if (e.kind === 'tableEntry' && result.results[i]?.ok) this.changed.push({ stage: e.stage, matches: e.matches });
      });
      if (this.changed.length > MAX_REMEMBERED_WRITES) {
        this.rebuildAll = true;
        this.changed.length = 0;
      }
    }
    return result;
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

  override processBatch(packets: readonly PacketIn[]): readonly ProcessResult[] {
    void this.device;
    this.sync();
    const out = new Array<ProcessResult>(packets.length);
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      // the checks process() makes, packet by packet (>>> 0 keeps only integers 0..2^32-1 unchanged)
      if (typeof p.port !== 'number' || (p.port >>> 0) !== p.port || p.port > LAST_PORT) {
        throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${p.port} is not in 0..${LAST_PORT}`);
      }
      if (!(p.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
      out[i] = this.pass(p);
    }
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
    if (b.generation === device.generation) return;
    // per stage name, the entries written (a stage of that name in any program: patching is idempotent)
    const byStage = new Map<string, (readonly KeyMatch[])[]>();
    for (const c of this.changed) {
      const list = byStage.get(c.stage) ?? [];
      list.push(c.matches);
      byStage.set(c.stage, list);
    }
    for (const p of b.programs) {
      p.program.stages.forEach((stage, i) => {
        const ct = p.ctables[i]!;
        const ts = p.tables[i]!;
        const plan = p.plans[i]!;
        const written = byStage.get(stage.name);
        if (this.rebuildAll) return buildTable(ct, ts, plan);
        if (!written) return syncDefault(ct, ts);
        if (plan.kind !== 'exact' || written.length > ts.entries.size) return buildTable(ct, ts, plan);
        // an exact table: set or remove just the entries written
        syncDefault(ct, ts);
        for (const matches of written) patchExact(ct, ts, plan, matches);
      });
    }
    this.changed.length = 0;
    this.rebuildAll = false;
    b.generation = device.generation;
  }

  private bind(device: DeviceState): Bound {
    const plan = this.plan!;
    if (device.pipeline !== plan.pipeline) throw new MpvisorError('INTERNAL', 'compiled: the loaded device is not the pipeline that was compiled');
    const programs = new Map<string, BoundProgram>();
    const bindProgram = (s: StepPlan): BoundProgram => {
      let bp = programs.get(s.program.name);
      if (bp) return bp;
      const program = s.program;
      const state = device.programs.get(program.name)!;
      const tables = program.stages.map((st) => state.tables.get(st.name)!);
      const ctables = program.stages.map(() => new CTable());
      const plans = s.plans!;
      tables.forEach((t, i) => buildTable(ctables[i]!, t, plans[i]!));
      const env: Env = {
        tables,
        ctables,
        registers: program.registers.map((r) => state.registers.get(r.name)!.cells),
        counters: program.counters.map((c) => state.counters.get(c.name)!),
        meters: program.meters.map((m) => state.meters.get(m.name)!),
        digest: (index, values, timestamp) => {
          const d = program.digests[index]!;
          const out: Record<string, string> = {};
          d.fields.forEach((f, j) => (out[f.name] = toHex(BigInt.asUintN(f.width, BigInt(values[j]!)))));
          this.digests.push({ program: program.name, digest: d.name, values: out, timestamp: BigInt(timestamp) });
        },
      };
      bp = { program, plans, tables, ctables, env };
      programs.set(program.name, bp);
      return bp;
    };
    const steps = plan.steps.map((s): StepFn => {
      if (s.factory) return s.factory(HELPERS, bindProgram(s).env);
      return this.interpreted(s, device);
    });
    this.changed.length = 0;
    this.rebuildAll = false;
    return { device, generation: device.generation, programs: [...programs.values()], steps };
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

  // ------------------------------------------------------------ the pass loop

  /**
   * reference/process.ts runPasses, with standard metadata as numbers:
   * resubmit, recirculate, clones, multicast replication, the egress port.
   */
  private pass(packet: PacketIn): ProcessResult {
    const { steps, device } = this.bound!;
    const S = this.S;
    const R = this.R;
    // clones, if any; the common case allocates only the final outputs array
    let clones: PacketOut[] | undefined;
    let input = packet.data;
    let instanceType = 0;
    // bit<48> microseconds (v1model's ingress_global_timestamp), converted only if a program reads it
    R.ts = packet.timestamp;
    let timestamp = -1;
    for (let pass = 1; ; pass++) {
      S[0] = packet.port;
      S[1] = 0;
      S[2] = input.length;
      S[3] = 0;
      S[4] = 0;
      S[5] = 0;
      S[6] = instanceType;
      S[7] = timestamp;
      S[8] = 0;
      R.cl = false;
      R.rs = false;
      R.rc = false;
      let current = input;
      let dropped = false;
      if (steps.length === 1) {
        const out = steps[0]!(current, S, R);
        if (out !== undefined) {
          current = out;
          dropped = S[1] === DROP && S[5] === 0;
        }
      } else {
        for (let i = 0; i < steps.length; i++) {
          const out = steps[i]!(current, S, R);
          if (out === undefined) continue;
          current = out;
          // a dropped packet reaches no later program of the chain
          if (S[1] === DROP && S[5] === 0) {
            dropped = true;
            break;
          }
        }
      }
      timestamp = S[7]!;
      // v1model: resubmit is decided at the end of ingress, before the drop; recirculate after egress, so never for a dropped packet
      const again = R.rs ? 1 : R.rc && !dropped ? 2 : 0;
      if (R.cl) {
        const ingress = R.cm === 0;
        const port = device.cloneSessions.get(R.cs);
        if (port !== undefined && (ingress || (!dropped && again !== 1))) {
          (clones ??= []).push({ port, data: (ingress ? input : current).slice(), instance: OUTPUT_INSTANCE[ingress ? 'ingress' : 'egress'] });
        }
      }
      if (again !== 0) {
        if (pass >= this.maxPasses) return { outputs: clones ?? [], passes: pass, dropped: 'resubmitLimit' };
        if (again === 2) input = current;
        instanceType = again === 1 ? 6 : 4;
        continue;
      }
      if (dropped) return { outputs: clones ?? [], passes: pass, dropped: 'dropped' };
      const group = S[5]!;
      if (group !== 0) {
        const replicas = device.multicastGroups.get(group);
        if (!replicas) return { outputs: clones ?? [], passes: pass, dropped: 'unknownMulticastGroup' };
        if (replicas.length === 0) return { outputs: clones ?? [], passes: pass, dropped: 'emptyMulticastGroup' };
        const n = replicas.length;
        const outputs: PacketOut[] = clones ?? new Array<PacketOut>(n);
        const at = clones ? clones.length : 0;
        for (let i = 0; i < n; i++) {
          const r = replicas[i]!;
          outputs[at + i] = { port: r.port, data: current, instance: 'replica', rid: r.instance };
        }
        return { outputs, passes: pass };
      }
      const out: PacketOut = { port: S[1]!, data: current, instance: 'normal' };
      if (clones) clones.push(out);
      return { outputs: clones ?? [out], passes: pass };
    }
  }
}
