/**
 * The hypervisor's generic image on an RMT chip: the image's tables are
 * placed on the profile first (an image that does not fit is refused, with
 * the resource that ran out), and packets run through the slot engine's
 * condition, match and primitive tables as they would through those placed
 * tables — one crossing of the pipeline per slot pass, each costing the
 * placed image's latency in cycles.
 */
import type { Epoch, ImageConfig, ImageExecutor, PacketIn, VirtualResult, VpdpRuntime } from '@mpvisor/runtime';
import { ReferenceSlotEngine } from '../hyperv/slot-engine.js';
import type { Placement, RmtProfile } from './model.js';
import { placeImage } from './placement.js';
import { profileByName, RMT_PROFILE } from './profiles.js';

export interface RmtVirtualResult extends VirtualResult {
  /** The image's cycles per pass times the packet's slot passes. */
  readonly cycles: number;
}

export class RmtImageExecutor implements ImageExecutor {
  readonly name: string;
  readonly profile: RmtProfile;
  private readonly engine = new ReferenceSlotEngine();
  private placed: { image: ImageConfig; placement: Placement } | undefined;

  constructor(profile: RmtProfile | string = RMT_PROFILE) {
    this.profile = typeof profile === 'string' ? profileByName(profile) : profile;
    this.name = `rmt-image(${this.profile.name})`;
  }

  /** The hypervisor calls it before any packet: an image that does not fit the profile is refused (RESOURCE_EXHAUSTED). */
  prepare(image: ImageConfig): void {
    this.placement(image);
  }

  /** The image placed on the profile: once per image configuration (it never changes with the tenants). */
  placement(image: ImageConfig): Placement {
    if (this.placed?.image !== image) this.placed = { image, placement: placeImage(this.profile, image) };
    return this.placed.placement;
  }

  process(epoch: Epoch, vpdp: VpdpRuntime, packet: PacketIn, options: { readonly trace?: boolean; readonly maxPasses: number }): RmtVirtualResult {
    const placement = this.placement(epoch.image);
    const result = this.engine.process(epoch, vpdp, packet, options);
    return { ...result, cycles: placement.latencyCycles * result.slots.slotPasses };
  }
}
