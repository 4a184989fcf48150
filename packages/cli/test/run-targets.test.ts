/**
 * `mpvisor run --target`: the same capture through the same NF on every
 * target gives the same output captures, byte for byte; a bad target name
 * is a usage error naming the valid ones; an NF that does not fit an RMT
 * profile is refused with the resource.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '@mpvisor/cli';

const repo = (p: string): string => new URL(`../../../${p}`, import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function runOn(target: string | undefined, nf: string, module: string, entries: string): Promise<{ code: number; stdout: string; stderr: string; files: Map<string, Buffer> }> {
  const out = mkdtempSync(join(tmpdir(), 'mpvisor-run-target-'));
  dirs.push(out);
  const args = ['run', repo(module), '--pcap', repo(`examples/captures/${nf}.pcap`), '--entries', repo(`examples/captures/${entries}`), '--out', out, '--drops', '--no-progress'];
  const r = await runCli(target === undefined ? args : [...args, '--target', target], '0.0.0');
  const files = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
  return { ...r, files };
}

describe('mpvisor run --target', () => {
  it.each([
    ['router', 'examples/nfs/router.ts', 'router.entries.json'],
    ['l2-switch', 'examples/nfs/l2-switch.ts', 'l2-switch.entries.json'],
  ])('%s: the same output captures on reference, compiled, virtualized:1, virtualized:4, virtualized:2:compiled, rmt and rmt:tofino-like', async (nf, module, entries) => {
    const reference = await runOn(undefined, nf, module, entries);
    expect(reference.code).toBe(0);
    expect(reference.files.size).toBeGreaterThan(0);
    for (const target of ['compiled', 'virtualized:1', 'virtualized:4', 'virtualized:2:compiled', 'rmt', 'rmt:tofino-like']) {
      const r = await runOn(target, nf, module, entries);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${nf} on (compiled|virtualized|rmt)\\b`));
      expect([...r.files.keys()].sort()).toEqual([...reference.files.keys()].sort());
      for (const [f, bytes] of reference.files) expect(r.files.get(f)!.equals(bytes), `${target}: ${f}`).toBe(true);
    }
  });

  it('an unknown target is a usage error listing the targets', async () => {
    const r = await runOn('fpga', 'router', 'examples/nfs/router.ts', 'router.entries.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/target "fpga": unknown target "fpga"; targets are reference, compiled, virtualized\[:slots\]\[:reference\|compiled\], rmt\[:rmt\|tofino-like\]/);
    const bad = await runOn('virtualized:0', 'router', 'examples/nfs/router.ts', 'router.entries.json');
    expect(bad.stderr).toMatch(/slots must be a positive integer, not "0"/);
    const twice = await runOn('virtualized:compiled:reference', 'router', 'examples/nfs/router.ts', 'router.entries.json');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/the image executor is given twice/);
  });
});
