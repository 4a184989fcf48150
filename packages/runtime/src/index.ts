/**
 * @mpvisor/runtime — what sits between the IR and the targets: loading
 * pipelines, the versioned Target interface, control-plane state with
 * P4Runtime semantics, entries files, packets, captures, the algorithms
 * targets share, and the hypervisor's building blocks (classifier,
 * sequencing, stage-slot mapping, isolation checks).
 */
export { loadPipeline, pipelineOf, type Pipeline, type PipelineStep, type PipelineSource } from './pipeline/pipeline.js';
export * from './target/target.js';
export * from './control/entities.js';
export { DeviceState, deviceResources, entryKey, type StoredEntry, type TableState, type ProgramState, type MeterCell } from './control/device-state.js';
export { applyUpdates, MAX_PORT } from './control/write.js';
export { WriteJournal, type TableWrite } from './control/write-journal.js';
export { readEntities } from './control/read.js';
export * from './algorithms/index.js';
export * from './capture/index.js';
export { parseEntriesFile, entriesToUpdates, describeFailures, installEntries, EntriesFile, type EntriesUpdates } from './control/entries-file.js';
export * from './packet/index.js';
export { sequenceProgram, nextIds, type Sequence, type DecoupledStage, type SequencedNext, type NextId } from './hypervisor/sequence.js';
export { slotOf, passesForPath, worstCasePasses, worstCaseSlotPasses, type SlottedStage } from './hypervisor/slot-map.js';
export { checkIsolation, knownValue, CONTROL_FIELDS, RESERVED_PREFIX, type VpdpSpec, type Quotas, type IsolationViolation } from './hypervisor/isolation.js';
export { DH_LENGTH, readDescriptionHeader, writeDescriptionHeader, type DescriptionHeader } from './hypervisor/description-header.js';
export { classify, encapsulate, VXLAN_UDP_PORT, type ClassifierRule, type Classified, type Encapsulation } from './hypervisor/classifier.js';
export { FlatLayout, type FlatHeader, type FlatField, type FlatStack } from './hypervisor/flat-layout.js';
export { compileProgram, idSpan, Rewriter, type GenericProgram, type GenericStage, type GenericMatch, type GenericColumn, type MatchClass } from './hypervisor/generic-program.js';
export * from './hypervisor/image.js';
export type * from './hypervisor/epoch.js';
export { countResult } from './hypervisor/epoch.js';
export { Hypervisor, TenantControl, DEFAULT_QUOTAS, type HypervisorOptions, type VpdpOptions, type InstallReport, type InstallOptions, type InstalledReport, type HypervisorResult, type UnclassifiedResult, type VpdpCounters } from './hypervisor/hypervisor.js';
export { tableUsage, footprint, imageOccupancy, imageReport, spread, type TableUsage, type ProgramFootprint, type ImageReport, type Spread } from './hypervisor/report.js';
export { parseHypervisorConfig, sharedResources, missingFiles, classifierRules, type HypervisorConfig, type VpdpConfig } from './hypervisor/config-file.js';
