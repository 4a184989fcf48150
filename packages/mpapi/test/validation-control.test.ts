/**
 * The control is a DAG over the program's stages: every target exists, no
 * cycle, each stage applied at most once and reachable from the entry.
 * Cycles cannot be written with the builder, so they are built as JSON.
 */
import { describe, expect, it } from 'vitest';
import { either } from 'fp-ts';
import { decodeProgram, findCycle, IR_VERSION, type Program } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { ipBase, miniRouter } from './support/programs.js';

const noop = (name: string) => ({ kind: 'action', name, params: [], body: [] });
const keyless = (name: string) => ({
  kind: 'stage',
  name,
  keys: [],
  actions: [noop('noop')],
  defaultAction: { kind: 'defaultAction', action: { kind: 'actionCall', action: 'noop', args: {} }, const: false },
  size: 1,
  entries: [],
});
const apply = (id: string, to: string | null) => ({ kind: 'applyStage', id, stage: id, next: { kind: 'always', to } });

/** A whole program written by hand as JSON: no headers, stages a, b and c, and the given control nodes. */
const handMade = (entry: string | null, nodes: readonly unknown[]) => ({
  kind: 'program',
  irVersion: IR_VERSION,
  name: 'by-hand',
  headerTypes: [],
  headers: [],
  metadata: [],
  parser: { kind: 'parser', start: 'start', states: [{ kind: 'parserState', name: 'start', ops: [], transition: { kind: 'goto', state: 'accept' } }] },
  registers: [],
  counters: [],
  meters: [],
  digests: [],
  stages: [keyless('a'), keyless('b'), keyless('c')],
  control: { kind: 'control', entry, nodes },
  deparser: [],
});

describe('control graph', () => {
  it('the hand-made program is valid as written', () => {
    const d = decodeProgram(handMade('a', [apply('a', 'b'), apply('b', 'c'), apply('c', null)]));
    expect(either.isRight(d)).toBe(true);
  });

  it('a cycle, written by hand', () => {
    const ir = handMade('a', [apply('a', 'b'), apply('b', 'c'), apply('c', 'a')]);
    expectOnlyIssue(rejected(ir), { program: 'by-hand', message: 'the control flow has a cycle: a -> b -> c -> a', path: '$.control.nodes[2]' });
  });

  it('a cycle through a branch, written by hand', () => {
    const ir = handMade('a', [
      apply('a', 'if_0'),
      { kind: 'branch', id: 'if_0', cond: { kind: 'bool', value: true }, then: 'b', else: 'c' },
      apply('b', 'c'),
      { kind: 'applyStage', id: 'c', stage: 'c', next: { kind: 'hitMiss', hit: null, miss: 'if_0' } },
    ]);
    expectOnlyIssue(rejected(ir), { program: 'by-hand', message: 'the control flow has a cycle: if_0 -> b -> c -> if_0', path: '$.control.nodes[3]' });
  });

  it('a stage that goes to itself', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.nodes[0].next.to = 'smac';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'the control flow has a cycle: smac -> smac', path: '$.control.nodes[0]' });
  });

  it('a cycle made by mutating a built program\'s control.nodes', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.nodes[1].next.to = 'smac';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'the control flow has a cycle: smac -> dmac -> smac', path: '$.control.nodes[1]' });
    expect(findCycle(ir.control as Program['control'])).toStrictEqual(['smac', 'dmac', 'smac']);
  });

  it('a cycle through an action branch of the mini router', () => {
    const ir = mutable(miniRouter.toIR());
    ir.control.nodes[3].next.to = 'acl'; // stats -> acl
    expectOnlyIssue(rejected(ir), { program: 'mini-router', message: 'the control flow has a cycle: acl -> lpm -> stats -> acl', path: '$.control.nodes[3]' });
  });

  it('an edge to a node that does not exist', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.nodes[0].next.to = 'ghost';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: 'control refers to unknown node "ghost"', path: '$.control.nodes[0].next.to' });
  });

  it('an entry that does not exist', () => {
    const ir = handMade('z', [apply('a', 'b'), apply('b', 'c'), apply('c', null)]);
    expectIssue(rejected(ir), { program: 'by-hand', message: 'control refers to unknown node "z"', path: '$.control.entry' });
  });

  it('two nodes with one id', () => {
    const ir = handMade('a', [apply('a', 'b'), apply('b', 'c'), apply('c', null), { kind: 'branch', id: 'b', cond: { kind: 'bool', value: true }, then: null, else: null }]);
    expectIssue(rejected(ir), { program: 'by-hand', message: 'duplicate control node id "b"', path: '$.control.nodes[3].id' });
  });

  it('a branch condition that is not bool', () => {
    const ir = mutable(miniRouter.toIR());
    ir.control.nodes[0].cond = { kind: 'field', ref: 'ipv4.ttl' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', message: 'condition must be bool, got bit<8>', path: '$.control.nodes[0].cond' });
  });

  it('a branch on an action the stage does not have', () => {
    const ir = mutable(miniRouter.toIR());
    ir.control.nodes[1].next.cases[0].action = 'allow';
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'branch on action "allow", which stage "acl" does not have', path: '$.control.nodes[1].next.cases[0].action' });
  });

  it('two branches for one action', () => {
    const ir = mutable(miniRouter.toIR());
    ir.control.nodes[1].next.cases.push({ kind: 'actionCase', action: 'permit', to: null });
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'two branches for action "permit"', path: '$.control.nodes[1].next.cases[1].action' });
  });
});

