/**
 * Deriving an NF from another: edits that cannot be carried out are refused
 * with a P4Runtime-style code — NOT_FOUND for a stage that does not exist,
 * FAILED_PRECONDITION for an edit the parent forbids — and the result is
 * validated like any program.
 */
import { describe, expect, it } from 'vitest';
import { bit, programFromIR } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectOnlyIssue, thrown } from './support/issues.js';
import { ipBase, miniRouter } from './support/programs.js';

/** Stages s (with a hit/miss branch) and u. */
const branching = () =>
  ipBase()
    .stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a))
    .stage('u', (t) => t.action('b', (a) => a))
    .control((c) => c.apply('s', { hit: (c) => c.apply('u') }));

describe('derive: removeStage', () => {
  it('of a stage that branches is refused', () => {
    const err = thrown(() => branching().derive('d').removeStage('s'), 'FAILED_PRECONDITION');
    expectOnlyIssue(err.issues, {
      program: 'd',
      stage: 's',
      message: 'cannot remove stage "s": "s" branches (hit/miss or per action), so removing it leaves its branches nowhere to go; use replaceStage',
      path: '$.control.nodes[0]',
    });
  });

  it('of a stage the program does not have', () => {
    const err = thrown(() => l2switch.derive('d').removeStage('acl' as never), 'NOT_FOUND');
    expectOnlyIssue(err.issues, { program: 'd', message: 'program "d" has no stage "acl"' });
  });

  it('of a stage that does not branch rewires its predecessors', () => {
    const ir = branching().derive('d').removeStage('u').toIR();
    expect(ir.control.nodes).toStrictEqual([{ kind: 'applyStage', id: 's', stage: 's', next: { kind: 'hitMiss', hit: null, miss: null } }]);
  });
});

describe('derive: resize', () => {
  it('an unknown stage, named at run time', () => {
    const name: string = ['a', 'c', 'l'].join('');
    const err = thrown(() => l2switch.derive('l2-big').resize(name as never, 8192), 'NOT_FOUND');
    expectOnlyIssue(err.issues, { program: 'l2-big', message: 'program "l2-big" has no stage "acl"' });
    expect(err.message).toBe('NOT_FOUND: program "l2-big": program "l2-big" has no stage "acl"');
  });

  it('to a size the IR does not allow', () => {
    const err = thrown(() => l2switch.derive('l2-none').resize('dmac', 0).toIR());
    expectOnlyIssue(err.issues, { program: 'l2-none', stage: 'dmac', message: 'expected an integer from 1 to 16777216', path: '$.stages[1].size' });
  });

  it('below the number of const entries', () => {
    const err = thrown(() => miniRouter.derive('tiny').resize('acl', 1).toIR());
    expectOnlyIssue(err.issues, { program: 'tiny', stage: 'acl', message: '2 const entries exceed the stage size 1', path: '$.stages[0].entries' });
  });
});

describe('derive: defaultAction', () => {
  it('changing a const default action is refused', () => {
    const err = thrown(() => miniRouter.derive('strict').defaultAction('lpm', 'miss'), 'FAILED_PRECONDITION');
    expectOnlyIssue(err.issues, { program: 'strict', stage: 'lpm', message: 'the default action of stage "lpm" is const', path: '$.stages[1].defaultAction.const' });
  });

  it('changing a non-const default action works, and can make it const', () => {
    const ir = l2switch.derive('l2-drop').defaultAction('dmac', 'forward', { port: 0 }, { const: true }).toIR();
    expect(ir.stages[1]!.defaultAction).toStrictEqual({ kind: 'defaultAction', action: { kind: 'actionCall', action: 'forward', args: { port: '0x0' } }, const: true });
    expect(() => programFromIR(ir).derive('again').defaultAction('dmac', 'flood', {})).toThrow('the default action of stage "dmac" is const');
  });

  it('with an argument out of range', () => {
    const err = thrown(() => l2switch.derive('l2-bad').defaultAction('dmac', 'forward', { port: 1000 }).toIR());
    expectOnlyIssue(err.issues, { program: 'l2-bad', stage: 'dmac', message: 'argument "port" = 0x3e8 does not fit in bit<9>', path: '$.stages[1].defaultAction.action.args.port' });
  });

  it('naming an unknown action', () => {
    const err = thrown(() => l2switch.derive('l2-bad').defaultAction('dmac', 'drop' as 'flood').toIR());
    expectOnlyIssue(err.issues, { program: 'l2-bad', stage: 'dmac', message: 'unknown action "drop"; stage "dmac" has "forward", "flood"', path: '$.stages[1].defaultAction.action.action' });
  });
});

