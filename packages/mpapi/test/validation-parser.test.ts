/**
 * The parser is a state machine whose states are all reachable and whose
 * transitions all land; select cases match their keys in number and width;
 * every extracted header is deparsed again.
 */
import { describe, expect, it } from 'vitest';
import { program, std } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { miniRouter } from './support/programs.js';

const eth = () => program('p').headers({ ethernet: std.ethernet, ipv4: std.ipv4 });

describe('parser states', () => {
  it('an unreachable state, through the builder', () => {
    const err = thrown(() =>
      eth()
        .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()).state('orphan', (s) => s.extract('ipv4').accept()))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 'p', message: 'parser state "orphan" is unreachable from "start"', path: '$.parser.states[1]' });
  });

  it('an unreachable state, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.parser.states[0].transition.cases[0].next = 'ip'; // nothing goes to "vlan" now
    expectOnlyIssue(rejected(ir), { program: 'mini-router', message: 'parser state "vlan" is unreachable from "start"', path: '$.parser.states[1]' });
  });

  it('a transition to an unknown state, through the builder', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').goto('ipv4_state'))).deparse('ethernet').toIR());
    expectOnlyIssue(err.issues, { program: 'p', message: 'transition to unknown parser state "ipv4_state"', path: '$.parser.states[0].transition.state' });
  });

  it('a select case to an unknown state, through the builder', () => {
    const err = thrown(() =>
      eth()
        .parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x0800, 'parse_ipv4']], 'accept')))
        .deparse('ethernet')
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 'p', message: 'transition to unknown parser state "parse_ipv4"', path: '$.parser.states[0].transition.cases[0].next' });
  });

  it('a transition to an unknown state, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.parser.states[0].transition.state = 'acept';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'transition to unknown parser state "acept"', path: '$.parser.states[0].transition.state' });
  });

  it('a start state that does not exist', () => {
    const ir = mutable(l2switch.toIR());
    ir.parser.start = 'begin';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: 'parser start state "begin" does not exist', path: '$.parser.start' });
    expectIssue(issues, { program: 'l2-switch', message: 'parser state "start" is unreachable from "begin"', path: '$.parser.states[0]' });
  });

  it('a state named like a reserved state', () => {
    const ir = mutable(l2switch.toIR());
    ir.parser.states.push({ kind: 'parserState', name: 'accept', ops: [], transition: { kind: 'goto', state: 'reject' } });
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: '"accept" is a reserved parser state name', path: '$.parser.states[1].name' });
  });

  it('extracting a header the program does not have', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').extract('ipv6' as never).accept())).toIR());
    expectIssue(err.issues, { program: 'p', message: 'unknown header "ipv6"', path: '$.parser.states[0].ops[1]' });
  });

  it('advancing by a part of a byte', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').advance(4).extract('ipv4').accept())).toIR());
    expectOnlyIssue(err.issues, { program: 'p', message: 'advance by 4 bits is not a whole number of bytes', path: '$.parser.states[0].ops[1]' });
  });

  it('a verify whose condition is not bool', () => {
    const ir = mutable(miniRouter.toIR());
    ir.parser.states[2].ops[1].cond = { kind: 'field', ref: 'ipv4.version' };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', message: 'condition must be bool, got bit<4>', path: '$.parser.states[2].ops[1].cond' });
  });

  it('lookahead outside the parser', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].body[0].port = { kind: 'lookahead', width: 9 };
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', action: 'forward', message: 'lookahead is only allowed in the parser', path: '$.stages[1].actions[0].body[0].port' });
  });
});

