/**
 * Field references, widths and writability: what the compiler checks for
 * typed code is checked again when the IR is built, for field names computed
 * at run time (`as never` below) and for IR that came from JSON.
 */
import { describe, expect, it } from 'vitest';
import { bit, decodeProgram, header, program, std } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { ipBase, miniRouter } from './support/programs.js';

/** A field name the compiler cannot see: built at run time. */
const runtime = (...parts: string[]): never => parts.join('.') as never;

describe('unknown field', () => {
  it('as a stage key, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.key({ [['ipv4', 'dstAdr'].join('.')]: 'exact' } as never).action('a', (a) => a)).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      message: 'unknown field "ipv4.dstAdr": header type ipv4_t has no field "dstAdr"',
      path: '$.stages[0].keys[0].field',
    });
    expect(err.message).toBe(
      'INVALID_ARGUMENT: program "t", stage "s": unknown field "ipv4.dstAdr": header type ipv4_t has no field "dstAdr" (at $.stages[0].keys[0].field)',
    );
  });

  it('read in an action, through the builder (reported as the action is built)', () => {
    const err = thrown(() =>
      ipBase()
        .stage('first', (t) => t.action('noop', (a) => a))
        .stage('s', (t) => t.action('ok', (a) => a).action('a', (a) => a.assign('meta.x', a.get(runtime('ipv4', 'nope'))))),
    );
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'unknown field "ipv4.nope": header type ipv4_t has no field "nope"',
      path: '$.stages[1].actions[1]',
    });
  });

  it('as an assignment target, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign(runtime('meta', 'nope'), 1 as never))));
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'unknown metadata field "meta.nope"', path: '$.stages[0].actions[0]' });
  });

  it('in a control condition, through the builder', () => {
    const err = thrown(() =>
      ipBase()
        .stage('s', (t) => t.action('a', (a) => a))
        .control((c) => c.if(c.get(runtime('ipv4', 'nope')).eq(1), (c) => c.apply('s'))),
    );
    expectOnlyIssue(err.issues, { program: 't', message: 'unknown field "ipv4.nope": header type ipv4_t has no field "nope"', path: '$.control' });
  });

  it('of a header the program does not have, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].keys[0].field = 'ipv6.dstAddr';
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'unknown field "ipv6.dstAddr": no header "ipv6"',
      path: '$.stages[1].keys[0].field',
    });
  });

  it('as an assignment target in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].actions[1].body = [{ kind: 'assign', target: 'ethernet.srcAdr', value: { kind: 'field', ref: 'ethernet.srcAddr' } }];
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'smac',
      action: 'known',
      message: 'unknown field "ethernet.srcAdr": header type ethernet_t has no field "srcAdr"',
      path: '$.stages[0].actions[1].body[0].target',
    });
  });

  it('deep inside an expression in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].body[0].port = { kind: 'cast', width: 9, arg: { kind: 'binary', op: '+', left: { kind: 'field', ref: 'meta.port' }, right: { kind: 'const', width: 9, value: '0x1' } } };
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      action: 'forward',
      message: 'unknown metadata field "meta.port"',
      path: '$.stages[1].actions[0].body[0].port.arg.left',
    });
  });

  it('of standard metadata, including names on Object.prototype', () => {
    for (const name of ['nope', 'constructor', 'toString']) {
      const ir = mutable(l2switch.toIR());
      ir.stages[1].actions[0].body[0].port = { kind: 'field', ref: `standard.${name}` };
      expectOnlyIssue(rejected(ir), {
        program: 'l2-switch',
        stage: 'dmac',
        action: 'forward',
        message: `unknown standard metadata field "standard.${name}"`,
        path: '$.stages[1].actions[0].body[0].port',
      });
    }
  });

  it('in a branch condition of decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.control.nodes[0].cond = { kind: 'binary', op: '==', left: { kind: 'field', ref: 'ipv4.ttll' }, right: { kind: 'const', width: 8, value: '0x0' } };
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      message: 'unknown field "ipv4.ttll": header type ipv4_t has no field "ttll"',
      path: '$.control.nodes[0].cond.left',
    });
  });
});

