/**
 * The RMT target's placement compiler: hardware profiles, logical tables,
 * the table dependency graph, PHV allocation and table placement (Bosshart
 * et al., SIGCOMM'13; Jose et al., NSDI'15).
 */
export type * from './model.js';
export { RMT_PROFILE, TOFINO_LIKE_PROFILE, PROFILES, DEFAULT_EXACT_OVERHEAD_BITS, profileByName, defineProfile, checkProfile, type ProfileSpec } from './profiles.js';
export {
  logicalTables,
  pipelineTables,
  toPipeline,
  exprReads,
  primitiveEffects,
  fieldWidth,
  validBit,
  STEP_CONDITION,
  COUNTER_BITS,
  METER_BITS,
  type ControlGraph,
  type ProgramTables,
  type PlacementInput,
} from './logical-tables.js';
export { tableDependencies, dependencyBetween, linearControl, needsLaterStage, DEPENDENCY_STRENGTH } from './dependencies.js';
export { allocatePhv, allocatePipelinePhv, programFields, type PhvField } from './phv.js';
export {
  placePipeline,
  placeTables,
  placeImage,
  maxImageSlots,
  imageLogicalTables,
  sramBlocksFor,
  tableMemory,
  statefulBlocks,
  DEFAULT_IMAGE_ENTRIES,
} from './placement.js';
// the target itself (rmt-target.ts, written alongside)
export { RmtTarget, type RmtTargetOptions, type RmtResult } from './rmt-target.js';
export { RmtImageExecutor, type RmtVirtualResult } from './rmt-image-executor.js';
// reports and drawings of a placement (report.ts, svg.ts, written alongside)
export * from './report.js';
export * from './svg.js';
export { latencyBreakdown, type LatencyBreakdown, type LatencyGap } from './latency.js';
