/**
 * Const entries and action calls follow the P4Runtime rules (§9.1): LPM
 * values have no bits below the prefix, ternary `value & mask == value` with
 * a non-zero mask, range `low <= high`, don't-cares are `any`, priorities
 * exactly for tables with ternary/range/optional keys, every argument fits
 * its parameter. Each rule is pinned through the builder and through JSON.
 */
import { describe, expect, it } from 'vitest';
import { bit, program, std } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { ipBase, miniRouter } from './support/programs.js';

/** A stage keyed on ipv4.dstAddr with the given match kind, one action `fwd(port: bit<9>)` and one `a()`. */
const keyed = <K extends 'exact' | 'lpm' | 'ternary' | 'range' | 'optional'>(kind: K) =>
  ipBase().stage('s', (t) =>
    t
      .key({ 'ipv4.dstAddr': kind } as { 'ipv4.dstAddr': K })
      .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
      .action('a', (a) => a),
  );

/** An l2switch dmac entry, as JSON. */
const dmacEntry = (extra: Record<string, unknown> = {}) => ({
  kind: 'entry',
  matches: [{ kind: 'exact', value: '0xa' }],
  action: { kind: 'actionCall', action: 'forward', args: { port: '0x1' } },
  ...extra,
});

const withDmacEntry = (entry: unknown) => {
  const ir = mutable(l2switch.toIR());
  ir.stages[1].entries = [entry];
  return ir;
};

describe('action parameter values', () => {
  it('an argument out of range, through the builder', () => {
    const err = thrown(() =>
      ipBase()
        .stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).entries({ key: { 'ipv4.dstAddr': '10.0.0.1' }, action: 'fwd', args: { port: 512 } }))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'argument "port" = 0x200 does not fit in bit<9>', path: '$.stages[0].entries[0].action.args.port' });
    expect(err.message).toBe('INVALID_ARGUMENT: program "t", stage "s": argument "port" = 0x200 does not fit in bit<9> (at $.stages[0].entries[0].action.args.port)');
  });

  it('the largest value that fits is accepted', () => {
    expect(() => keyed('exact').toIR()).not.toThrow();
    const ok = ipBase().stage('s', (t) =>
      t.key({ 'ipv4.dstAddr': 'exact' }).action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).entries({ key: { 'ipv4.dstAddr': 1 }, action: 'fwd', args: { port: 511 } }),
    );
    expect(ok.toIR().stages[0]!.entries[0]!.action.args).toStrictEqual({ port: '0x1ff' });
  });

  it('a default action argument out of range', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('fwd', { port: 600 })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'argument "port" = 0x258 does not fit in bit<9>', path: '$.stages[0].defaultAction.action.args.port' });
  });

  it('an argument out of range, in decoded IR', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ action: { kind: 'actionCall', action: 'forward', args: { port: '0x200' } } }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'argument "port" = 0x200 does not fit in bit<9>',
      path: '$.stages[1].entries[0].action.args.port',
    });
  });

  it('an argument that is not a value, through the builder', () => {
    const err = thrown(() => keyed('exact').stage('u', (t) => t.action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('fwd', { port: 'eth0' })));
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 'u',
      action: 'fwd',
      message: 'argument "port": "eth0" is not a value (expected a number, 0x…, 0b…, a MAC or an IP address)',
      path: '$.stages[1].defaultAction.args',
    });
  });
});

