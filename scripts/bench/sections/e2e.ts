/**
 * End to end: a capture of 1,000,000 packets through the demo's two tenants
 * (examples/hypervisor/two-tenants.yaml: A = L2 switch + firewall on ports
 * 1-4, B = NAT then router on VLAN 100), file I/O included: read the pcap
 * (streaming), classify and process every packet, write one capture per
 * egress port. The input capture is written once, untimed, to a temporary
 * directory; everything is removed afterwards.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hypervisor, PcapWriter, PortCaptureWriter, readCapture } from '@mpvisor/runtime';
import { now, seconds } from '../measure.js';
import type { Host } from '../host.js';
import { SLOTS, type BenchExecutor } from '../targets.js';
import { ingressPortOf, twoTenantFrames, twoTenants } from '../workloads.js';

export interface E2eRow {
  readonly executor: string;
  readonly packets: number;
  /** Read + process + write, wall clock. */
  readonly seconds: number;
  readonly pps: number;
  /** Input capture bytes per second. */
  readonly inputMBps: number;
  /** Of the wall time, the share spent inside hv.process(). */
  readonly processShare: number;
  readonly outputs: number;
  readonly dropped: number;
  readonly unclassified: number;
  readonly files: number;
  readonly outputBytes: number;
  readonly error?: string;
}

export interface E2eSection {
  readonly packets: number;
  readonly inputBytes: number;
  /** Writing the input capture (not part of any figure). */
  readonly generateSeconds: number;
  readonly rows: readonly E2eRow[];
}

/** Distinct frames in the capture; it cycles through them with rising timestamps. */
const DISTINCT = 4096;
const START_MICROS = 1_700_000_000_000_000n;

/** Read + process + write the capture `input` on one image executor, outputs under `outDir`. */
export async function e2eRowFor(ex: BenchExecutor, input: string, inputBytes: number, outDir: string): Promise<E2eRow> {
  const setup = twoTenants();
  const hv = new Hypervisor({ executor: ex.create(), image: { slots: SLOTS } });
  hv.createVpdp(setup.a.vpdp);
  hv.createVpdp(setup.b.vpdp);
  hv.setClassifier(setup.rules);
  hv.install(1, setup.a.source, { entries: setup.a.updates });
  hv.install(2, setup.b.source, { entries: setup.b.updates });
  const out = await PortCaptureWriter.create(outDir);
  let n = 0;
  let outputs = 0;
  let dropped = 0;
  let unclassified = 0;
  let processNanos = 0n;
  const t0 = now();
  for await (const p of readCapture(input)) {
    const port = ingressPortOf(p.data);
    const tp = now();
    const r = hv.process({ port, data: p.data, timestamp: p.timestampMicros });
    processNanos += now() - tp;
    n++;
    if (r.vpdp === undefined) unclassified++;
    else if (r.dropped !== undefined) dropped++;
    for (const o of r.outputs) {
      await out.write(o.port, { data: o.data, timestampNanos: p.timestampNanos });
      outputs++;
    }
    // the L2 switch learns nothing here (every host is known), but drain anyway
    if ((n & 0xffff) === 0) {
      hv.tenant(1).drainDigests();
      hv.tenant(2).drainDigests();
    }
  }
  const summary = await out.close();
  const s = seconds(t0);
  let outputBytes = 0;
  for (const f of summary.files) outputBytes += (await stat(f)).size;
  return { executor: ex.id, packets: n, seconds: s, pps: n / s, inputMBps: inputBytes / 1e6 / s, processShare: Number(processNanos) / 1e9 / s, outputs, dropped, unclassified, files: summary.files.length, outputBytes };
}

export async function runE2e(executors: readonly Host[], packets: number, log: (s: string) => void, keep = false): Promise<E2eSection> {
  const dir = await mkdtemp(join(tmpdir(), 'mpvisor-bench-'));
  try {
    const input = join(dir, 'two-tenants.pcap');
    const g0 = now();
    const frames = twoTenantFrames(Math.min(packets, DISTINCT));
    const w = await PcapWriter.create(input);
    for (let i = 0; i < packets; i++) await w.write({ data: frames[i % frames.length]!, timestampMicros: START_MICROS + BigInt(i) });
    await w.close();
    const generateSeconds = seconds(g0);
    const inputBytes = (await stat(input)).size;
    log(`  wrote ${packets} packets (${(inputBytes / 1e6).toFixed(1)} MB) in ${generateSeconds.toFixed(1)} s`);

    const rows: E2eRow[] = [];
    for (const h of executors) {
      try {
        const row = await h.perform({ op: 'e2e', input, inputBytes, outDir: join(dir, `out-${h.id}`) });
        rows.push(row);
        log(`  ${h.id}: ${row.packets} packets in ${row.seconds.toFixed(1)} s`);
      } catch (e) {
        const nan = Number.NaN;
        rows.push({ executor: h.id, packets: 0, seconds: nan, pps: nan, inputMBps: nan, processShare: nan, outputs: 0, dropped: 0, unclassified: 0, files: 0, outputBytes: 0, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return { packets, inputBytes, generateSeconds, rows };
  } finally {
    if (keep) log(`  kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
