/** The `mpvisor` command as a library: run it in-process (tests, tools). */
export { runCli, USAGE } from './cli.js';
export { build, irFileName, type BuildOptions } from './commands/build.js';
export { check } from './commands/check.js';
export { run, type RunOptions } from './commands/run.js';
export { formatTrace } from './trace-format.js';
export type { CommandResult } from './commands/command.js';
export { loadNfs, expandPaths, isNfBuilder, type FoundNf, type NfBuilder } from './load-module.js';
export { summarise, formatTable, type SummaryRow } from './summary.js';
