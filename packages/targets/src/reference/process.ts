/**
 * One packet through a loaded pipeline, as v1model runs it: every program of
 * the chain parses the packet, runs its control and deparses it for the next;
 * then clone, resubmit, recirculate, multicast replication or the egress port
 * decide what leaves. See docs/semantics.md.
 */
import { STANDARD_METADATA, type StandardFieldName } from '@mpvisor/mpapi';
import {
  DROP_PORT,
  type DeviceState,
  type DigestMessage,
  type DropReason,
  type PipelineStep,
  type ProgramState,
  type PacketIn,
  type PacketOut,
  type ProcessResult,
  type TraceEvent,
} from '@mpvisor/runtime';
import { runControl } from './control.js';
import { deparse } from './deparse.js';
import { truthy } from './evaluate.js';
import { PacketState, type ProgramLayout } from './packet-state.js';
import { parse } from './parse.js';
import type { ActionContext, PassRequests } from './primitives.js';

/** v1model instance_type values (simple_switch's PKT_INSTANCE_TYPE_*). */
export const INSTANCE_TYPE = { normal: 0n, ingressClone: 1n, egressClone: 2n, recirculated: 4n, resubmitted: 6n } as const;

export interface ProcessContext {
  readonly device: DeviceState;
  readonly layouts: ReadonlyMap<string, ProgramLayout>;
  readonly digests: DigestMessage[];
  readonly maxPasses: number;
}

/** One program's turn in a pass: parse, run, deparse. Undefined when a policy step's `when` skips it. */
export type StepRunner = (input: {
  readonly current: Uint8Array;
  readonly standard: Record<StandardFieldName, bigint>;
  readonly requests: PassRequests;
  readonly digests: DigestMessage[];
  readonly trace: TraceEvent[] | undefined;
}) => { readonly bytes: Uint8Array; readonly standard: Record<StandardFieldName, bigint> } | undefined;

/** What the pass loop needs of a device: its chain of programs, groups and sessions. */
export interface PassHost {
  readonly steps: readonly { readonly program: string; readonly run: StepRunner }[];
  readonly multicastGroups: DeviceState['multicastGroups'];
  readonly cloneSessions: DeviceState['cloneSessions'];
  readonly digests: DigestMessage[];
  readonly maxPasses: number;
}

export function processPacket(ctx: ProcessContext, packet: PacketIn, trace: TraceEvent[] | undefined): ProcessResult {
  const steps = ctx.device.pipeline.steps.map((step) => ({
    program: step.program.name,
    run: programStep(step, ctx.layouts.get(step.program.name)!, ctx.device.programs.get(step.program.name)!, runControl),
  }));
  return runPasses(
    { steps, multicastGroups: ctx.device.multicastGroups, cloneSessions: ctx.device.cloneSessions, digests: ctx.digests, maxPasses: ctx.maxPasses },
    packet,
    trace,
  );
}

/**
 * One program of a chain as a step of the pass loop: parse, the policy
 * step's `when`, the control — the reference walks the graph, the RMT
 * target runs it stage by stage — and deparse.
 */
export function programStep(
  step: PipelineStep,
  layout: ProgramLayout,
  device: ProgramState,
  control: (ctx: ActionContext, trace: TraceEvent[] | undefined) => void,
): StepRunner {
  return ({ current, standard, requests, digests, trace }) => {
    // parser and checksum errors belong to each program; the rest of standard metadata flows along the chain
    const state = new PacketState(layout, { ...standard, parserError: 0n, checksumError: 0n });
    const parsed = parse(state, current);
    trace?.push({ kind: 'parser', program: step.program.name, states: parsed.states, extracted: parsed.extracted, error: parsed.error });
    if (step.when && !truthy(step.when, { state })) {
      trace?.push({ kind: 'skip', program: step.program.name });
      return undefined;
    }
    const payload = current.subarray(parsed.offset >> 3);
    control({ state, device, requests, digests, payload, directMeter: undefined, unit: 'bytes' }, trace);
    const out = deparse(state, payload);
    trace?.push({ kind: 'deparse', program: step.program.name, emitted: out.emitted, length: out.bytes.length });
    return { bytes: out.bytes, standard: state.standard };
  };
}

