/**
 * Typed modules generated from published IR (`mpvisor pull -o`): for every
 * example NF and policy the module typechecks under the repository's strict
 * options, loads back to the very same IR, lets `derive` compile where it is
 * valid and fail at the misused line where it is not, and refuses to load
 * once its embedded IR is edited.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Project, type SourceFile } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bit, canonicalJson, MpvisorError, program, std, type Policy, type Program, type ProgramBuilder } from '@mpvisor/mpapi';
import { typedModuleSource, writeTypedModule } from '@mpvisor/registry';
import { policies, programs } from '../../../examples/nfs/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The committed pull of acme/firewall@1.0.0 (docs/registry.md): the type tests and the example's derive import it. */
const FIXTURE = fileURLToPath(new URL('../../../examples/registry/firewall.ts', import.meta.url));
const FIXTURE_OPTIONS = {
  exportName: 'firewall',
  reference: 'acme/firewall@1.0.0',
  // the manifest digest of that publish, as its header records it
  manifestDigest: 'sha256:b11be8d66887c566c6e4f7c38456466f1d78182182d48ee45f2c4fbe8b03d7dc',
} as const;

type AnyBuilder = { readonly name: string; toIR(): Program | Policy; irDigest(): string };
const NFS: readonly (readonly [string, AnyBuilder])[] = [...Object.entries(programs), ...Object.entries(policies)];

/** A program exported by a generated module, to derive from in a snippet. */
interface Derivable {
  readonly module: string;
  readonly exportName: string;
  readonly ir: Program;
}

let tmp: string;
let project: Project;
const derivables: Derivable[] = [];
/** Snippet file → the lines that must carry a type error (and no other line may). */
const snippets = new Map<string, readonly number[]>();

