/**
 * A configuration epoch: everything the generic image holds at one moment —
 * the image's shape, the classifier, and per vPDP its installed programs
 * (their generic entries and state). Epochs are immutable; a change makes a
 * new one and swaps it in between two packets, so every packet runs wholly
 * on the epoch it started on (per-packet consistency, Reitblatt et al.,
 * "Abstractions for Network Update", SIGCOMM 2012). Control-plane state
 * (entries, registers, counters, meters) is shared by reference between
 * epochs, so a neighbour's change never disturbs it.
 */
import type { DeviceState, ProgramState } from '../control/device-state.js';
import type { DigestMessage, PacketIn, ProcessResult } from '../target/target.js';
import type { ClassifierRule } from './classifier.js';
import type { GenericProgram } from './generic-program.js';
import type { ImageConfig } from './image.js';
import type { VpdpSpec } from './isolation.js';

export interface InstalledProgram {
  /** Program id, unique on the data plane while installed. */
  readonly id: number;
  /** Its first stage id; its stages are `base + id` for each generic stage id. */
  readonly base: number;
  readonly generic: GenericProgram;
  /** The tenant's control-plane state of this program: tables, registers, counters, meters. */
  readonly state: ProgramState;
}

export interface VpdpRuntime {
  readonly spec: VpdpSpec;
  /** The spec's ports, for the egress filter. */
  readonly ports: ReadonlySet<number>;
  readonly policy: string;
  /** The chain as it runs: installed programs in order, toggled-out steps left out. */
  readonly steps: readonly InstalledProgram[];
  /** The vPDP's control-plane state: its programs, multicast groups and clone sessions. */
  readonly device: DeviceState;
  /** Digests its programs sent, until its control plane drains them (one queue across epochs). */
  readonly digests: DigestMessage[];
  /** Its packet counters (one set across epochs). */
  readonly counters: VpdpCounters;
  /**
   * The image executor's own use: what it prepared to run this vPDP in this
   * epoch (undefined until it did). A hypervisor has one executor, and an
   * epoch's VpdpRuntime is never reused by another, so a field read on the
   * per-packet path replaces a cache lookup.
   */
  prepared: unknown;
}

export interface VpdpCounters {
  packets: number;
  outputs: number;
  dropped: number;
  /** Outputs stopped at the egress filter: they were sent outside the vPDP. */
  contained: number;
  /** Passes through the stage slots (1 + resubmissions per packet). */
  slotPasses: number;
}

/** A packet's result, added to its vPDP's counters. */
export function countResult(counters: VpdpCounters, result: VirtualResult): void {
  counters.packets++;
  counters.outputs += result.outputs.length;
  counters.contained += result.slots.contained;
  counters.slotPasses += result.slots.slotPasses;
  if (result.dropped) counters.dropped++;
}

export interface Epoch {
  readonly number: number;
  readonly image: ImageConfig;
  readonly classifier: readonly ClassifierRule[];
  readonly vpdps: ReadonlyMap<number, VpdpRuntime>;
}

/** Per-packet figures of a virtualized run, next to what the native run reports. */
export interface SlotRun {
  /** Passes through the slots, 1 + resubmissions the slots forced (HyperV §IV-D). */
  readonly slotPasses: number;
  /** Generic tables looked up (HyperV Table III). */
  readonly tablesUsed: number;
  /** Native tables the same packet applied. */
  readonly nativeTables: number;
  /** Outputs removed because they left the vPDP (a port outside it). */
  readonly contained: number;
}

export interface VirtualResult extends ProcessResult {
  readonly vpdp: number;
  readonly epoch: number;
  readonly slots: SlotRun;
}

/** Something that runs the generic image: the reference executor, later compiled and RMT. */
export interface ImageExecutor {
  readonly name: string;
  /** Called once with the image's configuration before any packet: an executor that cannot host it (a switch it does not fit) throws here. */
  prepare?(image: ImageConfig): void;
  process(epoch: Epoch, vpdp: VpdpRuntime, packet: PacketIn, options: { readonly trace?: boolean; readonly maxPasses: number }): VirtualResult;
  /**
   * Optional: packets[from..to), all of this vPDP, their results into
   * out[from..to) — for an executor that does once per run what `process`
   * does per packet. Each result is what `process` would give; unlike
   * `process` (whose result the hypervisor counts), a run adds its results
   * to `vpdp.counters` itself (see countResult), where it can do so without
   * reading each result back.
   */
  processRun?(epoch: Epoch, vpdp: VpdpRuntime, packets: readonly PacketIn[], from: number, to: number, out: VirtualResult[], options: { readonly maxPasses: number }): void;
}
