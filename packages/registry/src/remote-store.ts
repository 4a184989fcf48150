/**
 * An NfStore over any OCI distribution registry (distribution spec v1.1):
 * blobs by digest, manifests by tag or digest, tag and repository lists.
 *
 * Authentication follows the registry's 401 challenge: `Basic` sends the
 * user name and password; `Bearer realm=…,service=…,scope=…` fetches a
 * token from the realm (with the user name and password if there are any,
 * else anonymously), caches it per scope and retries once. A `{ token }`
 * credential is sent as the bearer token itself.
 *
 * A registry that does not answer (connection refused or reset, timeout,
 * 5xx, 429) is retried a bounded number of times with doubling delays, then
 * reported as UNAVAILABLE with the URL and the last cause.
 */
import { MpvisorError, type ErrorCode } from '@mpvisor/mpapi';
import type { Credentials } from './credentials.js';
import { sha256, verifyDigest } from './digest.js';
import { MANIFEST_MEDIA_TYPE } from './artifact.js';
import type { NfStore, StoredManifest } from './store.js';

export interface RemoteStoreOptions {
  readonly credentials?: Credentials;
  /** Further attempts after the first for a request that failed transiently: default 2 (3 attempts in all). */
  readonly retries?: number;
  /** Delay before the first retry in ms, doubled for each next one (default 200, at most 5000 per wait). */
  readonly retryDelayMs?: number;
  /** Time allowed for one attempt, response body included (default 30000 ms). */
  readonly timeoutMs?: number;
  /** Allow plain http:// to a host other than loopback. */
  readonly insecure?: boolean;
  /** The fetch to use (tests count attempts with it); default the global fetch. */
  readonly fetch?: typeof fetch;
}

const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 5000;
const DEFAULT_TIMEOUT_MS = 30_000;
const PAGE_SIZE = 1000;
/** Bounds pagination against a server whose Link headers loop. */
const MAX_PAGES = 10_000;

