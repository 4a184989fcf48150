/**
 * IR from outside (a file, a registry) is decoded structurally first: closed
 * records, known kinds, the one supported irVersion. Every fault comes back
 * as an issue with its JSON path — and, where the JSON says so, the program,
 * stage and action it lies in — never as an exception.
 */
import { describe, expect, it } from 'vitest';
import { either } from 'fp-ts';
import { canonicalJson, decodeIR, decodePolicy, decodeProgram, IR_VERSION, orThrow, parseIR, policy, type Decoded, type Issue } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { expectIssue, expectOnlyIssue, mutable, rejected, thrown } from './support/issues.js';
import { miniRouter } from './support/programs.js';

/** The issues of a rejected document; orThrow turns them into one INVALID_ARGUMENT error. */
const left = <A>(d: Decoded<A>): readonly Issue[] => {
  if (either.isRight(d)) throw new Error('expected Left');
  expect(thrown(() => orThrow(d), 'INVALID_ARGUMENT').issues).toStrictEqual(d.left);
  return d.left;
};

describe('irVersion', () => {
  it('an unknown irVersion is refused with a clear message', () => {
    const ir = mutable(l2switch.toIR());
    ir.irVersion = 2;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'unsupported irVersion 2; this library reads irVersion 1', path: '$.irVersion' });
    expect(IR_VERSION).toBe(1);
  });

  it('an irVersion written as a string is refused', () => {
    const ir = mutable(l2switch.toIR());
    ir.irVersion = '1';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'unsupported irVersion "1"; this library reads irVersion 1', path: '$.irVersion' });
  });

  it('a missing irVersion', () => {
    const ir = mutable(l2switch.toIR());
    delete ir.irVersion;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'missing property "irVersion" in program', path: '$.irVersion' });
  });

  it('through parseIR, as text from a file', () => {
    const text = JSON.stringify({ ...l2switch.toIR(), irVersion: 2 });
    expectOnlyIssue(left(parseIR(text, 'l2.json')), { program: 'l2-switch', message: 'unsupported irVersion 2; this library reads irVersion 1', path: '$.irVersion' });
  });
});

describe('closed records', () => {
  it('an unknown property on the program', () => {
    const ir = mutable(l2switch.toIR());
    ir.version = '1.0.0';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'unknown property "version" in program', path: '$.version' });
  });

  it('an unknown property on a stage names the stage', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].colour = 'blue';
    const err = thrown(() => orThrow(decodeProgram(ir)));
    expectOnlyIssue(err.issues, { program: 'l2-switch', stage: 'smac', message: 'unknown property "colour" in stage', path: '$.stages[0].colour' });
    expect(err.message).toBe('INVALID_ARGUMENT: program "l2-switch", stage "smac": unknown property "colour" in stage (at $.stages[0].colour)');
  });

  it('an unknown property deep in an expression names the stage and action', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].body[0].port.signed = true;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', action: 'forward', message: 'unknown property "signed" in param', path: '$.stages[1].actions[0].body[0].port.signed' });
  });

  it('a typo of an optional property is caught, not dropped', () => {
    const ir = mutable(l2switch.toIR());
    ir.descripton = ir.description;
    delete ir.description;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'unknown property "descripton" in program', path: '$.descripton' });
  });

  it('several unknown properties are each reported', () => {
    const ir = mutable(l2switch.toIR());
    ir.control.extra = 1;
    ir.parser.states[0].extra = 2;
    const issues = rejected(ir);
    expect(issues).toHaveLength(2);
    expectIssue(issues, { program: 'l2-switch', message: 'unknown property "extra" in parserState', path: '$.parser.states[0].extra' });
    expectIssue(issues, { program: 'l2-switch', message: 'unknown property "extra" in control', path: '$.control.extra' });
  });
});

describe('kinds', () => {
  it('an unknown primitive kind', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].body[0].kind = 'teleport';
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      action: 'forward',
      message:
        'unknown Primitive kind "teleport"; expected one of assign, maskedAssign, setValid, setInvalid, copyHeader, pushFront, popFront, drop, setEgress, multicast, clone, resubmit, recirculate, digest, registerRead, registerWrite, count, meterExecute, directMeterRead, hash, checksumVerify, checksumUpdate, checksumIncremental',
      path: '$.stages[1].actions[0].body[0]',
    });
  });

  it('an unknown expression kind', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].body[0].port = { kind: 'random', width: 9 };
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      action: 'forward',
      message: 'unknown Expr kind "random"; expected one of const, bool, field, param, lookahead, isValid, unary, binary, slice, cast, mux',
      path: '$.stages[1].actions[0].body[0].port',
    });
  });

  it('an unknown key match kind', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].matches[0] = { kind: 'prefix', value: '0xa000000', prefixLength: 8 };
    expectOnlyIssue(rejected(ir), { program: 'mini-router', stage: 'lpm', message: 'unknown KeyMatch kind "prefix"; expected one of exact, lpm, ternary, range, optional, any', path: '$.stages[1].entries[0].matches[0]' });
  });

  it('a missing kind', () => {
    const ir = mutable(l2switch.toIR());
    delete ir.control.nodes[0].next.kind;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'unknown Next kind undefined; expected one of always, hitMiss, actionRun', path: '$.control.nodes[0].next' });
  });

  it('the wrong kind on a fixed node', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[0].kind = 'table';
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'smac', message: 'expected "stage", got "table"', path: '$.stages[0].kind' });
  });

  it('a document that is neither a program nor a policy', () => {
    expectOnlyIssue(left(decodeIR({ kind: 'pipeline' })), { message: 'expected an IR document with kind "program" or "policy", got kind "pipeline"', path: '$.kind' });
    expectOnlyIssue(left(decodeIR([])), { message: 'expected an IR document with kind "program" or "policy", got kind undefined', path: '$.kind' });
  });
});

