/** The `mpvisor` command as a library: run it in-process (tests, tools). */
export { runCli, USAGE } from './cli.js';
export { build, irFileName, type BuildOptions } from './commands/build.js';
export { check } from './commands/check.js';
export { run, type RunOptions } from './commands/run.js';
export { hv, type HvOptions } from './commands/hv.js';
export { report, formatReport, measureVpdp, PAPER_TABLE_I, PAPER_TABLE_II, PAPER_TABLE_III, type ReportOptions, type VpdpMeasurement } from './commands/report.js';
export { formatTrace } from './trace-format.js';
export type { CommandResult } from './commands/command.js';
export { loadNfs, expandPaths, isNfBuilder, type FoundNf, type NfBuilder } from './load-module.js';
export { summarise, formatTable, type SummaryRow } from './summary.js';
