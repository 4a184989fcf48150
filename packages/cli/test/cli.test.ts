import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeProgram } from '@mpvisor/mpapi';
import { irFileName, runCli } from '@mpvisor/cli';

const here = (p: string): string => new URL(p, import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'mpvisor-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('mpvisor build', () => {
  it('builds the L2 switch, prints its summary and writes canonical IR that decodes', async () => {
    const r = await runCli(['build', here('../../../examples/nfs/l2-switch.ts'), '--out', out], '0.0.0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NF\s+KIND\s+STAGES/m);
    expect(r.stdout).toMatch(/^l2-switch\s+program\s+2\s+4\s+0\s+1 dgst\s+[0-9a-f]{12}/m);
    const text = readFileSync(join(out, 'l2-switch.ir.json'), 'utf8');
    const decoded = decodeProgram(JSON.parse(text));
    expect(decoded._tag).toBe('Right');
    expect(existsSync(join(out, 'l2-switch.ir.json.tmp'))).toBe(false);
  });

  it('reports an invalid NF with program, stage, action and path, without a stack trace, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-cli-bad-'));
    try {
      const r = await runCli(['build', here('fixtures/bad-width.ts'), '--out', dir], '0.0.0');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('fixtures/bad-width.ts (export broken)');
      expect(r.stderr).toContain(
        'program "broken", stage "rewrite", action "set": width mismatch: ipv4.srcAddr is bit<32>, value is bit<48>; cast it explicitly (at $.stages[0].actions[0].body[0].value)',
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'broken.ir.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a module that throws while loading', async () => {
    const r = await runCli(['build', here('fixtures/throws.ts')], '0.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fixtures\/throws\.ts: TypeError: this module is broken on purpose/);
  });

  it('refuses a path that does not exist', async () => {
    const r = await runCli(['build', 'no/such/dir'], '0.0.0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mpvisor build: no/such/dir: no such file or directory');
  });

  it('gives scoped NF names safe file names', () => {
    expect(irFileName('acme/fw-strict')).toBe('acme__fw-strict.ir.json');
    expect(irFileName('l2-switch')).toBe('l2-switch.ir.json');
  });
});

describe('mpvisor check', () => {
  it('accepts valid IR and prints its digest', async () => {
    await runCli(['build', here('../../../examples/nfs/l2-switch.ts'), '--out', out], '0.0.0');
    const r = await runCli(['check', join(out, 'l2-switch.ir.json')], '0.0.0');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/l2-switch\.ir\.json: ok, program "l2-switch" sha256:[0-9a-f]{64}$/);
  });

  it('lists every problem of tampered IR with its JSON path', async () => {
    const ir = JSON.parse(readFileSync(join(out, 'l2-switch.ir.json'), 'utf8'));
    ir.irVersion = 2;
    ir.stages[1].keys[0].match = 'fuzzy';
    const file = join(out, 'tampered.ir.json');
    writeFileSync(file, JSON.stringify(ir));
    const r = await runCli(['check', file], '0.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tampered.ir.json: 2 problems');
    expect(r.stderr).toContain('unsupported irVersion 2; this library reads irVersion 1 (at $.irVersion)');
    expect(r.stderr).toContain('expected one of exact, lpm, ternary, range, optional (at $.stages[1].keys[0].match)');
  });

  it('names the file and position of corrupt JSON', async () => {
    const file = join(out, 'corrupt.ir.json');
    writeFileSync(file, '{"kind": "program", ');
    const r = await runCli(['check', file], '0.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/corrupt\.ir\.json is not valid JSON: .*position|corrupt\.ir\.json is not valid JSON: Unexpected end/);
  });
});

describe('mpvisor', () => {
  it('prints usage for help and refuses unknown commands', async () => {
    expect((await runCli(['--help'], '1.2.3')).stdout).toContain('mpvisor build [paths…]');
    expect((await runCli(['--version'], '1.2.3')).stdout).toBe('1.2.3');
    const r = await runCli(['frobnicate'], '1.2.3');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('mpvisor run', () => {
  const router = here('../../../examples/nfs/router.ts');
  const capture = here('../../../examples/captures/router.pcap');
  const entries = here('../../../examples/captures/router.entries.json');

  it('runs a capture through an NF and writes one capture per egress port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-run-'));
    try {
      const r = await runCli(['run', router, '--pcap', capture, '--entries', entries, '--out', dir, '--trace', '1'], '0.0.0');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^packet 1 \(in port 1, \d+ bytes\)$/m);
      expect(r.stdout).toMatch(/^router: \d+ packets in/m);
      expect(existsSync(join(dir, 'port-1.pcap'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops at a truncated capture, naming the file and byte offset, and leaves no output looking complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-run-bad-'));
    try {
      const whole = readFileSync(capture);
      const cut = join(dir, 'cut.pcap');
      writeFileSync(cut, whole.subarray(0, whole.length - 7)); // the last record loses 7 bytes
      const out = join(dir, 'out');
      const r = await runCli(['run', router, '--pcap', cut, '--entries', entries, '--out', out], '0.0.0');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^mpvisor run: .*cut\.pcap: truncated packet record at byte offset \d+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const left = existsSync(out) ? readdirSync(out) : [];
      expect(left.filter((f) => f.endsWith('.pcap'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an entries file with a bad entry, naming the file and the entry, and runs nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-run-entries-'));
    try {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ tables: { ipv4_lpm: [{ key: { 'ipv4.dstAddr': '10.0.1.1/24' }, action: 'drop' }] } }));
      const r = await runCli(['run', router, '--pcap', capture, '--entries', bad, '--out', join(dir, 'out')], '0.0.0');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('bad.json: INVALID_ARGUMENT: stage "ipv4_lpm": key ipv4.dstAddr: value 0xa000101/24 has bits set below the prefix (at $.tables.ipv4_lpm[0])');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks which NF to run when a module exports several', async () => {
    const r = await runCli(['run', here('../../../examples/nfs/policies.ts'), '--pcap', capture], '0.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('it exports several NFs (tenant-a, tenant-b); choose one with --nf');
  });
});