/**
 * The v1model pass loop around a chain of programs: resubmit, recirculate,
 * clones, multicast replication and the egress port. Every executor shares
 * it: the reference runs programs directly, the hypervisor's slot engine
 * runs them from the generic image.
 */
export function runPasses(host: PassHost, packet: PacketIn, trace: TraceEvent[] | undefined): ProcessResult {
  const outputs: PacketOut[] = [];
  let input = packet.data;
  let instanceType: bigint = INSTANCE_TYPE.normal;
  let reason: 'new' | 'resubmit' | 'recirculate' = 'new';
  for (let pass = 1; ; pass++) {
    let standard: Record<StandardFieldName, bigint> = {
      ingressPort: BigInt(packet.port),
      egressPort: 0n,
      packetLength: BigInt(input.length),
      parserError: 0n,
      checksumError: 0n,
      mcastGroup: 0n,
      instanceType,
      // bit<48> microseconds, as v1model's ingress_global_timestamp: an epoch-based time wraps modulo 2^48
      ingressTimestamp: BigInt.asUintN(STANDARD_METADATA.ingressTimestamp.width, packet.timestamp ?? 0n),
      priority: 0n,
    };
    const requests: PassRequests = { resubmit: false, recirculate: false };
    let current = input;
    let dropped = false;
    for (const step of host.steps) {
      trace?.push({ kind: 'pass', pass, reason, program: step.program });
      const out = step.run({ current, standard, requests, digests: host.digests, trace });
      if (!out) continue;
      current = out.bytes;
      standard = out.standard;
      // a dropped packet reaches no later program of the chain
      if (standard.egressPort === BigInt(DROP_PORT) && standard.mcastGroup === 0n) {
        dropped = true;
        break;
      }
    }
    // v1model: resubmit is decided at the end of ingress, before the drop; recirculate after egress, so never for a dropped packet
    const again = requests.resubmit ? 'resubmit' : requests.recirculate && !dropped ? 'recirculate' : undefined;
    if (requests.clone) {
      // an ingress clone is made at the end of ingress, whatever follows; an egress clone only by a packet that reaches egress
      const ingress = requests.clone.mode === 'ingress';
      const port = host.cloneSessions.get(requests.clone.session);
      if (port !== undefined && (ingress || (!dropped && again !== 'resubmit'))) {
        const data = (ingress ? input : current).slice();
        outputs.push({ port, data, instance: ingress ? 'ingressClone' : 'egressClone' });
        trace?.push({ kind: 'output', port, instance: ingress ? 'ingressClone' : 'egressClone', length: data.length });
      }
    }
    if (again) {
      if (pass >= host.maxPasses) return finish(outputs, 'resubmitLimit', pass, trace);
      input = again === 'resubmit' ? input : current;
      instanceType = again === 'resubmit' ? INSTANCE_TYPE.resubmitted : INSTANCE_TYPE.recirculated;
      reason = again;
      continue;
    }
    if (dropped) return finish(outputs, 'dropped', pass, trace);
    if (standard.mcastGroup !== 0n) {
      const replicas = host.multicastGroups.get(Number(standard.mcastGroup));
      if (!replicas) return finish(outputs, 'unknownMulticastGroup', pass, trace);
      if (replicas.length === 0) return finish(outputs, 'emptyMulticastGroup', pass, trace);
      for (const r of replicas) {
        outputs.push({ port: r.port, data: current, instance: 'replica', rid: r.instance });
        trace?.push({ kind: 'output', port: r.port, instance: 'replica', length: current.length });
      }
      return finish(outputs, undefined, pass, trace);
    }
    const port = Number(standard.egressPort);
    outputs.push({ port, data: current, instance: 'normal' });
    trace?.push({ kind: 'output', port, instance: 'normal', length: current.length });
    return finish(outputs, undefined, pass, trace);
  }
}

function finish(outputs: PacketOut[], dropped: DropReason | undefined, passes: number, trace: TraceEvent[] | undefined): ProcessResult {
  if (dropped) trace?.push({ kind: 'drop', reason: dropped });
  return { outputs, passes, ...(dropped ? { dropped } : {}), ...(trace ? { trace } : {}) };
}
