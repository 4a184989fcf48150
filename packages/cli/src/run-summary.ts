/** What `mpvisor run` prints at the end: traffic in and out, drops by reason, per-stage hits, state worth a look. */
import type { Entity, PortCaptureWriter, ProcessResult, ResourceReport } from '@mpvisor/runtime';

export interface RunStats {
  packetsIn: number;
  bytesIn: number;
  readonly outByPort: Map<number, { packets: number; bytes: number }>;
  readonly dropped: Map<string, number>;
  readonly digests: Map<string, number>;
  readonly parserErrors: Map<string, number>;
  passes: number;
}

export function newStats(): RunStats {
  return { packetsIn: 0, bytesIn: 0, outByPort: new Map(), dropped: new Map(), digests: new Map(), parserErrors: new Map(), passes: 0 };
}

export function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Count one result's outputs by port and its drop, and write them (the drop as the input packet) to the capture writer. */
export async function recordResult(
  stats: { readonly outByPort: Map<number, { packets: number; bytes: number }>; readonly dropped: Map<string, number> },
  result: Pick<ProcessResult, 'outputs' | 'dropped'>,
  input: { readonly data: Uint8Array; readonly timestampNanos: bigint },
  writer: PortCaptureWriter | undefined,
): Promise<void> {
  for (const o of result.outputs) {
    const s = stats.outByPort.get(o.port) ?? { packets: 0, bytes: 0 };
    s.packets++;
    s.bytes += o.data.length;
    stats.outByPort.set(o.port, s);
    await writer?.write(o.port, { data: o.data, timestampNanos: input.timestampNanos });
  }
  if (result.dropped) {
    bump(stats.dropped, result.dropped);
    await writer?.writeDropped({ data: input.data, timestampNanos: input.timestampNanos });
  }
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

export function formatSummary(nf: string, stats: RunStats, resources: ResourceReport, state: readonly Entity[], seconds: number): string {
  const lines: string[] = [];
  // a rate over a handful of packets measures start-up, not the target
  const rate = seconds > 0 && stats.packetsIn >= 1000 ? ` in ${seconds.toFixed(2)} s (${Math.round(stats.packetsIn / seconds).toLocaleString('en-US')} packets/s)` : '';
  lines.push(`${nf}${resources.target === 'reference' ? '' : ` on ${resources.target}`}: ${plural(stats.packetsIn, 'packet')} in (${plural(stats.bytesIn, 'byte')})${rate}`);
  const out = [...stats.outByPort].sort((a, b) => a[0] - b[0]);
  lines.push(out.length === 0 ? '  out: nothing' : `  out: ${out.map(([p, s]) => `port ${p}: ${plural(s.packets, 'packet')}`).join(', ')}`);
  const dropped = [...stats.dropped];
  lines.push(dropped.length === 0 ? '  dropped: none' : `  dropped: ${dropped.map(([r, n]) => `${n} (${r})`).join(', ')}`);
  if (stats.parserErrors.size > 0) lines.push(`  parser errors: ${[...stats.parserErrors].map(([e, n]) => `${e} ${n}`).join(', ')}`);
  if (stats.passes > stats.packetsIn) lines.push(`  extra passes (resubmit/recirculate): ${stats.passes - stats.packetsIn}`);
  if (stats.digests.size > 0) lines.push(`  digests: ${[...stats.digests].map(([d, n]) => `${d} ${n}`).join(', ')}`);
  lines.push('  stages:');
  const w = Math.max(...resources.tables.map((t) => `${t.program}.${t.stage}`.length), 5);
  for (const t of resources.tables) {
    lines.push(`    ${`${t.program}.${t.stage}`.padEnd(w)}  hit ${String(t.hits).padStart(8)}  miss ${String(t.misses).padStart(8)}  entries ${t.used}/${t.size}`);
  }
  const highlights = stateHighlights(state);
  if (highlights.length > 0) lines.push('  state:', ...highlights.map((h) => `    ${h}`));
  return lines.join('\n');
}

/** Non-zero registers and counters, the busiest first, a few per object. */
export function stateHighlights(state: readonly Entity[]): string[] {
  const groups = new Map<string, { index: number; value: bigint; text: string }[]>();
  for (const e of state) {
    if (e.kind === 'register' && e.value !== '0x0') {
      const key = `register ${e.program}.${e.register}`;
      groups.set(key, [...(groups.get(key) ?? []), { index: e.index, value: BigInt(e.value), text: `[${e.index}]=${BigInt(e.value)}` }]);
    } else if (e.kind === 'counter' && e.packets > 0n) {
      const key = `counter ${e.program}.${e.counter}`;
      groups.set(key, [...(groups.get(key) ?? []), { index: e.index, value: e.packets, text: `[${e.index}]=${e.packets} pkts/${e.bytes} B` }]);
    }
  }
  return [...groups].map(([name, cells]) => {
    const top = [...cells].sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : a.index - b.index)).slice(0, 5);
    return `${name}: ${top.map((c) => c.text).join(', ')}${cells.length > 5 ? `, … (${cells.length} non-zero)` : ''}`;
  });
}