describe('action calls', () => {
  it('an entry naming an unknown action, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': 1 }, action: 'teleport' as never })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'unknown action "teleport"; stage "s" has "a", "NoAction"', path: '$.stages[0].entries[0].action.action' });
  });

  it('an entry naming an unknown action, in decoded IR', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ action: { kind: 'actionCall', action: 'teleport', args: {} } }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'unknown action "teleport"; stage "dmac" has "forward", "flood"',
      path: '$.stages[1].entries[0].action.action',
    });
  });

  it('an unknown default action, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].defaultAction.action.action = 'NoAction';
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'unknown action "NoAction"; stage "dmac" has "forward", "flood"',
      path: '$.stages[1].defaultAction.action.action',
    });
  });

  it('a missing argument, through the builder', () => {
    const err = thrown(() => keyed('exact').stage('u', (t) => t.key({ 'ipv4.srcAddr': 'exact' }).action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).entries({ key: { 'ipv4.srcAddr': 1 }, action: 'fwd' } as never)).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 'u', message: 'missing argument "port" (bit<9>) for action "fwd"', path: '$.stages[1].entries[0].action.args' });
  });

  it('a missing argument, in decoded IR', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ action: { kind: 'actionCall', action: 'forward', args: {} } }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'missing argument "port" (bit<9>) for action "forward"',
      path: '$.stages[1].entries[0].action.args',
    });
  });

  it('an extra argument, through the builder', () => {
    const err = thrown(() =>
      keyed('exact')
        .stage('u', (t) => t.key({ 'ipv4.srcAddr': 'exact' }).action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).entries({ key: { 'ipv4.srcAddr': 1 }, action: 'fwd', args: { port: 1, vlan: 2 } as never }))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 'u', message: 'action "fwd" has no parameter "vlan"', path: '$.stages[1].entries[0].action.args.vlan' });
  });

  it('an extra argument, in decoded IR', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ action: { kind: 'actionCall', action: 'forward', args: { port: '0x1', vlan: '0x2' } } }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'action "forward" has no parameter "vlan"',
      path: '$.stages[1].entries[0].action.args.vlan',
    });
  });

  it('an argument to an action without parameters, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].defaultAction.action.args = { group: '0x2' };
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', message: 'action "flood" has no parameter "group"', path: '$.stages[1].defaultAction.action.args.group' });
  });

  // regression: a missing argument used to be looked up on Object.prototype and crash the validator
  it.each(['toString', 'constructor', 'hasOwnProperty', 'valueOf'])('a missing argument for a parameter named %s is reported, not thrown', (name) => {
    const err = thrown(() =>
      program('p')
        .headers({ ethernet: std.ethernet })
        .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
        .stage('s', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('tag', { [name]: bit(8) }, (a) => a).entries({ key: { 'ethernet.dstAddr': 1 }, action: 'tag', args: {} as never }))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 'p', stage: 's', message: `missing argument "${name}" (bit<8>) for action "tag"`, path: '$.stages[0].entries[0].action.args' });
  });
});

describe('LPM entries', () => {
  it('bits below the prefix, through the builder', () => {
    const err = thrown(() => keyed('lpm').stage('s2', (t) => t.key({ 'ipv4.srcAddr': 'lpm' }).action('a', (a) => a).entries({ key: { 'ipv4.srcAddr': '10.0.0.1/8' }, action: 'a' })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's2', message: 'key ipv4.srcAddr: value 0xa000001/8 has bits set below the prefix', path: '$.stages[1].entries[0].matches[0]' });
  });

  it('bits below the prefix, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].matches[0] = { kind: 'lpm', value: '0xa000100', prefixLength: 16 };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'lpm', message: 'key ipv4.dstAddr: value 0xa000100/16 has bits set below the prefix', path: '$.stages[1].entries[0].matches[0]' });
  });

  it('the longest prefix with the last bit set is fine', () => {
    const ok = ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'lpm' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': '10.0.0.1/32' }, action: 'a' }));
    expect(ok.toIR().stages[0]!.entries[0]!.matches).toStrictEqual([{ kind: 'lpm', value: '0xa000001', prefixLength: 32 }]);
  });

  it('a /0 prefix must be written as a don\'t-care', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'lpm' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': '0.0.0.0/0' }, action: 'a' })).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      message: 'key ipv4.dstAddr: a /0 prefix matches everything; write a don\'t-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don\'t-care fields',
      path: '$.stages[0].entries[0].matches[0]',
    });
    // "_" is the don't-care
    const ok = ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'lpm' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': '_' }, action: 'a' }));
    expect(ok.toIR().stages[0]!.entries[0]!.matches).toStrictEqual([{ kind: 'any' }]);
  });

  it('a /0 prefix, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].matches[0] = { kind: 'lpm', value: '0x0', prefixLength: 0 };
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      stage: 'lpm',
      message: 'key ipv4.dstAddr: a /0 prefix matches everything; write a don\'t-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don\'t-care fields',
      path: '$.stages[1].entries[0].matches[0]',
    });
  });

  it('a prefix longer than the key', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].matches[0] = { kind: 'lpm', value: '0xa000000', prefixLength: 33 };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'lpm', message: 'key ipv4.dstAddr: prefix length 33 is longer than bit<32>', path: '$.stages[1].entries[0].matches[0]' });
  });
});

