/**
 * The passing control for the validation suite: real programs build, their
 * IR decodes again from JSON with no issue, and validation finds nothing.
 */
import { describe, expect, it } from 'vitest';
import { either } from 'fp-ts';
import { decodeProgram, parseIR, validateProgram, type Program } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { ipBase, miniRouter } from './support/programs.js';

const cases: readonly [string, () => Program][] = [
  ['examples/nfs/l2-switch', () => l2switch.toIR()],
  ['mini-router (test program touching most rules)', () => miniRouter.toIR()],
  ['ip base (no stages)', () => ipBase().toIR()],
];

describe.each(cases)('%s', (_, build) => {
  it('builds without error', () => {
    expect(build).not.toThrow();
  });

  it('has no validation issues', () => {
    expect(validateProgram(build())).toStrictEqual([]);
  });

  it('decodes again from its JSON text, unchanged', () => {
    const ir = build();
    const d = decodeProgram(JSON.parse(JSON.stringify(ir)));
    if (either.isLeft(d)) throw new Error(d.left.map((i) => i.message).join('\n'));
    expect(d.right).toStrictEqual(ir);
    expect(either.isRight(parseIR(JSON.stringify(ir), 'x.json'))).toBe(true);
  });
});

describe('examples/nfs/l2-switch', () => {
  it('is the NF the design describes', () => {
    const ir = l2switch.toIR();
    expect(ir.name).toBe('l2-switch');
    expect(ir.stages.map((s) => s.name)).toStrictEqual(['smac', 'dmac']);
    expect(ir.control.entry).toBe('smac');
    expect(ir.deparser).toStrictEqual(['ethernet']);
  });
});
