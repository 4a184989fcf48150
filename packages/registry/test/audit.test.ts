/**
 * The source audit run on publish: each forbidden construct is refused with
 * its file, line, column and name; names that only look like globals (a
 * local `Date`, a `Date` type) are not; relative imports are audited too and
 * reported in their own file; every example NF passes.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MpvisorError } from '@mpvisor/mpapi';
import { assertAudited, auditModule, type AuditReport } from '@mpvisor/registry';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = path.join(REPO_ROOT, 'examples/nfs');
const GENERATED_FIXTURE = fileURLToPath(new URL('../../../examples/registry/firewall.ts', import.meta.url));

let tmp: string;
/** One project for the many small modules: the repository's compiler options (ES2022 lib, node types). */
let project: Project;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpvisor-audit-'));
  project = new Project({ tsConfigFilePath: path.join(REPO_ROOT, 'tsconfig.json'), skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: true } });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
/** Write an NF package (package.json and `files`) into a fresh directory; return its directory. */
function nfPackage(files: Record<string, string>): string {
  const dir = path.join(tmp, `nf${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "nf", "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function auditSource(source: string, extra: Record<string, string> = {}): { dir: string; report: AuditReport } {
  const dir = nfPackage({ 'nf.ts': source, ...extra });
  return { dir, report: auditModule(path.join(dir, 'nf.ts'), { project }) };
}

const where = (r: AuditReport) => r.findings.map((f) => ({ file: path.basename(f.file), line: f.line, column: f.column, construct: f.construct }));

const HEAD = "import { program } from '@mpvisor/mpapi';\n";

/** [what, module source, line, column, construct]: every module starts with HEAD, so line 1 is a permitted import. */
const FORBIDDEN: readonly (readonly [string, string, number, number, string])[] = [
  ['node:fs', "import { readFileSync } from 'node:fs';", 2, 1, 'import "node:fs"'],
  ['fs', "import * as fs from 'fs';", 2, 1, 'import "fs"'],
  ['http', "import http from 'http';", 2, 1, 'import "http"'],
  ['net', "import { connect } from 'net';", 2, 1, 'import "net"'],
  ['child_process', "import { exec } from 'child_process';", 2, 1, 'import "child_process"'],
  ['another package', "import * as t from 'io-ts';", 2, 1, 'import "io-ts"'],
  ['a type-only import of another package', "import type { Stats } from 'node:fs';", 2, 1, 'import "node:fs"'],
  ['export … from a package', "export { readFile } from 'node:fs/promises';", 2, 1, 'import "node:fs/promises"'],
  ['export * from a package', "export * from 'child_process';", 2, 1, 'import "child_process"'],
  ['import x = require()', "import fs = require('fs');", 2, 1, 'import "fs"'],
  ['require()', "const fs = require('fs');", 2, 12, 'require'],
  ['eval', "export const x = eval('1 + 1');", 2, 18, 'eval'],
  ['new Function', "export const f = new Function('return 1');", 2, 22, 'Function'],
  ['Function()', "export const f = Function('return 1');", 2, 18, 'Function'],
  ['indirect eval (0, eval)', "export const x = (0, eval)('1');", 2, 22, 'eval'],
  ['globalThis.eval', "export const x = globalThis.eval('1');", 2, 18, 'globalThis.eval'],
  ["window['eval']", "export const x = window['eval']('1');", 2, 18, "window['eval']"],
  ['an alias of eval', "const e = eval;\nexport const x = e('1');", 2, 11, 'eval'],
  ['dynamic import()', "export const m = import('@mpvisor/mpapi');", 2, 18, 'import()'],
  ['import.meta', 'export const here = import.meta.url;', 2, 21, 'import.meta'],
  ['process.env', 'export const home = process.env.HOME;', 2, 21, 'process'],
  ['process.exit', 'process.exit(1);', 2, 1, 'process'],
  ['process.hrtime', 'export const t = process.hrtime.bigint();', 2, 18, 'process'],
  ['global.process', 'export const p = global.process;', 2, 18, 'global.process'],
  ["globalThis['Da' + 'te']", "export const D = globalThis['Da' + 'te'];", 2, 18, 'globalThis[…]'],
  ['new Date()', 'export const now = new Date();', 2, 24, 'Date'],
  ['Date.now()', 'export const now = Date.now();', 2, 20, 'Date'],
  ['a class extending Date', 'export class Clock extends Date {}', 2, 28, 'Date'],
  ['performance.now()', 'export const t = performance.now();', 2, 18, 'performance'],
  ['Math.random()', 'export const r = Math.random();', 2, 18, 'Math.random'],
  ['const { random } = Math', 'const { random } = Math;', 2, 9, 'Math.random'],
  ['const M = Math; M.random()', 'const M = Math;\nexport const r = M.random();', 3, 18, 'Math.random'],
  ['Math laundered through a structural type', 'const m: { random(): number } = Math;', 2, 33, 'Math'],
  ['random() on an untyped value', 'const m: any = {};\nexport const r = m.random();', 3, 18, '.random'],
  ['crypto.getRandomValues', 'export const r = crypto.getRandomValues(new Uint8Array(4));', 2, 18, 'crypto'],
  ['crypto.randomUUID', 'export const id = crypto.randomUUID();', 2, 19, 'crypto'],
  ['fetch', "export const r = fetch('https://example.com');", 2, 18, 'fetch'],
  ['XMLHttpRequest', 'export const x = new XMLHttpRequest();', 2, 22, 'XMLHttpRequest'],
  ['WebSocket', "export const w = new WebSocket('ws://example.com');", 2, 22, 'WebSocket'],
  ['setTimeout', 'setTimeout(() => {}, 10);', 2, 1, 'setTimeout'],
  ['setInterval', 'setInterval(() => {}, 10);', 2, 1, 'setInterval'],
  ['setImmediate', 'setImmediate(() => {});', 2, 1, 'setImmediate'],
  ['queueMicrotask', 'queueMicrotask(() => {});', 2, 1, 'queueMicrotask'],
  ['Atomics.wait', 'Atomics.wait(new Int32Array(4), 0, 0, 10);', 2, 1, 'Atomics'],
  ['SharedArrayBuffer', 'export const b = new SharedArrayBuffer(8);', 2, 22, 'SharedArrayBuffer'],
  ['WebAssembly', 'export const m = WebAssembly.compile(new Uint8Array(8));', 2, 18, 'WebAssembly'],
  ['Reflect', "export const e = Reflect.get({}, 'x');", 2, 18, 'Reflect'],
  ['Proxy', 'export const p = new Proxy({}, {});', 2, 22, 'Proxy'],
  ['.constructor (the Function constructor of a function)', "export const F = (() => 0).constructor;", 2, 18, '.constructor'],
  ['Error.prepareStackTrace (V8 call sites)', 'Error.prepareStackTrace = (_e, frames) => frames;', 2, 1, 'Error.prepareStackTrace'],
  ['Object.getPrototypeOf', 'export const p = Object.getPrototypeOf(async () => {});', 2, 18, 'Object.getPrototypeOf'],
  ['a computed key read from an object', "const o: Record<string, unknown> = {};\nconst k: string = 'x';\nexport const v = o[k];", 4, 18, 'computed property access'],
  ['with', 'with ({ x: 1 }) {}', 2, 1, 'with'],
  ['an ambient declaration', 'declare const host: { exec(cmd: string): void };', 2, 1, 'declare'],
];

describe('the audit refuses', () => {
  it.each(FORBIDDEN)('%s', (_what, source, line, column, construct) => {
    const { report } = auditSource(HEAD + source + '\n');
    expect(report.ok).toBe(false);
    expect(where(report)).toContainEqual({ file: 'nf.ts', line, column, construct });
    const finding = report.findings.find((f) => f.line === line && f.column === column)!;
    expect(finding.message).toMatch(new RegExp(`^${construct.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not allowed in an NF module: `));
  });

  it('the alias, not only the use, when Math is aliased', () => {
    const { report } = auditSource(HEAD + 'const M = Math;\nexport const r = M.random();\n');
    expect(where(report)).toEqual([
      { file: 'nf.ts', line: 2, column: 11, construct: 'Math' },
      { file: 'nf.ts', line: 3, column: 18, construct: 'Math.random' },
    ]);
  });

  it('a relative import of a JSON file (not an NF module)', () => {
    const { report } = auditSource(HEAD + "import data from './data.json' with { type: 'json' };\nexport const d = data;\n", { 'data.json': '{}' });
    expect(where(report)).toEqual([{ file: 'nf.ts', line: 2, column: 1, construct: 'import "./data.json"' }]);
    expect(report.findings[0]!.message).toContain('data.json is not an NF module');
  });

  it('a relative import that leaves the NF package', () => {
    const dir = nfPackage({ 'nfs/nf.ts': HEAD + "import { x } from '../../outside.js';\nexport const y = x;\n" });
    writeFileSync(path.join(dir, '..', 'outside.ts'), 'export const x = 1;\n');
    const report = auditModule(path.join(dir, 'nfs/nf.ts'), { project });
    expect(where(report)).toEqual([{ file: 'nf.ts', line: 2, column: 1, construct: 'import "../../outside.js"' }]);
    expect(report.files).toHaveLength(1);
  });

  it('a relative import of a module that does not exist', () => {
    const { report } = auditSource(HEAD + "export { x } from './missing.js';\n");
    expect(where(report)).toEqual([{ file: 'nf.ts', line: 2, column: 1, construct: 'import "./missing.js"' }]);
  });

  it('forbidden globals with no tsconfig at all (unresolved names are the host’s)', () => {
    const dir = nfPackage({ 'nf.ts': "export const t = process.hrtime();\nexport const x = window['eval'];\nexport const r = require('fs');\n" });
    const report = auditModule(path.join(dir, 'nf.ts'));
    expect(where(report)).toEqual([
      { file: 'nf.ts', line: 1, column: 18, construct: 'process' },
      { file: 'nf.ts', line: 2, column: 18, construct: "window['eval']" },
      { file: 'nf.ts', line: 3, column: 18, construct: 'require' },
    ]);
  });
});

describe('relative imports are NF modules, audited in turn', () => {
  it('reports a forbidden construct in the imported module, at its own file and line', () => {
    const { dir, report } = auditSource(HEAD + "import { stamp } from './lib/stamp.js';\nexport const s = stamp;\n", {
      'lib/stamp.ts': "// a helper\nexport const stamp = Date.now();\n",
    });
    expect(report.files).toEqual([path.join(dir, 'nf.ts'), path.join(dir, 'lib/stamp.ts')]);
    expect(report.findings).toEqual([
      { file: path.join(dir, 'lib/stamp.ts'), line: 2, column: 22, construct: 'Date', message: 'Date is not allowed in an NF module: it reads the clock or schedules on it' },
    ]);
  });

  it('follows export … from, JavaScript modules and cycles, auditing each module once', () => {
    const { dir, report } = auditSource(HEAD + "export * from './a.js';\n", {
      'a.ts': "export { b } from './b.js';\nexport const a = 1;\n",
      'b.js': "import { a } from './a.js';\nexport const b = Math.random() + a;\n",
    });
    expect(report.files).toEqual([path.join(dir, 'nf.ts'), path.join(dir, 'a.ts'), path.join(dir, 'b.js')]);
    expect(where(report)).toEqual([{ file: 'b.js', line: 2, column: 18, construct: 'Math.random' }]);
  });
});

describe('the audit accepts', () => {
  it('a local variable named Date, and Date as a type', () => {
    const { report } = auditSource(
      HEAD +
        [
          'const Date = { now: () => 0 };',
          'export const t = Date.now();',
          'export function later(d: globalThis.Date): typeof d { return d; }',
          'export type When = Date | number;',
          'function f(eval_: number, random = 1) { const process = { env: {} }; return process.env; }',
          'export const g = f;',
        ].join('\n') + '\n',
    );
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('Math and Object members that are deterministic, number-indexed reads and computed writes', () => {
    const { report } = auditSource(
      HEAD +
        [
          'export const m = Math.max(1, Math.floor(2.5), Math.PI);',
          'const { min } = Math;',
          'export const n = min(1, 2);',
          'export const e = Object.entries({ a: 1 });',
          'const xs = [1, 2, 3];',
          'export const at = (i: number) => xs[i];',
          "const k: 'a' | 'b' = 'a';",
          'const o: Record<string, number> = { a: 1, b: 2 };',
          'export const v = o[k];',
          "o['c'] = 3;",
          'export const w = (key: string, value: number) => { o[key] = value; };',
          'export class Failure extends Error {}',
          'export const isError = (x: unknown) => x instanceof Error;',
        ].join('\n') + '\n',
    );
    expect(report.findings).toEqual([]);
  });

  describe('every example NF', () => {
    let examples: Project;
    beforeAll(() => {
      examples = new Project({ tsConfigFilePath: path.join(REPO_ROOT, 'tsconfig.json'), skipAddingFilesFromTsConfig: true });
    });
    it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')))('examples/nfs/%s', (name) => {
      const report = auditModule(path.join(EXAMPLES, name), { project: examples });
      expect(report.findings).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.files[0]).toBe(path.join(EXAMPLES, name));
    });
  });

  it('a generated typed module (what `mpvisor pull -o` writes)', () => {
    expect(auditModule(GENERATED_FIXTURE, { project }).findings).toEqual([]);
  });
});

describe('assertAudited', () => {
  it('throws PERMISSION_DENIED naming file:line:column and the construct, relative to the working directory', () => {
    const { dir, report } = auditSource(HEAD + "export const x = eval('1');\nexport const r = Math.random();\n");
    const cwd = vi.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      expect(() => assertAudited(report)).toThrow(MpvisorError);
      try {
        assertAudited(report);
      } catch (e) {
        const err = e as MpvisorError;
        expect(err.code).toBe('PERMISSION_DENIED');
        expect(err.issues.map((i) => i.message)).toEqual([
          'nf.ts:2:18: eval is not allowed in an NF module: it runs code built at run time',
          'nf.ts:3:18: Math.random is not allowed in an NF module: it reads randomness',
        ]);
      }
    } finally {
      cwd.mockRestore();
    }
  });

  it('passes a clean report', () => {
    const { report } = auditSource(HEAD + "export const p = program('clean');\n");
    expect(() => assertAudited(report)).not.toThrow();
  });
});
