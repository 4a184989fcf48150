/** The `mpvisor` command as a library: run it in-process (tests, tools). */
export { runCli, commandUsage, USAGE } from './cli.js';
export { build, irFileName, type BuildOptions } from './commands/build.js';
export { check } from './commands/check.js';
export { run, type RunOptions } from './commands/run.js';
export { hv, type HvOptions } from './commands/hv.js';
export { report, formatReport, measureVpdp, PAPER_TABLE_I, PAPER_TABLE_II, PAPER_TABLE_III, type ReportOptions, type VpdpMeasurement } from './commands/report.js';
export { publish, openRegistry, type PublishOptions, type RegistryLocation } from './commands/publish.js';
export { pull, type PullOptions } from './commands/pull.js';
export { inspect, type InspectOptions } from './commands/inspect.js';
export { list, search, type ListOptions } from './commands/search.js';
export { login, logout, type LoginOptions } from './commands/login.js';
export { formatTrace } from './trace-format.js';
export type { CommandResult } from './commands/command.js';
export { loadNfs, expandPaths, isNfBuilder, type FoundNf, type NfBuilder } from './load-module.js';
export { summarise, formatTable, type SummaryRow } from './summary.js';
