/**
 * The benchmark harness (scripts/bench, `npm run bench`) at its tiny size,
 * in-process, so it cannot rot: every section and every figure must come
 * out, finite and positive, on every target the package exports. Nothing
 * here looks at how fast anything is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as targetsModule from '@mpvisor/targets';
import { ReferenceTarget } from '@mpvisor/targets';
import { runBench, SECTIONS, type BenchReport } from '../../../scripts/bench/bench.js';
import type { TargetFigure, WorkloadFigures } from '../../../scripts/bench/figures.js';
import { formatReport } from '../../../scripts/bench/report.js';
import { FRAME_SIZES } from '../../../scripts/bench/sections/nfs.js';
import { portPlan } from '../../../scripts/bench/sections/scale.js';
import { SIZES } from '../../../scripts/bench/sizes.js';
import { discover, type BenchTarget } from '../../../scripts/bench/targets.js';

const tiny = SIZES.tiny;
const NFS = ['l2-switch', 'firewall', 'router', 'arp-proxy', 'l2-switch+firewall'];

/** A plugged-in target: the bench measures whatever it is given. */
const PLUGGED: BenchTarget = { id: 'plugged/native', engine: 'plugged', mode: 'native', describe: 'a ReferenceTarget plugged in by the test', create: () => new ReferenceTarget() };

const positive = (x: number | undefined): boolean => x !== undefined && Number.isFinite(x) && x > 0;

/** The packets and latency samples a figure is measured on, at least. */
interface Budget {
  readonly packets: number;
  readonly samples: number;
}
const NF_BUDGET: Budget = { packets: tiny.packetsPerRepetition * tiny.repetitions, samples: tiny.latencySamples };
const BIG_BUDGET: Budget = { packets: tiny.bigTablePackets * tiny.repetitions, samples: Math.min(tiny.latencySamples, tiny.bigTablePackets * tiny.repetitions) };

function expectFigure(f: TargetFigure | undefined, where: string, budget: Budget): void {
  expect(f, where).toBeDefined();
  expect(f!.error, `${where}: ${f!.error}`).toBeUndefined();
  expect(positive(f!.throughput?.pps), `${where}: throughput`).toBe(true);
  expect(f!.throughput!.repetitions).toHaveLength(tiny.repetitions);
  expect(f!.throughput!.packets, where).toBeGreaterThanOrEqual(budget.packets);
  expect(positive(f!.latency?.medianMicros), `${where}: latency`).toBe(true);
  expect(f!.latency!.samples, where).toBeGreaterThanOrEqual(budget.samples);
  // a fast target with other outputs than the reference's would make the figures meaningless
  expect(f!.agrees, `${where}: outputs differ from the reference's`).not.toBe(false);
}

function expectRow(row: WorkloadFigures, ids: readonly string[], budget = NF_BUDGET): void {
  for (const id of ids) expectFigure(row.targets.find((t) => t.target === id), `${id} on ${row.nf} ${row.size} B`, budget);
}

