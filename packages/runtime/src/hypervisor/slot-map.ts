/**
 * Dynamic stage mapping, after HyperV §IV-D: a hypervisor has a fixed
 * number of stage slots, and a decoupled stage runs in slot
 * `stageId mod slots`. A packet visits the slots in order once per pass, so
 * it goes on in the same pass only while its next stage's slot lies after
 * the current one; otherwise it is resubmitted and continues in the next
 * pass.
 */
import { nextIds, type Sequence } from './sequence.js';

export function slotOf(stageId: number, slots: number): number {
  return stageId % slots;
}

/** Passes a packet needs to run these stage ids in order: 1 + the resubmissions. */
export function passesForPath(path: readonly number[], slots: number): number {
  let passes = path.length > 0 ? 1 : 0;
  for (let i = 1; i < path.length; i++) if (slotOf(path[i]!, slots) <= slotOf(path[i - 1]!, slots)) passes++;
  return passes;
}

/**
 * The most passes any packet needs through a sequence (the longest path by
 * passes), found by dynamic programming over the DAG from its last stage
 * back: the hypervisor's resubmission bound for the program.
 */
export function worstCasePasses(seq: Sequence, slots: number): number {
  if (seq.entry === null) return 0;
  const byId = new Map(seq.stages.map((s) => [s.id, s]));
  // passes needed from stage id (inclusive) to the end, given it starts a pass
  const memo = new Map<number, number>();
  const from = (id: number): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    let worst = 1;
    for (const next of nextIds(byId.get(id)!)) {
      if (next === null) continue;
      const extra = slotOf(next, slots) <= slotOf(id, slots) ? 1 : 0;
      worst = Math.max(worst, from(next) + extra);
    }
    memo.set(id, worst);
    return worst;
  };
  // stages are in topological order, so evaluating from the last one keeps recursion shallow
  for (const s of [...seq.stages].reverse()) from(s.id);
  return from(seq.entry);
}

/** A decoupled stage as the slots see it: its id, the ids its action continues into, where it may go next. */
export interface SlottedStage {
  readonly id: number;
  /** Slots it takes: 1, or more when its longest action continues in the next slots. */
  readonly span: number;
  readonly next: readonly (number | null)[];
}

/**
 * The most passes a packet can need through stages that may span several
 * slots: a wrap inside a stage's own span costs a pass, and so does a next
 * stage whose slot is not after the slot the stage ended in.
 */
export function worstCaseSlotPasses(stages: readonly SlottedStage[], entry: number | null, slots: number): number {
  if (entry === null) return 0;
  const byId = new Map(stages.map((s) => [s.id, s]));
  const memo = new Map<number, number>();
  const from = (id: number): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const s = byId.get(id)!;
    let inside = 0;
    for (let i = 1; i < s.span; i++) if (slotOf(s.id + i, slots) <= slotOf(s.id + i - 1, slots)) inside++;
    const last = s.id + s.span - 1;
    let after = 0;
    for (const n of s.next) if (n !== null) after = Math.max(after, from(n) - 1 + (slotOf(n, slots) <= slotOf(last, slots) ? 1 : 0));
    const passes = 1 + inside + after;
    memo.set(id, passes);
    return passes;
  };
  for (const s of [...stages].reverse()) from(s.id);
  return from(entry);
}
