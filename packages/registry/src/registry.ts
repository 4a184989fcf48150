/**
 * Publish, pull, inspect and list NFs in any `NfStore`. The registry builds
 * and checks the OCI artifacts; the store only moves bytes. Everything read
 * is verified — the manifest against its digest, each blob against its
 * descriptor, the IR against the layer digest — and an NF is only ever
 * decoded as data: pulling runs no code.
 */
import { either } from 'fp-ts';
import semver from 'semver';
import * as t from 'io-ts';
import { canonicalJson, decodeIR, digestOf, IR_VERSION, issuesOf, MpvisorError, type Issue, type Policy, type Program } from '@mpvisor/mpapi';
import { ANNOTATION, Manifest, MANIFEST_MEDIA_TYPE, NF_ARTIFACT_TYPE, NF_CONFIG_MEDIA_TYPE, NF_IR_MEDIA_TYPE, NfConfig, type Descriptor } from './artifact.js';
import { sha256, verifyDigest } from './digest.js';
import { checkVersion, formatReference, isVersionTag, parseReference, parseRepository, repositoryOf, tagOf, type NfReference } from './reference.js';
import type { NfStore } from './store.js';

export type NfIR = Program | Policy;
/** What can be published: IR, or a builder of it. */
export type Publishable = NfIR | { toIR(): NfIR };

export interface PublishOptions {
  /** `scope/name`. */
  readonly name: string;
  /** A semantic version; immutable once published. */
  readonly version: string;
  readonly description?: string;
  readonly author?: string;
  /** Movable tags (e.g. `latest`) to point at this version too. */
  readonly tags?: readonly string[];
  readonly created?: Date;
}

export type Annotations = Readonly<Record<string, string>>;

export interface PublishedNf {
  /** `scope/name@version`. */
  readonly reference: string;
  readonly manifestDigest: string;
  readonly irDigest: string;
  readonly config: NfConfig;
  readonly annotations: Annotations;
}

export interface PulledNf {
  /** The reference as asked for (`scope/name@1.0.0`, `scope/name:latest`, `scope/name@sha256:…`). */
  readonly reference: string;
  /** sha256 of the manifest bytes. */
  readonly manifestDigest: string;
  readonly irDigest: string;
  readonly ir: NfIR;
  readonly config: NfConfig;
  readonly annotations: Annotations;
  readonly manifest: Manifest;
}

export interface LineageEntry {
  readonly name: string;
  readonly digest: string;
  /** Where this ancestor is published in the same store, if it is. */
  readonly published?: string;
}

export interface InspectedNf extends PulledNf {
  /** Parent first, then its parent. */
  readonly lineage: readonly LineageEntry[];
}

export interface RepositoryEntry {
  /** `scope/name`. */
  readonly repository: string;
  /** Semver-sorted, lowest first. */
  readonly versions: readonly string[];
  /** Movable tags (not versions). */
  readonly tags: readonly string[];
}

export interface SearchHit extends RepositoryEntry {
  /** The NF's own name and description, from its highest version. */
  readonly nfName?: string;
  readonly description?: string;
}

/** The bare `scope/name` of a pull means this tag, as in Docker. */
const DEFAULT_TAG = 'latest';

export class Registry {
  constructor(readonly store: NfStore) {}

  async publish(nf: Publishable, options: PublishOptions): Promise<PublishedNf> {
    const { scope, name } = parseRepository(options.name);
    const ref: NfReference = { kind: 'version', scope, name, version: checkVersion(options.version, `${options.name}@${options.version}`) };
    const reference = formatReference(ref);
    const repository = repositoryOf(ref);
    const tags = [...new Set(options.tags ?? [])];
    for (const tag of tags) {
      const parsed = parseReference(`${repository}:${tag}`);
      if (parsed.kind === 'version') {
        throw new MpvisorError('INVALID_ARGUMENT', `cannot publish ${reference}: extra tag "${tag}" is a version; versions are immutable and only set by publishing`);
      }
    }
    const ir = this.#decodeForPublish(nf, reference);

    const layer = utf8(canonicalJson(ir));
    const irDigest = sha256(layer);
    const lineage = ir.kind === 'program' ? (ir.lineage ?? []) : [];
    const config: NfConfig = { irVersion: ir.irVersion, kind: ir.kind, name: ir.name, irDigest, lineage: lineage.map((a) => ({ name: a.name, digest: a.digest })) };
    const configBytes = utf8(canonicalJson(config));
    const description = options.description ?? ir.description;
    const annotations: Record<string, string> = {
      [ANNOTATION.title]: repository,
      [ANNOTATION.version]: ref.version,
      ...(description !== undefined ? { [ANNOTATION.description]: description } : {}),
      ...(options.author !== undefined ? { [ANNOTATION.authors]: options.author } : {}),
      [ANNOTATION.created]: (options.created ?? new Date()).toISOString(),
      [ANNOTATION.nfName]: ir.name,
      [ANNOTATION.nfKind]: ir.kind,
      ...(lineage[0] !== undefined ? { [ANNOTATION.parent]: lineage[0].digest } : {}),
      [ANNOTATION.irVersion]: String(ir.irVersion),
      [ANNOTATION.irDigest]: irDigest,
    };
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      artifactType: NF_ARTIFACT_TYPE,
      config: { mediaType: NF_CONFIG_MEDIA_TYPE, digest: sha256(configBytes), size: configBytes.length },
      layers: [{ mediaType: NF_IR_MEDIA_TYPE, digest: irDigest, size: layer.length, annotations: { [ANNOTATION.title]: 'ir.json' } }],
      annotations,
    };