describe('stages in the control', () => {
  it('applying an undeclared stage, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.nodes[1].stage = 'acl';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: 'apply of undeclared stage "acl"', path: '$.control.nodes[1].stage' });
    // and so the stage it replaced is applied nowhere
    expectIssue(issues, { program: 'l2-switch', stage: 'dmac', message: 'stage "dmac" is unreachable: no path of the control applies it', path: '$.stages[1]' });
    expect(issues).toHaveLength(2);
  });

  it('applying an undeclared stage, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a)).control((c) => c.apply('s').apply('nope' as never)).toIR());
    expectOnlyIssue(err.issues, { program: 't', message: 'apply of undeclared stage "nope"', path: '$.control.nodes[1].stage' });
  });

  it('a stage applied twice, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a)).control((c) => c.apply('s').apply('s')).toIR());
    expectIssue(err.issues, { program: 't', stage: 's', message: 'stage "s" is applied 2 times; a stage is applied at most once per pass', path: '$.control.nodes[1].stage' });
  });

  it('a stage applied twice by nodes with different ids, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.nodes[1].next.to = 'again';
    ir.control.nodes.push({ kind: 'applyStage', id: 'again', stage: 'smac', next: { kind: 'always', to: null } });
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'smac', message: 'stage "smac" is applied 2 times; a stage is applied at most once per pass', path: '$.control.nodes[2].stage' });
  });

  it('a stage on both arms of a branch is applied twice', () => {
    const err = thrown(() =>
      ipBase()
        .stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a))
        .stage('u', (t) => t.action('b', (a) => a))
        .control((c) => c.apply('s', { hit: (c) => c.apply('u'), miss: (c) => c.apply('u') }))
        .toIR(),
    );
    expectIssue(err.issues, { program: 't', stage: 'u', message: 'stage "u" is applied 2 times; a stage is applied at most once per pass', path: '$.control.nodes[2].stage' });
    expectIssue(err.issues, { program: 't', message: 'duplicate control node id "u"', path: '$.control.nodes[2].id' });
    expect(err.issues).toHaveLength(2);
  });

  it('a stage the control never applies, through the builder', () => {
    const err = thrown(() =>
      ipBase()
        .stage('s', (t) => t.action('a', (a) => a))
        .stage('u', (t) => t.action('b', (a) => a))
        .control((c) => c.apply('s'))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 'u', message: 'stage "u" is unreachable: no path of the control applies it', path: '$.stages[1]' });
  });

  it('a stage applied by a node the entry never reaches, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.entry = 'dmac';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', stage: 'smac', message: 'stage "smac" is unreachable: no path of the control applies it', path: '$.stages[0]' });
    expectIssue(issues, { program: 'l2-switch', message: 'control node "smac" is unreachable from the entry', path: '$.control.nodes[0]' });
    expect(issues).toHaveLength(2);
  });

  it('a stage only on a branch whose arm is never taken is still reachable', () => {
    // reachability is structural: both arms of every branch count
    expect(() =>
      ipBase()
        .stage('s', (t) => t.action('a', (a) => a))
        .control((c) => c.if(c.false, (c) => c.apply('s')))
        .toIR(),
    ).not.toThrow();
  });

  it('an empty control with stages leaves every stage unreachable', () => {
    const ir = handMade(null, []);
    const issues = rejected(ir);
    expect(issues.map((i) => [i.stage, i.message, i.path])).toStrictEqual([
      ['a', 'stage "a" is unreachable: no path of the control applies it', '$.stages[0]'],
      ['b', 'stage "b" is unreachable: no path of the control applies it', '$.stages[1]'],
      ['c', 'stage "c" is unreachable: no path of the control applies it', '$.stages[2]'],
    ]);
  });

  it('a diamond (both arms rejoin) is a DAG, not a cycle', () => {
    const ir = handMade('a', [
      { kind: 'applyStage', id: 'a', stage: 'a', next: { kind: 'hitMiss', hit: 'b', miss: 'c' } },
      apply('b', 'c'),
      apply('c', null),
    ]);
    expect(either.isRight(decodeProgram(ir))).toBe(true);
  });
});
