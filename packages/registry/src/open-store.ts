/**
 * One place that turns a user's "where" into a store: an `http(s)://` URL
 * is a distribution registry, anything else a local OCI image-layout
 * directory, and nothing at all the project's own `.mpvisor/registry`.
 * Also `login`, which checks credentials against the registry before it
 * stores them, so a typo is reported now rather than at the next publish.
 */
import { resolve } from 'node:path';
import { MpvisorError } from '@mpvisor/mpapi';
import { defaultCredentialsFile, loadCredentials, saveCredentials, type Credentials } from './credentials.js';
import { LayoutStore } from './layout-store.js';
import { RemoteStore } from './remote-store.js';
import type { NfStore } from './store.js';

export interface OpenStoreOptions {
  /** Resolves a relative directory and the default `.mpvisor/registry` (default: process.cwd()). */
  readonly cwd?: string;
  /** For a registry URL: these credentials instead of the environment's or the credentials file's. */
  readonly credentials?: Credentials;
  readonly credentialsFile?: string;
  /** For a registry URL: retries after a transient failure (see RemoteStoreOptions). */
  readonly retries?: number;
  /** For a registry URL: allow plain http:// to a host other than loopback. */
  readonly insecure?: boolean;
}

export interface LoginOptions {
  readonly credentialsFile?: string;
  readonly retries?: number;
  readonly insecure?: boolean;
  readonly fetch?: typeof fetch;
}

/** The default store: `<cwd>/.mpvisor/registry`. */
export const DEFAULT_STORE_DIR = '.mpvisor/registry';

export function openStore(location?: string, options: OpenStoreOptions = {}): NfStore {
  const cwd = options.cwd ?? process.cwd();
  if (location === undefined) return new LayoutStore(resolve(cwd, DEFAULT_STORE_DIR));
  if (location.trim() === '') throw new MpvisorError('INVALID_ARGUMENT', 'store location is empty: give a directory or an https:// registry URL');
  if (/^https?:\/\//i.test(location)) {
    const credentials = options.credentials ?? loadCredentials(location, options.credentialsFile ?? defaultCredentialsFile());
    return new RemoteStore(location, {
      ...(credentials !== undefined ? { credentials } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
    });
  }
  // Another scheme is more likely a mistake than a directory called "oci:".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new MpvisorError('INVALID_ARGUMENT', `store location "${location}": only https:// and http:// registries are supported; a local store is a directory path`);
  }
  return new LayoutStore(resolve(cwd, location));
}

/**
 * Check `credentials` against the registry at `url` (GET /v2/, answering its
 * challenge) and store them for its origin. Wrong credentials throw
 * UNAUTHENTICATED and store nothing.
 */
export async function login(url: string, credentials: Credentials, options: LoginOptions = {}): Promise<void> {
  const store = new RemoteStore(url, {
    credentials,
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  await store.ping();
  saveCredentials(url, credentials, options.credentialsFile ?? defaultCredentialsFile());
}
