/**
 * @mpvisor/targets — executors of the IR on the runtime's Target interface:
 * the reference interpreter, the compiled fast path, the hypervisor's slot
 * engine and a virtualized target, and the emulated RMT switch.
 */
export { ReferenceTarget, type ReferenceTargetOptions } from './reference/reference-target.js';
export { DeviceTarget, DEFAULT_MAX_PASSES } from './device-target.js';
export { INSTANCE_TYPE } from './reference/process.js';
export { MAX_PARSER_STATES } from './reference/parse.js';
export { ReferenceSlotEngine } from './hyperv/slot-engine.js';
export { CompiledSlotEngine } from './hyperv/compiled-slot-engine.js';
export { VirtualizedTarget, type VirtualizedTargetOptions } from './hyperv/virtualized-target.js';
export * from './rmt/index.js';
export { createTarget, TARGET_NAMES } from './target-spec.js';
export { CompiledTarget, type CompiledTargetOptions } from './compiled/compiled-target.js';
