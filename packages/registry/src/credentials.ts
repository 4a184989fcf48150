/**
 * Registry credentials: what `mpvisor login` stores and what a RemoteStore
 * sends. One JSON file maps a registry's origin (`https://host:port`) to its
 * credentials; it is private to the user (mode 0600) and replaced
 * atomically, so a crash never leaves half a file. Like Docker's
 * config.json without a credential helper, the secrets are stored in plain
 * text: the file mode is the protection.
 *
 * Environment variables override the file, for CI:
 * `MPVISOR_REGISTRY_TOKEN`, or `MPVISOR_REGISTRY_USER` with
 * `MPVISOR_REGISTRY_PASSWORD`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MpvisorError } from '@mpvisor/mpapi';
import { writeFileAtomic } from './atomic-file.js';

/** A user name and password (basic auth, or exchanged for a bearer token), or a bearer token sent as is. */
export type Credentials = { username: string; password: string } | { token: string };

interface CredentialsFile {
  readonly version: 1;
  readonly registries: Record<string, Credentials>;
}

/** `$MPVISOR_CONFIG_DIR/credentials.json`, else `$XDG_CONFIG_HOME/mpvisor/…`, else `~/.config/mpvisor/credentials.json`. */
export function defaultCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = nonEmpty(env['MPVISOR_CONFIG_DIR']) ?? join(nonEmpty(env['XDG_CONFIG_HOME']) ?? join(homedir(), '.config'), 'mpvisor');
  return join(dir, 'credentials.json');
}

/** The key credentials are stored under: the URL's origin, so `https://r.example/v2/x` and `https://r.example` share them. */
export function registryKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${url}" is not a URL (expected https://host[:port])`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new MpvisorError('INVALID_ARGUMENT', `registry URL "${url}" must start with https:// or http://`);
  }
  return parsed.origin;
}

/**
 * Credentials for `url`: the environment's if set, else the file's entry
 * for the URL's origin, else undefined.
 */
export function loadCredentials(url: string, file: string = defaultCredentialsFile(), env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  return credentialsFromEnv(env) ?? readFile(file).registries[registryKey(url)];
}

/** The environment override, if any. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const token = nonEmpty(env['MPVISOR_REGISTRY_TOKEN']);
  if (token !== undefined) return { token };
  const username = nonEmpty(env['MPVISOR_REGISTRY_USER']);
  const password = env['MPVISOR_REGISTRY_PASSWORD'];
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    throw new MpvisorError('INVALID_ARGUMENT', 'set both MPVISOR_REGISTRY_USER and MPVISOR_REGISTRY_PASSWORD (or MPVISOR_REGISTRY_TOKEN), not just one of them');
  }
  return { username, password };
}

/** Store credentials for `url`'s origin, replacing any it had. */
export function saveCredentials(url: string, credentials: Credentials, file: string = defaultCredentialsFile()): void {
  const key = registryKey(url);
  checkCredentials(credentials, key);
  const current = readFile(file);
  writeFileAtomically(file, { version: 1, registries: { ...current.registries, [key]: copyCredentials(credentials) } });
}

/** Forget the credentials for `url`'s origin; returns whether there were any. */
export function removeCredentials(url: string, file: string = defaultCredentialsFile()): boolean {
  const key = registryKey(url);
  const current = readFile(file);
  if (!(key in current.registries)) return false;
  const { [key]: _removed, ...rest } = current.registries;
  writeFileAtomically(file, { version: 1, registries: rest });
  return true;
}

function readFile(file: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, registries: {} };
    throw new MpvisorError('FAILED_PRECONDITION', `cannot read credentials file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new MpvisorError('FAILED_PRECONDITION', `credentials file ${file} is not valid JSON (${(e as Error).message}); fix or delete it and log in again`);
  }
  const registries = isObject(parsed) && parsed['version'] === 1 && isObject(parsed['registries']) ? parsed['registries'] : undefined;
  if (registries === undefined) {
    throw new MpvisorError('FAILED_PRECONDITION', `credentials file ${file} is not an MPVisor credentials file (expected {"version": 1, "registries": {…}}); fix or delete it`);
  }
  const out: Record<string, Credentials> = {};
  for (const [key, value] of Object.entries(registries)) {
    const creds = asCredentials(value);
    if (creds === undefined) {
      throw new MpvisorError('FAILED_PRECONDITION', `credentials file ${file}: the entry for ${key} needs "username" and "password", or "token"`);
    }
    out[key] = creds;
  }
  return { version: 1, registries: out };
}

/** The file whole or not at all, private to the user. */
function writeFileAtomically(file: string, content: CredentialsFile): void {
  try {
    writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
  } catch (e) {
    throw new MpvisorError('FAILED_PRECONDITION', `cannot write credentials file ${file}: ${(e as Error).message}`);
  }
}

function checkCredentials(credentials: Credentials, key: string): void {
  if ('token' in credentials ? credentials.token === '' : credentials.username === '') {
    throw new MpvisorError('INVALID_ARGUMENT', `credentials for ${key}: ${'token' in credentials ? 'the token' : 'the user name'} is empty`);
  }
  if (!('token' in credentials) && credentials.username.includes(':')) {
    throw new MpvisorError('INVALID_ARGUMENT', `credentials for ${key}: user name "${credentials.username}" contains ":", which basic auth cannot carry`);
  }
}

/** Only the known fields, so nothing else a caller's object carries ends up in the file. */
function copyCredentials(credentials: Credentials): Credentials {
  return 'token' in credentials ? { token: credentials.token } : { username: credentials.username, password: credentials.password };
}

function asCredentials(value: unknown): Credentials | undefined {
  if (!isObject(value)) return undefined;
  const { username, password, token } = value;
  if (typeof token === 'string') return { token };
  if (typeof username === 'string' && typeof password === 'string') return { username, password };
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
