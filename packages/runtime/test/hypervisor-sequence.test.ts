import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Program } from '@mpvisor/mpapi';
import { nextIds, passesForPath, sequenceProgram, slotOf, worstCasePasses, type Sequence } from '@mpvisor/runtime';
import { router } from '../../../examples/nfs/router.js';
import { programs } from '../../../examples/nfs/index.js';
import { programArb } from '../../mpapi/test/support/ir-arbitraries.js';

describe('control-flow sequencing (HyperV §IV-C)', () => {
  it('turns the router into decoupled stages in topological order, branches becoming next-stage ids', () => {
    const seq = sequenceProgram(router.toIR());
    expect(seq.stages.map((s) => [s.id, s.node, s.stage ?? 'condition'])).toEqual([
      [0, 'if_0', 'condition'],
      [1, 'if_1', 'condition'],
      [2, 'ttl_expired', 'ttl_expired'],
      [3, 'ipv4_lpm', 'ipv4_lpm'],
      [4, 'forward', 'forward'],
    ]);
    expect(seq.entry).toBe(0);
    expect(seq.stages[0]!.next).toEqual({ kind: 'condition', then: 1, else: null });
    expect(seq.stages[1]!.next).toEqual({ kind: 'condition', then: 2, else: 3 });
    expect(seq.stages[3]!.next).toEqual({ kind: 'actionRun', cases: { set_nhop: 4 }, default: null });
    expect(seq.stages[0]!.condition).toEqual({ kind: 'isValid', header: 'ipv4' });
    expect(seq.stages[3]!.condition).toBeUndefined();
  });

  it('numbers from firstId, so programs on one data plane get disjoint ids', () => {
    const seq = sequenceProgram(router.toIR(), 100);
    expect(seq.entry).toBe(100);
    expect(seq.stages.map((s) => s.id)).toEqual([100, 101, 102, 103, 104]);
  });

  const forward = (seq: Sequence): void => {
    for (const s of seq.stages) for (const n of nextIds(s)) if (n !== null) expect(n).toBeGreaterThan(s.id);
  };

  it.each(Object.entries(programs))('%s: every next-stage id points forward', (_, p) => forward(sequenceProgram(p.toIR())));

  /** Follow one random outcome at every node, in the control graph and in the sequence, and compare the node paths. */
  function walk(program: Program, seq: Sequence, choices: readonly number[]): { graph: string[]; sequence: string[] } {
    const nodes = new Map(program.control.nodes.map((n) => [n.id, n]));
    const graph: string[] = [];
    let at = program.control.entry;
    let k = 0;
    while (at !== null) {
      const n = nodes.get(at)!;
      graph.push(n.id);
      const outs =
        n.kind === 'branch' ? [n.then, n.else] : n.next.kind === 'always' ? [n.next.to] : n.next.kind === 'hitMiss' ? [n.next.hit, n.next.miss] : [...n.next.cases.map((c) => c.to), n.next.default];
      at = outs[(choices[k++] ?? 0) % outs.length]!;
    }
    const byId = new Map(seq.stages.map((s) => [s.id, s]));
    const sequence: string[] = [];
    let id = seq.entry;
    k = 0;
    while (id !== null) {
      const s = byId.get(id)!;
      sequence.push(s.node);
      // nextIds lists outcomes in the same order as the graph's successors
      const outs = nextIds(s);
      id = outs[(choices[k++] ?? 0) % outs.length]!;
    }
    return { graph, sequence };
  }

  it('on random valid programs: ids forward, every reachable node once, and every path the same as in the DAG', () => {
    fc.assert(
      fc.property(programArb, fc.array(fc.nat(), { maxLength: 64 }), (program, choices) => {
        const seq = sequenceProgram(program);
        forward(seq);
        const ids = seq.stages.map((s) => s.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(seq.stages.map((s) => s.node)).size).toBe(seq.stages.length);
        const { graph, sequence } = walk(program, seq, choices);
        expect(sequence).toEqual(graph);
      }),
      { numRuns: 300 },
    );
  });
});

describe('dynamic stage mapping (HyperV §IV-D)', () => {
  it('maps a stage id to slot id mod slots', () => {
    expect([0, 1, 2, 3, 4, 5].map((id) => slotOf(id, 4))).toEqual([0, 1, 2, 3, 0, 1]);
  });

  it('a straight run of L stages from slot 0 takes ceil(L / slots) passes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 16 }), (length, slots) => {
        const path = Array.from({ length }, (_, i) => i);
        expect(passesForPath(path, slots)).toBe(Math.ceil(length / slots));
      }),
    );
  });

  it('a jump forward to a stage in an earlier slot needs a new pass', () => {
    expect(passesForPath([0, 5], 4)).toBe(1); // slot 0 -> slot 1
    expect(passesForPath([2, 4], 4)).toBe(2); // slot 2 -> slot 0: resubmit
    expect(passesForPath([], 4)).toBe(0);
  });

  it('the router needs 1, 2, 3 and 4 passes at most with 8, 4, 2 and 1 slots', () => {
    const seq = sequenceProgram(router.toIR());
    expect([8, 4, 2, 1].map((n) => worstCasePasses(seq, n))).toEqual([1, 2, 3, 4]);
  });

  it('worstCasePasses is the most passes of any path, on random programs and slot counts', () => {
    fc.assert(
      fc.property(programArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), (program, slots, firstId) => {
        const seq = sequenceProgram(program, firstId);
        const byId = new Map(seq.stages.map((s) => [s.id, s]));
        let worst = 0;
        const paths = (id: number | null, path: number[]): void => {
          if (id === null) {
            worst = Math.max(worst, passesForPath(path, slots));
            return;
          }
          for (const n of new Set(nextIds(byId.get(id)!))) paths(n, [...path, id]);
        };
        paths(seq.entry, []);
        expect(worstCasePasses(seq, slots)).toBe(worst);
      }),
      { numRuns: 300 },
    );
  });
});