describe('derive: other edits', () => {
  it('adding a stage whose name is taken', () => {
    const err = thrown(() => l2switch.derive('d').addStage('smac' as string, (t) => t.action('x', (a) => a)));
    expectOnlyIssue(err.issues, { program: 'd', message: 'program "d" already has a stage "smac"' });
  });

  it('adding a stage after one that branches', () => {
    const err = thrown(() => branching().derive('d').addStage('v', (t) => t.action('c', (a) => a), { after: 's' }));
    expectOnlyIssue(err.issues, { program: 'd', message: 'cannot add stage "v": "s" branches, so "after" it is ambiguous; insert before one of its successors instead' });
  });

  it('an added stage is checked like a declared one, at its own index', () => {
    const err = thrown(() => l2switch.derive('d').addStage('acl', (t) => t.action('x', (a) => a.assign('ethernet.etherType', a.get('ethernet.srcAddr') as never))).toIR());
    expectOnlyIssue(err.issues, {
      program: 'd',
      stage: 'acl',
      action: 'x',
      message: 'width mismatch: ethernet.etherType is bit<16>, value is bit<48>; cast it explicitly',
      path: '$.stages[2].actions[0].body[0].value',
    });
  });

  it('renaming a stage onto another', () => {
    const err = thrown(() => l2switch.derive('d').renameStage('smac', 'dmac'));
    expectOnlyIssue(err.issues, { program: 'd', message: 'program "d" already has a stage "dmac"' });
  });

  it('binding a parameter the action does not have', () => {
    const err = thrown(() => l2switch.derive('d').bind('dmac', 'forward', { vlan: 1 } as never));
    expectOnlyIssue(err.issues, { program: 'd', stage: 'dmac', action: 'forward', message: 'action "forward" has no parameter "vlan"', path: '$.stages[1].actions' });
  });

  it('adding const entries that break the P4Runtime rules', () => {
    const err = thrown(() => miniRouter.derive('more').addEntries('lpm', { key: { 'ipv4.dstAddr': '192.168.1.1/16' }, action: 'route', args: { nh: 1, port: 2 } }).toIR());
    expectOnlyIssue(err.issues, { program: 'more', stage: 'lpm', message: 'key ipv4.dstAddr: value 0xc0a80101/16 has bits set below the prefix', path: '$.stages[1].entries[1].matches[0]' });
  });

  it('adding ranked entries with a priority', () => {
    const err = thrown(() => miniRouter.derive('more').addEntries('acl', { key: { 'ipv4.srcAddr': 1, 'ipv4.protocol': 6, 'ipv4.diffserv': 0 }, action: 'deny', priority: 9 }));
    expectOnlyIssue(err.issues, { program: 'more', stage: 'acl', message: 'stage ranks its entries by position; add entries without priorities', path: '$.stages[0].entries' });
  });

  it('a valid derive records its parent', () => {
    const ir = l2switch.derive('acme/l2-big').resize('dmac', 8192).addStage('count', (t) => t.action('tick', (a) => a), 'last').toIR();
    expect(ir.lineage).toStrictEqual([{ kind: 'ancestor', name: 'l2-switch', digest: l2switch.irDigest() }]);
    expect(ir.stages.map((s) => [s.name, s.size])).toStrictEqual([['smac', 4096], ['dmac', 8192], ['count', 1024]]);
  });

  it('a replaced stage is checked at its own index', () => {
    const err = thrown(() => l2switch.derive('d').replaceStage('dmac', (t) => t.action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('fwd', { port: 'x' })));
    expectOnlyIssue(err.issues, {
      program: 'd',
      stage: 'dmac',
      action: 'fwd',
      message: 'argument "port": "x" is not a value (expected a number, 0x…, 0b…, a MAC or an IP address)',
      path: '$.stages[1].defaultAction.args',
    });
  });
});
