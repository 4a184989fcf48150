/**
 * The report as text: one table per section, every figure with the number
 * of packets it was measured on.
 */
import type { BenchReport } from './bench.js';
import type { TargetFigure, WorkloadFigures } from './figures.js';
import { PAPER } from './sections/nfs.js';
import { BURST, type ScaleRow } from './sections/scale.js';

// ---------------------------------------------------------------- formatting

const group = (s: string): string => s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
export const int = (x: number): string => (Number.isFinite(x) ? group(Math.round(x).toString()) : '—');
export const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1000 ? int(x) : x.toFixed(digits)) : '—');
/** Microseconds with 3 significant digits or so. */
const micros = (x: number): string => (!Number.isFinite(x) ? '—' : x >= 100 ? int(x) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2));

type Align = 'l' | 'r';
function table(head: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const a = (i: number): Align => align?.[i] ?? (i === 0 ? 'l' : 'r');
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (a(i) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const packetsRange = (figures: readonly TargetFigure[]): string => {
  const ns = figures.flatMap((f) => (f.throughput ? [f.throughput.packets] : []));
  if (ns.length === 0) return '—';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? int(lo) : `${int(lo)}–${int(hi)}`;
};

const cell = (f: TargetFigure | undefined, pick: (f: TargetFigure) => number | undefined, show: (x: number) => string): string => {
  if (!f) return '—';
  if (f.error !== undefined) return 'error';
  const x = pick(f);
  return x === undefined ? '—' : `${show(x)}${f.agrees === false ? ' ≠' : ''}`;
};

function figuresTable(rows: readonly WorkloadFigures[], ids: readonly string[], what: 'pps' | 'latency', first = 'NF'): string {
  const head = [first, 'size', ...ids, what === 'pps' ? 'packets timed per figure' : 'samples'];
  return table(
    head,
    rows.map((r) => [
      r.nf,
      `${r.size} B`,
      ...ids.map((id) => {
        const f = r.targets.find((t) => t.target === id);
        return what === 'pps' ? cell(f, (x) => x.throughput?.pps, int) : cell(f, (x) => x.latency?.medianMicros, micros);
      }),
      what === 'pps' ? packetsRange(r.targets) : int(Math.max(0, ...r.targets.map((t) => t.latency?.samples ?? 0))),
    ]),
  );
}

function errors(rows: readonly WorkloadFigures[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows)
    for (const f of r.targets) {
      if (f.error === undefined) continue;
      const line = `  ${f.target} on ${r.nf} ${r.size} B: ${f.error}`;
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    }
  return out;
}

function disagreements(rows: readonly WorkloadFigures[], against: string): string {
  const bad = rows.flatMap((r) => r.targets.filter((f) => f.agrees === false).map((f) => `${f.target} on ${r.nf} ${r.size} B`));
  return bad.length === 0 ? `Every target's outputs equal ${against}'s on every workload, byte for byte.` : `≠ outputs differ from ${against}'s: ${bad.join('; ')}`;
}

// ---------------------------------------------------------------- the report

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const s = r.sizes;
  const m = r.machine;
  const say = (...lines: string[]): void => void out.push(...lines);
  const ids = r.targets.map((t) => t.id);

  say(`MPVisor benchmarks — ${r.date} — size "${r.size}" — ${r.command}`);
  say(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node} (V8 ${m.v8}), ${m.os}; 1-min load ${m.loadBefore.toFixed(2)} before, ${m.loadAfter.toFixed(2)} after`);
  if (r.git) say(`commit: ${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (with uncommitted changes)' : ''}`);
  say('targets:', ...r.targets.map((t) => `  ${t.id.padEnd(22)} ${t.describe}`));
  say('image executors (hypervisor sections):', ...r.executors.map((e) => `  ${e.id.padEnd(22)} ${e.describe}`));
  if (r.missing.length > 0) say('not measured:', ...r.missing.map((x) => `  ${x.id.padEnd(22)} ${x.why}`));
  say(
    `timing: throughput = median of ${s.repetitions} repetitions, each at least ${int(s.packetsPerRepetition)} packets and ${s.minRepetitionMillis} ms, processBatch in batches of ${s.batchSize}, after a warm-up of as many packets and as long; repetitions interleaved across targets.`,
    `        latency = median of ${int(s.latencySamples)} single process() calls, clock reads included (${int(r.timerOverheadNanos)} ns). ${s.poolSize} distinct packets per workload, cycled.`,
    r.isolated ? '        each target and executor ran in a child process of its own (one at a time), so none is timed with the others\' JIT and GC state.' : '        every target ran in this one process (--inline): the fastest ones come out slower than alone.',
  );

  const nfs = r.sections.nfs;
  if (nfs) {
    say('', '1. Seed NFs — throughput, packets per second (higher is better)', '');
    say(figuresTable(nfs.rows, ids, 'pps'));
    say('', '2. Seed NFs — latency of one packet, µs (median; lower is better)', '');
    say(figuresTable(nfs.rows, ids, 'latency'));
    const engines = [...new Set(nfs.ratios.map((x) => x.engine))];
    say('', '3. Virtualized : native — HyperV Table V (throughput) and Table IV (latency)', '');
    if (engines.length === 0) say('(no engine has both a native and a virtualized target)');
    else {
      const head = ['NF', 'size', ...engines.map((e) => `throughput ${e}`), ...engines.map((e) => `latency ${e}`), 'HyperV thr', 'HyperV lat', 'Hyper4 thr', 'Hyper4 lat'];
      say(
        table(
          head,
          nfs.rows.map((row) => {
            const of = (e: string) => nfs.ratios.find((x) => x.nf === row.nf && x.size === row.size && x.engine === e);
            const p = PAPER[row.nf];
            return [
              row.nf,
              `${row.size} B`,
              ...engines.map((e) => ratio(of(e)?.throughput)),
              ...engines.map((e) => ratio(of(e)?.latency)),
              ratio(p?.hyperv.throughput),
              ratio(p?.hyperv.latency),
              ratio(p?.hyper4.throughput),
              ratio(p?.hyper4.latency),
            ];
          }),
        ),
      );
      say(`(the paper's ratios are BMv2 ping/iperf3 runs, one per NF and not per size; HyperV reports throughput 0.35–0.49 and latency 1.70–2.23, Hyper4 0.11–0.17 and 3.41–4.71)`);
    }
    for (const x of r.missing) if (x.id.endsWith('/virtualized')) say(`(no ${x.id.split('/')[0]} ratio: ${x.why})`);
    say('', 'Workloads:', ...nfs.workloads.map((w) => `  ${w.nf.padEnd(20)} ${w.entries.padEnd(24)} ${w.traffic}`));
    say(
      ...nfs.rows.filter((x) => x.size === 64).map((x) => `  ${x.nf.padEnd(20)} drops ${(x.dropRate * 100).toFixed(0)}%, ${x.outputsPerPacket.toFixed(2)} outputs per packet (on ${r.targets[0]?.id ?? '?'})`),
    );
    say(disagreements(nfs.rows, r.targets[0]?.id ?? 'the first target'), ...errors(nfs.rows));
  }

  const nul = r.sections.null;
  if (nul) {
    say('', '4. The practical limit — the null pipeline (parse Ethernet, set the egress port) and a copy loop', '');
    const all = [...new Set(nul.rows.flatMap((x) => x.targets.map((t) => t.target)))];
    const head = ['target', ...nul.rows.map((x) => `${x.size} B pps`), ...nul.rows.map((x) => `${x.size} B µs`), 'packets timed'];
    say(
      table(
        head,
        all.map((id) => {
          const fs = nul.rows.map((x) => x.targets.find((t) => t.target === id));
          return [id, ...fs.map((f) => cell(f, (x) => x.throughput?.pps, int)), ...fs.map((f) => cell(f, (x) => x.latency?.medianMicros, micros)), packetsRange(fs.flatMap((f) => (f ? [f] : [])))];
        }),
      ),
    );
    say(...errors(nul.rows));
  }

  const sc = r.sections.scale;
  if (sc) {
    say('', `5. Scale — vPDPs on one hypervisor, each with its own L2 switch + firewall and entries, 64-byte packets spread over all of them: round robin (one packet per vPDP in turn) and in bursts of ${BURST} per vPDP`, '');
    // each executor's figures against its own 1-vPDP row
    const rows = sc.rows;
    const one = (x: ScaleRow, f: (y: ScaleRow) => number): string => {
      const base = rows.find((y) => y.executor === x.executor && y.vpdps === 1);
      return base && Number.isFinite(f(x)) && f(base) > 0 ? (f(x) / f(base)).toFixed(2) : '—';
    };
    say(
      table(
        ['executor', 'vPDPs', 'with traffic', 'ports each', 'setup s', 'pps round robin', 'vs 1', `pps bursts of ${BURST}`, 'vs 1', 'µs/packet', 'packets timed', 'drops'],
        sc.rows.map((x) => [
          x.executor,
          int(x.vpdps),
          int(x.withTraffic),
          int(x.portsPerVpdp),
          fixed(x.setupSeconds, 2),
          x.error !== undefined ? 'error' : int(x.pps),
          one(x, (y) => y.pps),
          x.error !== undefined ? 'error' : int(x.burstPps),
          one(x, (y) => y.burstPps),
          micros(x.latencyMicros),
          int(x.packets),
          Number.isFinite(x.dropRate) ? `${(x.dropRate * 100).toFixed(0)}%` : '—',
        ]),
      ),
    );
    say(`(ports are 9 bits and each belongs to one vPDP: at most 511 vPDPs can receive packets; the rest are installed with their entries but idle)`);
    for (const x of sc.rows) if (x.error !== undefined) say(`  ${x.executor} at ${x.vpdps} vPDPs: ${x.error}`);
    const bt = sc.bigTables;
    say('', `   Table size — the L2 switch + firewall with the shipped entries (4, 4, 2) and with ${int(bt.entriesPerTable)} entries in each table, 64 B`, '');
    const bigIds = bt.big.targets.map((t) => t.target);
    say(
      table(
        ['target', 'pps shipped', `pps ${int(bt.entriesPerTable)}`, 'ratio', 'µs shipped', `µs ${int(bt.entriesPerTable)}`, 'packets timed'],
        bigIds.map((id) => {
          const a = bt.shipped.targets.find((t) => t.target === id);
          const b = bt.big.targets.find((t) => t.target === id);
          const q = a?.throughput && b?.throughput ? b.throughput.pps / a.throughput.pps : undefined;
          return [id, cell(a, (x) => x.throughput?.pps, int), cell(b, (x) => x.throughput?.pps, int), ratio(q), cell(a, (x) => x.latency?.medianMicros, micros), cell(b, (x) => x.latency?.medianMicros, micros), packetsRange([...(a ? [a] : []), ...(b ? [b] : [])])];
        }),
      ),
    );
    say(...errors([bt.shipped, bt.big]));
  }

  const rc = r.sections.reconfig;
  if (rc) {
    say('', `6. Reconfiguration — tenant A switches NF (router ⇄ L2 switch + firewall, entries included) every ${int(rc.every)} packets of an A/B stream`, '');
    say(
      table(
        ['executor', 'installs', 'install ms', 'max ms', '1st packet ms', 'toggle ms', 'pps without', 'pps with', 'lost', 'packets', 'A epochs'],
        rc.rows.map((x) => [x.executor, int(x.installs), fixed(x.installMedianMillis, 2), fixed(x.installMaxMillis, 2), fixed(x.firstPacketMedianMillis, 3), fixed(x.toggleMedianMillis, 3), int(x.baselinePps), int(x.duringPps), int(x.lost), int(x.packets), int(x.epochsSeen)]),
      ),
    );
    say(`(install = hv.install(vpdp, nf, { entries }): decode, check, compile to the image, write entries, swap the epoch; toggle = setEnabled of A's firewall; 1st packet = A's first packet after an install, where an executor that prepares lazily generates (or reuses) its code; medians. "pps with" includes the installs' time. lost = packets with no result or no vPDP)`);
    for (const x of rc.rows) if (x.error !== undefined) say(`  ${x.executor}: ${x.error}`);
  }

  const e2e = r.sections.e2e;
  if (e2e) {
    say('', `7. End to end — a ${int(e2e.packets)}-packet pcap (${fixed(e2e.inputBytes / 1e6, 1)} MB, IMIX) through two tenants (A: L2 switch + firewall; B: NAT, router on VLAN 100): read + process + write`, '');
    say(
      table(
        ['executor', 'packets', 'seconds', 'pps', 'MB/s in', 'in process()', 'outputs', 'dropped', 'unclassified', 'files'],
        e2e.rows.map((x) => [x.executor, int(x.packets), fixed(x.seconds, 1), x.error !== undefined ? 'error' : int(x.pps), fixed(x.inputMBps, 2), Number.isFinite(x.processShare) ? `${(x.processShare * 100).toFixed(0)}%` : '—', int(x.outputs), int(x.dropped), int(x.unclassified), int(x.files)]),
      ),
    );
    say(`(the input capture was written beforehand in ${fixed(e2e.generateSeconds, 1)} s, untimed; one output capture per egress port)`);
    for (const x of e2e.rows) if (x.error !== undefined) say(`  ${x.executor}: ${x.error}`);
  }

  say('', `total ${fixed(r.seconds, 1)} s (${Object.entries(r.sectionSeconds).map(([k, v]) => `${k} ${fixed(v, 1)} s`).join(', ')})`);
  return out.join('\n');
}
