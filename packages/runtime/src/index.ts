/**
 * @mpvisor/runtime — what sits between the IR and the targets: loading
 * pipelines now; the Target interface, checking, sequencing and the
 * hypervisor arrive with the reference target and the hypervisor.
 */
export { loadPipeline, pipelineOf, type Pipeline, type PipelineStep, type PipelineSource } from './pipeline/pipeline.js';
export * from './algorithms/index.js';
export * from './capture/index.js';
export * from './packet/index.js';
