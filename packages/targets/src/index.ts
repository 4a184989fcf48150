/**
 * @mpvisor/targets — executors of the IR on the runtime's Target interface:
 * the reference interpreter now; the compiled fast path and the RMT emulator
 * come next.
 */
export { ReferenceTarget, DEFAULT_MAX_PASSES, type ReferenceTargetOptions } from './reference/reference-target.js';
export { INSTANCE_TYPE } from './reference/process.js';
export { MAX_PARSER_STATES } from './reference/parse.js';
export { ReferenceSlotEngine } from './hyperv/slot-engine.js';
export { VirtualizedTarget, type VirtualizedTargetOptions } from './hyperv/virtualized-target.js';
