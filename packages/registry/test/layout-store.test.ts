/**
 * The embedded store, an OCI image-layout directory: what it writes is a
 * valid layout, writes are atomic (a crash leaves nothing half-written
 * visible), index.json updates are serialised across promises and across
 * processes (an immutable tag is won by exactly one writer, no tag is
 * lost), and a directory that is not a layout, or whose index is corrupt,
 * is refused by name.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MpvisorError } from '@mpvisor/mpapi';
import { LayoutStore, sha256 } from '@mpvisor/registry';
import { runWorker } from './support/worker.js';

const REGISTRY_SRC = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const MT = 'application/vnd.oci.image.manifest.v1+json';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mpvisor-layout-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const hexOf = (digest: string): string => digest.slice('sha256:'.length);

async function rejection(p: Promise<unknown>): Promise<MpvisorError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MpvisorError) return e;
    throw new Error(`expected an MpvisorError, got ${String(e)}`);
  }
  throw new Error('expected a rejection, got a result');
}

/** A manifest-like document with a marker, so different writers put different bytes. */
const manifestBytes = (marker: string): Uint8Array => bytes(JSON.stringify({ schemaVersion: 2, mediaType: MT, marker }));

describe('LayoutStore', () => {
  it('creates nothing until written, then writes a valid OCI image layout with one ref name per tag', async () => {
    const dir = join(tmp, 'project', '.mpvisor', 'registry');
    const store = new LayoutStore(dir);
    expect(await store.listRepositories()).toEqual([]);
    expect(await store.listTags('acme/fw')).toEqual([]);
    expect(await store.hasBlob('acme/fw', sha256('x'))).toBe(false);
    await expect(stat(dir)).rejects.toThrow();

    const blob = bytes('{"hello":"world"}');
    await store.putBlob('acme/fw', sha256(blob), blob, 'application/json');
    const m = manifestBytes('one');
    const digest = await store.putManifest('acme/fw', '1.0.0', m, MT, { immutable: true });
    await store.putManifest('acme/fw', 'latest', m, MT, { immutable: false });
    await store.putManifest('other/nf', '0.1.0', manifestBytes('two'), MT, { immutable: true });

    expect(digest).toBe(sha256(m));
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { schemaVersion: number; mediaType: string; manifests: { digest: string; size: number; mediaType: string; annotations: Record<string, string> }[] };
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((e) => e.annotations['org.opencontainers.image.ref.name']).sort()).toEqual(['acme/fw:1.0.0', 'acme/fw:latest', 'other/nf:0.1.0']);
    expect(index.manifests.find((e) => e.annotations['org.opencontainers.image.ref.name'] === 'acme/fw:1.0.0')).toEqual({
      mediaType: MT,
      digest,
      size: m.length,
      annotations: { 'org.opencontainers.image.ref.name': 'acme/fw:1.0.0' },
    });
    // every blob is named by the sha256 of its content, and no temp or lock file is left
    const blobs = await readdir(join(dir, 'blobs', 'sha256'));
    expect(blobs.sort()).toEqual([hexOf(sha256(blob)), hexOf(digest), hexOf(sha256(manifestBytes('two')))].sort());
    for (const f of blobs) expect(sha256(await readFile(join(dir, 'blobs', 'sha256', f)))).toBe(`sha256:${f}`);
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);

    expect(await store.listRepositories()).toEqual(['acme/fw', 'other/nf']);
    expect(await store.listTags('acme/fw')).toEqual(['1.0.0', 'latest']);
    expect(Buffer.from(await store.getBlob('acme/fw', sha256(blob))).toString()).toBe('{"hello":"world"}');
    const got = await store.getManifest('acme/fw', 'latest');
    expect(got).toEqual({ bytes: m, mediaType: MT, digest });
    expect((await store.getManifest('acme/fw', digest)).digest).toBe(digest);
  });

  it('a manifest by digest is found only in a repository that holds it', async () => {
    const store = new LayoutStore(tmp);
    const digest = await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    expect((await store.getManifest('acme/fw', digest)).bytes).toEqual(manifestBytes('a'));
    const e = await rejection(store.getManifest('other/nf', digest));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`other/nf@${digest}`);
  });

  it('refuses a blob whose bytes do not match its digest, and writes nothing', async () => {
    const store = new LayoutStore(tmp);
    const wrong = sha256('something else');
    const e = await rejection(store.putBlob('acme/fw', wrong, bytes('content'), 'application/json'));
    expect(e.code).toBe('DATA_LOSS');
    expect(e.message).toContain(`expected ${wrong}`);
    expect(e.message).toContain(`got ${sha256('content')}`);
    expect(await store.hasBlob('acme/fw', wrong)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
    const bad = await rejection(store.putBlob('acme/fw', 'sha256:xyz', bytes('content'), 'application/json'));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect((await rejection(store.putBlob('Acme/FW', sha256('content'), bytes('content'), 'x'))).code).toBe('INVALID_ARGUMENT');
  });

  it('reports what is absent as NOT_FOUND, naming it and the store', async () => {
    const store = new LayoutStore(tmp);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const blob = sha256('nothing');
    const e1 = await rejection(store.getBlob('acme/fw', blob));
    expect(e1.code).toBe('NOT_FOUND');
    expect(e1.message).toContain(blob);
    expect(e1.message).toContain(tmp);
    const e2 = await rejection(store.getManifest('acme/fw', '2.0.0'));
    expect(e2.code).toBe('NOT_FOUND');
    expect(e2.message).toContain('acme/fw@2.0.0');
    const e3 = await rejection(store.getManifest('acme/fw', 'stable'));
    expect(e3.message).toContain('acme/fw:stable');
  });

  it('an immutable tag is refused once it exists, naming the reference and the digest it has; a movable tag moves', async () => {
    const store = new LayoutStore(tmp);
    const first = await store.putManifest('acme/fw', '1.0.0', manifestBytes('first'), MT, { immutable: true });
    for (const m of [manifestBytes('second'), manifestBytes('first')]) {
      const e = await rejection(store.putManifest('acme/fw', '1.0.0', m, MT, { immutable: true }));
      expect(e.code).toBe('ALREADY_EXISTS');
      expect(e.message).toContain('acme/fw@1.0.0');
      expect(e.message).toContain(first);
    }
    expect((await store.getManifest('acme/fw', '1.0.0')).bytes).toEqual(manifestBytes('first'));

    await store.putManifest('acme/fw', 'latest', manifestBytes('first'), MT, { immutable: false });
    const second = await store.putManifest('acme/fw', 'latest', manifestBytes('second'), MT, { immutable: false });
    expect((await store.getManifest('acme/fw', 'latest')).digest).toBe(second);
    expect(await store.listTags('acme/fw')).toEqual(['1.0.0', 'latest']);
  });

  it('of concurrent immutable puts of one tag in one process, exactly one succeeds', async () => {
    const stores = [new LayoutStore(tmp), new LayoutStore(tmp)];
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => stores[i % 2]!.putManifest('acme/fw', '1.0.0', manifestBytes(`writer ${i}`), MT, { immutable: true })),
    );
    const won = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(11);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(MpvisorError);
      expect((r.reason as MpvisorError).code).toBe('ALREADY_EXISTS');
      expect((r.reason as MpvisorError).message).toContain(won[0]!.value);
    }
    expect((await new LayoutStore(tmp).getManifest('acme/fw', '1.0.0')).digest).toBe(won[0]!.value);
  });

  it('concurrent puts of different tags all land: no update of index.json is lost', async () => {
    const store = new LayoutStore(tmp);
    const tags = Array.from({ length: 30 }, (_, i) => `1.0.${i}`);
    await Promise.all(tags.map((tag) => store.putManifest('acme/fw', tag, manifestBytes(tag), MT, { immutable: true })));
    expect(await store.listTags('acme/fw')).toEqual([...tags].sort());
    for (const tag of tags) expect((await store.getManifest('acme/fw', tag)).bytes).toEqual(manifestBytes(tag));
  });

  it('writers in separate processes: exactly one wins an immutable tag, and no tag is lost', async () => {
    const worker = join(tmp, 'worker.mts');
    await writeFile(
      worker,
      `const { LayoutStore } = await import(${JSON.stringify(REGISTRY_SRC)});
const [dir, id, startAt] = process.argv.slice(2);
const store = new LayoutStore(dir);
const m = (s) => new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, marker: s }));
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const contested = store.putManifest('acme/fw', '1.0.0', m('contested by ' + id), 'application/vnd.oci.image.manifest.v1+json', { immutable: true })
  .then((d) => ({ ok: true, digest: d }), (e) => ({ ok: false, code: e.code, message: e.message }));
const own = Promise.all(Array.from({ length: 8 }, (_, i) => store.putManifest('w' + id + '/nf', 'v' + i, m(id + '/' + i), 'application/vnd.oci.image.manifest.v1+json', { immutable: false })));
const [result] = await Promise.all([contested, own]);
console.log(JSON.stringify(result));
`,
    );
    const dir = join(tmp, 'layout');
    const startAt = Date.now() + 2_500;
    const runs = await Promise.all([0, 1, 2].map((id) => runWorker(worker, [dir, String(id), String(startAt)])));
    const results = runs.map((out) => JSON.parse(out) as { ok: boolean; digest?: string; code?: string; message?: string });
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = results.find((r) => r.ok)!.digest!;
    for (const r of results.filter((x) => !x.ok)) {
      expect(r.code).toBe('ALREADY_EXISTS');
      expect(r.message).toContain(winner);
    }
    const store = new LayoutStore(dir);
    expect(await store.listRepositories()).toEqual(['acme/fw', 'w0/nf', 'w1/nf', 'w2/nf']);
    for (const id of [0, 1, 2]) expect(await store.listTags(`w${id}/nf`)).toEqual(Array.from({ length: 8 }, (_, i) => `v${i}`));
    expect((await store.getManifest('acme/fw', '1.0.0')).digest).toBe(winner);
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  }, 60_000);

  it('a temp file left by a crashed write is invisible and breaks neither reads nor later writes', async () => {
    const store = new LayoutStore(tmp);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const blob = bytes('the whole blob, of which a crash wrote only part');
    const digest = sha256(blob);
    // a writer died mid-write: part of the blob in its temp file, and a half-written index beside index.json
    await writeFile(join(tmp, 'blobs', 'sha256', `.${hexOf(digest)}.4242.abcdef.tmp`), blob.slice(0, 10));
    await writeFile(join(tmp, `.index.json.4242.abcdef.tmp`), '{"schemaVersion":2,"manif');
    expect(await store.hasBlob('acme/fw', digest)).toBe(false);
    expect((await rejection(store.getBlob('acme/fw', digest))).code).toBe('NOT_FOUND');
    const fresh = new LayoutStore(tmp);
    expect(await fresh.listTags('acme/fw')).toEqual(['1.0.0']);

    await fresh.putBlob('acme/fw', digest, blob, 'application/octet-stream');
    expect(await fresh.getBlob('acme/fw', digest)).toEqual(blob);
    await fresh.putManifest('acme/fw', '1.0.1', manifestBytes('b'), MT, { immutable: true });
    expect(await fresh.listTags('acme/fw')).toEqual(['1.0.0', '1.0.1']);
  });

  it('a crash before the first write completed leaves a directory that is still an empty layout', async () => {
    await writeFile(join(tmp, '.oci-layout.4242.abcdef.tmp'), '{"imageLay');
    const store = new LayoutStore(tmp);
    expect(await store.listRepositories()).toEqual([]);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    expect(await new LayoutStore(tmp).listTags('acme/fw')).toEqual(['1.0.0']);
  });

  it('a damaged blob is replaced when the same content is put again', async () => {
    const store = new LayoutStore(tmp);
    const blob = bytes('{"ir":true}');
    const digest = sha256(blob);
    await store.putBlob('acme/fw', digest, blob, 'application/json');
    const file = join(tmp, 'blobs', 'sha256', hexOf(digest));
    await writeFile(file, 'damaged');
    await store.putBlob('acme/fw', digest, blob, 'application/json');
    expect(new Uint8Array(await readFile(file))).toEqual(blob);
  });

  it('a lock left by a dead writer is broken; a live writer’s lock makes others wait, then give up with UNAVAILABLE', async () => {
    const store = new LayoutStore(tmp, { lockTimeoutMs: 300 });
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const lock = join(tmp, '.index.json.lock');

    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lock, JSON.stringify({ pid: deadPid, host: hostname(), id: 'dead' }));
    await store.putManifest('acme/fw', '1.0.1', manifestBytes('b'), MT, { immutable: true });
    await expect(stat(lock)).rejects.toThrow();

    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), id: 'alive' }));
    const e = await rejection(store.putManifest('acme/fw', '1.0.2', manifestBytes('c'), MT, { immutable: true }));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain(lock);
    expect(await store.listTags('acme/fw')).toEqual(['1.0.0', '1.0.1']);

    // the same lock, older than any write takes: a writer that hung or a host that went away
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await store.putManifest('acme/fw', '1.0.2', manifestBytes('c'), MT, { immutable: true });
    expect(await store.listTags('acme/fw')).toEqual(['1.0.0', '1.0.1', '1.0.2']);
  });

  it('refuses a directory that is not an OCI image layout, naming the path', async () => {
    await writeFile(join(tmp, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [] }));
    const store = new LayoutStore(tmp);
    for (const op of [() => store.listRepositories(), () => store.getManifest('acme/fw', '1.0.0'), () => store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true })]) {
      const e = await rejection(op());
      expect(e.code).toBe('FAILED_PRECONDITION');
      expect(e.message).toContain(join(tmp, 'oci-layout'));
    }
    expect(await readdir(tmp)).toEqual(['index.json']);

    await writeFile(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '2.0.0' }));
    const e = await rejection(new LayoutStore(tmp).listTags('acme/fw'));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain(join(tmp, 'oci-layout'));
    expect(e.message).toContain('"2.0.0"');

    const file = join(tmp, 'a-file');
    await writeFile(file, 'not a directory');
    expect((await rejection(new LayoutStore(file).listRepositories())).code).toBe('FAILED_PRECONDITION');
  });

  it('refuses a corrupt index.json with DATA_LOSS naming the file, and never overwrites it', async () => {
    const store = new LayoutStore(tmp);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const index = join(tmp, 'index.json');
    for (const corrupt of ['{"schemaVersion":2,"manifests":[{"digest":', JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'sha256:00', size: 'big' }] })]) {
      await writeFile(index, corrupt);
      for (const op of [() => store.listTags('acme/fw'), () => store.getManifest('acme/fw', '1.0.0'), () => store.putManifest('acme/fw', 'latest', manifestBytes('b'), MT, { immutable: false })]) {
        const e = await rejection(op());
        expect(e.code).toBe('DATA_LOSS');
        expect(e.message).toContain(index);
      }
      expect(await readFile(index, 'utf8')).toBe(corrupt);
    }
  });

  it('an index entry pointing outside blobs/sha256 is refused, not followed', async () => {
    const store = new LayoutStore(tmp);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const index = join(tmp, 'index.json');
    const doc = JSON.parse(await readFile(index, 'utf8')) as { manifests: { digest: string }[] };
    doc.manifests[0]!.digest = 'sha256:../../../../etc/passwd';
    await writeFile(index, JSON.stringify(doc));
    const e = await rejection(store.getManifest('acme/fw', '1.0.0'));
    expect(e.code).toBe('DATA_LOSS');
    expect(e.message).toContain(index);
  });

  it('keeps the entries and fields of other tools in index.json, and lists only scope/name:tag references', async () => {
    await mkdir(join(tmp, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const foreign = [
      { mediaType: MT, digest: sha256('x'), size: 1, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
      { mediaType: MT, digest: sha256('y'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    ];
    await writeFile(join(tmp, 'index.json'), JSON.stringify({ schemaVersion: 2, annotations: { owner: 'someone' }, manifests: foreign }));
    const store = new LayoutStore(tmp);
    expect(await store.listRepositories()).toEqual([]);
    await store.putManifest('acme/fw', '1.0.0', manifestBytes('a'), MT, { immutable: true });
    const doc = JSON.parse(await readFile(join(tmp, 'index.json'), 'utf8')) as { annotations: unknown; manifests: unknown[] };
    expect(doc.annotations).toEqual({ owner: 'someone' });
    expect(doc.manifests.slice(0, 2)).toEqual(foreign);
    expect(await store.listRepositories()).toEqual(['acme/fw']);
  });
});
