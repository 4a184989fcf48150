/**
 * The v1model pass loop of compiled code: reference/process.ts runPasses,
 * with standard metadata as numbers in a reused Float64Array — resubmit,
 * recirculate, clones, multicast replication, the egress port. The compiled
 * target runs its pipeline's steps through it, the compiled image executor
 * a vPDP's chain.
 */
import { DROP_PORT, type PacketIn, type PacketOut, type ProcessResult, type Replica } from '@mpvisor/runtime';

type DropReason = NonNullable<ProcessResult['dropped']>;
import type { Requests, StepFn } from './binding.js';

export interface PassLoop {
  readonly steps: readonly StepFn[];
  readonly cloneSessions: ReadonlyMap<number, number>;
  readonly multicastGroups: ReadonlyMap<number, readonly Replica[]>;
  readonly maxPasses: number;
  /** Standard metadata, in STD_INDEX order (codegen.ts). */
  readonly S: Float64Array;
  readonly R: Requests;
}

const OUTPUT_INSTANCE = { ingress: 'ingressClone', egress: 'egressClone' } as const;
// module constants: read once, not through a module namespace on every packet
const DROP = DROP_PORT;

/**
 * Run a packet; returns its outputs, and leaves in `loop.R` the passes it
 * took (`np`) and why it was dropped (`dr`, '' when it was not), so each
 * caller builds its one result object.
 */
export function runCompiledPasses(loop: PassLoop, packet: PacketIn): PacketOut[] {
  const { steps, S, R } = loop;
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
    // a new pass of the chain starts again before slot 0: a slot pass of its own if the last one used a slot
    if (R.sl >= 0) {
      R.sp++;
      R.sl = -1;
    }
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
      const port = loop.cloneSessions.get(R.cs);
      if (port !== undefined && (ingress || (!dropped && again !== 1))) {
        (clones ??= []).push({ port, data: (ingress ? input : current).slice(), instance: OUTPUT_INSTANCE[ingress ? 'ingress' : 'egress'] });
      }
    }
    if (again !== 0) {
      if (pass >= loop.maxPasses) return ended(R, pass, 'resubmitLimit', clones ?? []);
      if (again === 2) input = current;
      instanceType = again === 1 ? 6 : 4;
      continue;
    }
    if (dropped) return ended(R, pass, 'dropped', clones ?? []);
    const group = S[5]!;
    if (group !== 0) {
      const replicas = loop.multicastGroups.get(group);
      if (!replicas) return ended(R, pass, 'unknownMulticastGroup', clones ?? []);
      if (replicas.length === 0) return ended(R, pass, 'emptyMulticastGroup', clones ?? []);
      const n = replicas.length;
      const outputs: PacketOut[] = clones ?? new Array<PacketOut>(n);
      const at = clones ? clones.length : 0;
      for (let i = 0; i < n; i++) {
        const r = replicas[i]!;
        outputs[at + i] = { port: r.port, data: current, instance: 'replica', rid: r.instance };
      }
      return ended(R, pass, '', outputs);
    }
    const out: PacketOut = { port: S[1]!, data: current, instance: 'normal' };
    if (clones) clones.push(out);
    return ended(R, pass, '', clones ?? [out]);
  }
}

function ended(R: Requests, passes: number, drop: DropReason | '', outputs: PacketOut[]): PacketOut[] {
  R.np = passes;
  R.dr = drop;
  return outputs;
}

/** The ProcessResult of a run, for a caller with nothing to add. */
export function resultOf(R: Requests, outputs: PacketOut[]): ProcessResult {
  return R.dr === '' ? { outputs, passes: R.np } : { outputs, passes: R.np, dropped: R.dr };
}