const load = async (file: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const reference = (b: AnyBuilder) => `examples/${b.name.split('/').pop()}@1.0.0`;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpvisor-typed-'));
  writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n'); // ESM, as NodeNext decides by package.json
  for (const [name, b] of NFS) writeTypedModule(path.join(tmp, `${name}.ts`), b.toIR(), { exportName: name, reference: reference(b) });

  // the programs each module exports, found by loading it: a policy's are named after them
  for (const [name, b] of NFS) {
    const mod = await load(path.join(tmp, `${name}.ts`));
    const ir = b.toIR();
    for (const p of ir.kind === 'program' ? [ir] : ir.programs) {
      const exportName = Object.keys(mod).find((k) => (mod[k] as { name?: unknown; toIR?: unknown }).name === p.name && typeof (mod[k] as { toIR?: unknown }).toIR === 'function');
      derivables.push({ module: name, exportName: exportName!, ir: p });
    }
  }

  // the repository's compiler options; @mpvisor/* resolve to the sources, as vitest resolves them
  project = new Project({
    tsConfigFilePath: path.join(REPO_ROOT, 'tsconfig.json'),
    skipAddingFilesFromTsConfig: true,
    compilerOptions: { paths: { '@mpvisor/*': [path.join(REPO_ROOT, 'packages/*/src/index.ts')] } },
  });
  for (const [name] of NFS) project.addSourceFileAtPath(path.join(tmp, `${name}.ts`));
  derivables.forEach((d, i) => {
    const { text, errorLines } = deriveSnippet(d);
    const file = path.join(tmp, `derive-${i}.ts`);
    project.createSourceFile(file, text);
    snippets.set(file, errorLines);
  });
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function diagnostics(sf: SourceFile): { line: number; text: string }[] {
  return sf.getPreEmitDiagnostics().map((d) => ({ line: d.getLineNumber() ?? 0, text: String(d.getMessageText()) }));
}

/** A key field the program has (first bit field of its first header). */
function someField(ir: Program): string {
  const h = ir.headers[0]!;
  const t = ir.headerTypes.find((x) => x.name === h.type)!;
  const f = t.fields.find((x) => x.kind === 'bitField')!;
  return h.stack !== undefined ? `${h.name}[0].${f.name}` : `${h.name}.${f.name}`;
}

function deriveSnippet(d: Derivable): { text: string; errorLines: number[] } {
  const first = d.ir.stages[0]!.name;
  const last = d.ir.stages[d.ir.stages.length - 1]!.name;
  const nf = d.exportName;
  const lines = [
    `import { bit } from '@mpvisor/mpapi';`,
    `import { ${nf} } from './${d.module}.js';`,
    `export const resized = ${nf}.derive('acme/resized').resize('${first}', 2048);`,
    `export const extended = ${nf}.derive('acme/extended').addStage('extra', (t) => t.key({ '${someField(d.ir)}': 'exact' }).action('out', { port: bit(9) }, (a, p) => a.setEgress(p.port)), { after: '${first}' });`,
    `export const trimmed = ${nf}.derive('acme/trimmed').removeStage('${last}');`,
    `export const again = extended.resize('extra', 16).removeStage('extra').resize('${first}', 16);`,
    `${nf}.derive('acme/bad').removeStage('no-such-stage');`,
    `${nf}.derive('acme/bad').addStage('bad', (t) => t.key({ '${someField(d.ir)}x': 'exact' }).action('a', (a) => a));`,
    `${nf}.derive('acme/bad').defaultAction('${first}', 'no-such-action');`,
    `extended.removeStage('extra').resize('extra', 16);`,
  ];
  return { text: lines.join('\n') + '\n', errorLines: [7, 8, 9, 10] };
}

describe.each(NFS)('%s', (name, builder) => {
  it('generates a module that typechecks with no diagnostics', () => {
    const sf = project.getSourceFileOrThrow(path.join(tmp, `${name}.ts`));
    expect(diagnostics(sf)).toEqual([]);
  });

  it('loads back to the same IR and digest', async () => {
    const mod = await load(path.join(tmp, `${name}.ts`));
    const pulled = mod[name] as AnyBuilder;
    expect(pulled.toIR()).toEqual(builder.toIR());
    expect(pulled.irDigest()).toBe(builder.irDigest());
  });

  it('passes the source audit', async () => {
    const { auditModule } = await import('@mpvisor/registry');
    expect(auditModule(path.join(tmp, `${name}.ts`), { project }).findings).toEqual([]);
  });
});

describe('derive from a pulled program', () => {
  it('compiles where valid and fails at exactly the misused lines', () => {
    expect(snippets.size).toBe(derivables.length);
    for (const [file, errorLines] of snippets) {
      const found = diagnostics(project.getSourceFileOrThrow(file));
      expect({ file: path.basename(file), lines: [...new Set(found.map((d) => d.line))] }).toEqual({ file: path.basename(file), lines: errorLines });
    }
  });

  it('runs: the derived IR records its parent and has the change', async () => {
    for (const d of derivables) {
      const mod = await load(path.join(tmp, `${d.module}.ts`));
      const pulled = mod[d.exportName] as ProgramBuilder<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const first = d.ir.stages[0]!.name;
      const derived = pulled.derive('acme/derived').resize(first, 2048).toIR();
      expect(derived.stages.find((s) => s.name === first)!.size).toBe(2048);
      expect(derived.lineage?.[0]).toEqual({ kind: 'ancestor', name: d.ir.name, digest: pulled.irDigest() });
    }
  });
});

describe('an edited module', () => {
  it('throws DATA_LOSS on load when the embedded IR of a program is changed', async () => {
    const source = readFileSync(path.join(tmp, 'firewall.ts'), 'utf8');
    expect(source).toContain('size: 1024,');
    const file = path.join(tmp, 'firewall-edited.ts');
    writeFileSync(file, source.replace('size: 1024,', 'size: 4096,'));
    const err = await load(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MpvisorError);
    expect(err).toMatchObject({ code: 'DATA_LOSS' });
    expect((err as Error).message).toContain('examples/firewall@1.0.0: the IR in this module is not the one published');
  });

  it('throws DATA_LOSS on load when a policy step condition is changed', async () => {
    const source = readFileSync(path.join(tmp, 'tenantB.ts'), 'utf8');
    const when = "const routerWhen: Expr = { kind: 'isValid', header: 'ipv4' };";
    expect(source).toContain(when);
    const file = path.join(tmp, 'tenantB-edited.ts');
    writeFileSync(file, source.replace(when, "const routerWhen: Expr = { kind: 'isValid', header: 'ethernet' };"));
    await expect(load(file)).rejects.toMatchObject({ code: 'DATA_LOSS' });
  });

  it('throws DATA_LOSS when the builder chain of a policy is changed', async () => {
    const source = readFileSync(path.join(tmp, 'tenantA.ts'), 'utf8');
    expect(source).toContain('.chain(l2Switch, firewall)');
    const file = path.join(tmp, 'tenantA-edited.ts');
    writeFileSync(file, source.replace('.chain(l2Switch, firewall)', '.chain(l2Switch)'));
    await expect(load(file)).rejects.toMatchObject({ code: 'DATA_LOSS' });
  });
});

describe('typedModuleSource', () => {
  it('matches the committed examples/registry/firewall.ts the type tests import (UPDATE_FIXTURES=1 rewrites it)', () => {
    // a pull writes the IR as published: its canonical JSON
    const text = typedModuleSource(JSON.parse(canonicalJson(programs.firewall.toIR())) as Program, FIXTURE_OPTIONS);
    if (process.env.UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, text);
    expect(readFileSync(FIXTURE, 'utf8')).toBe(text);
  });

  it('names the export after the reference, else the NF, in camelCase', () => {
    const ir = programs.fwStrict.toIR();
    expect(typedModuleSource(ir, { reference: 'acme/fw-strict@2.0.0' })).toContain('export const fwStrict = programFromIR(');
    expect(typedModuleSource(programs.l2switch.toIR())).toContain('export const l2Switch = programFromIR(');
    expect(typedModuleSource(programs.l2switch.toIR())).toContain('export type L2SwitchSchema = {');
  });

  it('records the reference and the manifest digest in its header', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const text = typedModuleSource(programs.router.toIR(), { reference: 'acme/router@1.2.3', manifestDigest: digest });
    expect(text.startsWith('/**\n * acme/router@1.2.3: generated by `mpvisor pull`')).toBe(true);
    expect(text).toContain(`manifest ${digest}`);
    expect(text).toContain(programs.router.irDigest());
  });

  it('refuses an export name that is not an identifier or clashes with the module’s own names', () => {
    const ir = programs.router.toIR();
    for (const exportName of ['my-router', '1router', 'programFromIR', 'class']) {
      expect(() => typedModuleSource(ir, { exportName })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('embeds a parameter named __proto__ as an own property, as JSON.parse would', async () => {
    const odd = program('odd')
      .headers({ ethernet: std.ethernet })
      .parser((p) => p.state('start', (s) => s.extract('ethernet').accept()))
      .stage('t', (t) =>
        t
          .key({ 'ethernet.dstAddr': 'exact' })
          .action('set', { ['__proto__']: bit(9) }, (a, p) => a.setEgress(p['__proto__']))
          .entries({ key: { 'ethernet.dstAddr': 1 }, action: 'set', args: { ['__proto__']: 3 } }),
      );
    const file = path.join(tmp, 'odd.ts');
    writeTypedModule(file, odd.toIR(), { exportName: 'odd' });
    expect(readFileSync(file, 'utf8')).toContain("['__proto__']: ");
    const mod = await load(file);
    expect((mod.odd as AnyBuilder).irDigest()).toBe(odd.irDigest());
  });

  it('exports a policy that is not in builder form as IR, its programs still typed', async () => {
    const ir = policies.tenantA.toIR();
    const reordered: Policy = { ...ir, programs: [...ir.programs].reverse() };
    const file = path.join(tmp, 'reordered.ts');
    writeTypedModule(file, reordered, { exportName: 'reordered' });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('export const reordered: Policy = reorderedIR;');
    expect(text).toContain('export const l2Switch = programFromIR(l2SwitchIR) as ProgramBuilder<L2SwitchSchema, L2SwitchStages>;');
    const mod = await load(file);
    expect(mod.reordered).toEqual(reordered);
    const sf = project.addSourceFileAtPath(file);
    expect(diagnostics(sf)).toEqual([]);
  });

  it('writes atomically: the directories are created and no temporary file is left', () => {
    const dir = path.join(tmp, 'src', 'nfs');
    const file = path.join(dir, 'router.ts');
    writeTypedModule(file, programs.router.toIR());
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(dir)).toEqual(['router.ts']);
  });
});
