/** Argument parsing and dispatch for `mpvisor`. */
import { parseArgs } from 'node:util';
import { build } from './commands/build.js';
import { check } from './commands/check.js';
import type { CommandResult } from './commands/command.js';

export const USAGE = `mpvisor — build, check and run network functions

Usage:
  mpvisor build [paths…] [--out DIR] [--json]
      Load NF modules (.ts or .js files, or directories of them), build and
      validate every exported program and policy, print a summary, and with
      --out write each NF's canonical IR to DIR/<name>.ir.json.
  mpvisor check <file.ir.json…>
      Decode and validate IR files; print each problem with its JSON path.
  mpvisor help | --help
  mpvisor --version
`;

export async function runCli(argv: readonly string[], version: string): Promise<CommandResult> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return { code: command === undefined ? 2 : 0, stdout: USAGE, stderr: '' };
      case '--version':
      case '-v':
        return { code: 0, stdout: version, stderr: '' };
      case 'build': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' } },
        });
        return await build(positionals, {
          ...(values.out !== undefined ? { out: values.out } : {}),
          ...(values.json !== undefined ? { json: values.json } : {}),
        });
      }
      case 'check': {
        const { positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: {} });
        return check(positionals);
      }
      default:
        return { code: 2, stdout: '', stderr: `mpvisor: unknown command "${command}"\n\n${USAGE}` };
    }
  } catch (e) {
    // bad flags and unreadable paths: one line, no stack trace
    return { code: 2, stdout: '', stderr: `mpvisor ${command}: ${(e as Error).message}` };
  }
}
