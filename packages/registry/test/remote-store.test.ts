/**
 * RemoteStore against a real OCI distribution registry (Debian's
 * `docker-registry`, started on loopback by test/support/registry-server.ts):
 * push and pull byte for byte, tags, catalog, immutable and movable tags,
 * basic and bearer-token auth and their failures; plus the transport rules
 * (bounded retries, timeouts, plain http only to loopback) and the
 * credentials file. A missing docker-registry fails these tests; it never
 * skips them (scripts/ensure-system-deps.sh installs it).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { digestOf, MpvisorError } from '@mpvisor/mpapi';
import {
  credentialsFromEnv,
  defaultCredentialsFile,
  LayoutStore,
  loadCredentials,
  login,
  MANIFEST_MEDIA_TYPE,
  NF_ARTIFACT_TYPE,
  NF_CONFIG_MEDIA_TYPE,
  NF_IR_MEDIA_TYPE,
  openStore,
  Registry,
  RemoteStore,
  removeCredentials,
  saveCredentials,
  sha256,
  type Credentials,
} from '@mpvisor/registry';
import { programs } from '../../../examples/nfs/index.js';
import { freePort, startRegistryServer, type RegistryServer } from './support/registry-server.js';

// ---------------------------------------------------------------- helpers

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

interface Artifact {
  readonly blobs: readonly (readonly [digest: string, bytes: Uint8Array, mediaType: string])[];
  readonly manifest: Uint8Array;
  readonly digest: string;
}

/** An NF-shaped OCI artifact: config and IR layer blobs and an image manifest with our artifactType. */
function artifact(name: string, note = ''): Artifact {
  const config = utf8(JSON.stringify({ irVersion: 1, kind: 'program', name, irDigest: 'sha256:0', lineage: [] }));
  const layer = utf8(JSON.stringify({ irVersion: 1, kind: 'program', name, note }));
  const manifest = utf8(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      artifactType: NF_ARTIFACT_TYPE,
      config: { mediaType: NF_CONFIG_MEDIA_TYPE, digest: sha256(config), size: config.length },
      layers: [{ mediaType: NF_IR_MEDIA_TYPE, digest: sha256(layer), size: layer.length }],
      annotations: { 'org.opencontainers.image.title': name, note },
    }),
  );
  return {
    blobs: [
      [sha256(config), config, NF_CONFIG_MEDIA_TYPE],
      [sha256(layer), layer, NF_IR_MEDIA_TYPE],
    ],
    manifest,
    digest: sha256(manifest),
  };
}

async function push(store: RemoteStore, repository: string, tag: string, a: Artifact, immutable = true): Promise<string> {
  for (const [digest, bytes, mediaType] of a.blobs) await store.putBlob(repository, digest, bytes, mediaType);
  return store.putManifest(repository, tag, a.manifest, MANIFEST_MEDIA_TYPE, { immutable });
}

interface Call {
  readonly method: string;
  readonly url: string;
  readonly status?: number;
}

/**
 * The global fetch, recording every call; `around` may rewrite the answer
 * (or act before returning it), standing in for a registry that differs
 * from distribution in that one respect.
 */
function recordingFetch(around?: (call: Call, res: Response) => Promise<Response> | Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const call = { method: init?.method ?? 'GET', url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url };
    let res: Response;
    try {
      res = await fetch(input, init);
    } catch (e) {
      calls.push(call);
      throw e;
    }
    calls.push({ ...call, status: res.status });
    return around !== undefined ? around(call, res) : res;
  };
  return { fetch: wrapped, calls };
}

/** A copy of `res` with some headers replaced (headers of a fetched Response are immutable). */
async function withHeaders(res: Response, changes: Record<string, string>): Promise<Response> {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(changes)) headers.set(k, v);
  const body = res.status === 204 || res.status === 201 || res.status === 202 ? null : await res.arrayBuffer();
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

async function rejection(promise: Promise<unknown>): Promise<MpvisorError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(MpvisorError);
    return e as MpvisorError;
  }
  throw new Error('expected a rejection');
}