describe('ternary entries', () => {
  it('a value outside its mask, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'ternary' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': { value: 0x0f, mask: 0xf0 } }, action: 'a' })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'key ipv4.dstAddr: value 0xf has bits outside mask 0xf0', path: '$.stages[0].entries[0].matches[0]' });
  });

  it('a value outside its mask, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[0] = { kind: 'ternary', value: '0xa000001', mask: '0xff000000' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'key ipv4.srcAddr: value 0xa000001 has bits outside mask 0xff000000', path: '$.stages[0].entries[0].matches[0]' });
  });

  it('a zero mask must be written as a don\'t-care', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'ternary' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': { value: 0, mask: 0 } }, action: 'a' })).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      message: 'key ipv4.dstAddr: a zero mask matches everything; write a don\'t-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don\'t-care fields',
      path: '$.stages[0].entries[0].matches[0]',
    });
  });

  it('a zero mask, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[0] = { kind: 'ternary', value: '0x0', mask: '0x0' };
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      stage: 'acl',
      message: 'key ipv4.srcAddr: a zero mask matches everything; write a don\'t-care instead ("_" in the DSL and entries files, { kind: "any" } in IR), as P4Runtime omits don\'t-care fields',
      path: '$.stages[0].entries[0].matches[0]',
    });
  });

  it('a mask wider than the key', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[0] = { kind: 'ternary', value: '0x1', mask: '0x1ffffffff' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'key ipv4.srcAddr: mask 0x1ffffffff does not fit in bit<32>', path: '$.stages[0].entries[0].matches[0]' });
  });
});

describe('range entries', () => {
  it('low greater than high, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'range' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': [5, 3] }, action: 'a' })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'key ipv4.dstAddr: range low 0x5 is greater than high 0x3', path: '$.stages[0].entries[0].matches[0]' });
  });

  it('low greater than high, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[1] = { kind: 'range', low: '0x11', high: '0x6' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'key ipv4.protocol: range low 0x11 is greater than high 0x6', path: '$.stages[0].entries[0].matches[1]' });
  });

  it('low equal to high is one value', () => {
    expect(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'range' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': { low: 7, high: 7 } }, action: 'a' })).toIR()).not.toThrow();
  });

  it('a bound wider than the key', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[1] = { kind: 'range', low: '0x0', high: '0x100' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'key ipv4.protocol: high 0x100 does not fit in bit<8>', path: '$.stages[0].entries[0].matches[1]' });
  });
});

describe('priorities', () => {
  it('missing on a stage with ternary keys, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    delete ir.stages[0].entries[1].priority;
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      stage: 'acl',
      message: 'stage "acl" has ternary, range or optional keys, so every entry needs a priority',
      path: '$.stages[0].entries[1]',
    });
  });

  it('given to some entries but not others, through the builder', () => {
    const err = thrown(() =>
      ipBase().stage('s', (t) =>
        t
          .key({ 'ipv4.dstAddr': 'ternary' })
          .action('a', (a) => a)
          .entries({ key: { 'ipv4.dstAddr': 1 }, action: 'a', priority: 10 }, { key: { 'ipv4.dstAddr': 2 }, action: 'a' }),
      ),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'give every entry a priority, or none (then earlier entries win)', path: '$.stages[0].entries' });
  });

  it('omitted everywhere: entries are ranked by position, first highest', () => {
    const entries = miniRouter.toIR().stages[0]!.entries;
    expect(entries.map((e) => e.priority)).toStrictEqual([2, 1]);
  });

  it('present on a stage with only exact keys, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': 1 }, action: 'a', priority: 5 })).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: 'stage "s" has only exact and lpm keys; an entry must not have a priority', path: '$.stages[0].entries[0].priority' });
  });

  it('present on a stage with an lpm key, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].priority = 1;
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'lpm', message: 'stage "lpm" has only exact and lpm keys; an entry must not have a priority', path: '$.stages[1].entries[0].priority' });
  });

  it('out of the P4Runtime range, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].priority = 0;
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'acl', message: 'expected an integer from 1 to 2147483647', path: '$.stages[0].entries[0].priority' });
  });
});

