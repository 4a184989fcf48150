/**
 * The registry over the embedded layout store, with the example NFs:
 * publish and pull round-trip the IR byte for byte; versions are immutable
 * and of two concurrent publishes exactly one wins; lineage survives
 * derivation; everything read is verified (tampered blob or manifest,
 * foreign media types, an unknown IR version and corrupt JSON are refused
 * with a clear error); and an NF installed from the registry runs on a
 * hypervisor exactly as the original does, while a tampered one is refused
 * by the hypervisor's own digest check with nothing installed.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, digestOf, MpvisorError, programFromIR, type Program } from '@mpvisor/mpapi';
import { entriesToUpdates, Hypervisor, loadPipeline, parseEntriesFile, readCaptureAll, hex, type PacketIn, type PacketOut, type Update } from '@mpvisor/runtime';
import { ReferenceSlotEngine, ReferenceTarget } from '@mpvisor/targets';
import {
  ANNOTATION,
  installFromRegistry,
  LayoutStore,
  MANIFEST_MEDIA_TYPE,
  NF_ARTIFACT_TYPE,
  NF_CONFIG_MEDIA_TYPE,
  NF_IR_MEDIA_TYPE,
  Registry,
  sha256,
  type NfReference,
  type PulledNf,
} from '@mpvisor/registry';
import { firewall } from '../../../examples/nfs/firewall.js';
import { fwStrict } from '../../../examples/nfs/fw-strict.js';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { tenantA } from '../../../examples/nfs/policies.js';
import { runWorker } from './support/worker.js';

const REGISTRY_SRC = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const CAPTURES = fileURLToPath(new URL('../../../examples/captures/', import.meta.url));

let tmp: string;
let store: LayoutStore;
let registry: Registry;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mpvisor-registry-'));
  store = new LayoutStore(join(tmp, 'registry'));
  registry = new Registry(store);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const blobFile = (digest: string): string => join(tmp, 'registry', 'blobs', 'sha256', digest.slice('sha256:'.length));

async function rejection(p: Promise<unknown>): Promise<MpvisorError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MpvisorError) return e;
    throw new Error(`expected an MpvisorError, got ${String(e)}`);
  }
  throw new Error('expected a rejection, got a result');
}

/** Flip one byte of a file in place. */
async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(file, bytes);
}

type ManifestEdit = (manifest: Record<string, unknown> & { layers: Record<string, unknown>[]; config: Record<string, unknown> }) => void;

interface HandMade {
  ir?: unknown;
  layer?: Uint8Array;
  config?: Record<string, unknown>;
  configBytes?: Uint8Array;
  edit?: ManifestEdit;
  manifestBytes?: Uint8Array;
}

