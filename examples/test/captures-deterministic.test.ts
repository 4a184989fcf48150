/**
 * The shipped captures are exactly what scripts/make-captures.ts writes:
 * regenerate into a temporary directory and compare byte for byte.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureAll } from '@mpvisor/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { captureFileName, generateCaptures, SHIPPED_DIR } from '../../scripts/make-captures.js';
import { CAPTURES_DIR, SHIPPED } from './e2e-helpers.js';

describe('shipped example captures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mpvisor-captures-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are byte-identical to a fresh run of scripts/make-captures.ts', async () => {
    expect(SHIPPED_DIR).toBe(CAPTURES_DIR);
    const made = await generateCaptures(dir);
    const fresh = readdirSync(dir).sort();
    expect(readdirSync(CAPTURES_DIR).sort()).toEqual(fresh);
    for (const f of fresh) expect(readFileSync(join(CAPTURES_DIR, f)).equals(readFileSync(join(dir, f))), `${f} differs: run npm run captures`).toBe(true);
    // one capture per example NF and policy
    expect(made.map((m) => m.spec.nf).sort()).toEqual(Object.keys(SHIPPED).sort());
  });

  it('are small, with a few dozen to a few hundred packets each, in time order', async () => {
    for (const nf of Object.keys(SHIPPED)) {
      const file = join(CAPTURES_DIR, captureFileName(nf));
      expect(statSync(file).size, file).toBeLessThan(100 * 1024);
      const packets = await readCaptureAll(file);
      expect(packets.length, file).toBeGreaterThanOrEqual(20);
      expect(packets.length, file).toBeLessThanOrEqual(500);
      expect(packets[0]!.timestampNanos).toBe(1_700_000_000_000_000_000n);
      for (let i = 1; i < packets.length; i++) expect(packets[i]!.timestampNanos >= packets[i - 1]!.timestampNanos).toBe(true);
    }
  });
});