describe('entry shape', () => {
  it('a match kind the key does not allow', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ matches: [{ kind: 'ternary', value: '0x1', mask: '0x1' }] }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'key ethernet.dstAddr is exact; a "ternary" match is not allowed (use exact)',
      path: '$.stages[1].entries[0].matches[0]',
    });
  });

  it('a don\'t-care on an exact key', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ matches: [{ kind: 'any' }] }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'key ethernet.dstAddr is exact; a "any" match is not allowed (use exact)',
      path: '$.stages[1].entries[0].matches[0]',
    });
  });

  it('a value wider than the key', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ matches: [{ kind: 'exact', value: '0x1000000000000' }] }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'key ethernet.dstAddr: value 0x1000000000000 does not fit in bit<48>',
      path: '$.stages[1].entries[0].matches[0]',
    });
  });

  it('the wrong number of matches', () => {
    expectOnlyIssue(rejected(withDmacEntry(dmacEntry({ matches: [{ kind: 'exact', value: '0x1' }, { kind: 'exact', value: '0x2' }] }))), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'entry has 2 key matches, stage "dmac" has 1 keys',
      path: '$.stages[1].entries[0].matches',
    });
  });

  it('two entries with the same matches', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].entries = [dmacEntry(), dmacEntry({ action: { kind: 'actionCall', action: 'flood', args: {} } })];
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', message: 'entry 1 duplicates entry 0', path: '$.stages[1].entries[1]' });
  });

  it('more const entries than the stage holds', () => {
    const err = thrown(() =>
      ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a).size(1).entries({ key: { 'ipv4.dstAddr': 1 }, action: 'a' }, { key: { 'ipv4.dstAddr': 2 }, action: 'a' })).toIR(),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 's', message: '2 const entries exceed the stage size 1', path: '$.stages[0].entries' });
  });

  it('entries on a stage without keys', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[2].entries = [{ kind: 'entry', matches: [], action: { kind: 'actionCall', action: 'account', args: {} } }];
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'stats', message: 'a stage without keys cannot have entries', path: '$.stages[2].entries' });
  });

  it('an entry naming a field that is not a key, through the builder', () => {
    const err = thrown(() =>
      keyed('exact').stage('u', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': 1, 'ipv4.srcAddr': 2 } as never, action: 'a' })),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 'u', message: 'entry names "ipv4.srcAddr", which is not a key of this stage', path: '$.stages[1].entries[0].key' });
  });

  it('an entry value that is not a value, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ 'ipv4.dstAddr': 'lpm' }).action('a', (a) => a).entries({ key: { 'ipv4.dstAddr': 'banana' }, action: 'a' })));
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      message: 'key ipv4.dstAddr: value: "banana" is not a value (expected a number, 0x…, 0b…, a MAC or an IP address)',
      path: '$.stages[0].entries[0].key',
    });
  });

  it('many faults are reported together, each with its own path', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[0].entries[0].matches[0] = { kind: 'ternary', value: '0x0', mask: '0x0' };
    ir.stages[0].entries[0].matches[1] = { kind: 'range', low: '0x2', high: '0x1' };
    ir.stages[1].entries[0].action.args.port = '0x400';
    const issues = rejected(ir);
    expect(issues).toHaveLength(3);
    expectIssue(issues, { program: 'mini-router', stage: 'acl', message: /zero mask/, path: '$.stages[0].entries[0].matches[0]' });
    expectIssue(issues, { program: 'mini-router', stage: 'acl', message: /range low 0x2 is greater than high 0x1/, path: '$.stages[0].entries[0].matches[1]' });
    expectIssue(issues, { program: 'mini-router', stage: 'lpm', message: 'argument "port" = 0x400 does not fit in bit<9>', path: '$.stages[1].entries[0].action.args.port' });
  });
});
