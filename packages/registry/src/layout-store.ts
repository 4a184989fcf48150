/**
 * The embedded store: an OCI image-layout directory (OCI image-spec,
 * "image-layout": `oci-layout`, `index.json`, `blobs/sha256/<hex>`), so
 * publishing and pulling work with no server. Several repositories share
 * one layout: each manifest in `index.json` carries its full reference,
 * `scope/name:tag`, as `org.opencontainers.image.ref.name`.
 *
 * Every file is written to a dot-named temp file beside it, synced and
 * renamed into place, so a crash never leaves a half-written blob or index
 * visible (a leftover temp file is never a valid digest or tag). Updates
 * of `index.json` are serialised by a lock file (exclusive create) across
 * processes and by a queue within one process, which is what makes an
 * immutable tag's check-and-set atomic.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import { issuesOf, MpvisorError } from '@mpvisor/mpapi';
import { Descriptor } from './artifact.js';
import { sha256, verifyDigest } from './digest.js';
import { isVersionTag, parseReference, parseRepository } from './reference.js';
import type { NfStore, StoredManifest } from './store.js';

export const OCI_LAYOUT_VERSION = '1.0.0';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** The OCI annotation an image layout names its references with. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface LayoutStoreOptions {
  /** How long to wait for another writer's lock before giving up (UNAVAILABLE). */
  readonly lockTimeoutMs?: number;
  /** A lock older than this is a crashed writer's and is broken. Writers hold it for milliseconds. */
  readonly staleLockMs?: number;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;
const ImageIndex = t.type({ schemaVersion: t.literal(2), manifests: t.array(Descriptor) });
type IndexEntry = Descriptor;

interface IndexFile {
  /** The whole document, so fields and entries of other tools survive a rewrite. */
  readonly raw: Record<string, unknown>;
  readonly manifests: readonly IndexEntry[];
}

/** Writers of one process take turns per lock file before contending for it on disk. */
const queues = new Map<string, Promise<void>>();

export class LayoutStore implements NfStore {
  readonly location: string;
  readonly #layoutFile: string;
  readonly #indexFile: string;
  readonly #lockFile: string;
  readonly #blobs: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  #checked = false;