/** What a GET of a manifest accepts: ours first; the others only so a foreign manifest reaches the caller's media-type check instead of a 404. */
const MANIFEST_ACCEPT = [
  MANIFEST_MEDIA_TYPE,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

// Distribution spec: repository names, tags and digests. Checked before they go into a URL path.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT';

interface Request {
  readonly method: Method;
  readonly url: URL;
  /** The token scope the request needs (`repository:acme/fw:pull`); undefined for the API version check. */
  readonly scope: string | undefined;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** A failure worth retrying; its message says what happened, for the final UNAVAILABLE. */
class Transient extends Error {
  override readonly name = 'Transient';
}

export class RemoteStore implements NfStore {
  readonly location: string;
  private readonly base: URL;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly insecure: boolean;
  private readonly fetchFn: typeof fetch;
  private readonly auth: Authenticator;

  constructor(url: string, options: RemoteStoreOptions = {}) {
    const base = parseRegistryUrl(url);
    this.base = base;
    this.location = base.href.replace(/\/$/, '');
    this.insecure = options.insecure ?? false;
    checkTransport(base, this.location, this.insecure, 'registry');
    this.retries = checkCount(options.retries ?? DEFAULT_RETRIES, 'retries');
    this.retryDelayMs = checkCount(options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, 'retryDelayMs');
    this.timeoutMs = checkCount(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.auth = new Authenticator(this.location, base.origin, options.credentials, this.insecure, (req, authorization) => this.fetchOnce(req, authorization));
  }

  /**
   * Check that the registry speaks the distribution API and accepts our
   * credentials (GET /v2/, following its challenge). A registry that lets
   * anyone in answers without a challenge, so the credentials go unchecked.
   */
  async ping(): Promise<void> {
    await this.retrying('GET', this.url('v2/'), async (url) => {
      const res = await this.send({ method: 'GET', url, scope: undefined });
      if (res.status !== 200) return this.fail(res, 'the distribution API (/v2/)', 'open');
      await discard(res);
    });
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const url = this.url(`v2/${checkRepository(repository)}/blobs/${checkDigest(digest)}`);
    return this.retrying('HEAD', url, (u) => this.headBlob(repository, u));
  }

  async putBlob(repository: string, digest: string, bytes: Uint8Array, _mediaType: string): Promise<void> {
    // Distribution keeps no media type for a blob: the manifest's descriptor carries it.
    checkRepository(repository);
    checkDigest(digest);
    verifyDigest(bytes, digest, `blob ${digest} for ${repository}`);
    const blobUrl = this.url(`v2/${repository}/blobs/${digest}`);
    // The whole exchange is the unit of retry: an upload session may not survive a failed PUT, and the
    // HEAD first also covers a PUT that succeeded although its answer was lost.
    await this.retrying('upload of', blobUrl, async () => {
      if (await this.headBlob(repository, blobUrl)) return;
      const what = `blob ${digest} of repository ${repository}`;
      const start = await this.send({ method: 'POST', url: this.url(`v2/${repository}/blobs/uploads/`), scope: pushScope(repository) });
      if (start.status !== 202) return this.fail(start, what, 'start an upload of');
      await discard(start);
      const location = start.headers.get('location');
      if (location === null) throw new MpvisorError('INTERNAL', `registry ${this.location} started an upload of ${what} without a Location header`);
      const put = await this.send({
        method: 'PUT',
        url: withDigest(new URL(location, start.url === '' ? this.base : start.url), digest),
        scope: pushScope(repository),
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      if (put.status !== 201) return this.fail(put, what, 'upload');
      await discard(put);
      this.checkReportedDigest(put, digest, what);
    });
  }

  async getBlob(repository: string, digest: string): Promise<Uint8Array> {
    const url = this.url(`v2/${checkRepository(repository)}/blobs/${checkDigest(digest)}`);
    return this.retrying('GET', url, async (u) => {
      const res = await this.send({ method: 'GET', url: u, scope: pullScope(repository) });
      if (res.status !== 200) return this.fail(res, `blob ${digest} in repository ${repository}`, 'read');
      return readBody(res);
    });
  }

  /**
   * Distribution has no atomic create-if-absent for tags (no conditional
   * PUT), so an immutable put is check-put-verify: refuse if the tag exists,
   * PUT, then re-read the tag and fail if it resolves to another digest (a
   * concurrent publisher's PUT landed after ours). This catches the
   * publisher whose PUT was overwritten; a publisher that verified before
   * the other's PUT landed cannot be told, so two racing publishes of one
   * version can both report success while the tag holds the later one.
   */
  async putManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string, options: { readonly immutable: boolean }): Promise<string> {
    checkRepository(repository);
    checkTag(tag);
    const digest = sha256(bytes);
    const what = `${repository}:${tag}`;
    if (options.immutable) {
      const existing = await this.resolve(repository, tag);
      if (existing !== undefined) {
        throw new MpvisorError('ALREADY_EXISTS', `${what} already exists at registry ${this.location} (manifest ${existing}); a version is immutable, publish a new version instead`);
      }
    }
    await this.retrying('PUT', this.url(`v2/${repository}/manifests/${tag}`), async (url) => {
      const res = await this.send({ method: 'PUT', url, scope: pushScope(repository), headers: { 'content-type': mediaType }, body: bytes });
      if (res.status !== 201) return this.fail(res, `manifest ${what}`, 'store');
      await discard(res);
      this.checkReportedDigest(res, digest, `manifest ${what}`);
    });
    if (options.immutable) {
      const now = await this.resolve(repository, tag);
      if (now !== digest) {
        throw new MpvisorError(
          'ALREADY_EXISTS',
          `conflict: ${what} was published concurrently at registry ${this.location}: the tag now resolves to ${now ?? 'nothing'}, not to ours (${digest})`,
        );
      }
    }
    return digest;
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest> {
    const res = await this.fetchManifest(repository, reference);
    if (res === undefined) {
      throw new MpvisorError('NOT_FOUND', `manifest ${repository}${reference.includes(':') ? '@' : ':'}${reference} not found at registry ${this.location}`);
    }
    return res;
  }

  async listTags(repository: string): Promise<string[]> {
    const first = this.url(`v2/${checkRepository(repository)}/tags/list?n=${PAGE_SIZE}`);
    const tags = await this.paginate(first, pullScope(repository), `tags of repository ${repository}`, 'tags');
    return tags ?? [];
  }

  async listRepositories(): Promise<string[]> {
    const repositories = await this.paginate(this.url(`v2/_catalog?n=${PAGE_SIZE}`), 'registry:catalog:*', 'the repository catalog', 'repositories');
    return repositories ?? [];
  }

  /** The digest a tag (or digest) resolves to, or undefined if absent. */
  private async resolve(repository: string, reference: string): Promise<string | undefined> {
    const found = await this.fetchManifest(repository, reference);
    return found === undefined ? undefined : (found.digest ?? sha256(found.bytes));
  }

  private async fetchManifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    checkRepository(repository);
    checkReference(reference);
    const url = this.url(`v2/${repository}/manifests/${reference}`);
    return this.retrying('GET', url, async (u) => {
      const res = await this.send({ method: 'GET', url: u, scope: pullScope(repository), headers: { accept: MANIFEST_ACCEPT } });
      if (res.status === 404) {
        await discard(res);
        return undefined;
      }
      if (res.status !== 200) return this.fail(res, `manifest ${repository}:${reference}`, 'read');
      const bytes = await readBody(res);
      const digest = res.headers.get('docker-content-digest');
      const contentType = res.headers.get('content-type')?.split(';')[0]?.trim();
      const mediaType = contentType !== undefined && contentType !== '' && contentType !== 'application/json' ? contentType : mediaTypeOf(bytes);
      return { bytes, mediaType, ...(digest !== null && digest !== '' ? { digest } : {}) };
    });
  }

  /** Follow `Link: <…>; rel="next"` pages, collecting `field`; undefined if the first page is a 404 (no such repository). */
  private async paginate(first: URL, scope: string, what: string, field: 'tags' | 'repositories'): Promise<string[] | undefined> {
    const out: string[] = [];
    const seen = new Set<string>();
    let next: URL | undefined = first;
    while (next !== undefined) {
      if (seen.has(next.href) || seen.size >= MAX_PAGES) throw new MpvisorError('INTERNAL', `registry ${this.location} paginates ${what} in a loop (${next.href})`);
      seen.add(next.href);
      const page: { items: string[]; next: URL | undefined } | undefined = await this.retrying('GET', next, async (url) => {
        const res = await this.send({ method: 'GET', url, scope });
        if (res.status === 404 && field === 'tags') {
          await discard(res);
          return undefined;
        }
        if (res.status !== 200) return this.fail(res, what, 'list');
        const body = parseJson(await readBody(res));
        const items = isRecord(body) ? body[field] : undefined;
        // Distribution answers `"tags": null` for a repository whose tags were all deleted.
        if (items !== null && items !== undefined && !(Array.isArray(items) && items.every((t) => typeof t === 'string'))) {
          throw new MpvisorError('INTERNAL', `registry ${this.location} answered a malformed list of ${what} (no "${field}" array)`);
        }
        return { items: (items ?? []) as string[], next: nextLink(res, url) };
      });
      if (page === undefined) return undefined;
      out.push(...page.items);
      next = page.next;
    }
    return [...new Set(out)].sort();
  }

  private async headBlob(repository: string, url: URL): Promise<boolean> {
    const res = await this.send({ method: 'HEAD', url, scope: pullScope(repository) });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.fail(res, `blob ${url.pathname.split('/').pop() ?? ''} in repository ${repository}`, 'check');
  }

  /** A registry that reports a digest for what we sent must report ours: anything else means it stored other bytes. */
  private checkReportedDigest(res: Response, digest: string, what: string): void {
    const reported = res.headers.get('docker-content-digest');
    if (reported !== null && reported !== '' && reported !== digest) {
      throw new MpvisorError('DATA_LOSS', `registry ${this.location} stored ${what} as ${reported}, but the bytes sent hash to ${digest}`);
    }
  }

  private url(path: string): URL {
    return new URL(path, this.base);
  }

  /**
   * Run `attempt` until it succeeds or fails for a reason other than a
   * transient one, at most 1 + retries times, waiting between attempts.
   */
  private async retrying<T>(method: string, url: URL, attempt: (url: URL) => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt(url);
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        if (n >= this.retries) {
          const times = n + 1 === 1 ? 'once' : `${n + 1} times`;
          throw new MpvisorError('UNAVAILABLE', `registry ${this.location} is unavailable: ${method} ${url.href} failed ${times}; last cause: ${e.message}`);
        }
        await sleep(Math.min(this.retryDelayMs * 2 ** n, MAX_RETRY_DELAY_MS));
      }
    }
  }

  /** One request with authentication: on a 401, answer the challenge and send it once more. */
  private async send(req: Request): Promise<Response> {
    checkTransport(req.url, this.location, this.insecure, 'request');
    const sent = this.auth.headerFor(req);
    const res = await this.fetchOnce(req, sent?.value);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate');
    await discard(res);
    // Credentials sent as they are (basic, or a token credential) and refused will be refused again; a cached token may just have expired.
    if (sent !== undefined && !sent.cached) throw this.auth.refused(parseChallenge(challenge));
    const answer = await this.auth.answer(challenge, req);
    const again = await this.fetchOnce(req, answer);
    if (again.status !== 401) return again;
    const second = again.headers.get('www-authenticate');
    await discard(again);
    throw this.auth.refused(parseChallenge(second));
  }

  /** One HTTP exchange, bounded by the timeout; network failures, timeouts, 5xx and 429 become Transient. */
  private async fetchOnce(req: Request, authorization?: string): Promise<Response> {
    const headers: Record<string, string> = { ...req.headers };
    if (authorization !== undefined) headers['authorization'] = authorization;
    let res: Response;
    try {
      res = await this.fetchFn(req.url.href, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'follow',
      });
    } catch (e) {
      throw networkFailure(e, req, this.timeoutMs);
    }
    if (res.status >= 500 || res.status === 429) {
      const detail = await errorDetail(res);
      throw new Transient(`HTTP ${res.status}${res.statusText !== '' ? ` ${res.statusText}` : ''}${detail.text}`);
    }
    return res;
  }

  /** Turn an unexpected answer into the error its status means. */
  private async fail(res: Response, what: string, action: string): Promise<never> {
    const detail = await errorDetail(res);
    const codes = new Set(detail.codes);
    const status = res.status;
    const code: ErrorCode =
      status === 404
        ? 'NOT_FOUND'
        : status === 403
          ? 'PERMISSION_DENIED'
          : status === 400 && (codes.has('MANIFEST_BLOB_UNKNOWN') || codes.has('BLOB_UNKNOWN'))
            ? 'FAILED_PRECONDITION'
            : status === 400
              ? 'INVALID_ARGUMENT'
              : status >= 400 && status < 500
                ? 'FAILED_PRECONDITION'
                : 'INTERNAL';
    const message =
      code === 'NOT_FOUND'
        ? `${what} not found at registry ${this.location}`
        : code === 'PERMISSION_DENIED'
          ? `registry ${this.location} does not allow ${this.auth.who()} to ${action} ${what}`
          : `registry ${this.location} refused to ${action} ${what}: HTTP ${status}`;
    throw new MpvisorError(code, `${message}${detail.text}`);
  }
}

// ---------------------------------------------------------------- authentication

interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Answers a registry's challenges and remembers what worked: the scheme, and bearer tokens per scope. */
class Authenticator {
  private scheme: 'basic' | 'bearer' | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly location: string,
    private readonly origin: string,
    private readonly credentials: Credentials | undefined,
    private readonly insecure: boolean,
    private readonly fetchOnce: (req: Request, authorization?: string) => Promise<Response>,
  ) {}

  /** The Authorization header to send up front, if a challenge already told us how; `cached` marks a token that may have expired. */
  headerFor(req: Request): { value: string; cached: boolean } | undefined {
    // Never hand our credentials to another host (an upload Location or a redirect elsewhere).
    if (req.url.origin !== this.origin || this.scheme === undefined) return undefined;
    const creds = this.credentials;
    if (this.scheme === 'basic') return creds !== undefined && !('token' in creds) ? { value: basic(creds), cached: false } : undefined;
    if (creds !== undefined && 'token' in creds) return { value: `Bearer ${creds.token}`, cached: false };
    const key = scopeKey(req.scope);
    const cached = this.tokens.get(key);
    if (cached === undefined) return undefined;
    if (cached.expiresAt <= Date.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return { value: `Bearer ${cached.token}`, cached: true };
  }

  /** The Authorization header that answers a 401's challenge (fetching a token if it is a bearer challenge). */
  async answer(header: string | null, req: Request): Promise<string> {
    const challenge = parseChallenge(header);
    if (req.url.origin !== this.origin) {
      throw new MpvisorError('UNAUTHENTICATED', `registry ${this.location} sent us to ${req.url.origin}, which asks for credentials; not sending them to another host`);
    }
    const creds = this.credentials;
    if (challenge?.scheme === 'basic') {
      this.scheme = 'basic';
      if (creds === undefined) throw this.missing();
      if ('token' in creds) {
        throw new MpvisorError('UNAUTHENTICATED', `registry ${this.location} asks for a user name and password (basic auth), but the credentials are a token; run \`mpvisor login ${this.location}\` with a user name`);
      }
      return basic(creds);
    }
    if (challenge?.scheme === 'bearer') {
      this.scheme = 'bearer';
      if (creds !== undefined && 'token' in creds) return `Bearer ${creds.token}`;
      const token = await this.fetchToken(challenge, req.scope);
      this.tokens.set(scopeKey(req.scope), token);
      const scope = challenge.params['scope'];
      if (scope !== undefined) this.tokens.set(scopeKey(scope), token);
      return `Bearer ${token.token}`;
    }
    throw new MpvisorError(
      'UNAUTHENTICATED',
      `registry ${this.location} requires authentication with a scheme MPVisor does not support (WWW-Authenticate: ${header ?? 'absent'}); it supports Basic and Bearer`,
    );
  }

  /** The error for a request refused although we answered the challenge. */
  refused(challenge: Challenge | undefined): MpvisorError {
    const creds = this.credentials;
    if (creds === undefined) return this.missing();
    // Bearer: a valid token without the access the request needs (distribution says so with error="insufficient_scope").
    if (challenge?.params['error'] === 'insufficient_scope') {
      const scope = challenge.params['scope'];
      return new MpvisorError('PERMISSION_DENIED', `registry ${this.location} does not grant ${this.who()} ${scope !== undefined ? `"${scope}"` : 'the access this request needs'}`);
    }
    return this.rejected();
  }

  who(): string {
    const creds = this.credentials;
    return creds === undefined ? 'anonymous access' : 'token' in creds ? 'the token credential' : `user ${creds.username}`;
  }

  private missing(): MpvisorError {
    return new MpvisorError('UNAUTHENTICATED', `registry ${this.location} requires authentication; run \`mpvisor login ${this.location}\``);
  }

  private rejected(): MpvisorError {
    const creds = this.credentials;
    const whose = creds !== undefined && !('token' in creds) ? creds.username : 'the token';
    return new MpvisorError('UNAUTHENTICATED', `registry ${this.location} rejected the credentials for ${whose}; run \`mpvisor login ${this.location}\` again`);
  }

  /** Distribution token auth: GET realm?service=…&scope=…, with basic credentials if we have them. */
  private async fetchToken(challenge: Challenge, requestScope: string | undefined): Promise<CachedToken> {
    const realmText = challenge.params['realm'];
    if (realmText === undefined) throw new MpvisorError('UNAUTHENTICATED', `registry ${this.location} asked for a bearer token without naming a realm to get it from`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new MpvisorError('UNAUTHENTICATED', `registry ${this.location} named a token realm that is not a URL: "${realmText}"`);
    }
    checkTransport(realm, this.location, this.insecure, 'token realm');
    const service = challenge.params['service'];
    if (service !== undefined) realm.searchParams.set('service', service);
    // A challenge may name several scopes separated by spaces; each is its own parameter.
    for (const scope of (challenge.params['scope'] ?? requestScope ?? '').split(' ').filter((s) => s !== '')) realm.searchParams.append('scope', scope);
    const creds = this.credentials;
    const authorization = creds !== undefined && !('token' in creds) ? basic(creds) : undefined;
    const res = await this.fetchOnce({ method: 'GET', url: realm, scope: undefined }, authorization);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw creds === undefined ? this.missing() : this.rejected();
    }
    if (res.status !== 200) {
      const detail = await errorDetail(res);
      throw new MpvisorError('UNAUTHENTICATED', `token server ${realm.origin}${realm.pathname} for registry ${this.location} answered HTTP ${res.status}${detail.text}`);
    }
    const body = parseJson(await readBody(res));
    const token = isRecord(body) ? (body['token'] ?? body['access_token']) : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new MpvisorError('UNAUTHENTICATED', `token server ${realm.origin}${realm.pathname} for registry ${this.location} answered without a token`);
    }
    // Spec default lifetime is 60 s; renew a little early so a token does not expire in flight.
    const lifetime = isRecord(body) && typeof body['expires_in'] === 'number' && body['expires_in'] > 0 ? body['expires_in'] : 60;
    return { token, expiresAt: Date.now() + Math.max(lifetime - 10, 1) * 1000 };
  }
}

