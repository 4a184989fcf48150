/**
 * `npm run bench` (= tsx --conditions=@mpvisor/source scripts/bench/main.ts):
 * every benchmark figure as tables on stdout, progress on stderr, and the
 * whole report as JSON in .mpvisor/bench/latest.json (and --json FILE).
 * Imports resolve to the packages' sources, so no build is needed.
 *
 *     npm run bench                          # the default sizes: a few minutes on 2 cores
 *     npm run bench -- --quick               # a tenth of it (or MPVISOR_BENCH_SIZE=quick)
 *     npm run bench -- --sections nfs,null --targets reference/native,rmt/native --json out.json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, SECTIONS, type SectionName } from './bench.js';
import { formatReport } from './report.js';
import { sizesByName } from './sizes.js';

const USAGE = `usage: npm run bench -- [--quick | --tiny | --size default|quick|tiny] [--sections ${SECTIONS.join(',')}]
                        [--targets ID,…] [--json FILE] [--keep] [--inline] [--quiet]
  --targets  keep only these targets and image executors (reference/native, reference/virtualized, rmt/native, reference, …)
  --keep     keep the end-to-end captures (the temporary directory is printed)
  --inline   measure every target in this process instead of one child process each (faster to start, less fair)
  MPVISOR_BENCH_SIZE sets the size when no option does.`;

const LATEST = fileURLToPath(new URL('../../.mpvisor/bench/latest.json', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      tiny: { type: 'boolean' },
      size: { type: 'string' },
      sections: { type: 'string' },
      targets: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
      inline: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const sizeName = values.size ?? (values.tiny ? 'tiny' : values.quick ? 'quick' : (process.env.MPVISOR_BENCH_SIZE ?? 'default'));
  const sizes = sizesByName(sizeName);
  const list = (s: string | undefined): string[] | undefined => s?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const sections = list(values.sections);
  for (const s of sections ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section "${s}" (one of ${SECTIONS.join(', ')})`);
  const args = process.argv.slice(2);
  const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}` : `tsx scripts/bench/main.ts ${args.join(' ')}`.trim();

  const only = list(values.targets);
  const report = await runBench({
    sizes,
    ...(sections ? { sections: sections as SectionName[] } : {}),
    ...(only ? { only } : {}),
    command,
    keepFiles: values.keep ?? false,
    isolate: !(values.inline ?? false),
    log: values.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`),
  });
  console.log(formatReport(report));
  const json = `${JSON.stringify(report, null, 2)}\n`;
  for (const file of [LATEST, ...(values.json ? [resolve(values.json)] : [])]) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, json);
  }
  console.log(`JSON: ${[LATEST, ...(values.json ? [resolve(values.json)] : [])].join(', ')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  console.error(USAGE);
  process.exitCode = 1;
});