describe('width mismatch without an explicit cast', () => {
  it('in an assignment, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign('meta.x', a.get('ipv4.ttl') as never))).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'width mismatch: meta.x is bit<16>, value is bit<8>; cast it explicitly',
      path: '$.stages[0].actions[0].body[0].value',
    });
  });

  it('is accepted with the cast', () => {
    expect(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign('meta.x', a.get('ipv4.ttl').cast(16)))).toIR()).not.toThrow();
  });

  it('of a slice, whose width the compiler does not track', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.drop().assign('meta.x', a.get('ipv4.dstAddr').slice(7, 0)))).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'width mismatch: meta.x is bit<16>, value is bit<8>; cast it explicitly',
      path: '$.stages[0].actions[0].body[1].value',
    });
  });

  it('between the operands of a binary operator', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign('meta.x', a.get('meta.x').add(a.get('ipv4.ttl') as never)))).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'width mismatch: "+" between bit<16> and bit<8>; cast one side explicitly',
      path: '$.stages[0].actions[0].body[0].value',
    });
  });

  it('of an egress port', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.setEgress(a.get('meta.x') as never))).toIR());
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'width mismatch: an egress port is bit<9>, value is bit<16>; cast it explicitly',
      path: '$.stages[0].actions[0].body[0].port',
    });
  });

  it('in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].actions[1].body = [{ kind: 'assign', target: 'ethernet.srcAddr', value: { kind: 'field', ref: 'ethernet.etherType' } }];
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'smac',
      action: 'known',
      message: 'width mismatch: ethernet.srcAddr is bit<48>, value is bit<16>; cast it explicitly',
      path: '$.stages[0].actions[1].body[0].value',
    });
  });

  it('of a constant too wide for its own width', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[1].body[0].group = { kind: 'const', width: 16, value: '0x10000' };
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      action: 'flood',
      message: 'constant 0x10000 does not fit in bit<16>',
      path: '$.stages[1].actions[1].body[0].group',
    });
  });

  it('a literal too wide for its target, through the builder', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign('ipv4.ttl', 256))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'constant 0x100 does not fit in bit<8>', path: '$.stages[0].actions[0].body[0].value' });
  });
});

describe('read-only fields', () => {
  it('standard.ingressPort cannot be assigned in an action', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.assign('standard.ingressPort' as never, 1 as never))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'standard.ingressPort is read-only', path: '$.stages[0].actions[0].body[0].target' });
  });

  it('standard.ingressPort cannot be set while parsing (decoded IR)', () => {
    const ir = mutable(l2switch.toIR());
    ir.parser.states[0].ops.push({ kind: 'set', target: 'standard.ingressPort', value: { kind: 'const', width: 9, value: '0x1' } });
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'standard.ingressPort is read-only', path: '$.parser.states[0].ops[1].target' });
  });

  it('a varbit field cannot be a register-read target', () => {
    const ir = mutable(miniRouter.toIR());
    ir.registers[0].width = 320;
    ir.stages[2].actions[0].body = [{ kind: 'registerRead', register: 'seen', index: { kind: 'const', width: 32, value: '0x0' }, target: 'ipv4.options' }];
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'stats', action: 'account', message: 'ipv4.options is read-only', path: '$.stages[2].actions[0].body[0].target' });
  });
});

describe('varbit fields', () => {
  it('cannot be used in arithmetic', () => {
    const err = thrown(() =>
      ipBase().stage('s', (t) => t.action('a', (a) => a.assign('meta.x', a.get('meta.x').add(a.get(runtime('ipv4', 'options')).cast(16))))).toIR(),
    );
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: '"ipv4.options" is a varbit field; it can only be a checksum input',
      path: '$.stages[0].actions[0].body[0].value.right.arg',
    });
  });

  it('cannot be matched as a key', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].keys[0].field = 'ipv4.options';
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', stage: 'lpm', message: 'key ipv4.options is a varbit field and cannot be matched', path: '$.stages[1].keys[0].field' });
  });

  it('may be a checksum input (updateIpv4Checksum covers the options)', () => {
    const ir = miniRouter.toIR();
    const route = ir.stages[1]!.actions.find((a) => a.name === 'route')!;
    const update = route.body.find((p) => p.kind === 'checksumUpdate');
    expect(update).toMatchObject({ target: 'ipv4.hdrChecksum' });
    expect(JSON.stringify(update)).toContain('ipv4.options');
  });
});