/** `Bearer realm="…",service="…"` → { scheme: 'bearer', params }. Quoted values may contain commas and escapes. */
function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*/.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const param = /\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
  param.lastIndex = m[0].length;
  for (let p = param.exec(header); p !== null; p = param.exec(header)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/** A token cache key: distribution lists a scope's actions in no fixed order (`push,pull` or `pull,push`). */
function scopeKey(scope: string | undefined): string {
  return (scope ?? '')
    .split(' ')
    .filter((s) => s !== '')
    .map((s) => {
      const at = s.lastIndexOf(':');
      return at < 0 ? s : `${s.slice(0, at + 1)}${s.slice(at + 1).split(',').sort().join(',')}`;
    })
    .sort()
    .join(' ');
}

function basic(creds: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

// ---------------------------------------------------------------- HTTP details

function parseRegistryUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${url}" is not a URL (expected https://host[:port])`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${url}" must start with https:// or http://`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${parsed.host}" must not carry credentials; use \`mpvisor login\` or the credentials option`);
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${url}" must not have a query or fragment`);
  // The API lives under /v2/ of the base; accept a base given with it, and make the path a directory so relative URLs resolve under it.
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  parsed.pathname = `${path}/`;
  return parsed;
}

/** Plain HTTP carries credentials and NFs readable and alterable by anyone on the path: only to loopback unless the caller opts in. */
function checkTransport(url: URL, location: string, insecure: boolean, what: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new MpvisorError('INVALID_ARGUMENT', `registry ${location}: ${what} URL ${url.href} is neither https:// nor http://`);
  if (insecure || isLoopback(url.hostname)) return;
  throw new MpvisorError(
    'INVALID_ARGUMENT',
    `registry ${location}: refusing plain http:// to ${url.host} (${what}): credentials and NFs would travel unencrypted and could be altered on the way; use https://, or pass insecure: true if this network is trusted`,
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Add `digest=` to an upload URL, keeping its own query (an opaque upload state) byte for byte. */
function withDigest(url: URL, digest: string): URL {
  const out = new URL(url.href);
  out.search = `${url.search === '' ? '?' : `${url.search}&`}digest=${encodeURIComponent(digest)}`;
  return out;
}

/** RFC 8288 `Link: <url>; rel="next"`, resolved against the page's URL. */
function nextLink(res: Response, page: URL): URL | undefined {
  const link = res.headers.get('link');
  if (link === null) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m !== null && /(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2]!)) return new URL(m[1]!, page);
  }
  return undefined;
}