    for (const [digest, bytes, mediaType] of [
      [manifest.config.digest, configBytes, NF_CONFIG_MEDIA_TYPE],
      [irDigest, layer, NF_IR_MEDIA_TYPE],
    ] as const) {
      if (!(await this.store.hasBlob(repository, digest))) await this.store.putBlob(repository, digest, bytes, mediaType);
    }
    let manifestDigest: string;
    try {
      manifestDigest = await this.store.putManifest(repository, ref.version, utf8(canonicalJson(manifest)), MANIFEST_MEDIA_TYPE, { immutable: true });
    } catch (e) {
      if (e instanceof MpvisorError && e.code === 'ALREADY_EXISTS') throw await this.#alreadyPublished(ref, irDigest, e);
      throw e;
    }
    for (const tag of tags) {
      try {
        await this.store.putManifest(repository, tag, utf8(canonicalJson(manifest)), MANIFEST_MEDIA_TYPE, { immutable: false });
      } catch (e) {
        const why = e instanceof MpvisorError ? e.issues.map((i) => i.message).join('; ') : String(e);
        throw new MpvisorError(e instanceof MpvisorError ? e.code : 'INTERNAL', `${reference} was published (manifest ${manifestDigest}), but tag "${tag}" was not moved to it: ${why}`);
      }
    }
    return { reference, manifestDigest, irDigest, config, annotations };
  }

  /** Pull an NF, verified: the manifest, its config and its IR layer against their digests, the IR against its own. */
  async pull(reference: string | NfReference): Promise<PulledNf> {
    const ref = typeof reference === 'string' ? parseReference(reference, DEFAULT_TAG) : reference;
    const refText = formatReference(ref);
    const repository = repositoryOf(ref);
    const stored = await this.store.getManifest(repository, tagOf(ref));
    const manifestDigest = sha256(stored.bytes);
    const expected = ref.kind === 'digest' ? ref.digest : stored.digest;
    if (expected !== undefined) verifyDigest(stored.bytes, expected, `manifest of ${refText}`);

    const manifest = decodeJson(Manifest, stored.bytes, `the manifest of ${refText}`);
    const mediaType = stored.mediaType.split(';')[0]!.trim();
    expectMediaType(refText, 'manifest media type', MANIFEST_MEDIA_TYPE, manifest.mediaType);
    if (mediaType !== '') expectMediaType(refText, 'manifest media type (as stored)', MANIFEST_MEDIA_TYPE, mediaType);
    expectMediaType(refText, 'artifactType', NF_ARTIFACT_TYPE, manifest.artifactType);
    expectMediaType(refText, 'config media type', NF_CONFIG_MEDIA_TYPE, manifest.config.mediaType);
    if (manifest.layers.length !== 1) {
      throw new MpvisorError('FAILED_PRECONDITION', `${refText} is not an MPVisor NF: expected exactly one layer (${NF_IR_MEDIA_TYPE}), found ${manifest.layers.length}`);
    }
    const layerDescriptor = manifest.layers[0]!;
    expectMediaType(refText, 'layer media type', NF_IR_MEDIA_TYPE, layerDescriptor.mediaType);

    const configBytes = await this.#blob(repository, manifest.config, `config ${manifest.config.digest} of ${refText}`);
    const config = decodeJson(NfConfig, configBytes, `the config of ${refText}`);
    checkIrVersion(config.irVersion, `${refText} (its config)`);
    const layer = await this.#blob(repository, layerDescriptor, `IR layer ${layerDescriptor.digest} of ${refText}`);
    const raw = parseJson(layer, `the IR layer of ${refText}`);
    const irVersion = typeof raw === 'object' && raw !== null ? (raw as { irVersion?: unknown }).irVersion : undefined;
    checkIrVersion(irVersion, refText);
    const decoded = decodeIR(raw);
    if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', prefixIssues(`the IR of ${refText} is invalid`, decoded.left));
    const ir = decoded.right;

    // the layer is the IR's canonical JSON, so its digest is the NF's identity; the metadata must agree
    const irDigest = layerDescriptor.digest;
    const annotations = manifest.annotations ?? {};
    const agree: [string, unknown, unknown][] = [
      ['the IR digest of its layer', irDigest, digestOf(ir)],
      ['the IR digest in its config', irDigest, config.irDigest],
      ['the kind in its config', ir.kind, config.kind],
      ['the name in its config', ir.name, config.name],
      ['the irVersion in its config', ir.irVersion, config.irVersion],
      ['the lineage in its config', lineageText(ir), canonicalJson(config.lineage)],
      ...(annotations[ANNOTATION.irDigest] !== undefined ? [['the IR digest annotation', irDigest, annotations[ANNOTATION.irDigest]] as [string, unknown, unknown]] : []),
    ];
    for (const [what, want, got] of agree) {
      if (want !== got) throw new MpvisorError('DATA_LOSS', `${refText}: ${what} does not match the IR: expected ${String(want)}, got ${String(got)}`);
    }
    return { reference: refText, manifestDigest, irDigest, ir, config, annotations, manifest };
  }

  /** `pull`, plus each ancestor in the NF's lineage with where it is published in this store. */
  async inspect(reference: string | NfReference): Promise<InspectedNf> {
    const pulled = await this.pull(reference);
    const ancestors = pulled.ir.kind === 'program' ? (pulled.ir.lineage ?? []) : [];
    const published = ancestors.length > 0 ? await this.#publishedByIrDigest() : new Map<string, string>();
    const lineage = ancestors.map((a): LineageEntry => {
      const where = published.get(a.digest);
      return { name: a.name, digest: a.digest, ...(where !== undefined ? { published: where } : {}) };
    });
    return { ...pulled, lineage };
  }

  async list(): Promise<RepositoryEntry[]> {
    const repositories = await this.store.listRepositories();
    return Promise.all(repositories.map((r) => this.#entry(r)));
  }

  /** Repositories whose name, NF name or description (of any version) contains `query`, case-insensitively. */
  async search(query: string): Promise<SearchHit[]> {
    const q = query.toLowerCase();
    const hits: SearchHit[] = [];
    for (const entry of await this.list()) {
      const texts = [entry.repository];
      let latest: Annotations | undefined;
      for (const version of entry.versions) {
        const a = await this.#annotations(entry.repository, version);
        if (a) texts.push(a[ANNOTATION.nfName] ?? '', a[ANNOTATION.description] ?? '');
        if (a) latest = a;
      }
      if (!texts.some((text) => text.toLowerCase().includes(q))) continue;
      const nfName = latest?.[ANNOTATION.nfName];
      const description = latest?.[ANNOTATION.description];
      hits.push({ ...entry, ...(nfName !== undefined ? { nfName } : {}), ...(description !== undefined ? { description } : {}) });
    }
    return hits;
  }

  /** The versions of `scope/name`, lowest first. */
  async versions(repository: string): Promise<string[]> {
    parseRepository(repository);
    return sortVersions(await this.store.listTags(repository));
  }

  // ---- helpers ----------------------------------------------------------------

  #decodeForPublish(nf: Publishable, reference: string): NfIR {
    const candidate: unknown = typeof (nf as { toIR?: unknown }).toIR === 'function' ? (nf as { toIR(): NfIR }).toIR() : nf;
    const decoded = decodeIR(candidate);
    if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', prefixIssues(`cannot publish ${reference}: its IR is invalid`, decoded.left));
    return decoded.right;
  }

  /** The refusal of an existing version, saying whether it holds the same IR. */
  async #alreadyPublished(ref: NfReference, irDigest: string, cause: MpvisorError): Promise<MpvisorError> {
    const reference = formatReference(ref);
    let existing: { digest: string; irDigest: string | undefined } | undefined;
    try {
      const stored = await this.store.getManifest(repositoryOf(ref), tagOf(ref));
      const annotations = (parseJson(stored.bytes, reference) as { annotations?: Record<string, unknown> } | null)?.annotations;
      const d = annotations?.[ANNOTATION.irDigest];
      existing = { digest: stored.digest ?? sha256(stored.bytes), irDigest: typeof d === 'string' ? d : undefined };
    } catch {
      existing = undefined;
    }
    if (!existing) return new MpvisorError('ALREADY_EXISTS', `${cause.issues.map((i) => i.message).join('; ')}; versions are immutable: publish a new version`);
    const same =
      existing.irDigest === irDigest
        ? `with the same IR (${irDigest}); nothing was changed`
        : `with a different IR (published ${existing.irDigest ?? 'unknown'}, this one ${irDigest}); versions are immutable: publish a new version`;
    return new MpvisorError('ALREADY_EXISTS', `${reference} is already published (manifest ${existing.digest}) ${same}`);
  }

  async #blob(repository: string, descriptor: Descriptor, what: string): Promise<Uint8Array> {
    if (!/^sha256:[a-f0-9]{64}$/.test(descriptor.digest)) throw new MpvisorError('INVALID_ARGUMENT', `${what}: "${descriptor.digest}" is not a sha256 digest`);
    const bytes = await this.store.getBlob(repository, descriptor.digest);
    verifyDigest(bytes, descriptor.digest, what);
    if (bytes.length !== descriptor.size) throw new MpvisorError('DATA_LOSS', `${what}: size does not match its descriptor: expected ${descriptor.size} bytes, got ${bytes.length}`);
    return bytes;
  }

  async #entry(repository: string): Promise<RepositoryEntry> {
    const all = await this.store.listTags(repository);
    return { repository, versions: sortVersions(all), tags: all.filter((tag) => !isVersionTag(tag)).sort() };
  }

  /** A manifest's annotations, read for listing; one that cannot be read is skipped here (pull reports it). */
  async #annotations(repository: string, tag: string): Promise<Annotations | undefined> {
    try {
      const stored = await this.store.getManifest(repository, tag);
      if (stored.digest !== undefined && sha256(stored.bytes) !== stored.digest) return undefined;
      const raw = parseJson(stored.bytes, `${repository}:${tag}`) as { annotations?: unknown } | null;
      const a = raw?.annotations;
      return t.record(t.string, t.string).is(a) ? a : undefined;
    } catch {
      return undefined;
    }
  }

  /** IR digest → where it is published (lowest version first, else a tag); a scan of the whole store. */
  async #publishedByIrDigest(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const entry of await this.list()) {
      for (const tag of [...entry.versions, ...entry.tags]) {
        const d = (await this.#annotations(entry.repository, tag))?.[ANNOTATION.irDigest];
        if (d !== undefined && !found.has(d)) found.set(d, isVersionTag(tag) ? `${entry.repository}@${tag}` : `${entry.repository}:${tag}`);
      }
    }
    return found;
  }
}

