/**
 * Names are unique in their namespace, and a duplicate is reported where it
 * repeats: at the second declaration, naming the program (and the stage and
 * action it is in).
 */
import { describe, expect, it } from 'vitest';
import { bit, header, program, std } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { ipBase, miniRouter } from './support/programs.js';

/** A stage name the compiler cannot see. */
const dynamic = (name: string): string => [name].join('');

describe('duplicate names', () => {
  it('two stages with one name, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a)).stage(dynamic('s'), (t) => t.action('b', (a) => a)).toIR());
    expectIssue(err.issues, { program: 't', message: 'duplicate stage name "s"', path: '$.stages[1].name' });
    // the default control applies both, so the same fault shows in the control too
    expectIssue(err.issues, { program: 't', stage: 's', message: 'stage "s" is applied 2 times; a stage is applied at most once per pass', path: '$.control.nodes[1].stage' });
  });

  it('two stages with one name, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].name = 'smac';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: 'duplicate stage name "smac"', path: '$.stages[1].name' });
    expectIssue(issues, { program: 'l2-switch', message: 'apply of undeclared stage "dmac"', path: '$.control.nodes[1].stage' });
    expect(issues).toHaveLength(2);
  });

  it('two actions with one name in a stage, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a).action('b', (a) => a).action(dynamic('a'), (a) => a.drop())).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'duplicate action name "a"', path: '$.stages[0].actions[2].name' });
  });

  it('two actions with one name in a stage, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].actions[1].name = 'learn';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'smac', action: 'learn', message: 'duplicate action name "learn"', path: '$.stages[0].actions[1].name' });
  });

  it('the same action name in two stages is fine', () => {
    expect(() => ipBase().stage('s', (t) => t.action('a', (a) => a)).stage('u', (t) => t.action('a', (a) => a)).toIR()).not.toThrow();
  });

  it('two header instances with one name, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.headers.push({ kind: 'header', name: 'ethernet', type: 'ethernet_t' });
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'duplicate header name "ethernet"', path: '$.headers[1].name' });
  });

  it('two header types with one name but different fields, through the builder', () => {
    const other = header('ethernet_t', { tag: bit(8) });
    const err = thrown(() =>
      program('h')
        .headers({ ethernet: std.ethernet, inner: other })
        .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
        .toIR(),
    );
    expectOnlyIssue(err.issues, { program: 'h', message: 'duplicate header type name "ethernet_t"', path: '$.headerTypes[1].name' });
  });

  it('one header type used by two instances is shared, not a duplicate', () => {
    const ir = program('h2')
      .headers({ outer: std.ethernet, inner: std.ethernet })
      .parser((p) => p.state('start', (s) => s.extract('outer').extract('inner').accept()))
      .toIR();
    expect(ir.headerTypes.map((t) => t.name)).toStrictEqual(['ethernet_t']);
  });

  it('a header instance named like a metadata prefix', () => {
    const err = thrown(() => program('m').headers({ meta: std.ethernet }).parser((p) => p.state('start', (s) => s.extract('meta').accept())).toIR());
    expectOnlyIssue(err.issues, { program: 'm', message: 'header name "meta" is reserved for metadata', path: '$.headers[0].name' });
  });

  it('two metadata fields with one name, through the builder', () => {
    const err = thrown(() => ipBase().metadata({ port: bit(9) }).toIR());
    expectOnlyIssue(err.issues, { program: 't', message: 'duplicate metadata field name "port"', path: '$.metadata[2].name' });
  });

  it('two registers with one name, through the builder', () => {
    const err = thrown(() => ipBase().register('r', { width: 8, size: 4 }).register(dynamic('r'), { width: 16, size: 4 }).toIR());
    expectOnlyIssue(err.issues, { program: 't', message: 'duplicate register/counter/meter name "r"', path: '$.registers[1].name' });
  });

  it('a register and a counter share one namespace', () => {
    const err = thrown(() => ipBase().register('r', { width: 8, size: 4 }).counter('r', { size: 4 }).toIR());
    expectOnlyIssue(err.issues, { program: 't', message: 'duplicate register/counter/meter name "r"', path: '$.counters[0].name' });
  });

  it('a counter and a meter share one namespace, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.meters[0].name = 'pkts';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', message: 'duplicate register/counter/meter name "pkts"', path: '$.meters[0].name' });
  });

  it('two digests with one name', () => {
    const err = thrown(() => ipBase().digest('d', { a: bit(8) }).digest(dynamic('d'), { b: bit(8) }).toIR());
    expectOnlyIssue(err.issues, { program: 't', message: 'duplicate digest name "d"', path: '$.digests[1].name' });
  });

  it('two parser states with one name', () => {
    const err = thrown(() =>
      program('p')
        .headers({ ethernet: std.ethernet })
        .parser((p) => p.state('start', (s) => s.goto('eth')).state('eth', (s) => s.extract('ethernet').accept()).state('eth', (s) => s.accept()))
        .toIR(),
    );
    expectIssue(err.issues, { program: 'p', message: 'duplicate parser state name "eth"', path: '$.parser.states[2].name' });
  });

  it('two parameters of an action with one name, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].actions[0].params[1].name = 'nh';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', stage: 'lpm', action: 'route', message: 'duplicate parameter "nh"', path: '$.stages[1].actions[0].params[1].name' });
  });

  it('two fields of a header type with one name, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.headerTypes[0].fields[1].name = 'dstAddr';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', message: 'header type ethernet_t: duplicate field "dstAddr"', path: '$.headerTypes[0].fields[1].name' });
  });

  it('one field as two keys of a stage, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].keys.push({ kind: 'key', field: 'ethernet.dstAddr', match: 'exact' });
    const issues = rejected(ir);
    expectIssue(issues, { program: 'l2-switch', stage: 'dmac', message: 'key ethernet.dstAddr appears twice', path: '$.stages[1].keys[1].field' });
  });

  it('a header emitted twice by the deparser', () => {
    const ir = mutable(l2switch.toIR());
    ir.deparser.push('ethernet');
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'deparser emits "ethernet" twice', path: '$.deparser[1]' });
  });
});