async function readBody(res: Response): Promise<Uint8Array> {
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new Transient(`the answer broke off while reading it: ${describeError(e)}`);
  }
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/** The distribution error body (`{"errors":[{code,message}]}`) as text to append, and its codes. */
async function errorDetail(res: Response): Promise<{ text: string; codes: string[] }> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return { text: '', codes: [] };
  }
  const body = parseJsonText(text);
  const errors = isRecord(body) && Array.isArray(body['errors']) ? body['errors'].filter(isRecord) : [];
  if (errors.length > 0) {
    const parts = errors.map((e) => [e['code'], e['message']].filter((x) => typeof x === 'string' && x !== '').join(': '));
    return { text: ` (${parts.join('; ')})`, codes: errors.map((e) => e['code']).filter((c): c is string => typeof c === 'string') };
  }
  const short = text.trim().slice(0, 200);
  return { text: short === '' || short.startsWith('<') ? '' : ` (${short})`, codes: [] };
}

function networkFailure(e: unknown, req: Request, timeoutMs: number): Error {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return new Transient(`no answer within ${timeoutMs} ms`);
  const cause = e instanceof Error ? e.cause : undefined;
  if (!(e instanceof TypeError) || cause === undefined) {
    return new MpvisorError('INTERNAL', `${req.method} ${req.url.href} could not be sent: ${describeError(e)}`);
  }
  const code = errorCode(cause);
  // A certificate problem does not go away on retry.
  if (code !== undefined && /CERT|SELF_SIGNED|ERR_TLS/.test(code)) {
    return new MpvisorError('UNAVAILABLE', `TLS connection to ${req.url.host} failed: ${describeError(cause)} (${code}); is the server's certificate trusted (NODE_EXTRA_CA_CERTS)?`);
  }
  const refused = code === 'ECONNREFUSED' ? 'connection refused: ' : '';
  return new Transient(`${refused}${describeError(cause)}`);
}

function errorCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return code;
  return e instanceof AggregateError ? errorCode(e.errors[0]) : undefined;
}

/** A network error's message; an AggregateError (one per address tried) has an empty one of its own. */
function describeError(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(describeError).join('; ');
  if (e instanceof Error) return e.message !== '' ? e.message : (errorCode(e) ?? e.name);
  return String(e);
}

function mediaTypeOf(bytes: Uint8Array): string {
  const body = parseJson(bytes);
  return isRecord(body) && typeof body['mediaType'] === 'string' ? body['mediaType'] : 'application/octet-stream';
}

function parseJson(bytes: Uint8Array): unknown {
  return parseJsonText(Buffer.from(bytes).toString('utf8'));
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkRepository(repository: string): string {
  if (!REPOSITORY.test(repository)) throw new MpvisorError('INVALID_ARGUMENT', `"${repository}" is not a repository name (lower-case path components separated by "/")`);
  return repository;
}

function checkTag(tag: string): string {
  if (!TAG.test(tag)) throw new MpvisorError('INVALID_ARGUMENT', `"${tag}" is not a valid tag (letters, digits, ".", "_", "-", at most 128)`);
  return tag;
}

function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new MpvisorError('INVALID_ARGUMENT', `"${digest}" is not a digest (algorithm:hex)`);
  return digest;
}

function checkReference(reference: string): string {
  return reference.includes(':') ? checkDigest(reference) : checkTag(reference);
}

function checkCount(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new MpvisorError('INVALID_ARGUMENT', `RemoteStore option ${name} must be a non-negative integer, not ${value}`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
