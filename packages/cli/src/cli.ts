/** Argument parsing and dispatch for `mpvisor`. */
import { parseArgs } from 'node:util';
import { build } from './commands/build.js';
import { check } from './commands/check.js';
import { hv } from './commands/hv.js';
import { inspect } from './commands/inspect.js';
import { login, logout } from './commands/login.js';
import { publish } from './commands/publish.js';
import { pull } from './commands/pull.js';
import { report } from './commands/report.js';
import { run } from './commands/run.js';
import { list, search } from './commands/search.js';
import type { CommandResult } from './commands/command.js';

export const USAGE = `mpvisor — build, check and run network functions, alone or on the data plane hypervisor,
and publish, pull and derive them through a registry

Usage:
  mpvisor build [paths…] [--out DIR] [--json]
      Load NF modules (.ts or .js files, or directories of them), build and
      validate every exported program and policy, print a summary, and with
      --out write each NF's canonical IR to DIR/<name>.ir.json.
  mpvisor check <file.ir.json…>
      Decode and validate IR files; print each problem with its JSON path.
  mpvisor run <module> --pcap IN [--entries FILE] [--out DIR] [--trace N]
              [--nf NAME] [--drops] [--format pcap|pcapng] [--in-port N]
              [--target reference|compiled|virtualized[:SLOTS]|rmt[:PROFILE]]
      Run a capture through an NF or policy on a target (the reference by
      default): one output capture per egress port in DIR (and dropped.pcap
      with --drops), a summary, and with --trace the first N packets stage
      by stage.
  mpvisor hv <config> [--out DIR] [--slots N] [--drops] [--trace N]
             [--format pcap|pcapng]
      One data plane: every vPDP of a configuration file (YAML or JSON) on
      one hypervisor with its NF and entries; their captures merged by time
      and run through it; one output capture per egress port in DIR; a
      summary per tenant (traffic, drops, containment, slot passes, generic
      vs native tables, stages, digests) and the unclassified packets.
  mpvisor report [config] [--slots N] [--primitives K]
                 [--target rmt[:profile]] [--svg DIR]
      HyperV's Tables I-III for our image next to the paper's figures: the
      tables and metadata bits the image declares, and the tables a packet
      uses, measured per vPDP on its own capture (default config:
      examples/hypervisor/seed-nfs.yaml), plus what each program takes.
      With --target rmt[:profile] (profiles rmt, tofino-like; default rmt):
      the emulated RMT switch instead — per stage tables, SRAM, TCAM,
      crossbar bits and action units, PHV, pipeline length and latency in
      cycles, for each vPDP's NF natively and for the hypervisor's image;
      the two side by side; the most image slots the profile holds. --svg
      DIR writes a stage-occupancy chart of each placement (<vPDP>.svg,
      hypervisor-image.svg).
  mpvisor publish <module> --name scope/name --version x.y.z [--export NAME]
                  [--description TEXT] [--author TEXT] [--tag TAG]…
                  [--registry DIR|URL] [--insecure]
      Audit the module's source (no clock, randomness, host or network, and
      imports only of @mpvisor/* and other NF modules; findings are listed
      as file:line:column), then load it and publish its NF's canonical IR
      as an immutable version (and move the tags to it).
  mpvisor pull <ref> [-o FILE.ts] [--export NAME] [--ir FILE.json]
               [--registry DIR|URL] [--insecure]
      Pull a published NF (scope/name@version, scope/name:tag or
      scope/name@sha256:…), verified against its digests, and write a typed
      TypeScript module of it to derive from (-o) and/or its canonical IR.
  mpvisor inspect <ref> [--json] [--registry DIR|URL] [--insecure]
      A published NF's digests, annotations, programs and stages, and its
      lineage: each ancestor and where it is published in the registry.
  mpvisor list [--json] [--registry DIR|URL] [--insecure]
      The registry's NFs, each with its versions and tags.
  mpvisor search [QUERY] [--json] [--registry DIR|URL] [--insecure]
      The NFs whose name, NF name or description contains QUERY (in any
      case), with their versions, tags and description.
  mpvisor login <url> --username U (--password-stdin | --password P)
                [--insecure]
      Check the credentials against the registry, then store them (mode
      0600) for publish, pull and the rest to use.
  mpvisor logout <url>
      Forget the stored credentials of a registry.
  The registry is --registry (a directory, or an https:// URL), else
  $MPVISOR_REGISTRY, else .mpvisor/registry in the working directory.
  mpvisor <command> --help
      That command's part of this text.
  mpvisor help | --help
  mpvisor --version
`;

