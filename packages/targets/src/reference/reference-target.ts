/**
 * The reference target: a readable interpreter of the IR. It defines what
 * every NF means; every other target is tested against it byte for byte.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import {
  deviceResources,
  applyUpdates,
  DeviceState,
  MAX_PORT,
  readEntities,
  TARGET_API_VERSION,
  type Atomicity,
  type DigestMessage,
  type Entity,
  type PacketIn,
  type Pipeline,
  type ProcessOptions,
  type ProcessResult,
  type ReadRequest,
  type ResourceReport,
  type Target,
  type TraceEvent,
  type Update,
  type WriteResult,
} from '@mpvisor/runtime';
import { ProgramLayout } from './packet-state.js';
import { processPacket } from './process.js';

export interface ReferenceTargetOptions {
  /** Passes a packet may make (1 + resubmissions + recirculations) before it is dropped. */
  readonly maxPasses?: number;
}

export const DEFAULT_MAX_PASSES = 16;

export class ReferenceTarget implements Target {
  readonly apiVersion = TARGET_API_VERSION;
  readonly name = 'reference';
  private device: DeviceState | undefined;
  private layouts = new Map<string, ProgramLayout>();
  private digests: DigestMessage[] = [];
  private readonly maxPasses: number;

  constructor(options: ReferenceTargetOptions = {}) {
    this.maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  }

  private loaded(): DeviceState {
    if (!this.device) throw new MpvisorError('FAILED_PRECONDITION', 'no pipeline is loaded; call load() first');
    return this.device;
  }

  load(pipeline: Pipeline): void {
    this.device = new DeviceState(pipeline);
    this.layouts = new Map(pipeline.steps.map((s) => [s.program.name, new ProgramLayout(s.program)]));
    this.digests = [];
  }

  write(updates: readonly Update[], options: { readonly atomicity?: Atomicity } = {}): WriteResult {
    return applyUpdates(this.loaded(), updates, options.atomicity);
  }

  read(request: ReadRequest): readonly Entity[] {
    return readEntities(this.loaded(), request);
  }

  process(packet: PacketIn, options: ProcessOptions = {}): ProcessResult {
    const device = this.loaded();
    if (!Number.isInteger(packet.port) || packet.port < 0 || packet.port > MAX_PORT) {
      throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${packet.port} is not in 0..${MAX_PORT}`);
    }
    if (!(packet.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
    const trace: TraceEvent[] | undefined = options.trace ? [] : undefined;
    return processPacket({ device, layouts: this.layouts, digests: this.digests, maxPasses: this.maxPasses }, packet, trace);
  }

  processBatch(packets: readonly PacketIn[]): readonly ProcessResult[] {
    return packets.map((p) => this.process(p));
  }

  drainDigests(): readonly DigestMessage[] {
    const out = this.digests;
    this.digests = [];
    return out;
  }

  resources(): ResourceReport {
    return deviceResources(this.loaded(), this.name);
  }
}
