/**
 * The latency of a placed pipeline, in cycles, after Jose et al.'s model
 * (NSDI'15 §2): parser and deparser, the first stage's own match and action,
 * then for each pair of consecutive used stages the cycles of the strongest
 * dependency that separates them.
 */
import type { Dependency, DependencyKind, Placement } from './model.js';
import { DEPENDENCY_STRENGTH } from './dependencies.js';

/** One step between two consecutive used stages, and what it costs. */
export interface LatencyGap {
  readonly from: number;
  readonly to: number;
  readonly kind: DependencyKind | 'none';
  readonly cycles: number;
  /** Why the step has its kind: the dependency between a table ending in `from` and one starting in `to`, a table split across both, or a program boundary (the next program of a policy matches on what the one before produced). */
  readonly reason?: { readonly dependency: Dependency } | { readonly split: string } | { readonly boundary: string };
}

export interface LatencyBreakdown {
  /** Parser and deparser (the profile's fixedCycles). */
  readonly fixed: number;
  /** The first used stage's own match and action: a full stage, as a match dependency waits for (0 for an empty pipeline). */
  readonly firstStage: number;
  readonly gaps: readonly LatencyGap[];
  readonly total: number;
}

/** First and last stage of each placed table. */
function stageSpans(p: Pick<Placement, 'tables'>): Map<string, { first: number; last: number }> {
  return new Map(p.tables.map((t) => [t.table.id, { first: Math.min(...t.stages.map((s) => s.stage)), last: Math.max(...t.stages.map((s) => s.stage)) }]));
}

/** Stage s where program k ends and program k+1 starts at s+1 (a policy's boundaries), with the two labels. */
function programBoundaries(p: Pick<Placement, 'programs'>): Map<number, string> {
  const out = new Map<number, string>();
  let next = 0;
  let before: string | undefined;
  for (const prog of p.programs ?? []) {
    if (prog.lastStage < 0) continue;
    if (next > 0 && prog.firstStage === next && before !== undefined) out.set(next - 1, `${before} >> ${prog.label}`);
    next = prog.lastStage + 1;
    before = prog.label;
  }
  return out;
}

/**
 * The latency as the placement counts it (Jose et al.'s model), step by
 * step: parser and deparser, then for each pair of consecutive used stages
 * the profile's cycles for the strongest dependency from a table ending in
 * the first to a table starting in the second — a table split across both
 * counts as a successor dependency, a program boundary of a policy as a
 * match dependency, nothing as `none`.
 */
export function latencyBreakdown(p: Omit<Placement, 'latency' | 'latencyCycles'>): LatencyBreakdown {
  const spans = stageSpans(p);
  const boundaries = programBoundaries(p);
  const gaps: LatencyGap[] = [];
  for (let s = 0; s + 1 < p.stagesUsed; s++) {
    let kind: DependencyKind | undefined;
    let reason: LatencyGap['reason'];
    const consider = (k: DependencyKind, why: NonNullable<LatencyGap['reason']>): void => {
      if (kind === undefined || DEPENDENCY_STRENGTH[k] > DEPENDENCY_STRENGTH[kind]) {
        kind = k;
        reason = why;
      }
    };
    const boundary = boundaries.get(s);
    if (boundary !== undefined) consider('match', { boundary });
    for (const d of p.dependencies) if (spans.get(d.from)?.last === s && spans.get(d.to)?.first === s + 1) consider(d.kind, { dependency: d });
    for (const [id, x] of spans) if (x.first <= s && x.last >= s + 1) consider('successor', { split: id });
    const k: DependencyKind | 'none' = kind ?? 'none';
    gaps.push({ from: s, to: s + 1, kind: k, cycles: p.profile.latency[k], ...(reason !== undefined ? { reason } : {}) });
  }
  const fixed = p.profile.fixedCycles;
  const firstStage = p.stagesUsed > 0 ? p.profile.latency.match : 0;
  return { fixed, firstStage, gaps, total: fixed + firstStage + gaps.reduce((a, g) => a + g.cycles, 0) };
}