describe('select', () => {
  it('a case with more values than keys, through the builder', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[[0x0800, 6] as never, 'accept']]))));
    expectOnlyIssue(err.issues, { program: 'p', message: 'select case 0 has 2 values for 1 keys', path: '$.parser.states[0].transition.cases[0].values' });
  });

  it('a case with fewer values than keys, through the builder', () => {
    const err = thrown(() =>
      eth().parser((p) =>
        p.state('start', (s) => s.extract('ethernet').goto('ip')).state('ip', (s) => s.extract('ipv4').select(['ipv4.protocol', 'ipv4.ttl'], [[[6, 64], 'accept'], [[17] as never, 'accept']])),
      ),
    );
    expectOnlyIssue(err.issues, { program: 'p', message: 'select case 1 has 1 values for 2 keys', path: '$.parser.states[1].transition.cases[1].values' });
  });

  it('a case with the wrong number of values, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.parser.states[0].transition.cases[1].values.push({ kind: 'exact', value: '0x6' });
    expectOnlyIssue(rejected(ir), { program: 'mini-router', message: 'select case has 2 values for 1 keys', path: '$.parser.states[0].transition.cases[1].values' });
  });

  it('a select without keys', () => {
    const ir = mutable(miniRouter.toIR());
    ir.parser.states[0].transition = { kind: 'select', keys: [], cases: [] };
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', message: 'select needs at least one key', path: '$.parser.states[0].transition.keys' });
  });

  it('a value wider than its key', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x10000, 'accept']]))).toIR());
    expectOnlyIssue(err.issues, { program: 'p', message: 'select value 0x10000 does not fit the key\'s bit<16>', path: '$.parser.states[0].transition.cases[0].values[0]' });
  });

  it('a masked value with bits outside its mask', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[{ value: 0x0801, mask: 0xff00 }, 'accept']]))).toIR());
    expectOnlyIssue(err.issues, { program: 'p', message: 'select value 0x801 has bits outside mask 0xff00', path: '$.parser.states[0].transition.cases[0].values[0]' });
  });

  it('a range with low above high', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[{ low: 0x0600, high: 0x05dc }, 'accept']]))).toIR());
    expectOnlyIssue(err.issues, { program: 'p', message: 'select range low 0x600 is greater than high 0x5dc', path: '$.parser.states[0].transition.cases[0].values[0]' });
  });

  it('a value that is not a value, through the builder', () => {
    const err = thrown(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').select(['ethernet.etherType'], [[0x0800, 'accept'], ['ipv4', 'accept']]))));
    expectOnlyIssue(err.issues, {
      program: 'p',
      message: 'select value: "ipv4" is not a value (expected a number, 0x…, 0b…, a MAC or an IP address)',
      path: '$.parser.states[0].transition.cases[1].values[0]',
    });
  });

  it('a bool key', () => {
    const ir = mutable(miniRouter.toIR());
    ir.parser.states[0].transition.keys[0] = { kind: 'isValid', header: 'ethernet' };
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', message: 'select keys must be bit<N>', path: '$.parser.states[0].transition.keys[0]' });
  });
});

describe('deparser', () => {
  it('a header extracted but not deparsed, through the builder', () => {
    const err = thrown(() =>
      eth()
        .parser((p) => p.state('start', (s) => s.extract('ethernet').extract('ipv4').accept()))
        .deparse('ethernet')
        .toIR(),
    );
    expectOnlyIssue(err.issues, {
      program: 'p',
      message: 'header "ipv4" is extracted by the parser but missing from the deparse order, so it would vanish from every packet',
      path: '$.deparser',
    });
  });

  it('a header extracted but not deparsed, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.deparser = [];
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      message: 'header "ethernet" is extracted by the parser but missing from the deparse order, so it would vanish from every packet',
      path: '$.deparser',
    });
  });

  it('a stack element extracted counts as the stack', () => {
    const ir = mutable(miniRouter.toIR());
    ir.deparser = ['ethernet', 'ipv4'];
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      message: 'header "vlan" is extracted by the parser but missing from the deparse order, so it would vanish from every packet',
      path: '$.deparser',
    });
  });

  it('deparsing an unknown header', () => {
    const ir = mutable(l2switch.toIR());
    ir.deparser.push('ipv4');
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'deparser: unknown header "ipv4"', path: '$.deparser[1]' });
  });

  it('a header deparsed but never extracted is fine (an action may make it valid)', () => {
    expect(() => eth().parser((p) => p.state('start', (s) => s.extract('ethernet').accept())).toIR()).not.toThrow();
  });
});
