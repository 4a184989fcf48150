/**
 * The reference target: a readable interpreter of the IR. It defines what
 * every NF means; every other target is tested against it byte for byte.
 */
import type { PacketIn, Pipeline, ProcessOptions, ProcessResult, TraceEvent } from '@mpvisor/runtime';
import { DeviceTarget } from '../device-target.js';
import { ProgramLayout } from './packet-state.js';
import { processPacket } from './process.js';

export { DEFAULT_MAX_PASSES } from '../device-target.js';

export interface ReferenceTargetOptions {
  /** Passes a packet may make (1 + resubmissions + recirculations) before it is dropped. */
  readonly maxPasses?: number;
}

export class ReferenceTarget extends DeviceTarget {
  readonly name = 'reference';
  private layouts = new Map<string, ProgramLayout>();

  constructor(options: ReferenceTargetOptions = {}) {
    super(options);
  }

  protected prepare(pipeline: Pipeline): void {
    this.layouts = new Map(pipeline.steps.map((s) => [s.program.name, new ProgramLayout(s.program)]));
  }

  protected run(packet: PacketIn, options: ProcessOptions): ProcessResult {
    const trace: TraceEvent[] | undefined = options.trace ? [] : undefined;
    return processPacket({ device: this.device, layouts: this.layouts, digests: this.digests, maxPasses: this.maxPasses }, packet, trace);
  }
}
