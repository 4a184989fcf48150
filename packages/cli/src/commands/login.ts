/**
 * `mpvisor login <url> --username U [--password-stdin | --password P]` and
 * `mpvisor logout <url>`: credentials for a registry, checked against it
 * before they are stored (a private file, mode 0600: see
 * `defaultCredentialsFile` in @mpvisor/registry), so a typo is reported now
 * rather than at the next publish.
 */
import { defaultCredentialsFile, login as registryLogin, registryKey, removeCredentials } from '@mpvisor/registry';
import { describe } from './build.js';
import type { CommandResult } from './command.js';

export interface LoginOptions {
  readonly username?: string;
  readonly password?: string;
  readonly passwordStdin?: boolean;
  /** Allow plain http:// to a host other than loopback. */
  readonly insecure?: boolean;
  /** Where `--password-stdin` reads from (tests pass their own). */
  readonly stdin?: () => Promise<string>;
}

export async function login(url: string | undefined, options: LoginOptions): Promise<CommandResult> {
  const usage = (message: string): CommandResult => ({ code: 2, stdout: '', stderr: `mpvisor login: ${message}` });
  if (!url) return usage('name the registry: mpvisor login https://registry.example --username U --password-stdin');
  if (options.username === undefined || options.username === '') return usage('--username is required');
  if (options.password !== undefined && options.passwordStdin) return usage('give --password or --password-stdin, not both');
  if (options.password === undefined && !options.passwordStdin) return usage('give the password with --password-stdin (or --password P)');
  const warnings: string[] = [];
  let password: string;
  try {
    if (options.passwordStdin) {
      // one line, as `echo "$TOKEN" | mpvisor login … --password-stdin` sends it
      password = (await (options.stdin ?? readStdin)()).replace(/\r?\n$/, '');
      if (password === '') return usage('--password-stdin: standard input was empty');
    } else {
      password = options.password!;
      warnings.push('warning: a --password on the command line is visible to other users of this machine; prefer --password-stdin');
    }
    const file = defaultCredentialsFile();
    await registryLogin(url, { username: options.username, password }, options.insecure !== undefined ? { insecure: options.insecure } : {});
    return { code: 0, stdout: `logged in to ${registryKey(url)} as ${options.username}; credentials stored in ${file} (mode 0600)`, stderr: warnings.join('\n') };
  } catch (e) {
    return { code: 1, stdout: '', stderr: [...warnings, `mpvisor login: ${describe(e)}`].join('\n') };
  }
}

export function logout(url: string | undefined): CommandResult {
  if (!url) return { code: 2, stdout: '', stderr: 'mpvisor logout: name the registry: mpvisor logout https://registry.example' };
  try {
    const file = defaultCredentialsFile();
    const removed = removeCredentials(url, file);
    return { code: 0, stdout: removed ? `removed the credentials for ${registryKey(url)} from ${file}` : `no credentials stored for ${registryKey(url)} in ${file}`, stderr: '' };
  } catch (e) {
    return { code: 1, stdout: '', stderr: `mpvisor logout: ${describe(e)}` };
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