/** Publish an artifact by hand through the store, with correct digests for whatever bytes it is given. */
async function putByHand(repository: string, tag: string, parts: HandMade): Promise<string> {
  const ir = (parts.ir ?? firewall.toIR()) as Program;
  const layer = parts.layer ?? utf8(canonicalJson(ir));
  const config = parts.config ?? { irVersion: ir.irVersion, kind: ir.kind, name: ir.name, irDigest: sha256(layer), lineage: [] };
  const configBytes = parts.configBytes ?? utf8(canonicalJson(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: NF_ARTIFACT_TYPE,
    config: { mediaType: NF_CONFIG_MEDIA_TYPE, digest: sha256(configBytes), size: configBytes.length } as Record<string, unknown>,
    layers: [{ mediaType: NF_IR_MEDIA_TYPE, digest: sha256(layer), size: layer.length }] as Record<string, unknown>[],
    annotations: { [ANNOTATION.title]: repository, [ANNOTATION.irDigest]: sha256(layer) },
  };
  parts.edit?.(manifest);
  await store.putBlob(repository, sha256(layer), layer, NF_IR_MEDIA_TYPE);
  await store.putBlob(repository, sha256(configBytes), configBytes, NF_CONFIG_MEDIA_TYPE);
  return store.putManifest(repository, tag, parts.manifestBytes ?? utf8(JSON.stringify(manifest)), MANIFEST_MEDIA_TYPE, { immutable: true });
}

describe('Registry over a local OCI layout', () => {
  it('publish then pull round-trips the IR byte for byte, with the IR digest as the layer digest', async () => {
    const created = new Date('2025-01-02T03:04:05.000Z');
    const published = await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0', author: 'Acme NetOps <netops@acme.example>', created });
    expect(published.reference).toBe('acme/firewall@1.0.0');
    expect(published.irDigest).toBe(firewall.irDigest());
    expect(published.config).toEqual({ irVersion: 1, kind: 'program', name: 'firewall', irDigest: firewall.irDigest(), lineage: [] });
    expect(published.annotations).toEqual({
      [ANNOTATION.title]: 'acme/firewall',
      [ANNOTATION.version]: '1.0.0',
      [ANNOTATION.description]: firewall.toIR().description,
      [ANNOTATION.authors]: 'Acme NetOps <netops@acme.example>',
      [ANNOTATION.created]: '2025-01-02T03:04:05.000Z',
      [ANNOTATION.nfName]: 'firewall',
      [ANNOTATION.nfKind]: 'program',
      [ANNOTATION.irVersion]: '1',
      [ANNOTATION.irDigest]: firewall.irDigest(),
    });
    // the layer on disk is the canonical IR: data, nothing to run
    expect(await readFile(blobFile(published.irDigest), 'utf8')).toBe(firewall.canonicalJson());

    const pulled = await registry.pull('acme/firewall@1.0.0');
    expect(canonicalJson(pulled.ir)).toBe(firewall.canonicalJson());
    expect(pulled.ir).toEqual(firewall.toIR());
    expect(pulled.irDigest).toBe(firewall.irDigest());
    expect(pulled.manifestDigest).toBe(published.manifestDigest);
    expect(pulled.manifestDigest).toBe(sha256(await readFile(blobFile(published.manifestDigest))));
    expect(pulled.config).toEqual(published.config);
    expect(pulled.annotations).toEqual(published.annotations);
    expect(pulled.manifest.layers).toEqual([{ mediaType: NF_IR_MEDIA_TYPE, digest: firewall.irDigest(), size: firewall.canonicalJson().length, annotations: { [ANNOTATION.title]: 'ir.json' } }]);

    const byDigest = await registry.pull(`acme/firewall@${published.manifestDigest}`);
    expect(byDigest.irDigest).toBe(firewall.irDigest());
    const byRef: NfReference = { kind: 'version', scope: 'acme', name: 'firewall', version: '1.0.0' };
    expect((await registry.pull(byRef)).manifestDigest).toBe(published.manifestDigest);
  });

  it('publishes a policy (programs embedded by value) and pulls it back whole', async () => {
    const published = await registry.publish(tenantA.toIR(), { name: 'acme/tenant-a', version: '0.1.0' });
    expect(published.config.kind).toBe('policy');
    const pulled = await registry.pull('acme/tenant-a@0.1.0');
    expect(canonicalJson(pulled.ir)).toBe(canonicalJson(tenantA.toIR()));
    expect(pulled.irDigest).toBe(digestOf(tenantA.toIR()));
  });

  it('refuses invalid IR, a bad name or version with INVALID_ARGUMENT, and writes nothing', async () => {
    const ir = firewall.toIR();
    const broken = { ...ir, stages: ir.stages.map((s) => ({ ...s, size: -1 })) };
    const e = await rejection(registry.publish(broken as unknown as Program, { name: 'acme/firewall', version: '1.0.0' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('acme/firewall@1.0.0');
    expect(e.issues.some((i) => i.path?.startsWith('$.stages[0]') === true)).toBe(true);
    for (const [name, version] of [
      ['Acme/Firewall', '1.0.0'],
      ['firewall', '1.0.0'],
      ['acme/firewall', '1.0'],
      ['acme/firewall', '1.0.0+build.1'],
    ] as const) {
      expect((await rejection(registry.publish(firewall, { name, version }))).code).toBe('INVALID_ARGUMENT');
    }
    expect(await registry.list()).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a derived NF keeps its lineage transitively, and inspect shows where each ancestor is published', async () => {
    await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0' });
    const strict = await registry.publish(fwStrict, { name: 'acme/fw-strict', version: '2.0.0' });
    expect(strict.annotations[ANNOTATION.parent]).toBe(firewall.irDigest());
    expect(strict.config.lineage).toEqual([{ name: 'firewall', digest: firewall.irDigest() }]);

    // derive again from what was pulled, as an operator without the source would
    const pulled = await registry.pull('acme/fw-strict@2.0.0');
    const stricter = programFromIR(pulled.ir as Program).derive('acme/fw-stricter', 'fw-strict with a bigger ACL').resize('acl', 16384);
    const published = await registry.publish(stricter, { name: 'acme/fw-stricter', version: '1.0.0' });
    expect(published.annotations[ANNOTATION.parent]).toBe(pulled.irDigest);
    expect(published.config.lineage).toEqual([
      { name: 'acme/fw-strict', digest: fwStrict.irDigest() },
      { name: 'firewall', digest: firewall.irDigest() },
    ]);

    const inspected = await registry.inspect('acme/fw-stricter@1.0.0');
    expect(inspected.irDigest).toBe(stricter.irDigest());
    expect(inspected.lineage).toEqual([
      { name: 'acme/fw-strict', digest: fwStrict.irDigest(), published: 'acme/fw-strict@2.0.0' },
      { name: 'firewall', digest: firewall.irDigest(), published: 'acme/firewall@1.0.0' },
    ]);
    // an ancestor not in this store is still named, with no place
    const elsewhere = new Registry(new LayoutStore(join(tmp, 'other')));
    await elsewhere.publish(stricter, { name: 'acme/fw-stricter', version: '1.0.0' });
    expect((await elsewhere.inspect('acme/fw-stricter@1.0.0')).lineage).toEqual([
      { name: 'acme/fw-strict', digest: fwStrict.irDigest() },
      { name: 'firewall', digest: firewall.irDigest() },
    ]);
    expect((await registry.inspect('acme/firewall@1.0.0')).lineage).toEqual([]);
  });

  it('a published version is immutable: publishing it again is refused, saying whether the content is the same', async () => {
    const first = await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0' });
    const same = await rejection(registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0', tags: ['latest'] }));
    expect(same.code).toBe('ALREADY_EXISTS');
    expect(same.message).toContain('acme/firewall@1.0.0');
    expect(same.message).toContain(first.manifestDigest);
    expect(same.message).toContain('same IR');
    const different = await rejection(registry.publish(fwStrict, { name: 'acme/firewall', version: '1.0.0' }));
    expect(different.code).toBe('ALREADY_EXISTS');
    expect(different.message).toContain('different IR');
    expect(different.message).toContain(firewall.irDigest());
    expect(different.message).toContain(fwStrict.irDigest());
    // nothing changed: the version still holds the first IR, and the refused publish moved no tag
    expect((await registry.pull('acme/firewall@1.0.0')).manifestDigest).toBe(first.manifestDigest);
    expect(await registry.list()).toEqual([{ repository: 'acme/firewall', versions: ['1.0.0'], tags: [] }]);
  });

  it('a movable tag such as latest follows the publishes; a version is never an extra tag', async () => {
    await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0', tags: ['latest', 'stable'] });
    const newer = await registry.publish(fwStrict, { name: 'acme/firewall', version: '1.1.0', tags: ['latest'] });
    expect((await registry.pull('acme/firewall:latest')).manifestDigest).toBe(newer.manifestDigest);
    expect((await registry.pull('acme/firewall')).irDigest).toBe(fwStrict.irDigest());
    expect((await registry.pull('acme/firewall:stable')).irDigest).toBe(firewall.irDigest());
    expect(await registry.list()).toEqual([{ repository: 'acme/firewall', versions: ['1.0.0', '1.1.0'], tags: ['latest', 'stable'] }]);

    const e = await rejection(registry.publish(l2switch, { name: 'acme/firewall', version: '1.2.0', tags: ['latest', '1.3.0'] }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('"1.3.0"');
    expect(await registry.versions('acme/firewall')).toEqual(['1.0.0', '1.1.0']);
    expect((await registry.pull('acme/firewall:latest')).manifestDigest).toBe(newer.manifestDigest);
  });

  it('of two concurrent publishes of one version, exactly one wins and the other gets ALREADY_EXISTS', async () => {
    const results = await Promise.allSettled([
      registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0' }),
      registry.publish(fwStrict, { name: 'acme/firewall', version: '1.0.0' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as MpvisorError).code).toBe('ALREADY_EXISTS');
    expect((lost[0]!.reason as MpvisorError).message).toContain('acme/firewall@1.0.0');
    expect((lost[0]!.reason as MpvisorError).message).toContain('different IR');
    const winner = won[0]!.status === 'fulfilled' ? won[0]!.value : undefined;
    expect((await registry.pull('acme/firewall@1.0.0')).irDigest).toBe(winner?.irDigest);
  });

  it('of two processes publishing one version, exactly one wins and the other gets ALREADY_EXISTS', async () => {
    const worker = join(tmp, 'publish.mts');
    await writeFile(
      worker,
      `const { LayoutStore, Registry } = await import(${JSON.stringify(REGISTRY_SRC)});
const { readFile } = await import('node:fs/promises');
const [dir, irFile, startAt] = process.argv.slice(2);
const ir = JSON.parse(await readFile(irFile, 'utf8'));
const registry = new Registry(new LayoutStore(dir));
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const result = await registry.publish(ir, { name: 'acme/firewall', version: '1.0.0' })
  .then((p) => ({ ok: true, irDigest: p.irDigest }), (e) => ({ ok: false, code: e.code, message: e.message }));
console.log(JSON.stringify(result));
`,
    );
    const irFiles = [join(tmp, 'a.json'), join(tmp, 'b.json')];
    await writeFile(irFiles[0]!, firewall.canonicalJson());
    await writeFile(irFiles[1]!, fwStrict.canonicalJson());
    const dir = join(tmp, 'registry');
    const startAt = Date.now() + 2_500;
    const outs = await Promise.all(irFiles.map((f) => runWorker(worker, [dir, f, String(startAt)])));
    const results = outs.map((o) => JSON.parse(o) as { ok: boolean; irDigest?: string; code?: string; message?: string });
    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.code).toBe('ALREADY_EXISTS');
    expect(lost[0]!.message).toContain('acme/firewall@1.0.0');
    expect((await registry.pull('acme/firewall@1.0.0')).irDigest).toBe(won[0]!.irDigest);
  }, 60_000);

  it('a tampered blob is refused on pull, naming the digest expected and the one got', async () => {
    const published = await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0' });
    const layer = blobFile(published.irDigest);
    await flipByte(layer, 100);
    const tampered = sha256(await readFile(layer));
    const e = await rejection(registry.pull('acme/firewall@1.0.0'));
    expect(e.code).toBe('DATA_LOSS');
    expect(e.message).toContain('acme/firewall@1.0.0');
    expect(e.message).toContain(`expected ${published.irDigest}`);
    expect(e.message).toContain(`got ${tampered}`);

    // the config too
    const other = await registry.publish(l2switch, { name: 'acme/l2', version: '1.0.0' });
    const pulled = await registry.pull('acme/l2@1.0.0');
    await flipByte(blobFile(pulled.manifest.config.digest), 5);
    const c = await rejection(registry.pull('acme/l2@1.0.0'));
    expect(c.code).toBe('DATA_LOSS');
    expect(c.message).toContain(`expected ${pulled.manifest.config.digest}`);
    expect(other.irDigest).toBe(l2switch.irDigest());
  });

  it('a tampered manifest is refused on pull, naming the digest the index expects and the one got', async () => {
    const published = await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0', tags: ['latest'] });
    const file = blobFile(published.manifestDigest);
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { annotations: Record<string, string> };
    manifest.annotations[ANNOTATION.description] = 'a description someone slipped in';
    const text = JSON.stringify(manifest);
    await writeFile(file, text);
    for (const ref of ['acme/firewall@1.0.0', 'acme/firewall:latest', `acme/firewall@${published.manifestDigest}`]) {
      const e = await rejection(registry.pull(ref));
      expect(e.code).toBe('DATA_LOSS');
      expect(e.message).toContain(`expected ${published.manifestDigest}`);
      expect(e.message).toContain(`got ${sha256(text)}`);
    }
    // and search does not believe it either
    expect(await registry.search('slipped')).toEqual([]);
  });

  it('an artifact that is not an MPVisor NF is refused, naming what was expected and what was found', async () => {
    const cases: [string, ManifestEdit, string, string][] = [
      ['artifact-type', (m) => (m.artifactType = 'application/vnd.example.thing.v1+json'), NF_ARTIFACT_TYPE, 'application/vnd.example.thing.v1+json'],
      ['no-artifact-type', (m) => delete m.artifactType, NF_ARTIFACT_TYPE, 'missing'],
      ['image-config', (m) => (m.config.mediaType = 'application/vnd.oci.image.config.v1+json'), NF_CONFIG_MEDIA_TYPE, 'application/vnd.oci.image.config.v1+json'],
      ['tar-layer', (m) => (m.layers[0]!.mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'), NF_IR_MEDIA_TYPE, 'application/vnd.oci.image.layer.v1.tar+gzip'],
      ['two-layers', (m) => m.layers.push({ ...m.layers[0]! }), NF_IR_MEDIA_TYPE, 'found 2'],
      ['docker', (m) => (m.mediaType = 'application/vnd.docker.distribution.manifest.v2+json'), MANIFEST_MEDIA_TYPE, 'application/vnd.docker.distribution.manifest.v2+json'],
    ];
    for (const [name, edit, expected, found] of cases) {
      await putByHand(`acme/${name}`, '1.0.0', { edit });
      const e = await rejection(registry.pull(`acme/${name}@1.0.0`));
      expect(e.code, name).toBe('FAILED_PRECONDITION');
      expect(e.message, name).toContain(`acme/${name}@1.0.0 is not an MPVisor NF`);
      expect(e.message, name).toContain(expected);
      expect(e.message, name).toContain(found);
    }
  });

  it('an IR of an unknown irVersion is refused, naming its version and the one this library reads', async () => {
    const ir = { ...firewall.toIR(), irVersion: 99 };
    await putByHand('acme/future', '1.0.0', { ir, config: { irVersion: 99, kind: 'program', name: 'firewall', irDigest: digestOf(ir), lineage: [] } });
    // a config that claims the current version does not hide the IR's own
    await putByHand('acme/future-ir', '1.0.0', { ir, config: { irVersion: 1, kind: 'program', name: 'firewall', irDigest: digestOf(ir), lineage: [] } });
    for (const repo of ['acme/future', 'acme/future-ir']) {
      const e = await rejection(registry.pull(`${repo}@1.0.0`));
      expect(e.code).toBe('UNIMPLEMENTED');
      expect(e.message).toContain(`${repo}@1.0.0`);
      expect(e.message).toContain('irVersion 99');
      expect(e.message).toContain('reads irVersion 1');
    }
  });

  it('corrupt JSON (with correct digests) in the IR layer, the config or the manifest is refused, naming the reference', async () => {
    await putByHand('acme/bad-layer', '1.0.0', { layer: utf8('{"kind":"program","irVersion":1,"name":') });
    await putByHand('acme/bad-config', '1.0.0', { configBytes: utf8('not json at all') });
    await putByHand('acme/bad-manifest', '1.0.0', { manifestBytes: utf8('{"schemaVersion":2,') });
    await putByHand('acme/binary-layer', '1.0.0', { layer: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]) });
    for (const [repo, what] of [
      ['acme/bad-layer', 'IR layer'],
      ['acme/bad-config', 'config'],
      ['acme/bad-manifest', 'manifest'],
      ['acme/binary-layer', 'IR layer'],
    ] as const) {
      const e = await rejection(registry.pull(`${repo}@1.0.0`));
      expect(e.code, repo).toBe('INVALID_ARGUMENT');
      expect(e.message, repo).toContain(`the ${what} of ${repo}@1.0.0`);
      expect(e.message, repo).toMatch(/not valid JSON|not UTF-8/);
    }
    // JSON of the wrong shape: the manifest without layers, an IR with a bad field, both with their JSON paths
    await putByHand('acme/no-layers', '1.0.0', { manifestBytes: utf8(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE })) });
    const shape = await rejection(registry.pull('acme/no-layers@1.0.0'));
    expect(shape.code).toBe('INVALID_ARGUMENT');
    expect(shape.issues.map((i) => i.path)).toContain('$.layers');
    const ir = firewall.toIR();
    await putByHand('acme/bad-ir', '1.0.0', { ir: { ...ir, stages: ir.stages.map((s) => ({ ...s, size: 'big' })) } });
    const invalid = await rejection(registry.pull('acme/bad-ir@1.0.0'));
    expect(invalid.code).toBe('INVALID_ARGUMENT');
    expect(invalid.message).toContain('the IR of acme/bad-ir@1.0.0 is invalid');
    expect(invalid.issues.some((i) => i.path === '$.stages[0].size')).toBe(true);
  });

  it('metadata that disagrees with the verified IR is refused: a non-canonical layer, a wrong irDigest annotation or config', async () => {
    const ir = firewall.toIR();
    await putByHand('acme/pretty', '1.0.0', { layer: utf8(JSON.stringify(ir, null, 2)) });
    const pretty = await rejection(registry.pull('acme/pretty@1.0.0'));
    expect(pretty.code).toBe('DATA_LOSS');
    expect(pretty.message).toContain(digestOf(ir));

    const wrong = sha256('another NF');
    await putByHand('acme/annotation', '1.0.0', { edit: (m) => ((m.annotations as Record<string, string>)[ANNOTATION.irDigest] = wrong) });
    const a = await rejection(registry.pull('acme/annotation@1.0.0'));
    expect(a.code).toBe('DATA_LOSS');
    expect(a.message).toContain(`expected ${digestOf(ir)}, got ${wrong}`);

    await putByHand('acme/config', '1.0.0', { config: { irVersion: 1, kind: 'program', name: 'router', irDigest: digestOf(ir), lineage: [] } });
    const c = await rejection(registry.pull('acme/config@1.0.0'));
    expect(c.code).toBe('DATA_LOSS');
    expect(c.message).toContain('name in its config');
  });

  it('lists repositories with semver-sorted versions and tags, and searches names and descriptions case-insensitively', async () => {
    for (const v of ['1.9.0', '1.10.0', '1.2.0', '1.10.0-rc.1']) await registry.publish(firewall, { name: 'acme/firewall', version: v });
    await registry.publish(fwStrict, { name: 'acme/fw-strict', version: '1.0.0', tags: ['latest'] });
    await registry.publish(l2switch, { name: 'net/switch', version: '0.1.0', description: 'An L2 learning switch' });
    expect(await registry.list()).toEqual([
      { repository: 'acme/firewall', versions: ['1.2.0', '1.9.0', '1.10.0-rc.1', '1.10.0'], tags: [] },
      { repository: 'acme/fw-strict', versions: ['1.0.0'], tags: ['latest'] },
      { repository: 'net/switch', versions: ['0.1.0'], tags: [] },
    ]);
    expect(await registry.versions('acme/firewall')).toEqual(['1.2.0', '1.9.0', '1.10.0-rc.1', '1.10.0']);
    expect(await registry.versions('acme/nothing')).toEqual([]);

    const names = async (q: string): Promise<string[]> => (await registry.search(q)).map((h) => h.repository);
    expect(await names('DEFAULT-deny')).toEqual(['acme/fw-strict']);
    expect(await names('firewall')).toEqual(['acme/firewall', 'acme/fw-strict']);
    expect(await names('l2-switch')).toEqual(['net/switch']); // the NF's own name
    expect(await names('learning')).toEqual(['net/switch']); // the description given at publish
    expect(await names('net/')).toEqual(['net/switch']);
    expect(await names('no such thing')).toEqual([]);
    const [hit] = await registry.search('fw-strict');
    expect(hit).toEqual({ repository: 'acme/fw-strict', versions: ['1.0.0'], tags: ['latest'], nfName: 'acme/fw-strict', description: fwStrict.toIR().description });
  });

  it('installs an NF from the registry onto a running hypervisor, where it processes packets as the original does', async () => {
    const published = await registry.publish(tenantA, { name: 'acme/tenant-a', version: '1.0.0', tags: ['latest'] });
    const { updates, packets, want } = await tenantASetup();
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp({ id: 1, name: 'tenant-a', ports: [1, 2, 3, 4], multicastGroups: [1] });
    hv.setClassifier([1, 2, 3, 4].map((port) => ({ kind: 'port' as const, port, vpdp: 1 })));

    const { report, pulled } = await installFromRegistry(hv, 1, 'acme/tenant-a:latest', registry, { entries: updates });
    expect(report.vpdp).toBe(1);
    expect(report.policy).toBe('tenant-a');
    expect(report.programs.map((p) => p.program)).toEqual(['l2-switch', 'firewall']);
    expect(pulled.irDigest).toBe(published.irDigest);
    expect(pulled.manifestDigest).toBe(published.manifestDigest);
    const got = packets.map((p) => outcome(hv.process(p)));
    expect(got).toEqual(want);
    expect(got.filter((o) => o.outputs.length > 0).length).toBeGreaterThan(5);
    expect(got.some((o) => o.dropped !== null)).toBe(true);
  });

  it('a tampered IR reaching the hypervisor is refused by its own digest check, and nothing is installed', async () => {
    await registry.publish(tenantA, { name: 'acme/tenant-a', version: '1.0.0' });
    await registry.publish(firewall, { name: 'acme/firewall', version: '1.0.0' });
    const { updates, packets, want } = await tenantASetup();
    const hv = new Hypervisor({ executor: new ReferenceSlotEngine() });
    hv.createVpdp({ id: 1, name: 'tenant-a', ports: [1, 2, 3, 4], multicastGroups: [1] });
    hv.createVpdp({ id: 2, name: 'empty', ports: [5] });
    hv.setClassifier([...[1, 2, 3, 4].map((port) => ({ kind: 'port' as const, port, vpdp: 1 })), { kind: 'port' as const, port: 5, vpdp: 2 }]);
    await installFromRegistry(hv, 1, 'acme/tenant-a@1.0.0', registry, { entries: updates });
    const epoch = hv.epoch.number;
    const onEmpty = outcome(hv.process({ port: 5, data: packets[0]!.data }));

    // the IR changed after the registry verified it (a bug, or memory the process does not own)
    class Tampering extends Registry {
      override async pull(ref: string | NfReference): Promise<PulledNf> {
        const p = await super.pull(ref);
        return { ...p, ir: { ...p.ir, description: 'changed after verification' } };
      }
    }
    const tampering = new Tampering(store);
    for (const [vpdp, ref] of [
      [1, 'acme/tenant-a@1.0.0'],
      [2, 'acme/firewall@1.0.0'],
    ] as const) {
      const e = await rejection(installFromRegistry(hv, vpdp, ref, tampering));
      expect(e.code).toBe('DATA_LOSS');
      expect(e.message).toContain('nothing was installed');
      expect(e.message).toContain((await registry.pull(ref)).irDigest);
    }
    expect(hv.epoch.number).toBe(epoch);
    expect(packets.map((p) => outcome(hv.process(p)))).toEqual(want);
    expect(outcome(hv.process({ port: 5, data: packets[0]!.data }))).toEqual(onEmpty);
  });
});

/** A result as compared: drop reason and outputs with their bytes in hex. */
const outcome = (r: { readonly dropped?: string | undefined; readonly outputs: readonly PacketOut[] }) => ({
  dropped: r.dropped ?? null,
  outputs: r.outputs.map((o) => ({ port: o.port, instance: o.instance, rid: o.rid ?? null, data: hex(o.data) })),
});

/** Tenant A's shipped entries and capture, and what the native reference does with them (the original policy, not the pulled one). */
async function tenantASetup(): Promise<{ updates: readonly Update[]; packets: PacketIn[]; want: ReturnType<typeof outcome>[] }> {
  const file = join(CAPTURES, 'tenant-a.entries.yaml');
  const pipeline = loadPipeline(tenantA);
  const { updates } = entriesToUpdates(parseEntriesFile(await readFile(file, 'utf8'), file), pipeline, file);
  const packets = (await readCaptureAll(join(CAPTURES, 'tenant-a.pcap'))).map((p) => ({ port: 1, data: p.data }));
  const native = new ReferenceTarget();
  native.load(pipeline);
  const w = native.write(updates, { atomicity: 'rollbackOnError' });
  if (!w.ok) throw new Error(`native: entries refused: ${JSON.stringify(w.results.filter((r) => !r.ok))}`);
  return { updates, packets, want: packets.map((p) => outcome(native.process(p))) };
}
