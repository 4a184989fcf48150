import { describe, expect, it } from 'vitest';
import { MpvisorError } from '@mpvisor/mpapi';
import { loadPipeline } from '@mpvisor/runtime';
import { l2switch } from '../../../examples/nfs/l2-switch.js';

describe('loadPipeline', () => {
  it('takes a builder, its IR, or the IR as parsed JSON, and gives the same pipeline', () => {
    const fromBuilder = loadPipeline(l2switch);
    const fromIR = loadPipeline(l2switch.toIR());
    const fromJson = loadPipeline(JSON.parse(JSON.stringify(l2switch.toIR())));
    expect(fromBuilder.steps.map((s) => s.program.name)).toEqual(['l2-switch']);
    expect(fromIR).toEqual(fromBuilder);
    expect(fromJson).toEqual(fromBuilder);
    expect(fromBuilder.digest).toBe(l2switch.irDigest());
  });

  it('refuses invalid JSON IR with every issue and its path, loading nothing', () => {
    const bad = structuredClone(l2switch.toIR()) as unknown as { stages: { size: number; name: string }[] };
    bad.stages[0]!.size = 0;
    bad.stages[1]!.name = 'smac';
    try {
      loadPipeline(bad);
      expect.fail('loadPipeline accepted invalid IR');
    } catch (e) {
      expect(e).toBeInstanceOf(MpvisorError);
      const err = e as MpvisorError;
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.issues.map((i) => i.path)).toContain('$.stages[0].size');
    }
  });

  it('names the kind it expected when given something else', () => {
    expect(() => loadPipeline({ kind: 'table' })).toThrow(/expected an IR document with kind "program" or "policy"/);
    expect(() => loadPipeline(42)).toThrow(MpvisorError);
  });
});
