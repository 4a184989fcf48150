/**
 * The registry commands, in-process as `mpvisor` runs them: publish (the
 * source audited first), inspect with lineage, list and search, pull to a
 * typed module and to canonical IR, an audit refusal naming file, line and
 * construct, login against a real docker-registry (a wrong password is a
 * clear error and stores nothing; a right one is stored 0600 and used by
 * publish), and the refusal to publish a version twice. Every failure is
 * one clear message with a non-zero exit code, never a stack trace.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type CommandResult } from '@mpvisor/cli';
import { canonicalJson, digestOf } from '@mpvisor/mpapi';
import { firewall } from '../../../examples/nfs/firewall.js';
import { firewallStrict } from '../../../examples/registry/firewall-strict.js';
import { startRegistryServer, type RegistryServer } from '../../registry/test/support/registry-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIREWALL = join(ROOT, 'examples/nfs/firewall.ts');
const STRICT = join(ROOT, 'examples/registry/firewall-strict.ts');
const SHA256 = /sha256:[0-9a-f]{64}/;

const cli = (...args: string[]): Promise<CommandResult> => runCli(args, '0.0.0');
/** No stack trace: no "    at …" line. */
const noStack = (r: CommandResult): void => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at [^\n]*:\d+:\d+/);

let tmp: string;
let store: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mpvisor-registry-cli-'));
  store = join(tmp, 'registry');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

