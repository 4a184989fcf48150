/**
 * One tenant on the hypervisor, behind the ordinary Target interface: the
 * loaded pipeline becomes the policy of a single vPDP that owns every port,
 * multicast group and clone session, so anything that drives a target
 * (`mpvisor run`, differential tests, a controller) can run an NF
 * virtualized — through the generic image and its stage slots — without
 * knowing about vPDPs.
 */
import { MpvisorError } from '@mpvisor/mpapi';
import {
  deviceResources,
  DROP_PORT,
  Hypervisor,
  MAX_PORT,
  TARGET_API_VERSION,
  type Atomicity,
  type DigestMessage,
  type Entity,
  type ImageConfig,
  type ImageExecutor,
  type PacketIn,
  type Pipeline,
  type ProcessOptions,
  type ReadRequest,
  type ResourceReport,
  type Target,
  type Update,
  type VirtualResult,
  type WriteResult,
} from '@mpvisor/runtime';
import { DEFAULT_MAX_PASSES } from '../reference/reference-target.js';
import { CompiledSlotEngine } from './compiled-slot-engine.js';
import { ReferenceSlotEngine } from './slot-engine.js';

export interface VirtualizedTargetOptions {
  readonly image?: Partial<ImageConfig>;
  /** What runs the generic image: the reference executor (the default, which defines it), the compiled one, or any other. */
  readonly executor?: 'reference' | 'compiled' | ImageExecutor;
  readonly maxPasses?: number;
}

const VPDP = 1;
/** Every port but the drop port, and the 16-bit group and session ids v1model allows. */
const ALL_PORTS = Array.from({ length: DROP_PORT }, (_, i) => i);
const ALL_IDS = Array.from({ length: 0xffff }, (_, i) => i + 1);

export class VirtualizedTarget implements Target {
  readonly apiVersion = TARGET_API_VERSION;
  readonly name: string;
  private hv: Hypervisor | undefined;

  constructor(private readonly options: VirtualizedTargetOptions = {}) {
    const engine = typeof options.executor === 'object' ? options.executor.name : (options.executor ?? 'reference');
    this.name = `virtualized(${options.image?.slots ?? 'default'} slots, ${engine})`;
  }

  /** The hypervisor underneath, for its epochs, counters and reports. */
  get hypervisor(): Hypervisor {
    if (!this.hv) throw new MpvisorError('FAILED_PRECONDITION', 'no pipeline is loaded; call load() first');
    return this.hv;
  }

  load(pipeline: Pipeline): void {
    const hv = new Hypervisor({
      executor: typeof this.options.executor === 'object' ? this.options.executor : this.options.executor === 'compiled' ? new CompiledSlotEngine() : new ReferenceSlotEngine(),
      ...(this.options.image ? { image: this.options.image } : {}),
      maxPasses: this.options.maxPasses ?? DEFAULT_MAX_PASSES,
    });
    hv.createVpdp({ id: VPDP, name: pipeline.name, ports: ALL_PORTS, multicastGroups: ALL_IDS, cloneSessions: ALL_IDS, quotas: { stages: 1 << 16, tableEntries: 2 ** 40, registerCells: 2 ** 40, counterCells: 2 ** 40, meterCells: 2 ** 40 } });
    hv.setClassifier(ALL_PORTS.map((port) => ({ kind: 'port' as const, port, vpdp: VPDP })));
    hv.installPipeline(VPDP, pipeline);
    this.hv = hv;
  }

  write(updates: readonly Update[], options: { readonly atomicity?: Atomicity } = {}): WriteResult {
    return this.hypervisor.tenant(VPDP).write(updates, options.atomicity);
  }

  read(request: ReadRequest): readonly Entity[] {
    return this.hypervisor.tenant(VPDP).read(request);
  }

  process(packet: PacketIn, options?: ProcessOptions): VirtualResult {
    const hv = this.hypervisor;
    checkPacket(packet);
    // every port checkPacket lets through is the vPDP's: the result is claimed
    return hv.process(packet, options) as VirtualResult;
  }

  /** Every packet checked first (nothing runs if one is bad), then the batch through the hypervisor in one go. */
  processBatch(packets: readonly PacketIn[]): readonly VirtualResult[] {
    const hv = this.hypervisor;
    for (let i = 0; i < packets.length; i++) checkPacket(packets[i]!);
    // every port checkPacket lets through is the vPDP's: every result is claimed
    return hv.processBatch(packets) as VirtualResult[];
  }

  drainDigests(): readonly DigestMessage[] {
    return this.hypervisor.tenant(VPDP).drainDigests();
  }

  resources(): ResourceReport {
    return deviceResources(this.hypervisor.epoch.vpdps.get(VPDP)!.device, this.name);
  }
}

/** The checks every target makes of a packet (the same errors as DeviceTarget's), and the drop port, which the vPDP does not own. */
function checkPacket(packet: PacketIn): void {
  const port = packet.port;
  if (typeof port !== 'number' || (port >>> 0) !== port || port > MAX_PORT) {
    throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${port} is not in 0..${MAX_PORT}`);
  }
  if (!(packet.data instanceof Uint8Array)) throw new MpvisorError('INVALID_ARGUMENT', 'packet data must be a Uint8Array');
  if (port === DROP_PORT) throw new MpvisorError('INVALID_ARGUMENT', `ingress port ${port}: it is the drop port, where no packet arrives`);
}