function rejectionSync(fn: () => unknown): MpvisorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MpvisorError);
    return e as MpvisorError;
  }
  throw new Error('expected an error');
}

// ---------------------------------------------------------------- basic auth (htpasswd)

describe('RemoteStore with a real distribution registry (htpasswd basic auth)', () => {
  let server: RegistryServer;
  let creds: Credentials;
  let store: RemoteStore;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-remote-test-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    server = await startRegistryServer({ auth: 'htpasswd' });
    creds = { username: server.username, password: server.password };
    store = new RemoteStore(server.url, { credentials: creds });
  });
  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('pushes blobs and an OCI artifact manifest and pulls them back byte-identical', async () => {
    const a = artifact('firewall');
    const digest = await push(store, 'acme/firewall', '1.0.0', a);
    expect(digest).toBe(a.digest);

    for (const ref of ['1.0.0', a.digest]) {
      const got = await store.getManifest('acme/firewall', ref);
      expect(Buffer.from(got.bytes).equals(Buffer.from(a.manifest))).toBe(true);
      expect(got.mediaType).toBe(MANIFEST_MEDIA_TYPE);
      expect(got.digest).toBe(a.digest);
    }
    for (const [d, bytes] of a.blobs) {
      expect(await store.hasBlob('acme/firewall', d)).toBe(true);
      expect(Buffer.from(await store.getBlob('acme/firewall', d)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('checks with HEAD and skips uploading a blob the registry already has', async () => {
    const a = artifact('skip');
    const { fetch, calls } = recordingFetch();
    const counted = new RemoteStore(server.url, { credentials: creds, fetch });
    const [digest, bytes, mediaType] = a.blobs[0]!;
    await counted.putBlob('acme/skip', digest, bytes, mediaType);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    calls.length = 0;
    await counted.putBlob('acme/skip', digest, bytes, mediaType);
    expect(calls.map((c) => c.method)).toEqual(['HEAD']);
  });

  it('refuses a blob whose bytes do not match its digest before sending anything (DATA_LOSS)', async () => {
    const { fetch, calls } = recordingFetch();
    const counted = new RemoteStore(server.url, { credentials: creds, fetch });
    const e = await rejection(counted.putBlob('acme/bad', sha256('other'), utf8('bytes'), NF_IR_MEDIA_TYPE));
    expect(e.code).toBe('DATA_LOSS');
    expect(calls).toHaveLength(0);
  });

  it('uploads through a relative Location that carries its own query string', async () => {
    const a = artifact('relative');
    const { fetch, calls } = recordingFetch(async (call, res) => {
      const location = res.headers.get('location');
      if (call.method !== 'POST' || location === null) return res;
      const absolute = new URL(location);
      return withHeaders(res, { location: `${absolute.pathname}${absolute.search}` });
    });
    const relative = new RemoteStore(server.url, { credentials: creds, fetch });
    const [digest, bytes, mediaType] = a.blobs[1]!;
    await relative.putBlob('acme/relative', digest, bytes, mediaType);
    const put = calls.find((c) => c.method === 'PUT' && c.status === 201);
    expect(put?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/relative\/blobs\/uploads\/[^?]+\?_state=[^&]+&digest=sha256%3A[0-9a-f]{64}$/);
    expect(Buffer.from(await store.getBlob('acme/relative', digest)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('lists tags sorted, and none for a repository that does not exist', async () => {
    const a = artifact('tags');
    await push(store, 'acme/tags', '1.10.0', a);
    await push(store, 'acme/tags', '1.2.0', a);
    await push(store, 'acme/tags', 'latest', a, false);
    expect(await store.listTags('acme/tags')).toEqual(['1.10.0', '1.2.0', 'latest']);
    expect(await store.listTags('acme/never-pushed')).toEqual([]);
  });

  it('lists repositories from the catalog, following n/Link pagination', async () => {
    for (const name of ['cat-b', 'cat-a', 'cat-c']) await push(store, `pages/${name}`, 'latest', artifact(name), false);
    // Ask for one repository per page, so every page after the first comes from the Link header.
    const { fetch, calls } = recordingFetch();
    const paging: typeof fetch = (input, init) => fetch(typeof input === 'string' ? input.replace('_catalog?n=1000', '_catalog?n=1') : input, init);
    const paged = new RemoteStore(server.url, { credentials: creds, fetch: paging });
    const all = await paged.listRepositories();
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(['pages/cat-a', 'pages/cat-b', 'pages/cat-c', 'acme/firewall']));
    const pages = calls.filter((c) => c.url.includes('/v2/_catalog') && c.status === 200);
    // One repository per page; distribution may end with one more, empty page.
    expect(pages.length).toBeGreaterThanOrEqual(all.length);
    expect(pages.length).toBeLessThanOrEqual(all.length + 1);
    expect(pages.slice(1).every((c) => c.url.includes('last='))).toBe(true);
    expect(await store.listRepositories()).toEqual(all);
  });

  it('refuses to overwrite an immutable tag (ALREADY_EXISTS names the tag and its digest)', async () => {
    const first = artifact('immutable', 'first');
    await push(store, 'acme/immutable', '1.0.0', first);
    const second = artifact('immutable', 'second');
    const e = await rejection(push(store, 'acme/immutable', '1.0.0', second));
    expect(e.code).toBe('ALREADY_EXISTS');
    expect(e.message).toContain('acme/immutable:1.0.0');
    expect(e.message).toContain(first.digest);
    expect((await store.getManifest('acme/immutable', '1.0.0')).digest).toBe(first.digest);
  });

  it('moves a movable tag', async () => {
    const one = artifact('movable', 'one');
    const two = artifact('movable', 'two');
    expect(await push(store, 'acme/movable', 'latest', one, false)).toBe(one.digest);
    expect(await push(store, 'acme/movable', 'latest', two, false)).toBe(two.digest);
    expect((await store.getManifest('acme/movable', 'latest')).digest).toBe(two.digest);
    // the old manifest stays reachable by digest
    expect((await store.getManifest('acme/movable', one.digest)).digest).toBe(one.digest);
  });

  it('detects an immutable tag that another publisher wrote between our PUT and our check (check-put-verify)', async () => {
    const ours = artifact('race', 'ours');
    const theirs = artifact('race', 'theirs');
    const other = new RemoteStore(server.url, { credentials: creds });
    for (const [d, bytes, mt] of theirs.blobs) await other.putBlob('acme/race', d, bytes, mt);
    const { fetch } = recordingFetch(async (call, res) => {
      // The other publisher's PUT lands right after ours, before we re-read the tag.
      if (call.method === 'PUT' && call.url.endsWith('/manifests/1.0.0') && res.status === 201) {
        await other.putManifest('acme/race', '1.0.0', theirs.manifest, MANIFEST_MEDIA_TYPE, { immutable: false });
      }
      return res;
    });
    const racing = new RemoteStore(server.url, { credentials: creds, fetch });
    const e = await rejection(push(racing, 'acme/race', '1.0.0', ours));
    expect(e.code).toBe('ALREADY_EXISTS');
    expect(e.message).toContain('conflict: acme/race:1.0.0 was published concurrently');
    expect(e.message).toContain(theirs.digest);
  });

  it('reports a registry that stored other bytes than it was sent (Docker-Content-Digest mismatch → DATA_LOSS)', async () => {
    const a = artifact('mismatch');
    const wrong = sha256('something else');
    const { fetch } = recordingFetch((call, res) => (call.method === 'PUT' && call.url.includes('/manifests/') ? withHeaders(res, { 'docker-content-digest': wrong }) : res));
    const lying = new RemoteStore(server.url, { credentials: creds, fetch });
    const e = await rejection(push(lying, 'acme/mismatch', 'latest', a, false));
    expect(e.code).toBe('DATA_LOSS');
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(a.digest);
  });

  it('answers NOT_FOUND naming the repository and the reference', async () => {
    const tag = await rejection(store.getManifest('acme/firewall', '9.9.9'));
    expect(tag.code).toBe('NOT_FOUND');
    expect(tag.message).toContain('acme/firewall:9.9.9');
    const digest = sha256('absent');
    const byDigest = await rejection(store.getManifest('acme/nowhere', digest));
    expect(byDigest.code).toBe('NOT_FOUND');
    expect(byDigest.message).toContain(`acme/nowhere@${digest}`);
    const blob = await rejection(store.getBlob('acme/firewall', digest));
    expect(blob.code).toBe('NOT_FOUND');
    expect(blob.message).toContain(`blob ${digest} in repository acme/firewall`);
    expect(await store.hasBlob('acme/firewall', digest)).toBe(false);
  });

  it('refuses a manifest whose blobs were never pushed (FAILED_PRECONDITION with the registry’s reason)', async () => {
    const a = artifact('orphan');
    const e = await rejection(store.putManifest('acme/orphan', '1.0.0', a.manifest, MANIFEST_MEDIA_TYPE, { immutable: true }));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain('MANIFEST_BLOB_UNKNOWN');
  });

  it('without credentials: UNAUTHENTICATED, telling to log in', async () => {
    const anonymous = new RemoteStore(server.url);
    const e = await rejection(anonymous.listTags('acme/firewall'));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain(`registry ${server.url} requires authentication; run \`mpvisor login ${server.url}\``);
  });

  it('with a wrong password: UNAUTHENTICATED naming the user, and no second try with the same password', async () => {
    const { fetch, calls } = recordingFetch();
    const wrong = new RemoteStore(server.url, { credentials: { username: server.username, password: 'wrong' }, fetch });
    const e = await rejection(wrong.getManifest('acme/firewall', '1.0.0'));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain(`registry ${server.url} rejected the credentials for ${server.username}`);
    expect(calls.map((c) => c.status)).toEqual([401, 401]);
    // The scheme is known now: later requests send the credentials up front, once.
    calls.length = 0;
    await rejection(wrong.listTags('acme/firewall'));
    expect(calls.map((c) => c.status)).toEqual([401]);
  });

  it('login checks the credentials before saving them (mode 0600), and openStore uses them', async () => {
    const file = join(tempDir(), 'conf', 'credentials.json');
    const bad = await rejection(login(server.url, { username: server.username, password: 'nope' }, { credentialsFile: file }));
    expect(bad.code).toBe('UNAUTHENTICATED');
    expect(() => statSync(file)).toThrow();

    await login(server.url, creds, { credentialsFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadCredentials(server.url, file, {})).toEqual(creds);

    const opened = openStore(server.url, { credentialsFile: file });
    expect(opened).toBeInstanceOf(RemoteStore);
    expect(opened.location).toBe(server.url);
    expect(await opened.listTags('acme/firewall')).toContain('1.0.0');
  });

  it('openStore: the environment overrides the credentials file', async () => {
    const file = join(tempDir(), 'credentials.json');
    saveCredentials(server.url, { username: server.username, password: 'stale' }, file);
    vi.stubEnv('MPVISOR_REGISTRY_TOKEN', '');
    vi.stubEnv('MPVISOR_REGISTRY_USER', server.username);
    vi.stubEnv('MPVISOR_REGISTRY_PASSWORD', server.password);
    expect(await openStore(server.url, { credentialsFile: file }).listTags('acme/firewall')).toContain('1.0.0');
    vi.stubEnv('MPVISOR_REGISTRY_PASSWORD', 'also-wrong');
    expect((await rejection(openStore(server.url, { credentialsFile: file }).listTags('acme/firewall'))).code).toBe('UNAUTHENTICATED');
  });

  it('recovers from a transient 503 by retrying', async () => {
    let failures = 1;
    const { fetch, calls } = recordingFetch(async (_call, res) => {
      if (failures-- > 0) {
        await res.body?.cancel();
        return new Response('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}', { status: 503 });
      }
      return res;
    });
    const flaky = new RemoteStore(server.url, { credentials: creds, fetch, retryDelayMs: 1 });
    expect(await flaky.listTags('acme/firewall')).toContain('1.0.0');
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it('publishes an example NF through Registry and pulls it back verified', async () => {
    const registry = new Registry(new RemoteStore(server.url, { credentials: creds }));
    const published = await registry.publish(programs.firewall, { name: 'examples/firewall', version: '1.0.0', tags: ['latest'] });
    expect(published.reference).toBe('examples/firewall@1.0.0');
    for (const ref of ['examples/firewall@1.0.0', 'examples/firewall:latest', `examples/firewall@${published.manifestDigest}`]) {
      const pulled = await registry.pull(ref);
      expect(pulled.manifestDigest).toBe(published.manifestDigest);
      expect(pulled.irDigest).toBe(published.irDigest);
      expect(digestOf(pulled.ir)).toBe(digestOf(programs.firewall.toIR()));
    }
    const again = await rejection(registry.publish(programs.firewall, { name: 'examples/firewall', version: '1.0.0' }));
    expect(again.code).toBe('ALREADY_EXISTS');
    const entry = (await registry.list()).find((r) => r.repository === 'examples/firewall');
    expect(entry).toMatchObject({ versions: ['1.0.0'], tags: ['latest'] });
  });
});

// ---------------------------------------------------------------- bearer tokens

describe('RemoteStore with a real distribution registry (bearer token auth)', () => {
  let server: RegistryServer;
  let creds: Credentials;

  beforeAll(async () => {
    server = await startRegistryServer({ auth: 'token' });
    creds = { username: server.username, password: server.password };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('exchanges the user name and password for tokens, caches them per scope, and pushes, pulls and lists', async () => {
    const tokens = server.tokenServer!;
    const store = new RemoteStore(server.url, { credentials: creds });
    const a = artifact('bearer');
    expect(await push(store, 'acme/bearer', '1.0.0', a)).toBe(a.digest);
    const got = await store.getManifest('acme/bearer', '1.0.0');
    expect(Buffer.from(got.bytes).equals(Buffer.from(a.manifest))).toBe(true);
    expect(await store.listTags('acme/bearer')).toEqual(['1.0.0']);
    expect(await store.listRepositories()).toContain('acme/bearer');

    // Pull and push scopes of one repository and the catalog: a handful of tokens, each fetched once.
    const issued = tokens.requests;
    expect(issued).toBeLessThanOrEqual(4);
    await store.getManifest('acme/bearer', '1.0.0');
    await store.getBlob('acme/bearer', a.blobs[0]![0]);
    await store.listTags('acme/bearer');
    await store.listRepositories();
    await push(store, 'acme/bearer', 'latest', a, false);
    expect(tokens.requests).toBe(issued);
  });

  it('refuses a wrong password at the token server: UNAUTHENTICATED naming the user', async () => {
    const store = new RemoteStore(server.url, { credentials: { username: server.username, password: 'wrong' } });
    const e = await rejection(store.listTags('acme/bearer'));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain(`rejected the credentials for ${server.username}`);
  });

  it('without credentials: an anonymous token grants nothing, so UNAUTHENTICATED telling to log in', async () => {
    const e = await rejection(new RemoteStore(server.url).listTags('acme/bearer'));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain(`requires authentication; run \`mpvisor login ${server.url}\``);
  });

  it('sends a token credential as the bearer token: a valid one works, a bad one is refused', async () => {
    const good = new RemoteStore(server.url, { credentials: { token: server.tokenServer!.issue(['repository:acme/bearer:pull']) } });
    expect(await good.listTags('acme/bearer')).toEqual(['1.0.0', 'latest']);

    const bad = await rejection(new RemoteStore(server.url, { credentials: { token: 'not.a-valid.token' } }).listTags('acme/bearer'));
    expect(bad.code).toBe('UNAUTHENTICATED');
    expect(bad.message).toContain('rejected the credentials for the token');
  });

  it('reports a valid token without the needed access as PERMISSION_DENIED', async () => {
    const pullOnly = new RemoteStore(server.url, { credentials: { token: server.tokenServer!.issue(['repository:acme/bearer:pull']) } });
    const a = artifact('bearer-denied');
    const [digest, bytes, mediaType] = a.blobs[0]!;
    const e = await rejection(pullOnly.putBlob('acme/bearer', digest, bytes, mediaType));
    expect(e.code).toBe('PERMISSION_DENIED');
    // distribution lists the actions in no fixed order
    expect(e.message).toMatch(/repository:acme\/bearer:(pull,push|push,pull)/);
  });

  it('login follows the bearer challenge to check the credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpvisor-remote-test-'));
    try {
      const file = join(dir, 'credentials.json');
      await login(server.url, creds, { credentialsFile: file });
      expect(loadCredentials(server.url, file, {})).toEqual(creds);
      const e = await rejection(login(server.url, { username: server.username, password: 'wrong' }, { credentialsFile: join(dir, 'other.json') }));
      expect(e.code).toBe('UNAUTHENTICATED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- transport

describe('RemoteStore transport', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `http://127.0.0.1:${address.port}`;
  }

  it('a server that is down: UNAVAILABLE after exactly 1 + retries attempts, naming the URL and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const retries of [0, 2, 4]) {
      const { fetch, calls } = recordingFetch();
      const store = new RemoteStore(url, { retries, retryDelayMs: 5, fetch });
      const started = Date.now();
      const e = await rejection(store.listTags('acme/firewall'));
      expect(e.code).toBe('UNAVAILABLE');
      expect(calls).toHaveLength(1 + retries);
      expect(e.message).toContain(`registry ${url} is unavailable: GET ${url}/v2/acme/firewall/tags/list?n=1000 failed`);
      expect(e.message).toContain('connection refused');
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('defaults to 3 attempts', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { fetch, calls } = recordingFetch();
    const e = await rejection(new RemoteStore(url, { fetch }).hasBlob('acme/firewall', sha256('x')));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('failed 3 times');
    expect(calls).toHaveLength(3);
  });

  it('retries 5xx answers, then UNAVAILABLE with the last status and the server’s reason', async () => {
    let hits = 0;
    const url = await listen((_req, res) => {
      hits++;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"storage backend down"}]}');
    });
    const e = await rejection(new RemoteStore(url, { retries: 2, retryDelayMs: 1 }).getManifest('acme/firewall', '1.0.0'));
    expect(e.code).toBe('UNAVAILABLE');
    expect(hits).toBe(3);
    expect(e.message).toContain('HTTP 503');
    expect(e.message).toContain('storage backend down');
  });

  it('gives up on a server that accepts but never answers, after the timeout of each attempt', async () => {
    let hits = 0;
    const url = await listen(() => {
      hits++; // never answers
    });
    const e = await rejection(new RemoteStore(url, { retries: 1, retryDelayMs: 1, timeoutMs: 200 }).listRepositories());
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('no answer within 200 ms');
    expect(hits).toBe(2);
  });

  it('answers 403 with PERMISSION_DENIED', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
    });
    const e = await rejection(new RemoteStore(url, { credentials: { username: 'u', password: 'p' } }).getBlob('acme/firewall', sha256('x')));
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(e.message).toContain('acme/firewall');
    expect(e.message).toContain('DENIED');
  });

  it('refuses plain http:// to a host other than loopback unless insecure', () => {
    for (const url of ['http://registry.example.com', 'http://10.0.0.5:5000']) {
      const e = rejectionSync(() => new RemoteStore(url));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain('refusing plain http://');
      expect(e.message).toContain('insecure: true');
      expect(new RemoteStore(url, { insecure: true }).location).toBe(url);
    }
    for (const url of ['http://localhost:5000', 'http://127.0.0.1:5000', 'http://[::1]:5000', 'https://registry.example.com']) {
      expect(new RemoteStore(url).location).toBe(url);
    }
    expect(rejectionSync(() => new RemoteStore('https://user:pw@registry.example.com')).code).toBe('INVALID_ARGUMENT');
    expect(rejectionSync(() => new RemoteStore('ftp://registry.example.com')).code).toBe('INVALID_ARGUMENT');
    expect(new RemoteStore('https://registry.example.com/v2/').location).toBe('https://registry.example.com');
  });

  it('refuses repository names and references that are not valid in a URL path', async () => {
    const store = new RemoteStore('https://registry.example.com');
    expect((await rejection(store.getManifest('acme/../x', 'latest'))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(store.getManifest('acme/fw', 'a/b'))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(store.getBlob('acme/fw', 'sha256:../../x'))).code).toBe('INVALID_ARGUMENT');
  });
});

// ---------------------------------------------------------------- credentials and openStore

describe('credentials file and openStore', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mpvisor-credentials-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves, loads and removes credentials per registry origin, in a private file', () => {
    const file = join(dir, 'nested', 'credentials.json');
    expect(loadCredentials('https://a.example', file, {})).toBeUndefined();
    saveCredentials('https://a.example/v2/', { username: 'ann', password: 'pw:with:colons' }, file);
    saveCredentials('https://b.example:5000', { token: 'tok' }, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadCredentials('https://a.example', file, {})).toEqual({ username: 'ann', password: 'pw:with:colons' });
    expect(loadCredentials('https://b.example:5000/anything', file, {})).toEqual({ token: 'tok' });
    expect(loadCredentials('https://b.example', file, {})).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      registries: { 'https://a.example': { username: 'ann', password: 'pw:with:colons' }, 'https://b.example:5000': { token: 'tok' } },
    });

    expect(removeCredentials('https://a.example', file)).toBe(true);
    expect(removeCredentials('https://a.example', file)).toBe(false);
    expect(loadCredentials('https://a.example', file, {})).toBeUndefined();
    expect(loadCredentials('https://b.example:5000', file, {})).toEqual({ token: 'tok' });
  });

  it('lets the environment override the file', () => {
    const file = join(dir, 'env.json');
    saveCredentials('https://a.example', { username: 'ann', password: 'pw' }, file);
    expect(loadCredentials('https://a.example', file, { MPVISOR_REGISTRY_TOKEN: 't0k' })).toEqual({ token: 't0k' });
    expect(loadCredentials('https://other.example', file, { MPVISOR_REGISTRY_USER: 'ci', MPVISOR_REGISTRY_PASSWORD: 'x' })).toEqual({ username: 'ci', password: 'x' });
    expect(rejectionSync(() => credentialsFromEnv({ MPVISOR_REGISTRY_USER: 'ci' })).code).toBe('INVALID_ARGUMENT');
    expect(credentialsFromEnv({})).toBeUndefined();
  });

  it('finds the default file under MPVISOR_CONFIG_DIR, else ~/.config/mpvisor', () => {
    expect(defaultCredentialsFile({ MPVISOR_CONFIG_DIR: '/etc/mp' })).toBe('/etc/mp/credentials.json');
    expect(defaultCredentialsFile({ HOME: '/home/x' })).toMatch(/\.config\/mpvisor\/credentials\.json$/);
  });

  it('reports a malformed credentials file instead of ignoring it', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ not json');
    const e = rejectionSync(() => loadCredentials('https://a.example', file, {}));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain(file);
  });

  it('opens a directory as a LayoutStore, the project default without a location, and a URL as a RemoteStore', () => {
    const byDefault = openStore(undefined, { cwd: dir });
    expect(byDefault).toBeInstanceOf(LayoutStore);
    expect(byDefault.location).toBe(join(dir, '.mpvisor', 'registry'));
    expect(openStore('store', { cwd: dir }).location).toBe(join(dir, 'store'));
    const remote = openStore('https://registry.example.com', { credentials: { token: 't' } });
    expect(remote).toBeInstanceOf(RemoteStore);
    expect(remote.location).toBe('https://registry.example.com');
    expect(rejectionSync(() => openStore('oci://registry.example.com')).code).toBe('INVALID_ARGUMENT');
    expect(rejectionSync(() => openStore('http://registry.example.com', { credentials: { token: 't' } })).code).toBe('INVALID_ARGUMENT');
  });
});