describe('npm run bench, tiny', () => {
  let report: BenchReport;
  let ids: string[];

  // every target of the package in a child process of its own (as npm run bench does), the plugged one in this process
  beforeAll(async () => {
    report = await runBench({ sizes: tiny, extraTargets: [PLUGGED], command: 'bench-smoke.test.ts' });
    ids = report.targets.map((t) => t.id);
  }, 120_000);

  it('records the run: date, command, machine, targets, executors', () => {
    expect(report.schema).toBe('mpvisor-bench/1');
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.command).toBe('bench-smoke.test.ts');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpu).not.toBe('');
    expect(report.machine.node).toBe(process.version);
    expect(report.isolated).toBe(true);
    expect(ids).toEqual(expect.arrayContaining(['reference/native', 'reference/virtualized', 'rmt/native', 'plugged/native']));
    expect(report.executors.map((e) => e.id)).toContain('reference');
    expect(Object.keys(report.sections).sort()).toEqual([...SECTIONS].sort());
    for (const s of SECTIONS) expect(report.sectionSeconds[s]).toBeGreaterThanOrEqual(0);
  });

  it('finds the compiled target by its export name, once the package has it', () => {
    expect(ids.includes('compiled/native')).toBe('CompiledTarget' in targetsModule);
    const found = discover({ ...targetsModule, CompiledTarget: ReferenceTarget, CompiledSlotEngine: targetsModule.ReferenceSlotEngine });
    expect(found.targets.map((t) => t.id)).toEqual(['reference/native', 'reference/virtualized', 'compiled/native', 'compiled/virtualized', 'rmt/native']);
    expect(found.executors.map((e) => e.id)).toEqual(['reference', 'compiled']);
    expect(found.missing).toEqual([]);
    const without = discover({ ReferenceTarget });
    expect(without.missing.map((m) => m.id)).toEqual(['compiled/native', 'compiled/virtualized']);
  });

  it('seed NFs: throughput and latency for every NF, size and target, and the virtualized : native ratios', () => {
    const nfs = report.sections.nfs!;
    expect(nfs.rows.map((r) => `${r.nf}@${r.size}`)).toEqual(NFS.flatMap((nf) => FRAME_SIZES.map((s) => `${nf}@${s}`)));
    for (const row of nfs.rows) {
      expectRow(row, ids);
      expect(row.pool).toBe(tiny.poolSize);
    }
    const engines = [...new Set(report.targets.filter((t) => t.id.endsWith('/virtualized')).map((t) => t.id.split('/')[0]!))];
    expect(engines).toContain('reference');
    expect(nfs.ratios).toHaveLength(nfs.rows.length * engines.length);
    for (const r of nfs.ratios) {
      expect(positive(r.throughput), `${r.nf} ${r.size} ${r.engine}`).toBe(true);
      expect(positive(r.latency), `${r.nf} ${r.size} ${r.engine}`).toBe(true);
    }
    expect(Object.keys(nfs.paper)).toEqual(['l2-switch', 'firewall', 'l2-switch+firewall']);
  });

  it('null pipeline and copy loop at both sizes', () => {
    const rows = report.sections.null!.rows;
    expect(rows.map((r) => r.size)).toEqual([...FRAME_SIZES]);
    for (const row of rows) expectRow(row, [...ids, 'machine/copy-loop']);
  });

  it('scale: every vPDP count on every executor, and the big tables', () => {
    const sc = report.sections.scale!;
    expect(sc.rows.map((r) => `${r.executor}@${r.vpdps}`)).toEqual(report.executors.flatMap((e) => tiny.scaleVpdps.map((n) => `${e.id}@${n}`)));
    for (const r of sc.rows) {
      expect(r.error).toBeUndefined();
      expect(r.withTraffic).toBe(r.vpdps);
      expect(positive(r.pps) && positive(r.burstPps) && positive(r.latencyMicros) && r.packets > 0 && r.setupSeconds >= 0).toBe(true);
      expect(r.burstRepetitions).toHaveLength(r.repetitions.length);
      expect(r.unclassified).toBe(0);
    }
    expect(sc.bigTables.entriesPerTable).toBe(tiny.bigTableEntries);
    expectRow(sc.bigTables.shipped, ids, BIG_BUDGET);
    expectRow(sc.bigTables.big, ids, BIG_BUDGET);
  });

  it('scale: ports run out at 511 vPDPs, the rest are installed without traffic', () => {
    expect(portPlan(100).perVpdp).toBe(4);
    expect(portPlan(1000).perVpdp).toBe(1);
    expect(portPlan(1000).ports(510)).toEqual([510]);
    expect(portPlan(1000).ports(511)).toEqual([]);
  });

  it('reconfiguration: install and toggle times, throughput with and without, nothing lost', () => {
    const rows = report.sections.reconfig!.rows;
    expect(rows.map((r) => r.executor)).toEqual(report.executors.map((e) => e.id));
    for (const r of rows) {
      expect(r.error).toBeUndefined();
      expect(r.installs).toBe(tiny.reconfigInstalls - 1);
      expect(r.toggles).toBe(tiny.reconfigInstalls);
      expect(positive(r.installMedianMillis) && positive(r.installMaxMillis) && positive(r.firstPacketMedianMillis) && positive(r.toggleMedianMillis)).toBe(true);
      expect(positive(r.baselinePps) && positive(r.duringPps)).toBe(true);
      expect(r.packets).toBe(tiny.reconfigInstalls * tiny.reconfigEvery);
      expect(r.lost).toBe(0);
      expect(r.epochsSeen).toBe(r.installs + 1);
    }
  });

  it('end to end: the whole capture read, processed and written, per executor', () => {
    const e2e = report.sections.e2e!;
    expect(e2e.packets).toBe(tiny.e2ePackets);
    expect(e2e.inputBytes).toBeGreaterThan(0);
    for (const r of e2e.rows) {
      expect(r.error).toBeUndefined();
      expect(r.packets).toBe(tiny.e2ePackets);
      expect(positive(r.pps) && positive(r.seconds) && positive(r.inputMBps)).toBe(true);
      expect(r.outputs).toBeGreaterThan(0);
      expect(r.files).toBeGreaterThan(0);
      expect(r.unclassified).toBe(0);
    }
  });

  it('also runs every target in this process (--inline)', async () => {
    const inline = await runBench({ sizes: tiny, sections: ['null', 'reconfig'], only: ['reference/native', 'reference'], isolate: false });
    expect(inline.isolated).toBe(false);
    expect(inline.targets.map((t) => t.id)).toEqual(['reference/native']);
    for (const row of inline.sections.null!.rows) expectRow(row, ['reference/native', 'machine/copy-loop']);
    expect(inline.sections.reconfig!.rows.map((r) => [r.executor, r.lost])).toEqual([['reference', 0]]);
  }, 60_000);

  it('prints every section as a table, and the JSON has every figure', () => {
    const text = formatReport(report);
    for (const heading of ['1. Seed NFs — throughput', '2. Seed NFs — latency', '3. Virtualized : native', '4. The practical limit', '5. Scale', 'Table size', '6. Reconfiguration', '7. End to end'])
      expect(text).toContain(heading);
    for (const nf of NFS) expect(text).toContain(nf);
    expect(text).not.toMatch(/NaN|error|Infinity/);
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    expect(json).toEqual(report); // no NaN or Infinity (JSON would turn them into null)
  });
});
