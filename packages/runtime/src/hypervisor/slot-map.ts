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
