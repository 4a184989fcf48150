/**
 * Targets by name, for command lines and configuration: `reference`,
 * `compiled` (specialised JavaScript), `virtualized[:slots]` (the NF on the
 * hypervisor, alone), `rmt[:profile]` (the emulated switch: `rmt` or
 * `tofino-like`).
 */
import { MpvisorError } from '@mpvisor/mpapi';
import type { Target } from '@mpvisor/runtime';
import { CompiledTarget } from './compiled/compiled-target.js';
import { VirtualizedTarget } from './hyperv/virtualized-target.js';
import { ReferenceTarget } from './reference/reference-target.js';
import { PROFILES } from './rmt/profiles.js';
import { RmtTarget } from './rmt/rmt-target.js';

export const TARGET_NAMES = ['reference', 'compiled', 'virtualized[:slots]', `rmt[:${Object.keys(PROFILES).join('|')}]`] as const;

export function createTarget(spec: string, options: { readonly maxPasses?: number } = {}): Target {
  const [kind, arg, ...rest] = spec.split(':');
  const bad = (why: string): MpvisorError => new MpvisorError('INVALID_ARGUMENT', `target "${spec}": ${why}; targets are ${TARGET_NAMES.join(', ')}`);
  if (rest.length > 0) throw bad('too many ":" parts');
  switch (kind) {
    case 'reference':
      if (arg !== undefined) throw bad('the reference target takes no argument');
      return new ReferenceTarget(options);
    case 'compiled':
      if (arg !== undefined) throw bad('the compiled target takes no argument');
      return new CompiledTarget(options);
    case 'virtualized': {
      if (arg === undefined) return new VirtualizedTarget(options);
      const slots = Number(arg);
      if (!Number.isInteger(slots) || slots < 1) throw bad(`slots must be a positive integer, not "${arg}"`);
      return new VirtualizedTarget({ ...options, image: { slots } });
    }
    case 'rmt':
      if (arg !== undefined && !(arg in PROFILES)) throw bad(`unknown RMT profile "${arg}"`);
      return new RmtTarget({ ...options, ...(arg !== undefined ? { profile: arg } : {}) });
    default:
      throw bad(`unknown target "${kind}"`);
  }
}
