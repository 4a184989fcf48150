/** What `mpvisor build` prints about each NF: a table a person can read at a glance. */
import type { Policy, Program } from '@mpvisor/mpapi';

export interface SummaryRow {
  readonly name: string;
  readonly kind: string;
  readonly stages: number;
  readonly actions: number;
  readonly entries: number;
  readonly state: string;
  readonly digest: string;
  readonly from: string;
}

export function summarise(ir: Program | Policy, digest: string): SummaryRow {
  const programs = ir.kind === 'program' ? [ir] : ir.programs;
  const sum = (f: (p: Program) => number): number => programs.reduce((n, p) => n + f(p), 0);
  const state = [
    ['reg', sum((p) => p.registers.length)],
    ['ctr', sum((p) => p.counters.length)],
    ['mtr', sum((p) => p.meters.length)],
    ['dgst', sum((p) => p.digests.length)],
  ]
    .filter(([, n]) => (n as number) > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return {
    name: ir.name,
    kind: ir.kind === 'program' ? 'program' : `policy(${ir.steps.map((s) => s.program + (s.when ? '?' : '')).join(' >> ')})`,
    stages: sum((p) => p.stages.length),
    actions: sum((p) => p.stages.reduce((n, s) => n + s.actions.length, 0)),
    entries: sum((p) => p.stages.reduce((n, s) => n + s.entries.length, 0)),
    state: state || '-',
    digest: digest.replace(/^sha256:/, '').slice(0, 12),
    from: ir.kind === 'program' && ir.lineage?.[0] ? `${ir.lineage[0].name}@${ir.lineage[0].digest.slice(7, 19)}` : '-',
  };
}

export function formatTable(rows: readonly SummaryRow[]): string {
  const headers = ['NF', 'KIND', 'STAGES', 'ACTIONS', 'CONST ENTRIES', 'STATE', 'DIGEST', 'DERIVED FROM'];
  const cells = rows.map((r) => [r.name, r.kind, String(r.stages), String(r.actions), String(r.entries), r.state, r.digest, r.from]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i >= 2 && i <= 4 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