describe('checksum width rules', () => {
  it('the checksum field of an update must be bit<16>', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.checksumUpdate('ipv4.ttl' as never, [a.get('ipv4.srcAddr')]))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'checksum field ipv4.ttl must be bit<16>, it is bit<8>', path: '$.stages[0].actions[0].body[0].target' });
  });

  it('the checksum field of a verify must be bit<16>', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.checksumVerify('meta.port' as never, [a.get('ipv4.srcAddr')]))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'checksum field meta.port must be bit<16>, it is bit<9>', path: '$.stages[0].actions[0].body[0].checksum' });
  });

  it('inputs must be a whole number of bytes', () => {
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.checksumUpdate('ipv4.hdrChecksum', [a.get('ipv4.flags')]))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'checksum inputs are 3 bits, not a whole number of bytes', path: '$.stages[0].actions[0].body[0].inputs' });
  });

  it('inputs must be bit<N>, not bool', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[2].actions[0].body = [{ kind: 'checksumUpdate', algorithm: 'csum16', inputs: [{ kind: 'bool', value: true }], target: 'ipv4.hdrChecksum', payload: false }];
    const issues = rejected(ir);
    expectIssue(issues, { program: 'mini-router', stage: 'stats', action: 'account', message: 'checksum inputs must be bit<N>', path: '$.stages[2].actions[0].body[0].inputs[0]' });
  });

  it('incremental updates need equal removed and added widths in 16-bit words', () => {
    const err = thrown(() =>
      ipBase().stage('s', (t) => t.action('a', (a) => a.checksumIncremental('ipv4.hdrChecksum', [a.get('ipv4.srcAddr')], [a.get('ipv4.ttl')]))).toIR(),
    );
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'incremental checksum needs removed and added of equal width in 16-bit words (got 32 and 8 bits)',
      path: '$.stages[0].actions[0].body[0]',
    });
  });

  it('incremental updates write a bit<16> field', () => {
    // a 16-bit metadata field is a fine target
    expect(() =>
      ipBase().stage('s', (t) => t.action('a', (a) => a.checksumIncremental('meta.x', [a.get('ipv4.ttl').concat(a.get('ipv4.protocol'))], [a.get('meta.x')]))).toIR(),
    ).not.toThrow();
    const err = thrown(() => ipBase().stage('s', (t) => t.action('a', (a) => a.checksumIncremental('ipv4.ttl' as never, [a.get('meta.x')], [a.get('meta.x')]))).toIR());
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'checksum field ipv4.ttl must be bit<16>, it is bit<8>', path: '$.stages[0].actions[0].body[0].target' });
  });
});

describe('checksum helpers', () => {
  /** A header with a checksum field of the wrong width for a ones-complement sum. */
  const short = header('short_t', { a: bit(12), hdrChecksum: bit(8), ttl: bit(4) });
  const withShort = () =>
    program('c')
      .headers({ ethernet: std.ethernet, shim: short })
      .parser((p) => p.state('start', (s) => s.extract('ethernet').extract('shim').accept()));

  it('updateIpv4Checksum needs a bit<16> checksum field', () => {
    const err = thrown(() => withShort().stage('s', (t) => t.action('a', (a) => a.updateIpv4Checksum('shim'))).toIR());
    expectOnlyIssue(err.issues, { program: 'c', stage: 's', action: 'a', message: 'checksum field shim.hdrChecksum must be bit<16>, it is bit<8>', path: '$.stages[0].actions[0].body[0].target' });
  });

  it('decrementTtl checks the checksum it recomputes (after the ttl update)', () => {
    const err = thrown(() => withShort().stage('s', (t) => t.action('a', (a) => a.decrementTtl('shim'))).toIR());
    expectOnlyIssue(err.issues, { program: 'c', stage: 's', action: 'a', message: 'checksum field shim.hdrChecksum must be bit<16>, it is bit<8>', path: '$.stages[0].actions[0].body[1].target' });
  });

  it('updateIpv4Checksum on a header without a checksum field, named at run time', () => {
    const err = thrown(() => withShort().stage('s', (t) => t.action('a', (a) => a.updateIpv4Checksum(['ether', 'net'].join('') as never))).toIR());
    expectOnlyIssue(err.issues, {
      program: 'c',
      stage: 's',
      action: 'a',
      message: 'unknown field "ethernet.hdrChecksum": header type ethernet_t has no field "hdrChecksum"',
      path: '$.stages[0].actions[0].body[0].target',
    });
  });

  it('decrementTtl on a header without a ttl, named at run time', () => {
    const err = thrown(() => withShort().stage('s', (t) => t.action('a', (a) => a.decrementTtl(['ether', 'net'].join('') as never))));
    expectOnlyIssue(err.issues, { program: 'c', stage: 's', action: 'a', message: 'unknown field "ethernet.ttl": header type ethernet_t has no field "ttl"', path: '$.stages[0].actions[0]' });
  });

  it('on IPv4 they are valid, options included', () => {
    expect(() => ipBase().stage('s', (t) => t.action('a', (a) => a.decrementTtl().updateIpv4Checksum())).toIR()).not.toThrow();
  });
});

