/**
 * Where published NFs live: the contract both stores implement — a local
 * OCI image-layout directory (layout-store.ts, the embedded default) and
 * any OCI distribution registry over HTTP(S) (remote-store.ts). A store
 * moves bytes by digest and tags; the registry (registry.ts) builds and
 * checks manifests, verifies digests and keeps versions immutable.
 */
export interface StoredManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  /** The manifest's digest as the store reports it (a registry's Docker-Content-Digest), if it does; the registry verifies the bytes against the digest it expects. */
  readonly digest?: string;
}

export interface NfStore {
  /** Where it is, for messages: a directory or a URL. */
  readonly location: string;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /**
   * Store a blob under its digest. The store checks the bytes against the
   * digest and never makes a partly written blob visible.
   */
  putBlob(repository: string, digest: string, bytes: Uint8Array, mediaType: string): Promise<void>;
  /** A blob's bytes, unverified (the caller verifies). NOT_FOUND if absent. */
  getBlob(repository: string, digest: string): Promise<Uint8Array>;
  /**
   * Store a manifest and point `tag` at it. With `immutable`, a tag that
   * already exists is refused with ALREADY_EXISTS, and of two concurrent
   * puts of the same tag exactly one succeeds (as far as the store can
   * guarantee it: see the store's notes). Returns the manifest's digest.
   */
  putManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string, options: { readonly immutable: boolean }): Promise<string>;
  /** A manifest by tag or digest, unverified. NOT_FOUND if absent. */
  getManifest(repository: string, reference: string): Promise<StoredManifest>;
  /** Tags of a repository, sorted; empty if the repository does not exist. */
  listTags(repository: string): Promise<string[]>;
  /** Repositories (`scope/name`), sorted. */
  listRepositories(): Promise<string[]>;
}
