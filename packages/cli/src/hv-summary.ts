/** What `mpvisor hv` prints: the data plane, then per tenant its traffic, isolation, slot and table figures, stages and digests. */
import type { ClassifierRule, Entity, ImageConfig, InstallReport, TableDeclaration, VpdpRuntime } from '@mpvisor/runtime';
import { Histogram, medianRange, num } from './histogram.js';
import { plural, stateHighlights } from './run-summary.js';

export interface TenantStats {
  packetsIn: number;
  bytesIn: number;
  readonly outByPort: Map<number, { packets: number; bytes: number }>;
  readonly dropped: Map<string, number>;
  readonly digests: Map<string, number>;
  /** Outputs the egress filter removed: sent to a port outside the vPDP. */
  contained: number;
  /** The tenant's own passes (resubmit, recirculate), as natively. */
  passes: number;
  readonly slotPasses: Histogram;
  readonly genericTables: Histogram;
  readonly nativeTables: Histogram;
}

export function newTenantStats(): TenantStats {
  return {
    packetsIn: 0,
    bytesIn: 0,
    outByPort: new Map(),
    dropped: new Map(),
    digests: new Map(),
    contained: 0,
    passes: 0,
    slotPasses: new Histogram(),
    genericTables: new Histogram(),
    nativeTables: new Histogram(),
  };
}

/** `1-4`, or `0, 5, 7`. */
export function portList(ports: readonly number[]): string {
  const s = [...ports].sort((a, b) => a - b);
  const contiguous = s.length > 2 && s.every((p, i) => i === 0 || p === s[i - 1]! + 1);
  return contiguous ? `${s[0]}-${s.at(-1)}` : s.join(', ');
}

export function describeRule(r: ClassifierRule, ports: readonly number[]): string {
  const on = (rp: readonly number[] | undefined): string => (rp === undefined || portList(rp) === portList(ports) ? '' : ` on port${rp.length === 1 ? '' : 's'} ${portList(rp)}`);
  switch (r.kind) {
    case 'port':
      return `port ${r.port}`;
    case 'vlan':
      return `VLAN ${r.vid}${on(r.ports)}`;
    case 'vxlan':
      return `VXLAN VNI ${r.vni}${on(r.ports)}`;
    case 'descriptionHeader':
      return `description header${on(r.ports)}`;
  }
}

/** One tenant's section of the summary. */
export function formatTenant(
  runtime: VpdpRuntime,
  report: InstallReport | undefined,
  nf: string,
  rules: readonly ClassifierRule[],
  stats: TenantStats,
  state: readonly Entity[],
): string {
  const spec = runtime.spec;
  const lines: string[] = [];
  lines.push(`vPDP ${spec.id} "${spec.name}": ${nf}; ports ${portList(spec.ports)}, classified by ${rules.map((r) => describeRule(r, spec.ports)).join(', ') || 'nothing'}`);
  lines.push(`  ${plural(stats.packetsIn, 'packet')} in (${plural(stats.bytesIn, 'byte')})`);
  const out = [...stats.outByPort].sort((a, b) => a[0] - b[0]);
  lines.push(out.length === 0 ? '  out: nothing' : `  out: ${out.map(([p, s]) => `port ${p}: ${plural(s.packets, 'packet')}`).join(', ')}`);
  const dropped = [...stats.dropped];
  lines.push(dropped.length === 0 ? '  dropped: none' : `  dropped: ${dropped.map(([r, n]) => `${n} (${r})`).join(', ')}`);
  lines.push(`  contained (sent outside the vPDP): ${stats.contained}`);
  if (stats.passes > stats.packetsIn) lines.push(`  extra passes (the tenant's resubmit/recirculate): ${stats.passes - stats.packetsIn}`);
  const sp = stats.slotPasses.spread();
  lines.push(`  slot passes per packet: median ${num(sp.median)}, max ${num(sp.max)}`);
  lines.push(`  tables per packet: generic ${medianRange(stats.genericTables.spread())} vs native ${medianRange(stats.nativeTables.spread())} (median (min–max))`);
  if (stats.digests.size > 0) lines.push(`  digests: ${[...stats.digests].map(([d, n]) => `${d} ${n}`).join(', ')}`);
  if (report) {
    lines.push(
      `  programs: ${report.programs.map((p) => `${p.program} (stage ids ${p.stageIds.join(', ')} in slots ${p.slots.join(', ')}; at most ${plural(p.worstCasePasses, 'pass', 'passes')})`).join(', ')}`,
    );
  }
  lines.push('  stages:');
  const tables = [...runtime.device.programs.values()].flatMap((p) => [...p.tables.values()]);
  const w = Math.max(...tables.map((t) => `${t.program}.${t.stage.name}`.length), 5);
  for (const t of tables) {
    lines.push(`    ${`${t.program}.${t.stage.name}`.padEnd(w)}  hit ${String(t.hits).padStart(8)}  miss ${String(t.misses).padStart(8)}  entries ${t.entries.size}/${t.stage.size}`);
  }
  const highlights = stateHighlights(state);
  if (highlights.length > 0) lines.push('  state:', ...highlights.map((h) => `    ${h}`));
  return lines.join('\n');
}

/** The data plane's first lines: the image and the vPDPs on it. */
export function formatImageLine(image: ImageConfig, tables: TableDeclaration, vpdps: number): string {
  return (
    `data plane: ${plural(vpdps, 'vPDP')} on one generic image of ${plural(image.slots, 'stage slot')} with ${image.primitivesPerSlot} primitive tables each: ` +
    `${tables.total} tables declared (${tables.config} config, ${tables.other} other, ${tables.perSlot} per slot)`
  );
}