describe('digests', () => {
  const withDigest = () => ipBase().digest('d', { addr: bit(48), port: bit(9) });

  it('a value of the wrong width', () => {
    const err = thrown(() =>
      withDigest().stage('s', (t) => t.action('a', (a) => a.digest('d', { addr: a.get('ethernet.srcAddr'), port: a.get('ethernet.etherType') as never }))).toIR(),
    );
    expectOnlyIssue(err.issues, {
      program: 't',
      stage: 's',
      action: 'a',
      message: 'width mismatch: digest field "port" is bit<9>, value is bit<16>; cast it explicitly',
      path: '$.stages[0].actions[0].body[0].values[1]',
    });
  });

  it('a missing value, through the builder', () => {
    const err = thrown(() => withDigest().stage('s', (t) => t.action('a', (a) => a.digest('d', { addr: a.get('ethernet.srcAddr') } as never))));
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'digest "d": missing field "port"', path: '$.stages[0].actions[0]' });
  });

  it('a value for a field the digest does not have, through the builder', () => {
    const err = thrown(() =>
      withDigest().stage('s', (t) => t.action('a', (a) => a.digest('d', { addr: 1, port: 2, vlan: 3 } as never))),
    );
    expectOnlyIssue(err.issues, { program: 't', stage: 's', action: 'a', message: 'digest "d" has no field "vlan"', path: '$.stages[0].actions[0]' });
  });

  it('a value count that does not match, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].actions[0].body[0].values.pop();
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'smac',
      action: 'learn',
      message: 'digest "mac_learn" has 2 fields, 1 values given',
      path: '$.stages[0].actions[0].body[0].values',
    });
  });

  it('an unknown digest, in decoded IR', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].actions[0].body[0].digest = 'mac_learnt';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'smac', action: 'learn', message: 'unknown digest "mac_learnt"', path: '$.stages[0].actions[0].body[0].digest' });
  });
});

describe('registers, counters and meters', () => {
  it('a register read into a field of another width', () => {
    const err = thrown(() =>
      program('r')
        .headers({ ethernet: std.ethernet })
        .metadata({ small: bit(8) })
        .register('big', { width: 32, size: 4 })
        .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
        .stage('s', (t) => t.action('a', (a) => a.registerRead('meta.small', 'big', 0)))
        .toIR(),
    );
    expectOnlyIssue(err.issues, {
      program: 'r',
      stage: 's',
      action: 'a',
      message: 'width mismatch: register "big" holds bit<32>, target meta.small is bit<8>',
      path: '$.stages[0].actions[0].body[0].target',
    });
  });

  it('an unknown counter, in decoded IR', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[2].actions[0].body[0].counter = 'bytes';
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'stats', action: 'account', message: 'unknown counter "bytes"', path: '$.stages[2].actions[0].body[0].counter' });
  });

  it('a meter colour needs two bits', () => {
    const ir = mutable(miniRouter.toIR());
    ir.metadata.push({ kind: 'metaField', name: 'flag', width: 1 });
    ir.stages[2].actions[0].body[2].target = 'meta.flag';
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      stage: 'stats',
      action: 'account',
      message: 'meter colour needs at least 2 bits; meta.flag is bit<1>',
      path: '$.stages[2].actions[0].body[2].target',
    });
  });
});

describe('a valid program decodes', () => {
  it('miniRouter round-trips through JSON', () => {
    const d = decodeProgram(JSON.parse(JSON.stringify(miniRouter.toIR())));
    expect(d._tag).toBe('Right');
  });
});