function sortVersions(tags: readonly string[]): string[] {
  return tags.filter(isVersionTag).sort(semver.compare);
}

function checkIrVersion(version: unknown, where: string): void {
  if (version !== IR_VERSION) {
    throw new MpvisorError('UNIMPLEMENTED', `${where} has irVersion ${JSON.stringify(version)}; this library reads irVersion ${IR_VERSION} (a newer @mpvisor/mpapi may read it)`);
  }
}

function expectMediaType(reference: string, what: string, expected: string, found: string | undefined): void {
  if (found !== expected) {
    throw new MpvisorError('FAILED_PRECONDITION', `${reference} is not an MPVisor NF: its ${what} is ${found === undefined ? 'missing' : `"${found}"`}, expected "${expected}"`);
  }
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MpvisorError('INVALID_ARGUMENT', `${what} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new MpvisorError('INVALID_ARGUMENT', `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function decodeJson<A>(codec: t.Type<A, unknown, unknown>, bytes: Uint8Array, what: string): A {
  const decoded = codec.decode(parseJson(bytes, what));
  if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', prefixIssues(`${what} is malformed`, issuesOf(decoded.left)));
  return decoded.right;
}

function prefixIssues(prefix: string, issues: readonly Issue[]): Issue[] {
  return issues.map((i) => ({ ...i, message: `${prefix}: ${i.message}` }));
}

function lineageText(ir: NfIR): string {
  return canonicalJson((ir.kind === 'program' ? (ir.lineage ?? []) : []).map((a) => ({ name: a.name, digest: a.digest })));
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
