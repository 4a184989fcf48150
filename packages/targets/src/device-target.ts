/**
 * What every target that runs a loaded pipeline on its own DeviceState
 * shares — the reference interpreter, the RMT emulator, later the compiled
 * path: the control plane with P4Runtime semantics, digests, resources, and
 * checking a packet before it runs. A target supplies how it loads a
 * pipeline and how it runs one packet.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import {
  applyUpdates,
  DeviceState,
  deviceResources,
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
  type Update,
  type WriteResult,
} from '@mpvisor/runtime';

/** Passes a packet may make (1 + resubmissions + recirculations) before it is dropped. */
export const DEFAULT_MAX_PASSES = 16;

export abstract class DeviceTarget<R extends ProcessResult = ProcessResult> implements Target {
  readonly apiVersion = TARGET_API_VERSION;
  abstract readonly name: string;
  protected readonly maxPasses: number;
  private current: DeviceState | undefined;
  protected digests: DigestMessage[] = [];

  constructor(options: { readonly maxPasses?: number } = {}) {
    this.maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  }

  /** The loaded device; FAILED_PRECONDITION before load(). */
  protected get device(): DeviceState {
    if (!this.current) throw new MpvisorError('FAILED_PRECONDITION', 'no pipeline is loaded; call load() first');
    return this.current;
  }

  /** Prepare whatever the target needs for a pipeline; throw to refuse it (the target keeps what it had). */
  protected abstract prepare(pipeline: Pipeline): void;

  /** Run one checked packet on the loaded device. */
  protected abstract run(packet: PacketIn, options: ProcessOptions): R;

  load(pipeline: Pipeline): void {
    this.prepare(pipeline);
    this.current = new DeviceState(pipeline);
    this.digests = [];
  }

  write(updates: readonly Update[], options: { readonly atomicity?: Atomicity } = {}): WriteResult {
    return applyUpdates(this.device, updates, options.atomicity);
  }

  read(request: ReadRequest): readonly Entity[] {
    return readEntities(this.device, request);
  }

  process(packet: PacketIn, options: ProcessOptions = {}): R {
    void this.device;
    if (!Number.isInteger(packet.port) || packet.port < 0 || packet.port > MAX_PORT) {
      throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${packet.port} is not in 0..${MAX_PORT}`);
    }
    if (!(packet.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
    return this.run(packet, options);
  }

  processBatch(packets: readonly PacketIn[]): readonly R[] {
    return packets.map((p) => this.process(p));
  }

  drainDigests(): readonly DigestMessage[] {
    const out = this.digests;
    this.digests = [];
    return out;
  }

  resources(): ResourceReport {
    return deviceResources(this.device, this.name);
  }
}