describe('mpvisor publish, inspect, list, search and pull over a local registry', () => {
  it('publishes the firewall after auditing it, printing the reference and both digests', async () => {
    const r = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', '1.0.0', '--tag', 'latest', '--author', 'Acme NetOps', '--registry', store);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audited 1 module: no findings');
    expect(r.stdout).toContain(`published acme/firewall@1.0.0 to ${store}`);
    expect(r.stdout).toMatch(new RegExp(`^  manifest  ${SHA256.source}$`, 'm'));
    expect(r.stdout).toContain(`  IR        ${firewall.irDigest()}`);
    expect(r.stdout).toContain('  tags      latest');
  });

  it('publishes an NF derived from the pulled firewall, auditing the module it imports too', async () => {
    const r = await cli('publish', STRICT, '--name', 'acme/firewall-strict', '--version', '1.0.0', '--registry', store);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audited 2 modules: no findings');
    expect(r.stdout).toContain(`  IR        ${firewallStrict.irDigest()}`);
    expect(r.stdout).toContain(`  parent    firewall ${firewall.irDigest()}`);
  });

  it('inspects the derived NF: digests, annotations, stages and lineage with where the parent is published', async () => {
    const r = await cli('inspect', 'acme/firewall-strict@1.0.0', '--registry', store);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('acme/firewall-strict@1.0.0');
    expect(r.stdout).toMatch(new RegExp(`^  manifest +${SHA256.source}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^  IR +${firewallStrict.irDigest()} \\(irVersion 1\\)$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}NF +program "acme\/firewall-strict"$/m);
    expect(r.stdout).toMatch(/^ {2}version +1\.0\.0$/m);
    expect(r.stdout).toMatch(/^ {2}description +Default-deny firewall/m);
    expect(r.stdout).toMatch(/^ {2}created +\d{4}-\d\d-\d\dT/m);
    expect(r.stdout).toMatch(/^ {4}acl: ipv4\.srcAddr ternary, .*; actions allow, deny; default deny; size 1024, 3 const entries$/m);
    expect(r.stdout).toMatch(/^ {4}uplink: no key; actions out; default out\(port=0x3\); size \d+$/m);
    expect(r.stdout).toContain(`    firewall ${firewall.irDigest()}, published as acme/firewall@1.0.0`);

    const json = JSON.parse((await cli('inspect', 'acme/firewall:latest', '--json', '--registry', store)).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ reference: 'acme/firewall:latest', irDigest: firewall.irDigest(), kind: 'program', name: 'firewall', version: '1.0.0', author: 'Acme NetOps', lineage: [] });
  });

  it('lists the repositories with versions and tags, and searches names and descriptions', async () => {
    const list = await cli('list', '--registry', store);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')).toEqual([
      expect.stringMatching(/^NF +VERSIONS +TAGS$/),
      expect.stringMatching(/^acme\/firewall +1\.0\.0 +latest$/),
      expect.stringMatching(/^acme\/firewall-strict +1\.0\.0 +-$/),
    ]);
    const search = await cli('search', 'DEFAULT-DENY', '--registry', store);
    expect(search.code).toBe(0);
    expect(search.stdout.split('\n')).toHaveLength(2);
    expect(search.stdout).toMatch(/^acme\/firewall-strict +1\.0\.0 +- +Default-deny firewall: only HTTP, HTTPS and DNS pass/m);
    expect((await cli('search', 'no such thing', '--registry', store)).stdout).toBe(`no NF in ${store} matches "no such thing"`);
    // the registry from the environment when there is no --registry
    vi.stubEnv('MPVISOR_REGISTRY', store);
    expect(JSON.parse((await cli('list', '--json')).stdout)).toEqual([
      { repository: 'acme/firewall', versions: ['1.0.0'], tags: ['latest'] },
      { repository: 'acme/firewall-strict', versions: ['1.0.0'], tags: [] },
    ]);
  });

  it('pulls to a typed module that loads to the published NF, and to canonical IR whose sha256 is the IR digest', async () => {
    const out = join(tmp, 'src', 'nfs', 'firewall.ts');
    const ir = join(tmp, 'firewall.ir.json');
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    const r = await cli('pull', 'acme/firewall:latest', '-o', out, '--ir', ir, '--registry', store);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pulled acme/firewall:latest from ${store}: program "firewall", verified`);
    expect(r.stdout).toContain(`wrote ${out}: export firewall (a typed program builder)`);
    const text = readFileSync(out, 'utf8');
    // pinned to the version the tag pointed at
    expect(text.startsWith('/**\n * acme/firewall@1.0.0: generated by `mpvisor pull`')).toBe(true);
    const mod = (await import(pathToFileURL(out).href)) as { firewall: { irDigest(): string } };
    expect(mod.firewall.irDigest()).toBe(firewall.irDigest());
    const bytes = readFileSync(ir);
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(firewall.irDigest());
    expect(bytes.toString('utf8')).toBe(canonicalJson(firewall.toIR()));
    expect(digestOf(JSON.parse(bytes.toString('utf8')))).toBe(firewall.irDigest());

    const custom = await cli('pull', 'acme/firewall-strict@1.0.0', '-o', join(tmp, 'strict.ts'), '--export', 'upstreamStrict', '--registry', store);
    expect(custom.code).toBe(0);
    expect(readFileSync(join(tmp, 'strict.ts'), 'utf8')).toContain('export const upstreamStrict = programFromIR(');
  });

  it('refuses a module that fails the source audit, naming file, line, column and construct, and publishes nothing', async () => {
    const bad = join(tmp, 'random-fw.ts');
    writeFileSync(
      bad,
      [
        "import { program, std } from '@mpvisor/mpapi';",
        '',
        'const size = 1024 + Math.floor(Math.random() * 1024);',
        '',
        "export const randomFw = program('random-fw')",
        '  .headers({ ethernet: std.ethernet })',
        "  .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))",
        "  .stage('t', (t) => t.key({ 'ethernet.dstAddr': 'exact' }).action('drop', (a) => a.drop()).size(size));",
        '',
      ].join('\n'),
    );
    const r = await cli('publish', bad, '--name', 'acme/random-fw', '--version', '1.0.0', '--registry', store);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `mpvisor publish: ${bad} failed the source audit (1 finding); nothing was published:`,
      `  ${bad}:3:32: Math.random is not allowed in an NF module: it reads randomness`,
    ]);
    noStack(r);
    expect((await cli('list', '--registry', store)).stdout).not.toContain('random-fw');
  });

  it('refuses to publish a version again, saying whether the IR is the same, and changes nothing', async () => {
    const same = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', '1.0.0', '--registry', store);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/^mpvisor publish: ALREADY_EXISTS: acme\/firewall@1\.0\.0 is already published \(manifest sha256:[0-9a-f]{64}\) with the same IR/);
    const other = await cli('publish', STRICT, '--name', 'acme/firewall', '--version', '1.0.0', '--registry', store);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('with a different IR');
    expect(other.stderr).toContain('versions are immutable: publish a new version');
    expect(other.stderr.split('\n')).toHaveLength(1);
    noStack(other);
    const inspected = JSON.parse((await cli('inspect', 'acme/firewall@1.0.0', '--json', '--registry', store)).stdout) as { irDigest: string };
    expect(inspected.irDigest).toBe(firewall.irDigest());
  });

  it('reports bad arguments and missing NFs as one line each', async () => {
    const noVersion = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--registry', store);
    expect(noVersion).toEqual({ code: 2, stdout: '', stderr: 'mpvisor publish: --version x.y.z is required' });
    const badName = await cli('publish', FIREWALL, '--name', 'Acme/Firewall', '--version', '1.0.0', '--registry', store);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toBe(
      'mpvisor publish: INVALID_ARGUMENT: NF reference "Acme/Firewall": the scope "Acme" must be lower-case letters and digits, separated by ".", "_", "__" or "-"',
    );
    const badVersion = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', 'v1', '--registry', store);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain('"v1" is not a semantic version');
    const several = await cli('publish', join(ROOT, 'examples/nfs/policies.ts'), '--name', 'acme/tenant', '--version', '1.0.0', '--registry', store);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('choose one with --export');
    const missing = await cli('pull', 'acme/nothing@1.0.0', '-o', join(tmp, 'nothing.ts'), '--registry', store);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mpvisor pull: NOT_FOUND: .*acme\/nothing/);
    expect(existsSync(join(tmp, 'nothing.ts'))).toBe(false);
    expect((await cli('pull', 'acme/firewall@1.0.0', '--registry', store)).code).toBe(2);
    expect((await cli('inspect', 'acme/firewall', '--registry', store, '--bogus')).stderr).toMatch(/^mpvisor inspect: Unknown option '--bogus'/);
    for (const r of [noVersion, badName, several, missing]) noStack(r);
  });

  it('prints a command’s usage with --help', async () => {
    for (const command of ['publish', 'pull', 'inspect', 'list', 'search', 'login', 'logout']) {
      const r = await cli(command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^Usage:\\n  mpvisor ${command} `));
    }
    expect((await cli('publish', '--help')).stdout).toContain('$MPVISOR_REGISTRY');
  });
});

describe('mpvisor login and publish against a real docker-registry', () => {
  let server: RegistryServer;
  let config: string;
  beforeAll(async () => {
    server = await startRegistryServer({ auth: 'htpasswd' });
    config = join(tmp, 'config');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a wrong password with a clear error and stores nothing', async () => {
    vi.stubEnv('MPVISOR_CONFIG_DIR', config);
    const r = await cli('login', server.url, '--username', server.username, '--password', 'wrong-password');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      expect.stringContaining('warning: a --password on the command line is visible'),
      expect.stringMatching(new RegExp(`^mpvisor login: UNAUTHENTICATED: registry ${server.url} rejected the credentials for ${server.username}`)),
    ]);
    noStack(r);
    expect(existsSync(join(config, 'credentials.json'))).toBe(false);
  });

  it('without credentials, publish says to log in', async () => {
    vi.stubEnv('MPVISOR_CONFIG_DIR', config);
    const r = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', '1.0.0', '--registry', server.url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`requires authentication; run \`mpvisor login ${server.url}\``);
    noStack(r);
  });

  it('stores right credentials (mode 0600); publish, list and pull then use them; logout forgets them', async () => {
    vi.stubEnv('MPVISOR_CONFIG_DIR', config);
    const file = join(config, 'credentials.json');
    const login = await cli('login', server.url, '--username', server.username, '--password', server.password);
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`logged in to ${server.url} as ${server.username}; credentials stored in ${file} (mode 0600)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const published = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', '1.0.0', '--registry', server.url);
    expect(published.stderr).toBe('');
    expect(published.stdout).toContain(`published acme/firewall@1.0.0 to ${server.url}`);
    expect((await cli('list', '--registry', server.url)).stdout).toMatch(/^acme\/firewall +1\.0\.0 +-$/m);
    const again = await cli('publish', FIREWALL, '--name', 'acme/firewall', '--version', '1.0.0', '--registry', server.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^mpvisor publish: ALREADY_EXISTS: acme\/firewall@1\.0\.0 is already published/);
    const pulled = await cli('pull', 'acme/firewall@1.0.0', '--ir', join(tmp, 'remote.ir.json'), '--registry', server.url);
    expect(pulled.code).toBe(0);
    expect(readFileSync(join(tmp, 'remote.ir.json'), 'utf8')).toBe(firewall.canonicalJson());

    expect((await cli('logout', server.url)).stdout).toBe(`removed the credentials for ${server.url} from ${file}`);
    expect((await cli('logout', server.url)).stdout).toBe(`no credentials stored for ${server.url} in ${file}`);
    expect((await cli('list', '--registry', server.url)).code).toBe(1);
  });
});