describe('values and shapes', () => {
  it('a missing property', () => {
    const ir = mutable(l2switch.toIR());
    delete ir.stages[1].size;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', message: 'missing property "size" in stage', path: '$.stages[1].size' });
  });

  it('a missing property in a primitive names the primitive', () => {
    const ir = mutable(l2switch.toIR());
    delete ir.stages[1].actions[0].body[0].port;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', action: 'forward', message: 'missing property "port" in setEgress', path: '$.stages[1].actions[0].body[0].port' });
  });

  it('a size out of range', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].size = 0;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', message: 'expected an integer from 1 to 16777216', path: '$.stages[1].size' });
  });

  it('a hex value that is not canonical', () => {
    const ir = mutable(miniRouter.toIR());
    ir.stages[1].entries[0].action.args.port = '0x01';
    expectOnlyIssue(rejected(ir), {
      program: 'mini-router',
      stage: 'lpm',
      message: 'expected a canonical hex string such as "0x0" or "0x800" (lower case, no leading zeros)',
      path: '$.stages[1].entries[0].action.args.port',
    });
  });

  it('a width out of range', () => {
    const ir = mutable(l2switch.toIR());
    ir.headerTypes[0].fields[2].width = 4096;
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', message: 'expected an integer from 1 to 2048', path: '$.headerTypes[0].fields[2].width' });
  });

  it('a field reference that is not one', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].keys[0].field = 'dstAddr';
    expectOnlyIssue(rejected(ir), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'expected a field reference such as "ipv4.ttl", "vlan[0].vid" or "meta.port"',
      path: '$.stages[1].keys[0].field',
    });
  });

  it('a name that is not one', () => {
    const ir = mutable(l2switch.toIR());
    ir.stages[1].actions[0].name = 'for ward';
    // the action is named as written, so the fault can be found in the file
    expectOnlyIssue(rejected(ir), { program: 'l2-switch', stage: 'dmac', action: 'for ward', message: 'expected an identifier (letters, digits and _)', path: '$.stages[1].actions[0].name' });
  });

  it('a document that is not an object', () => {
    for (const u of [null, 42, 'program', [], undefined]) {
      expectOnlyIssue(rejected(u), { message: 'expected an object (program)', path: '$' });
    }
  });

  it('an empty object lists every missing property', () => {
    const issues = left(decodeProgram({ kind: 'program' }));
    expect(issues.map((i) => i.message)).toStrictEqual(
      ['irVersion', 'name', 'headerTypes', 'headers', 'metadata', 'parser', 'registers', 'counters', 'meters', 'digests', 'stages', 'control', 'deparser'].map(
        (k) => `missing property "${k}" in program`,
      ),
    );
  });
});

describe('JSON text', () => {
  it('corrupt JSON names its source and the position', () => {
    const issues = left(parseIR('{', 'file.json'));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^file\.json is not valid JSON: .*position 1/);
    expect(issues[0]!.path).toBeUndefined();
    expect(issues[0]!.program).toBeUndefined();
  });

  it('truncated JSON of a real program', () => {
    const text = l2switch.canonicalJson();
    const issues = left(parseIR(text.slice(0, 100), 'l2-switch.json'));
    expect(issues[0]!.message).toMatch(/^l2-switch\.json is not valid JSON: /);
  });

  it('the source defaults to <input>', () => {
    expect(left(parseIR(''))[0]!.message).toMatch(/^<input> is not valid JSON: /);
  });

  it('orThrow makes one INVALID_ARGUMENT error of all issues', () => {
    const err = thrown(() => orThrow(parseIR('not json', 'x.json')));
    expect(err.message).toMatch(/^INVALID_ARGUMENT: x\.json is not valid JSON: /);
    const ir = mutable(l2switch.toIR());
    ir.irVersion = 2;
    ir.stages[0].colour = 'blue';
    const many = thrown(() => orThrow(decodeProgram(ir)));
    expect(many.message).toBe(
      [
        'INVALID_ARGUMENT: 2 problems:',
        '  - program "l2-switch": unsupported irVersion 2; this library reads irVersion 1 (at $.irVersion)',
        '  - program "l2-switch", stage "smac": unknown property "colour" in stage (at $.stages[0].colour)',
      ].join('\n'),
    );
  });

  it('canonical JSON of a valid program parses and decodes', () => {
    const d = parseIR(canonicalJson(l2switch.toIR()), 'l2-switch.json');
    expect(either.isRight(d)).toBe(true);
  });
});

describe('policies', () => {
  it('a structural fault in an embedded program names that program', () => {
    const ir = mutable(policy('tenant-a').chain(l2switch).toIR());
    ir.programs[0].stages[1].colour = 'x';
    expectOnlyIssue(left(decodePolicy(ir)), { program: 'l2-switch', stage: 'dmac', message: 'unknown property "colour" in stage', path: '$.programs[0].stages[1].colour' });
  });

  it('a semantic fault in an embedded program is placed under the program', () => {
    const ir = mutable(policy('tenant-a').chain(l2switch).toIR());
    ir.programs[0].stages[1].entries = [
      { kind: 'entry', matches: [{ kind: 'exact', value: '0x1' }], action: { kind: 'actionCall', action: 'forward', args: { port: '0x200' } } },
    ];
    expectOnlyIssue(left(decodePolicy(ir)), {
      program: 'l2-switch',
      stage: 'dmac',
      message: 'argument "port" = 0x200 does not fit in bit<9>',
      path: '$.programs[0].stages[1].entries[0].action.args.port',
    });
  });
});