  constructor(dir: string, options: LayoutStoreOptions = {}) {
    this.location = path.resolve(dir);
    this.#layoutFile = path.join(this.location, 'oci-layout');
    this.#indexFile = path.join(this.location, 'index.json');
    this.#lockFile = path.join(this.location, '.index.json.lock');
    this.#blobs = path.join(this.location, 'blobs', 'sha256');
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    parseRepository(repository);
    const file = this.#blobPath(digest);
    if (!(await this.#check())) return false;
    return (await statOrUndefined(file)) !== undefined;
  }

  async putBlob(repository: string, digest: string, bytes: Uint8Array, _mediaType: string): Promise<void> {
    parseRepository(repository);
    this.#blobPath(digest);
    verifyDigest(bytes, digest, `blob ${digest} for ${repository}`);
    await this.#ensure();
    await this.#writeBlob(digest, bytes);
  }

  async getBlob(repository: string, digest: string): Promise<Uint8Array> {
    parseRepository(repository);
    const file = this.#blobPath(digest);
    const bytes = (await this.#check()) ? await readOrUndefined(file) : undefined;
    if (bytes === undefined) throw new MpvisorError('NOT_FOUND', `blob ${digest} of ${repository} not found in ${this.location}`);
    return bytes;
  }

  async putManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string, options: { readonly immutable: boolean }): Promise<string> {
    const ref = checkTag(repository, tag);
    const digest = sha256(bytes);
    await this.#ensure();
    // the blob first: a tag never points at a manifest that is not there
    await this.#writeBlob(digest, bytes);
    await this.#withLock(async () => {
      const index = await this.#readIndex();
      const name = `${repository}:${tag}`;
      const existing = index.manifests.find((m) => refName(m) === name);
      if (existing && options.immutable) {
        throw new MpvisorError('ALREADY_EXISTS', `${ref} already exists in ${this.location} (manifest ${existing.digest}) and cannot be overwritten`);
      }
      if (existing?.digest === digest && existing.mediaType === mediaType) return;
      const entry: IndexEntry = { mediaType, digest, size: bytes.length, annotations: { [REF_NAME_ANNOTATION]: name } };
      const manifests = [...index.manifests.filter((m) => refName(m) !== name), entry];
      await this.#writeFile(this.#indexFile, utf8(`${JSON.stringify({ ...index.raw, manifests }, null, 2)}\n`), 'replace');
    });
    return digest;
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest> {
    const byDigest = reference.startsWith('sha256:');
    const ref = byDigest ? checkDigestRef(repository, reference) : checkTag(repository, reference);
    const index = (await this.#check()) ? await this.#readIndex() : undefined;
    const entry = index?.manifests.find((m) => {
      const r = splitRefName(refName(m));
      return r?.repository === repository && (byDigest ? m.digest === reference : r.tag === reference);
    });
    if (!entry) throw new MpvisorError('NOT_FOUND', `${ref} not found in ${this.location}`);
    const bytes = await readOrUndefined(this.#blobPath(entry.digest, this.#indexFile));
    if (bytes === undefined) throw new MpvisorError('DATA_LOSS', `${this.#indexFile} points ${ref} at manifest ${entry.digest}, whose blob is missing`);
    return { bytes, mediaType: entry.mediaType, digest: entry.digest };
  }

  async listTags(repository: string): Promise<string[]> {
    parseRepository(repository);
    const refs = await this.#refs();
    return unique(refs.filter((r) => r.repository === repository).map((r) => r.tag));
  }

  async listRepositories(): Promise<string[]> {
    return unique((await this.#refs()).map((r) => r.repository));
  }

  // ---- reading ----------------------------------------------------------------

  /**
   * Whether the layout exists; refuses a directory that is not one. A
   * missing or empty directory is an empty layout (it is created on the
   * first write); dot files are ignored, being a writer's temp files.
   */
  async #check(retried = false): Promise<boolean> {
    if (this.#checked) return true;
    let text: string;
    try {
      text = await readFile(this.#layoutFile, 'utf8');
    } catch (e) {
      if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw this.#ioError(e, `cannot read ${this.#layoutFile}`);
      let entries: string[];
      try {
        entries = await readdir(this.location);
      } catch (e2) {
        if (errno(e2) === 'ENOENT') return false;
        if (errno(e2) === 'ENOTDIR') throw new MpvisorError('FAILED_PRECONDITION', `${this.location} is not a directory, so not an OCI image layout`);
        throw this.#ioError(e2, `cannot read ${this.location}`);
      }
      if (entries.every((f) => f.startsWith('.'))) return false;
      // another writer created the layout between our two reads
      if (entries.includes('oci-layout') && !retried) return this.#check(true);
      throw new MpvisorError('FAILED_PRECONDITION', `${this.location} is not an OCI image layout: ${this.#layoutFile} is missing`);
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
    } catch (e) {
      throw new MpvisorError('FAILED_PRECONDITION', `${this.#layoutFile} is not valid JSON (${(e as Error).message}), so ${this.location} is not an OCI image layout`);
    }
    if (version !== OCI_LAYOUT_VERSION) {
      throw new MpvisorError('FAILED_PRECONDITION', `${this.#layoutFile}: imageLayoutVersion is ${JSON.stringify(version)}; this store reads "${OCI_LAYOUT_VERSION}"`);
    }
    this.#checked = true;
    return true;
  }

  async #readIndex(): Promise<IndexFile> {
    const bytes = await readOrUndefined(this.#indexFile);
    // only in the instant between a first writer creating oci-layout and index.json
    if (bytes === undefined) return { raw: { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [] }, manifests: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new MpvisorError('DATA_LOSS', `${this.#indexFile} is not valid JSON (${(e as Error).message}); the layout's tags cannot be read`);
    }
    const decoded = ImageIndex.decode(raw);
    if (either.isLeft(decoded)) {
      throw new MpvisorError('DATA_LOSS', issuesOf(decoded.left).map((i) => ({ ...i, message: `${this.#indexFile} is not an OCI image index: ${i.message}` })));
    }
    return { raw: raw as Record<string, unknown>, manifests: decoded.right.manifests };
  }

  /** Every `scope/name:tag` in the index; entries of other tools that name no such reference are skipped. */
  async #refs(): Promise<{ repository: string; tag: string }[]> {
    if (!(await this.#check())) return [];
    return (await this.#readIndex()).manifests.flatMap((m) => splitRefName(refName(m)) ?? []);
  }

  /** A blob's file; `source` is where the digest came from, when that is not the caller. */
  #blobPath(digest: string, source?: string): string {
    const hex = DIGEST.exec(digest)?.[1];
    if (hex === undefined) {
      if (source !== undefined) throw new MpvisorError('DATA_LOSS', `${source}: "${digest}" is not a sha256 digest`);
      throw new MpvisorError('INVALID_ARGUMENT', `"${digest}" is not a sha256 digest (sha256: and 64 lower-case hex digits)`);
    }
    return path.join(this.#blobs, hex);
  }

  // ---- writing ----------------------------------------------------------------

  /** Create the layout if it is not there: oci-layout first, so a reader never sees a layout without it. */
  async #ensure(): Promise<void> {
    if (!(await this.#check())) {
      await this.#mkdir(this.location);
      await this.#writeFile(this.#layoutFile, utf8(`${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`), 'replace');
      const empty = { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [] };
      await this.#writeFile(this.#indexFile, utf8(`${JSON.stringify(empty, null, 2)}\n`), 'create');
      await this.#check();
    }
    await this.#mkdir(this.#blobs);
  }

  async #writeBlob(digest: string, bytes: Uint8Array): Promise<void> {
    const file = this.#blobPath(digest);
    const existing = await readOrUndefined(file);
    // content-addressed: an intact blob is already right; a damaged one is replaced
    if (existing !== undefined && sha256(existing) === digest) return;
    await this.#writeFile(file, bytes, 'replace');
  }

  /**
   * Write to a dot-named temp file beside `file`, sync it, then rename it
   * into place (`replace`) or link it there only if nothing is (`create`).
   */
  async #writeFile(file: string, bytes: Uint8Array, mode: 'replace' | 'create'): Promise<void> {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (mode === 'replace') await rename(temp, file);
      else await link(temp, file).catch((e: unknown) => (errno(e) === 'EEXIST' ? undefined : Promise.reject(e)));
    } catch (e) {
      throw this.#ioError(e, `cannot write ${file}`);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async #mkdir(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw this.#ioError(e, `cannot create ${dir}`);
    }
  }

  /** Run `fn` holding the index lock: first this process's turn, then the lock file. */
  async #withLock<T>(fn: () => Promise<T>): Promise<T> {
    const before = queues.get(this.#lockFile) ?? Promise.resolve();
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    const mine = before.then(() => turn);
    queues.set(this.#lockFile, mine);
    await before;
    try {
      const release = await this.#lock();
      try {
        return await fn();
      } finally {
        await release();
      }
    } finally {
      done();
      if (queues.get(this.#lockFile) === mine) queues.delete(this.#lockFile);
    }
  }

  /** Take the lock file (exclusive create), waiting with backoff; a crashed writer's lock is broken. */
  async #lock(): Promise<() => Promise<void>> {
    const token = JSON.stringify({ pid: process.pid, host: hostname(), id: randomBytes(8).toString('hex'), since: new Date().toISOString() });
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
      try {
        const handle = await open(this.#lockFile, 'wx');
        try {
          await handle.writeFile(token);
        } finally {
          await handle.close();
        }
        return async () => {
          // only our own lock: if it was broken as stale, it is someone else's now
          if ((await readFile(this.#lockFile, 'utf8').catch(() => undefined)) === token) await unlink(this.#lockFile).catch(() => undefined);
        };
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw this.#ioError(e, `cannot create the lock ${this.#lockFile}`);
      }
      const holder = await readFile(this.#lockFile, 'utf8').catch(() => undefined);
      if (holder !== undefined && (await this.#breakIfStale(holder))) continue;
      if (Date.now() >= deadline) {
        throw new MpvisorError(
          'UNAVAILABLE',
          `${this.location} is locked by another writer (${this.#lockFile}: ${holder ?? 'gone'}) for more than ${this.#lockTimeoutMs} ms; if no process is writing to it, delete the lock file`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
  }

  /**
   * Break a lock whose holder died (same host, no such process) or that is
   * older than any write takes. It is renamed away first and checked to be
   * the one judged stale, so a fresh lock taken meanwhile is put back.
   */
  async #breakIfStale(holder: string): Promise<boolean> {
    const info = await statOrUndefined(this.#lockFile);
    if (!info) return true;
    let owner: { pid?: unknown; host?: unknown } = {};
    try {
      owner = JSON.parse(holder) as typeof owner;
    } catch {
      // being written right now, or garbage: judged by age alone
    }
    const dead = owner.host === hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid);
    if (!dead && Date.now() - info.mtimeMs < this.#staleLockMs) return false;
    const aside = `${this.#lockFile}.${randomBytes(6).toString('hex')}.stale`;
    try {
      await rename(this.#lockFile, aside);
    } catch {
      return true; // someone else broke it first
    }
    if ((await readFile(aside, 'utf8').catch(() => undefined)) !== holder) await link(aside, this.#lockFile).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return true;
  }

  #ioError(e: unknown, what: string): MpvisorError {
    if (e instanceof MpvisorError) return e;
    const code = errno(e);
    const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'PERMISSION_DENIED' : code === 'ENOSPC' ? 'RESOURCE_EXHAUSTED' : 'INTERNAL';
    return new MpvisorError(kind, `${what}: ${code ?? (e as Error).message}`);
  }
}

/** `scope/name@1.2.3` or `scope/name:latest`, after checking both parts. */
function checkTag(repository: string, tag: string): string {
  parseRepository(repository);
  parseReference(`${repository}:${tag}`);
  return isVersionTag(tag) ? `${repository}@${tag}` : `${repository}:${tag}`;
}

function checkDigestRef(repository: string, digest: string): string {
  parseReference(`${repository}@${digest}`);
  return `${repository}@${digest}`;
}

function refName(entry: IndexEntry): string | undefined {
  return entry.annotations?.[REF_NAME_ANNOTATION];
}

function splitRefName(name: string | undefined): { repository: string; tag: string } | undefined {
  const colon = name?.indexOf(':') ?? -1;
  if (name === undefined || colon < 0) return undefined;
  const repository = name.slice(0, colon);
  try {
    parseRepository(repository);
  } catch {
    return undefined;
  }
  return { repository, tag: name.slice(colon + 1) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

async function readOrUndefined(file: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw new MpvisorError(errno(e) === 'EACCES' ? 'PERMISSION_DENIED' : 'INTERNAL', `cannot read ${file}: ${errno(e) ?? (e as Error).message}`);
  }
}

async function statOrUndefined(file: string): Promise<{ readonly mtimeMs: number } | undefined> {
  try {
    return await stat(file);
  } catch {
    return undefined;
  }
}

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const unique = (xs: readonly string[]): string[] => [...new Set(xs)].sort();
