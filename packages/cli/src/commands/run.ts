/**
 * `mpvisor run <module> --pcap in.pcap [--entries file] --out dir/ [--trace N]`:
 * run a capture through an NF (or a policy) on a target (the reference by
 * default; `--target virtualized[:slots]` or `rmt[:profile]`), write
 * one capture per egress port (and the drops, with --drops), and print a
 * summary; --trace prints the first N packets' path, stage by stage.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { installEntries, loadPipeline, PortCaptureWriter, readCapture, type CaptureFormat, type Target } from '@mpvisor/runtime';
import { createTarget } from '@mpvisor/targets';
import { loadNfs, type FoundNf } from '../load-module.js';
import { formatTrace } from '../trace-format.js';
import { bump, formatSummary, newStats, recordResult } from '../run-summary.js';
import { describe } from './build.js';
import type { CommandResult } from './command.js';

export interface RunOptions {
  readonly pcap: string;
  readonly out?: string;
  readonly entries?: string;
  /** NF name or export name, when the module exports several. */
  readonly nf?: string;
  readonly trace?: number;
  /** Also write the dropped packets to dropped.<format>. */
  readonly drops?: boolean;
  readonly format?: CaptureFormat;
  /** Ingress port of every packet (pcapng: plus the interface index). */
  readonly inPort?: number;
  /** Progress on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /** The target to run on (`reference`, `virtualized[:slots]`, `rmt[:profile]`); the reference by default. */
  readonly target?: string;
}

export async function run(module: string | undefined, options: RunOptions): Promise<CommandResult> {
  if (!module) return { code: 2, stdout: '', stderr: 'mpvisor run: name the NF module to run' };
  let nf: FoundNf;
  try {
    nf = pick(await loadNfs(resolve(module)), options.nf, module);
  } catch (e) {
    return { code: 1, stdout: '', stderr: `${module}: ${describe(e)}` };
  }
  let target: Target;
  try {
    target = createTarget(options.target ?? 'reference');
  } catch (e) {
    return { code: 2, stdout: '', stderr: `mpvisor run: ${describe(e)}` };
  }
  const traces: string[] = [];
  const stats = newStats();
  let writer: PortCaptureWriter | undefined;
  const started = performance.now();
  try {
    const pipeline = loadPipeline(nf.builder);
    target.load(pipeline);
    if (options.entries !== undefined) installEntries(target, pipeline, await readFile(options.entries, 'utf8'), options.entries);
    if (options.out !== undefined) writer = await PortCaptureWriter.create(options.out, { format: options.format ?? 'pcap', dropped: options.drops ?? false });
    const progress = progressReporter(options);
    const basePort = options.inPort ?? 1;
    for await (const pkt of readCapture(options.pcap)) {
      const port = basePort + pkt.interface;
      const traced = stats.packetsIn < (options.trace ?? 0);
      const result = target.process({ port, data: pkt.data, timestamp: pkt.timestampMicros }, { trace: traced });
      stats.packetsIn++;
      stats.bytesIn += pkt.data.length;
      stats.passes += result.passes;
      if (traced && result.trace) traces.push(formatTrace(stats.packetsIn, port, pkt.data.length, result.trace));
      for (const t of result.trace ?? []) if (t.kind === 'parser' && t.error !== 'NoError') bump(stats.parserErrors, t.error);
      await recordResult(stats, result, pkt, writer);
      // digests are counted, not kept: a long capture must not grow memory
      for (const d of target.drainDigests()) bump(stats.digests, d.digest);
      progress(stats.packetsIn);
    }
    progress(stats.packetsIn, true);
    await writer?.close();
  } catch (e) {
    await writer?.abort();
    return { code: 1, stdout: traces.join('\n\n'), stderr: `mpvisor run: ${describe(e)}` };
  }
  const seconds = (performance.now() - started) / 1000;
  const state = [...target.read({ kind: 'register' }), ...target.read({ kind: 'counter' })];
  const summary = formatSummary(nf.builder.name, stats, target.resources(), state, seconds);
  const written = options.out !== undefined ? `\noutput captures in ${options.out.replace(/\/$/, '')}/` : '';
  return { code: 0, stdout: [...traces, summary + written].join('\n\n'), stderr: '' };
}

function pick(found: readonly FoundNf[], wanted: string | undefined, module: string): FoundNf {
  if (wanted !== undefined) {
    const nf = found.find((f) => f.builder.name === wanted || f.exportName === wanted);
    if (!nf) throw new Error(`no NF named "${wanted}"; it exports ${found.map((f) => f.builder.name).join(', ') || 'none'}`);
    return nf;
  }
  if (found.length === 1) return found[0]!;
  throw new Error(found.length === 0 ? `${module} exports no program or policy` : `it exports several NFs (${found.map((f) => f.builder.name).join(', ')}); choose one with --nf`);
}

/** A progress line on stderr, at most a few times a second, when it is a terminal. */
function progressReporter(options: RunOptions): (packets: number, final?: boolean) => void {
  const on = options.progress ?? process.stderr.isTTY === true;
  if (!on) return () => {};
  let size = 0;
  try {
    size = statSync(options.pcap).size;
  } catch {
    // the reader reports a missing file properly
  }
  let last = 0;
  return (packets, final = false) => {
    const now = performance.now();
    if (!final && now - last < 250) return;
    last = now;
    const mb = (size / 1e6).toFixed(1);
    process.stderr.write(`\r${final ? 'done' : 'running'}: ${packets.toLocaleString('en-US')} packets of ${options.pcap} (${mb} MB)${final ? '\n' : ''}`);
  };
}

