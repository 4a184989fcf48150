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

export const TARGET_NAMES = ['reference', 'compiled', 'virtualized[:slots][:reference|compiled]', `rmt[:${Object.keys(PROFILES).join('|')}]`] as const;

export function createTarget(spec: string, options: { readonly maxPasses?: number } = {}): Target {
  const [kind, arg, ...rest] = spec.split(':');
  const bad = (why: string): MpvisorError => new MpvisorError('INVALID_ARGUMENT', `target "${spec}": ${why}; targets are ${TARGET_NAMES.join(', ')}`);
  if (kind === 'virtualized') return virtualized(spec.split(':').slice(1), options, bad);
  if (rest.length > 0) throw bad('too many ":" parts');
  switch (kind) {
    case 'reference':
      if (arg !== undefined) throw bad('the reference target takes no argument');
      return new ReferenceTarget(options);
    case 'compiled':
      if (arg !== undefined) throw bad('the compiled target takes no argument');
      return new CompiledTarget(options);
    case 'rmt':
      if (arg !== undefined && !(arg in PROFILES)) throw bad(`unknown RMT profile "${arg}"`);
      return new RmtTarget({ ...options, ...(arg !== undefined ? { profile: arg } : {}) });
    default:
      throw bad(`unknown target "${kind}"`);
  }
}

/** `virtualized`, `virtualized:8`, `virtualized:compiled`, `virtualized:8:compiled`. */
function virtualized(args: readonly string[], options: { readonly maxPasses?: number }, bad: (why: string) => MpvisorError): Target {
  let slots: number | undefined;
  let executor: 'reference' | 'compiled' | undefined;
  for (const arg of args) {
    if (arg === 'reference' || arg === 'compiled') {
      if (executor !== undefined) throw bad('the image executor is given twice');
      executor = arg;
    } else if (/^\d+$/.test(arg) && slots === undefined && executor === undefined) {
      slots = Number(arg);
      if (slots < 1) throw bad(`slots must be a positive integer, not "${arg}"`);
    } else {
      throw bad(`"${arg}" is neither a slot count (a positive integer, first) nor an image executor (reference or compiled)`);
    }
  }
  return new VirtualizedTarget({ ...options, ...(slots !== undefined ? { image: { slots } } : {}), ...(executor ? { executor } : {}) });
}
