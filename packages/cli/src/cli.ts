/** Argument parsing and dispatch for `mpvisor`. */
import { parseArgs } from 'node:util';
import { build } from './commands/build.js';
import { check } from './commands/check.js';
import { run } from './commands/run.js';
import type { CommandResult } from './commands/command.js';

export const USAGE = `mpvisor — build, check and run network functions

Usage:
  mpvisor build [paths…] [--out DIR] [--json]
      Load NF modules (.ts or .js files, or directories of them), build and
      validate every exported program and policy, print a summary, and with
      --out write each NF's canonical IR to DIR/<name>.ir.json.
  mpvisor check <file.ir.json…>
      Decode and validate IR files; print each problem with its JSON path.
  mpvisor run <module> --pcap IN [--entries FILE] [--out DIR] [--trace N]
              [--nf NAME] [--drops] [--format pcap|pcapng] [--in-port N]
      Run a capture through an NF or policy on the reference target: one
      output capture per egress port in DIR (and dropped.pcap with --drops),
      a summary, and with --trace the first N packets stage by stage.
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
      case 'run': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            pcap: { type: 'string' },
            entries: { type: 'string' },
            out: { type: 'string', short: 'o' },
            trace: { type: 'string' },
            nf: { type: 'string' },
            drops: { type: 'boolean' },
            format: { type: 'string' },
            'in-port': { type: 'string' },
            progress: { type: 'boolean' },
          },
        });
        if (values.pcap === undefined) return { code: 2, stdout: '', stderr: 'mpvisor run: --pcap is required' };
        const int = (name: string, v: string | undefined): number | undefined => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number, got "${v}"`);
          return n;
        };
        if (values.format !== undefined && values.format !== 'pcap' && values.format !== 'pcapng') throw new Error(`--format is pcap or pcapng, got "${values.format}"`);
        const trace = int('trace', values.trace);
        const inPort = int('in-port', values['in-port']);
        return await run(positionals[0], {
          pcap: values.pcap,
          ...(values.out !== undefined ? { out: values.out } : {}),
          ...(values.entries !== undefined ? { entries: values.entries } : {}),
          ...(values.nf !== undefined ? { nf: values.nf } : {}),
          ...(trace !== undefined ? { trace } : {}),
          ...(values.drops !== undefined ? { drops: values.drops } : {}),
          ...(values.format !== undefined ? { format: values.format } : {}),
          ...(inPort !== undefined ? { inPort } : {}),
          ...(values.progress !== undefined ? { progress: values.progress } : {}),
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