/** A whole-number flag, at least `min`. */
function int(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${name} needs a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${v}"`);
  return n;
}

/** `mpvisor <command> --help`: the command's entries of USAGE (their lines up to the next command). */
export function commandUsage(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const m = /^  mpvisor (\S+)/.exec(line);
    if (m) inside = m[1] === command;
    else if (!line.startsWith('    ')) inside = false; // the note after the commands
    if (inside) out.push(line);
  }
  if (out.length === 0) return undefined;
  const registry = ['publish', 'pull', 'inspect', 'list', 'search'].includes(command) ? lines.filter((l) => /^  (The registry is|\$MPVISOR_REGISTRY)/.test(l)) : [];
  return ['Usage:', ...out, ...registry].join('\n');
}

/** Registry flags every registry command takes. */
const REGISTRY_FLAGS = { registry: { type: 'string' }, insecure: { type: 'boolean' } } as const;
const registryLocation = (values: { registry?: string | undefined; insecure?: boolean | undefined }) => ({
  ...(values.registry !== undefined ? { registry: values.registry } : {}),
  ...(values.insecure !== undefined ? { insecure: values.insecure } : {}),
});

export async function runCli(argv: readonly string[], version: string): Promise<CommandResult> {
  const [command, ...rest] = argv;
  const beforeDashes = rest.indexOf('--') >= 0 ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command !== undefined && (beforeDashes.includes('--help') || beforeDashes.includes('-h'))) {
    const text = commandUsage(command);
    if (text !== undefined) return { code: 0, stdout: text, stderr: '' };
  }
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
            'no-progress': { type: 'boolean' },
            target: { type: 'string' },
          },
        });
        if (values.pcap === undefined) return { code: 2, stdout: '', stderr: 'mpvisor run: --pcap is required' };
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
          ...(values.progress !== undefined ? { progress: values.progress } : values['no-progress'] ? { progress: false } : {}),
          ...(values.target !== undefined ? { target: values.target } : {}),
        });
      }
      case 'hv': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            out: { type: 'string', short: 'o' },
            slots: { type: 'string' },
            drops: { type: 'boolean' },
            trace: { type: 'string' },
            format: { type: 'string' },
          },
        });
        if (positionals.length > 1) throw new Error(`one configuration file, got ${positionals.length}: ${positionals.join(' ')}`);
        const format = values.format;
        if (format !== undefined && format !== 'pcap' && format !== 'pcapng') throw new Error(`--format is pcap or pcapng, got "${format}"`);
        const slots = int('slots', values.slots, 1);
        const trace = int('trace', values.trace);
        return await hv(positionals[0], {
          ...(values.out !== undefined ? { out: values.out } : {}),
          ...(slots !== undefined ? { slots } : {}),
          ...(values.drops !== undefined ? { drops: values.drops } : {}),
          ...(trace !== undefined ? { trace } : {}),
          ...(format !== undefined ? { format } : {}),
        });
      }
      case 'report': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { slots: { type: 'string' }, primitives: { type: 'string' }, target: { type: 'string' }, svg: { type: 'string' } },
        });
        if (positionals.length > 1) throw new Error(`one configuration file, got ${positionals.length}: ${positionals.join(' ')}`);
        const slots = int('slots', values.slots, 1);
        const primitives = int('primitives', values.primitives, 1);
        return await report(positionals[0], {
          ...(slots !== undefined ? { slots } : {}),
          ...(primitives !== undefined ? { primitives } : {}),
          ...(values.target !== undefined ? { target: values.target } : {}),
          ...(values.svg !== undefined ? { svg: values.svg } : {}),
        });
      }
      case 'check': {
        const { positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: {} });
        return check(positionals);
      }
      case 'publish': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            name: { type: 'string' },
            version: { type: 'string' },
            export: { type: 'string' },
            description: { type: 'string' },
            author: { type: 'string' },
            tag: { type: 'string', multiple: true },
            ...REGISTRY_FLAGS,
          },
        });
        if (positionals.length > 1) throw new Error(`one NF module, got ${positionals.length}: ${positionals.join(' ')}`);
        return await publish(positionals[0], {
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values.version !== undefined ? { version: values.version } : {}),
          ...(values.export !== undefined ? { export: values.export } : {}),
          ...(values.description !== undefined ? { description: values.description } : {}),
          ...(values.author !== undefined ? { author: values.author } : {}),
          ...(values.tag !== undefined ? { tags: values.tag } : {}),
          ...registryLocation(values),
        });
      }
      case 'pull': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { out: { type: 'string', short: 'o' }, export: { type: 'string' }, ir: { type: 'string' }, ...REGISTRY_FLAGS },
        });
        if (positionals.length > 1) throw new Error(`one NF reference, got ${positionals.length}: ${positionals.join(' ')}`);
        return await pull(positionals[0], {
          ...(values.out !== undefined ? { out: values.out } : {}),
          ...(values.export !== undefined ? { export: values.export } : {}),
          ...(values.ir !== undefined ? { ir: values.ir } : {}),
          ...registryLocation(values),
        });
      }
      case 'inspect': {
        const { values, positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: { json: { type: 'boolean' }, ...REGISTRY_FLAGS } });
        if (positionals.length > 1) throw new Error(`one NF reference, got ${positionals.length}: ${positionals.join(' ')}`);
        return await inspect(positionals[0], { ...(values.json !== undefined ? { json: values.json } : {}), ...registryLocation(values) });
      }
      case 'list':
      case 'search': {
        const { values, positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: { json: { type: 'boolean' }, ...REGISTRY_FLAGS } });
        const options = { ...(values.json !== undefined ? { json: values.json } : {}), ...registryLocation(values) };
        if (command === 'list') {
          if (positionals.length > 0) throw new Error(`takes no arguments (to filter, use mpvisor search ${positionals.join(' ')})`);
          return await list(options);
        }
        if (positionals.length > 1) throw new Error(`one query, got ${positionals.length}: quote a query with spaces`);
        return await search(positionals[0], options);
      }
      case 'login': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { username: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' }, 'password-stdin': { type: 'boolean' }, insecure: { type: 'boolean' } },
        });
        if (positionals.length > 1) throw new Error(`one registry URL, got ${positionals.length}: ${positionals.join(' ')}`);
        return await login(positionals[0], {
          ...(values.username !== undefined ? { username: values.username } : {}),
          ...(values.password !== undefined ? { password: values.password } : {}),
          ...(values['password-stdin'] !== undefined ? { passwordStdin: values['password-stdin'] } : {}),
          ...(values.insecure !== undefined ? { insecure: values.insecure } : {}),
        });
      }
      case 'logout': {
        const { positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: {} });
        if (positionals.length > 1) throw new Error(`one registry URL, got ${positionals.length}: ${positionals.join(' ')}`);
        return logout(positionals[0]);
      }
      default:
        return { code: 2, stdout: '', stderr: `mpvisor: unknown command "${command}"\n\n${USAGE}` };
    }
  } catch (e) {
    // bad flags and unreadable paths: one line, no stack trace
    return { code: 2, stdout: '', stderr: `mpvisor ${command}: ${(e as Error).message}` };
  }
}
