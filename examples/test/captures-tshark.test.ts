/**
 * Acceptance 4: every output capture of every shipped example's run (and the
 * input captures) opens in the real tshark with no malformed packet.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capturePath, cleanUp, runShipped, SHIPPED, type ShippedNf } from './e2e-helpers.js';

function tshark(file: string): string {
  try {
    return execFileSync('tshark', ['-n', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('tshark is not installed: run scripts/ensure-system-deps.sh');
    throw new Error(`tshark -r ${file} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
}

/** tshark's one-line-per-packet listing: the lines, checked for malformed packets. */
function expectWellFormed(file: string, packets?: number): void {
  const text = tshark(file);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  expect(text, file).not.toMatch(/malformed/i);
  if (packets !== undefined) expect(lines.length, file).toBe(packets);
}

describe('tshark reads every capture without a malformed packet', () => {
  for (const nf of Object.keys(SHIPPED) as ShippedNf[]) {
    it(nf, async () => {
      expectWellFormed(capturePath(nf));
      const run = await runShipped(nf);
      try {
        const files = readdirSync(run.outDir).filter((f) => f.endsWith('.pcap'));
        expect(files.length).toBeGreaterThan(0);
        for (const f of files) {
          const port = /^port-(\d+)\.pcap$/.exec(f);
          expectWellFormed(join(run.outDir, f), port ? run.ports.get(Number(port[1]))!.length : run.dropped.length);
        }
      } finally {
        cleanUp(run);
      }
    });
  }
});
