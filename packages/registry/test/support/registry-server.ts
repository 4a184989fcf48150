/**
 * A real OCI distribution registry for the tests: Debian's `docker-registry`
 * (the CNCF distribution registry, installed by scripts/ensure-system-deps.sh)
 * started on a free loopback port with its own storage in a temporary
 * directory, and one of two kinds of authentication:
 *
 * - `htpasswd`: basic auth against an htpasswd file made by `htpasswd -B`
 *   (distribution accepts only bcrypt entries);
 * - `token`: distribution's bearer-token auth, with a small Node token
 *   server here that checks the same user and password and signs JWTs
 *   (RS256, the signing certificate in the `x5c` header) with a key and
 *   self-signed certificate made by `openssl`; the registry trusts that
 *   certificate as its root bundle.
 *
 * A missing binary fails the test with the command that installs it: these
 * tests never skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  /** Token requests answered so far (granted or refused). */
  readonly requests: number;
  /** A token the registry accepts, granting `access` (e.g. `repository:acme/fw:pull,push`). */
  issue(scopes: readonly string[], subject?: string): string;
}

export interface RegistryServer {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Present with `auth: 'token'`. */
  readonly tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export interface RegistryServerOptions {
  readonly auth?: 'htpasswd' | 'token';
  readonly username?: string;
  readonly password?: string;
}

const INSTALL_HINT = 'install it with: bash scripts/ensure-system-deps.sh   (as root, or with sudo available)';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startRegistryServer(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const binary = findBinary('docker-registry', 'docker-registry (Debian package "docker-registry", the CNCF distribution registry)');
  const username = options.username ?? 'alice';
  const password = options.password ?? 's3cret-pass';
  const dir = mkdtempSync(join(tmpdir(), 'mpvisor-registry-'));
  let token: StartedTokenServer | undefined;
  try {
    let auth: string;
    if (options.auth === 'token') {
      token = await startTokenServer(dir, username, password);
      auth = [
        'auth:',
        '  token:',
        `    realm: ${token.realm}`,
        `    service: ${token.service}`,
        `    issuer: ${token.issuer}`,
        `    rootcertbundle: ${token.certFile}`,
      ].join('\n');
    } else {
      writeFileSync(join(dir, 'htpasswd'), await makeHtpasswd(username, password));
      auth = ['auth:', '  htpasswd:', '    realm: mpvisor-test', `    path: ${join(dir, 'htpasswd')}`].join('\n');
    }
    // The free port is found by binding and releasing it, so another process could take it first: try a few.
    let lastProblem = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      writeFileSync(
        config,
        [
          'version: 0.1',
          'log:',
          '  level: error',
          '  accesslog:',
          '    disabled: true',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${join(dir, 'data')}`,
          '  delete:',
          '    enabled: true',
          'http:',
          `  addr: 127.0.0.1:${port}`,
          auth,
          '',
        ].join('\n'),
      );
      const child = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      // A spawn failure is an 'error' event; unhandled, it would crash the test run instead of failing the test.
      let spawnError = '';
      child.on('error', (e) => {
        spawnError = `${e.message}; `;
      });
      const stderr = tail(child);
      const url = `http://127.0.0.1:${port}`;
      const ready = await waitUntilReady(url, child);
      if (ready === 'ready') {
        const started = token;
        return {
          url,
          username,
          password,
          ...(started !== undefined ? { tokenServer: started.api } : {}),
          stop: async () => {
            await stopChild(child);
            await started?.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await stopChild(child);
      lastProblem = `${spawnError}${ready}; its stderr: ${stderr().trim() || '(empty)'}`;
    }
    throw new Error(`docker-registry did not start: ${lastProblem}`);
  } catch (e) {
    await token?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A loopback port nothing listens on right now (and, being closed, one that refuses connections). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

function findBinary(name: string, what: string): string {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/sbin']) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error(`${what} is not installed; ${INSTALL_HINT}`);
}

async function makeHtpasswd(username: string, password: string): Promise<string> {
  const htpasswd = findBinary('htpasswd', 'htpasswd (Debian package "apache2-utils")');
  // -B: bcrypt, the only hash distribution's htpasswd auth accepts.
  return (await run(htpasswd, ['-Bbn', username, password])).stdout;
}

/** Poll GET /v2/ until the registry answers at all (401 counts: it is up), the process exits, or time runs out. */
async function waitUntilReady(url: string, child: ChildProcess): Promise<'ready' | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.pid === undefined) return 'it could not be started';
    if (child.exitCode !== null || child.signalCode !== null) return `it exited (${child.exitCode ?? child.signalCode})`;
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return 'ready';
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return `it did not answer GET ${url}/v2/ within ${READY_TIMEOUT_MS} ms`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: it never started, so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The last few KB of a child's stderr, for the error if it fails to start. */
function tail(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4096);
  });
  return () => text;
}

// ---------------------------------------------------------------- token server

interface StartedTokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certFile: string;
  readonly api: TokenServer;
  close(): Promise<void>;
}

async function startTokenServer(dir: string, username: string, password: string): Promise<StartedTokenServer> {
  const openssl = findBinary('openssl', 'openssl (Debian package "openssl")');
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  await run(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=mpvisor-test-token-issuer', '-keyout', keyFile, '-out', certFile]);
  const key = readFileSync(keyFile, 'utf8');
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const service = 'mpvisor-test-registry';
  const issuer = 'mpvisor-test-issuer';
  let requests = 0;

  const issue = (scopes: readonly string[], subject = username): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 1, iat: now, jti: randomUUID(), access: scopes.map(parseScope) };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    return `${signingInput}.${base64url(signature)}`;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return answer(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
    const auth = req.headers.authorization;
    let subject: string | undefined;
    if (auth !== undefined) {
      const [scheme, value] = auth.split(' ');
      const decoded = scheme?.toLowerCase() === 'basic' && value !== undefined ? Buffer.from(value, 'base64').toString('utf8') : '';
      if (decoded !== `${username}:${password}`) {
        res.setHeader('www-authenticate', 'Basic realm="mpvisor-test-token"');
        return answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'wrong user name or password' }] });
      }
      subject = username;
    }
    // An anonymous caller gets a valid token that grants nothing, as a registry without public repositories would.
    const scopes = subject !== undefined ? url.searchParams.getAll('scope') : [];
    const token = issue(scopes, subject ?? 'anonymous');
    return answer(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('token server has no port'));
      else resolve(address.port);
    });
  });
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    certFile,
    api: {
      realm,
      service,
      get requests() {
        return requests;
      },
      issue,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `repository:acme/fw:pull,push` → the JWT access claim entry distribution checks. */
function parseScope(scope: string): { type: string; name: string; actions: string[] } {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) throw new Error(`malformed scope "${scope}"`);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
