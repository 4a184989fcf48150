/**
 * A data plane configuration that names its NFs in a registry
 * (`nf: { registry: scope/name@version }`): `mpvisor hv` pulls them,
 * verified, installs them with their digests checked once more, and runs
 * exactly as the same configuration naming the NF modules does. A tampered
 * store stops the run before anything is installed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CommandResult } from '@mpvisor/cli';
import { LayoutStore, Registry } from '@mpvisor/registry';
import { policies } from '../../../examples/nfs/index.js';

const cli = (...args: string[]): Promise<CommandResult> => runCli(args, '0.0.0');
const EXAMPLE = resolve('examples/hypervisor/two-tenants.yaml');

let dir: string;
let irDigestOfA: string;

/** examples/hypervisor/two-tenants.yaml with its NFs taken from a registry, paths made absolute. */
function config(nfs: { a: string; b: string }, registry = './registry'): string {
  const captures = resolve('examples/captures');
  return [
    'image: { slots: 4, primitivesPerSlot: 16 }',
    `registry: ${registry}`,
    'vpdps:',
    '  - id: 1',
    '    name: tenant-a',
    '    ports: [1, 2, 3, 4]',
    '    multicastGroups: [1]',
    '    classify: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }]',
    `    nf: ${nfs.a}`,
    `    entries: ${captures}/two-tenants.tenant-a.entries.yaml`,
    `    pcap: ${captures}/two-tenants.tenant-a.pcap`,
    '  - id: 2',
    '    name: tenant-b',
    '    ports: [5, 6, 7]',
    '    classify: [{ vlan: 100 }]',
    `    nf: ${nfs.b}`,
    `    entries: ${captures}/two-tenants.tenant-b.entries.json`,
    `    pcap: ${captures}/two-tenants.tenant-b.pcap`,
    '    inPort: 5',
    '',
  ].join('\n');
}

const outputs = (out: string): Map<string, Buffer> => new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mpvisor-hv-registry-'));
  const registry = new Registry(new LayoutStore(join(dir, 'registry')));
  irDigestOfA = (await registry.publish(policies.tenantA, { name: 'acme/tenant-a', version: '1.0.0' })).irDigest;
  await registry.publish(policies.tenantB, { name: 'acme/tenant-b', version: '1.0.0' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mpvisor hv with NFs from a registry', () => {
  it('runs byte for byte as the configuration that names the modules', async () => {
    const file = join(dir, 'from-registry.yaml');
    writeFileSync(file, config({ a: '{ registry: acme/tenant-a@1.0.0 }', b: '{ registry: acme/tenant-b@1.0.0 }' }));
    const fromModules = await cli('hv', EXAMPLE, '--out', join(dir, 'out-modules'), '--drops');
    const fromRegistry = await cli('hv', file, '--out', join(dir, 'out-registry'), '--drops');
    expect(fromModules.code).toBe(0);
    expect(fromRegistry.stderr).toBe('');
    expect(fromRegistry.code).toBe(0);
    const want = outputs(join(dir, 'out-modules'));
    const got = outputs(join(dir, 'out-registry'));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    expect(want.size).toBeGreaterThan(2);
    for (const [f, bytes] of want) expect(got.get(f)!.equals(bytes), f).toBe(true);
  });

  it('refuses a tampered NF before installing anything, naming the vPDP and the digests', async () => {
    const copy = join(dir, 'tampered');
    const registry = new Registry(new LayoutStore(join(copy, 'registry')));
    await registry.publish(policies.tenantA, { name: 'acme/tenant-a', version: '1.0.0' });
    await registry.publish(policies.tenantB, { name: 'acme/tenant-b', version: '1.0.0' });
    // the IR layer's blob is named by the IR digest: change one byte of it
    const blob = join(copy, 'registry', 'blobs', 'sha256', irDigestOfA.slice('sha256:'.length));
    const bytes = readFileSync(blob);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01;
    writeFileSync(blob, bytes);
    const file = join(copy, 'config.yaml');
    writeFileSync(file, config({ a: '{ registry: acme/tenant-a@1.0.0 }', b: '{ registry: acme/tenant-b@1.0.0 }' }));
    const r = await cli('hv', file, '--out', join(copy, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vPDP "tenant-a".*\$\.vpdps\[0\]\.nf.*acme\/tenant-a@1\.0\.0.*DATA_LOSS.*expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}/s);
    expect(() => readdirSync(join(copy, 'out'))).toThrow();
  });

  it('names the place of an nf that is both or neither, and a version that is not published', async () => {
    const both = join(dir, 'both.yaml');
    writeFileSync(both, config({ a: '{ registry: acme/tenant-a@1.0.0, module: x.ts }', b: '{ export: tenantB }' }));
    const r = await cli('hv', both);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vPDP "tenant-a": an nf has exactly one of module, registry; this one has both \(at \$\.vpdps\[0\]\.nf\)/);
    expect(r.stderr).toMatch(/vPDP "tenant-b": an nf has exactly one of module, registry; this one has none \(at \$\.vpdps\[1\]\.nf\)/);
    const missing = join(dir, 'missing.yaml');
    writeFileSync(missing, config({ a: '{ registry: acme/tenant-a@9.9.9 }', b: '{ registry: acme/tenant-b@1.0.0 }' }));
    const m = await cli('hv', missing);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/vPDP "tenant-a".*acme\/tenant-a@9\.9\.9.*NOT_FOUND/s);
  });
});
