/**
 * The Target interface: what every executor of the IR implements (the
 * reference interpreter, the compiled fast path, the RMT emulator, or a
 * user's own). Small and versioned, like a provider spec: a target states
 * the API version it implements, and a change that breaks targets bumps it.
 */
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Entity, ReadRequest, Update, Atomicity, WriteResult } from '../control/entities.js';

export const TARGET_API_VERSION = 1 as const;

/** v1model's drop port: `drop()` sets the egress port to it (mark_to_drop). */
export const DROP_PORT = 511;

export interface PacketIn {
  readonly port: number;
  readonly data: Uint8Array;
  /** Arrival time in microseconds (standard.ingressTimestamp); 0 if not given. */
  readonly timestamp?: bigint;
}

/** Why a packet left no output. */
export type DropReason =
  | 'dropped' // a drop() with no later setEgress
  | 'unknownMulticastGroup' // multicast to a group the control plane has not created
  | 'emptyMulticastGroup' // multicast to a group with no replicas
  | 'resubmitLimit' // more resubmissions or recirculations than the target allows
  | 'outsideVpdp'; // virtualized: every output went to a port outside the packet's vPDP

export type Instance = 'normal' | 'replica' | 'ingressClone' | 'egressClone';

/**
 * A packet a target sends out. Packet bytes are read-only once handed to a
 * target, as in a zero-copy switch: an output's `data` may be the input's
 * own array (an NF that left the bytes as they were forwards them without a
 * copy) and multicast replicas share one array. A caller that wants to
 * change an output's bytes copies them first; no target ever writes into
 * the bytes it was given.
 */
export interface PacketOut {
  readonly port: number;
  readonly data: Uint8Array;
  readonly instance: Instance;
  /** Replication id for multicast copies (v1model egress_rid). */
  readonly rid?: number;
}

export interface ProcessResult {
  readonly outputs: readonly PacketOut[];
  /** Set when the original packet produced no normal or replica output. */
  readonly dropped?: DropReason;
  /** Passes through the pipeline: 1 + resubmissions + recirculations. */
  readonly passes: number;
  /** With `trace: true`, what happened, step by step. */
  readonly trace?: readonly TraceEvent[];
}

export type TraceEvent =
  | { readonly kind: 'pass'; readonly pass: number; readonly reason: 'new' | 'resubmit' | 'recirculate'; readonly program: string }
  | { readonly kind: 'skip'; readonly program: string }
  | { readonly kind: 'parser'; readonly program: string; readonly states: readonly string[]; readonly extracted: readonly string[]; readonly error: string }
  | {
      readonly kind: 'stage';
      readonly program: string;
      readonly stage: string;
      readonly keys: readonly { readonly field: string; readonly value: string }[];
      readonly hit: boolean;
      readonly entry?: number;
      readonly action: string;
      readonly args: Readonly<Record<string, string>>;
      readonly changes: readonly { readonly field: string; readonly from: string; readonly to: string }[];
    }
  | { readonly kind: 'branch'; readonly program: string; readonly node: string; readonly taken: boolean }
  | { readonly kind: 'deparse'; readonly program: string; readonly emitted: readonly string[]; readonly length: number }
  | { readonly kind: 'output'; readonly port: number; readonly instance: Instance; readonly length: number }
  | { readonly kind: 'drop'; readonly reason: DropReason };

export interface DigestMessage {
  readonly program: string;
  readonly digest: string;
  /** Field values by name, as canonical hex. */
  readonly values: Readonly<Record<string, string>>;
  readonly timestamp: bigint;
}

export interface ResourceReport {
  readonly target: string;
  readonly tables: readonly {
    readonly program: string;
    readonly stage: string;
    readonly size: number;
    readonly used: number;
    /** Lookups since the pipeline was loaded. */
    readonly hits: number;
    readonly misses: number;
  }[];
  readonly registerCells: number;
  readonly counterCells: number;
  readonly meterCells: number;
  readonly multicastGroups: number;
  readonly cloneSessions: number;
}

export interface ProcessOptions {
  readonly trace?: boolean;
}

export interface Target {
  readonly apiVersion: typeof TARGET_API_VERSION;
  readonly name: string;
  /** Load a pipeline, replacing whatever was loaded (entries and state start afresh). */
  load(pipeline: Pipeline): void;
  /** Apply a batch of updates; results per update in order. */
  write(updates: readonly Update[], options?: { readonly atomicity?: Atomicity }): WriteResult;
  read(request: ReadRequest): readonly Entity[];
  process(packet: PacketIn, options?: ProcessOptions): ProcessResult;
  processBatch(packets: readonly PacketIn[]): readonly ProcessResult[];
  /** Digests sent since the last drain, oldest first. */
  drainDigests(): readonly DigestMessage[];
  resources(): ResourceReport;
}
