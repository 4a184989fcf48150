// Proves the *published* @mpvisor/mpapi works: packs the built package with
// `npm pack`, installs the tarball into a fresh project outside the monorepo
// and uses it from ESM, CommonJS and TypeScript (NodeNext) consumers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const pkgDir = join(repoRoot, 'packages', 'mpapi');
const tscBin = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

const TIMEOUT = 300_000;

// Environment for child processes: drop what `npm test` / vitest inject that could
// make the nested npm treat the monorepo as its project, or change node's
// export-condition resolution.
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (
      /^npm_(package_|lifecycle_|command$)/i.test(key) ||
      /^npm_config_(local_prefix|prefix|workspaces?|include_workspace_root)$/i.test(key)
    ) {
      delete env[key];
    }
  }
  delete env['NODE_OPTIONS'];
  return env;
}

/** Runs a command without stdin; returns stdout, or throws with the full output. */
function run(cmd: string, args: readonly string[], cwd: string, timeout = 120_000): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: childEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { status?: number | null; signal?: string | null; stdout?: unknown; stderr?: unknown };
    throw new Error(
      [
        `command failed: ${cmd} ${args.join(' ')} (cwd ${cwd}, status ${String(e.status)}, signal ${String(e.signal)})`,
        `--- stdout ---\n${String(e.stdout ?? '')}`,
        `--- stderr ---\n${String(e.stderr ?? '')}`,
      ].join('\n'),
    );
  }
}

describe('@mpvisor/mpapi published package', () => {
  let tmpRoot = '';
  let consumerDir = '';
  let tarball = '';
  let tarEntries: string[] = [];

  beforeAll(() => {
    if (!existsSync(join(pkgDir, 'dist', 'index.js'))) {
      run('npm', ['run', 'build', '-w', '@mpvisor/mpapi'], repoRoot, 180_000);
    }

    tmpRoot = mkdtempSync(join(tmpdir(), 'mpapi-pack-'));
    const packDir = join(tmpRoot, 'pack');
    consumerDir = join(tmpRoot, 'consumer');
    mkdirSync(packDir);
    mkdirSync(consumerDir);

    run('npm', ['pack', '--pack-destination', packDir], pkgDir);
    const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    expect(tgz).toHaveLength(1);
    tarball = join(packDir, tgz[0] ?? '');
    tarEntries = run('tar', ['-tzf', tarball], tmpRoot)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');

    writeFileSync(
      join(consumerDir, 'package.json'),
      `${JSON.stringify({ name: 'mpapi-consumer', version: '0.0.0', private: true }, null, 2)}\n`,
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--offline=false', tarball], consumerDir, 180_000);
  }, TIMEOUT);

  afterAll(() => {
    if (tmpRoot !== '') rmSync(tmpRoot, { recursive: true, force: true });
  });

  it('tarball contains the ESM and CJS builds with their declarations', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      expect(tarEntries).toContain(`package/${file}`);
    }
  });

  it('tarball contains no tests', () => {
    const tests = tarEntries.filter(
      (e) => e.startsWith('package/test/') || /\.test(-d)?\.[cm]?[jt]sx?$/.test(e),
    );
    expect(tests).toEqual([]);
  });

  it('works from an ES module', () => {
    writeFileSync(
      join(consumerDir, 'test.mjs'),
      "import { program, IR_VERSION } from '@mpvisor/mpapi';\nconsole.log(typeof program, IR_VERSION);\n",
    );
    expect(run(process.execPath, ['test.mjs'], consumerDir).trim()).toBe('function 1');
  });

  it('works from CommonJS', () => {
    writeFileSync(
      join(consumerDir, 'test.cjs'),
      "const { program, IR_VERSION } = require('@mpvisor/mpapi');\nconsole.log(typeof program, IR_VERSION);\n",
    );
    expect(run(process.execPath, ['test.cjs'], consumerDir).trim()).toBe('function 1');
  });

  it(
    'type-checks for TypeScript consumers (module NodeNext, CJS and ESM)',
    () => {
      const source =
        "import { program } from '@mpvisor/mpapi';\nconst p: typeof program = program;\nvoid p;\n";
      // The consumer package has no "type" field: check.ts is CommonJS (uses
      // dist/index.d.cts), check.mts is ESM (uses dist/index.d.ts).
      writeFileSync(join(consumerDir, 'check.ts'), source);
      writeFileSync(join(consumerDir, 'check.mts'), source);
      writeFileSync(
        join(consumerDir, 'tsconfig.json'),
        `${JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              types: [],
            },
            files: ['check.ts', 'check.mts'],
          },
          null,
          2,
        )}\n`,
      );
      // run() throws (with tsc's diagnostics) unless tsc exits 0.
      run(process.execPath, [tscBin, '--noEmit', '-p', join(consumerDir, 'tsconfig.json')], consumerDir);
    },
    TIMEOUT,
  );
});
