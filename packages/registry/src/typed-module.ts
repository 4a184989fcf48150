/**
 * `mpvisor pull … -o src/nfs/x.ts`: a TypeScript module generated from a
 * published IR, so deriving from a pulled NF is as type-safe as deriving from
 * one written locally. The module embeds the IR as a constant, refuses to load
 * if that constant was edited (its digest is embedded too), and exports the
 * builder from `programFromIR` with the schema and stages spelled out as types
 * — the part `programFromIR` cannot know. A policy exports its programs, typed
 * the same way, and the policy rebuilt with `policy(…)` from them.
 */
import { BoolExpr, MpvisorError, decodeIR, digestOf, orThrow, policy, programFromIR, type Policy, type PolicyBuilder, type Program } from '@mpvisor/mpapi';
import { IndentationText, Project, QuoteKind, VariableDeclarationKind, type CodeBlockWriter, type SourceFile } from 'ts-morph';
import { writeFileAtomic } from './atomic-file.js';

export interface TypedModuleOptions {
  /** The name of the exported builder; by default the NF's name in camelCase (`fw-strict` → `fwStrict`). */
  readonly exportName?: string;
  /** Where it was pulled from: `scope/name@version`. */
  readonly reference?: string;
  /** The digest of the manifest it was pulled by, for the record. */
  readonly manifestDigest?: string;
}

/** The source text of a typed module for `ir`. */
export function typedModuleSource(ir: Program | Policy, options: TypedModuleOptions = {}): string {
  const checked = orThrow(decodeIR(ir));
  const names = new Names();
  const exportName = options.exportName ?? identifierFor(options.reference !== undefined ? referenceName(options.reference) : checked.name);
  names.claimExactly(exportName);
  const sf = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces, useTrailingCommas: true },
  }).createSourceFile('module.ts');
  const imports = new Set<string>(['MpvisorError', 'digestOf', 'programFromIR', 'type Program', 'type ProgramBuilder']);
  const digest = digestOf(checked);
  const origin = options.reference ?? checked.name;
  const failure = `${origin}: the IR in this module is not the one published (${digest}): the module was edited; pull it again`;
  const digestConst = names.claim('PUBLISHED_DIGEST');
  sf.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The digest of the IR as published: what this module must export.'],
    declarations: [{ name: digestConst, initializer: quote(digest) }],
  });

  if (checked.kind === 'program') {
    const typed = addProgram(sf, checked, exportName, names, imports, true);
    addCheck(sf, `digestOf(${typed.irConst}) !== ${digestConst}`, failure);
  } else {
    addPolicy(sf, checked, exportName, names, imports, digestConst, failure);
  }

  sf.insertImportDeclaration(0, { moduleSpecifier: '@mpvisor/mpapi', namedImports: importSpecifiers(imports) });
  sf.insertText(0, header(checked, origin, digest, exportName, options));
  sf.formatText({ indentSize: 2, convertTabsToSpaces: true, ensureNewLineAtEndOfFile: true });
  return separateStatements(sf.getFullText());
}

/** A policy's programs, typed as single programs are, and the policy rebuilt from them with `policy(…)`. */
function addPolicy(sf: SourceFile, checked: Policy, exportName: string, names: Names, imports: Set<string>, digestConst: string, failure: string): void {
  const programs = new Map<string, ProgramNames>();
  for (const p of checked.programs) programs.set(p.name, addProgram(sf, p, names.claim(identifierFor(p.name)), names, imports, false));
  const whens = checked.steps.map((s) => {
    if (s.when === undefined) return undefined;
    const name = names.claim(`${programs.get(s.program)?.exportName ?? 'step'}When`);
    imports.add('type Expr');
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      declarations: [{ name, type: 'Expr', initializer: (w) => writeTree(w, valueTree(s.when)) }],
    });
    return name;
  });
  const policyConst = names.claim(`${exportName}IR`);
  imports.add('type Policy');
  const policyTree = valueTree({
    ...checked,
    programs: checked.programs.map((p) => new Code(programs.get(p.name)!.irConst)),
    steps: checked.steps.map((s, i) => ({ ...s, ...(s.when !== undefined ? { when: new Code(whens[i]!) } : {}) })),
  });
  sf.addVariableStatement({ declarationKind: VariableDeclarationKind.Const, declarations: [{ name: policyConst, type: 'Policy', initializer: (w) => writeTree(w, policyTree) }] });
  for (const p of programs.values()) exportProgram(sf, p);

  const rebuilt = rebuildPolicy(checked);
  if (rebuilt !== undefined && digestOf(rebuilt.toIR()) === digestOf(checked)) {
    imports.add('policy');
    if (whens.some((w) => w !== undefined)) imports.add('BoolExpr');
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      isExported: true,
      docs: [`The policy \`${checked.name}\` as published, rebuilt from the programs above.`],
      declarations: [{ name: exportName, initializer: (w) => writePolicyChain(w, checked, programs, whens) }],
    });
    addCheck(sf, `digestOf(${policyConst}) !== ${digestConst} || ${exportName}.irDigest() !== ${digestConst}`, failure);
  } else {
    // not in the form `policy(…)` builds (e.g. programs no step runs): exported as IR, its programs typed above
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      isExported: true,
      docs: [`The policy \`${checked.name}\` as published (IR: it is not in the form \`policy(…)\` builds).`],
      declarations: [{ name: exportName, type: 'Policy', initializer: policyConst }],
    });
    addCheck(sf, `digestOf(${policyConst}) !== ${digestConst}`, failure);
  }
}

function addCheck(sf: SourceFile, condition: string, failure: string): void {
  sf.addStatements((w) => {
    w.write(`if (${condition})`).block(() => {
      w.write(`throw new MpvisorError('DATA_LOSS', ${quote(failure)});`);
    });
  });
}

/** A blank line before each top-level statement (and its doc comment), as people write them. */
function separateStatements(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    const prev = lines[i - 1];
    const starts = /^(\/\*\*|export |const |if )/.test(line);
    if (starts && prev !== undefined && prev !== '' && !prev.endsWith('*/') && !prev.startsWith('import ')) out.push('');
    out.push(line);
  });
  return out.join('\n');
}

/** Write the typed module for `ir` to `file`, creating directories; the file appears whole or not at all. */
export function writeTypedModule(file: string, ir: Program | Policy, options: TypedModuleOptions = {}): void {
  writeFileAtomic(file, typedModuleSource(ir, options));
}

interface ProgramNames {
  readonly ir: Program;
  readonly exportName: string;
  readonly irConst: string;
  readonly schema: string;
  readonly stages: string;
}

function addProgram(sf: SourceFile, ir: Program, exportName: string, names: Names, imports: Set<string>, exportNow: boolean): ProgramNames {
  if (programFromIR(ir).irDigest() !== digestOf(ir)) {
    throw new MpvisorError('FAILED_PRECONDITION', [{ program: ir.name, message: 'this IR is not in the form a program builder produces, so no typed builder can be generated for it' }]);
  }
  const pascal = exportName.charAt(0).toUpperCase() + exportName.slice(1);
  const p: ProgramNames = { ir, exportName, irConst: names.claim(`${exportName}IR`), schema: names.claim(`${pascal}Schema`), stages: names.claim(`${pascal}Stages`) };
  imports.add('type Bit');
  imports.add('type HeaderDef');
  if (ir.headers.some((h) => h.stack !== undefined)) imports.add('type StackDef');
  if (ir.headerTypes.some((t) => t.fields.some((f) => f.kind === 'varbitField'))) imports.add('type Varbit');
  sf.addTypeAlias({
    name: p.schema,
    isExported: true,
    docs: [`Headers, metadata and state of \`${ir.name}\`, as the compiler sees them.`],
    type: (w) => writeTree(w, schemaTree(ir)),
  });
  sf.addTypeAlias({
    name: p.stages,
    isExported: true,
    docs: [`Stages of \`${ir.name}\`: each action's parameter widths, each key's match kind.`],
    type: (w) => writeTree(w, stagesTree(ir)),
  });
  sf.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name: p.irConst, type: 'Program', initializer: (w) => writeTree(w, valueTree(ir)) }],
  });
  if (exportNow) exportProgram(sf, p);
  return p;
}

function exportProgram(sf: SourceFile, p: ProgramNames): void {
  sf.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    isExported: true,
    docs: [`\`${p.ir.name}\` as published; derive from it: \`${p.exportName}.derive('scope/name')…\`.`],
    declarations: [{ name: p.exportName, initializer: `programFromIR(${p.irConst}) as ProgramBuilder<${p.schema}, ${p.stages}>` }],
  });
}

/** A policy builder equivalent to the IR, built as the generated module builds it (to check it is faithful). */
function rebuildPolicy(ir: Policy): PolicyBuilder | undefined {
  const programs = new Map(ir.programs.map((p) => [p.name, programFromIR(p)]));
  let b = ir.description !== undefined ? policy(ir.name).describe(ir.description) : policy(ir.name);
  for (const s of ir.steps) {
    const p = programs.get(s.program);
    if (!p) return undefined;
    const when = s.when;
    b = when !== undefined ? b.step(p, { when: () => new BoolExpr(when) }) : b.chain(p);
  }
  return b;
}

function writePolicyChain(w: CodeBlockWriter, ir: Policy, programs: ReadonlyMap<string, ProgramNames>, whens: readonly (string | undefined)[]): void {
  const calls: string[] = [];
  if (ir.description !== undefined) calls.push(`.describe(${quote(ir.description)})`);
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 0) calls.push(`.chain(${run.join(', ')})`);
    run = [];
  };
  ir.steps.forEach((s, i) => {
    const p = programs.get(s.program)!.exportName;
    const when = whens[i];
    if (when === undefined) run.push(p);
    else {
      flush();
      calls.push(`.step(${p}, { when: () => new BoolExpr(${when}) })`);
    }
  });
  flush();
  w.write([`policy(${quote(ir.name)})`, ...calls].join('\n  '));
}

// ---- types ------------------------------------------------------------------

function schemaTree(ir: Program): Tree {
  const types = new Map(ir.headerTypes.map((t) => [t.name, t]));
  const headerDef = (typeName: string): Tree => {
    const t = types.get(typeName)!;
    const fields = t.fields.map((f): Item => [key(f.name), raw(f.kind === 'bitField' ? `Bit<${f.width}>` : `Varbit<${f.maxWidth}>`)]);
    return wrap(`HeaderDef<${quote(t.name)}, `, obj(fields, ';'), '>');
  };
  const headers = ir.headers.map((h): Item => [key(h.name), h.stack !== undefined ? wrap('StackDef<', headerDef(h.type), `, ${h.stack}>`) : headerDef(h.type)]);
  const union = (xs: readonly { readonly name: string }[]): Tree => raw(xs.length === 0 ? 'never' : xs.map((x) => quote(x.name)).join(' | '));
  return obj(
    [
      ['readonly headers', obj(headers, ';')],
      ['readonly meta', obj(ir.metadata.map((m): Item => [key(m.name), raw(`Bit<${m.width}>`)]), ';')],
      ['readonly registers', obj(ir.registers.map((r): Item => [key(r.name), raw(String(r.width))]), ';')],
      ['readonly counters', union(ir.counters)],
      ['readonly meters', union(ir.meters)],
      ['readonly digests', obj(ir.digests.map((d): Item => [key(d.name), obj(d.fields.map((f): Item => [key(f.name), raw(String(f.width))]), ';')]), ';')],
    ],
    ';',
  );
}

function stagesTree(ir: Program): Tree {
  return obj(
    ir.stages.map((s): Item => [
      key(s.name),
      obj(
        [
          ['actions', obj(s.actions.map((a): Item => [key(a.name), obj(a.params.map((p): Item => [key(p.name), raw(String(p.width))]), ';')]), ';')],
          ['keys', obj(s.keys.map((k): Item => [key(k.field), raw(quote(k.match))]), ';')],
        ],
        ';',
      ),
    ]),
    ';',
  );
}

// ---- rendering --------------------------------------------------------------

/** Code to embed as is in a value (a reference to another constant). */
class Code {
  constructor(readonly text: string) {}
}

type Item = readonly [prefix: string, value: Tree];
type Tree =
  | { readonly kind: 'raw'; readonly text: string }
  | { readonly kind: 'list'; readonly open: string; readonly close: string; readonly sep: ',' | ';'; readonly pad: boolean; readonly items: readonly Item[] }
  | { readonly kind: 'wrap'; readonly before: string; readonly inner: Tree; readonly after: string };

const raw = (text: string): Tree => ({ kind: 'raw', text });
const obj = (items: readonly Item[], sep: ',' | ';'): Tree => ({ kind: 'list', open: '{', close: '}', sep, pad: true, items });
const wrap = (before: string, inner: Tree, after: string): Tree => ({ kind: 'wrap', before, inner, after });

function valueTree(v: unknown): Tree {
  if (v instanceof Code) return raw(v.text);
  if (v === null) return raw('null');
  if (typeof v === 'string') return raw(quote(v));
  if (typeof v === 'number' || typeof v === 'boolean') return raw(String(v));
  if (Array.isArray(v)) return { kind: 'list', open: '[', close: ']', sep: ',', pad: false, items: v.map((x): Item => ['', valueTree(x)]) };
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    // a literal `__proto__:` would set the prototype; a computed key makes an own property, as JSON.parse does
    return obj(entries.map(([k, x]): Item => [k === '__proto__' ? `['__proto__']` : key(k), valueTree(x)]), ',');
  }
  throw new MpvisorError('INVALID_ARGUMENT', `cannot embed a ${typeof v} in a typed module`);
}

const MAX_LINE = 110;

function compact(t: Tree): string {
  switch (t.kind) {
    case 'raw':
      return t.text;
    case 'wrap':
      return `${t.before}${compact(t.inner)}${t.after}`;
    case 'list': {
      if (t.items.length === 0) return `${t.open}${t.close}`;
      const body = t.items.map(([prefix, v]) => (prefix === '' ? compact(v) : `${prefix}: ${compact(v)}`)).join(`${t.sep} `);
      return t.pad ? `${t.open} ${body} ${t.close}` : `${t.open}${body}${t.close}`;
    }
  }
}

/** One line when it fits, else one item per line. */
function writeTree(w: CodeBlockWriter, t: Tree, used = 0): void {
  const line = compact(t);
  if (t.kind === 'raw' || w.getIndentationLevel() * 2 + used + line.length <= MAX_LINE) {
    w.write(line);
    return;
  }
  if (t.kind === 'wrap') {
    w.write(t.before);
    writeTree(w, t.inner, used + t.before.length);
    w.write(t.after);
    return;
  }
  w.write(t.open).newLine();
  w.indent(() => {
    for (const [prefix, v] of t.items) {
      const lead = prefix === '' ? '' : `${prefix}: `;
      w.write(lead);
      writeTree(w, v, lead.length);
      w.write(t.sep).newLine();
    }
  });
  w.write(t.close);
}

/** A single-quoted string literal (JSON escapes are valid in JS strings). */
function quote(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

function importSpecifiers(imports: ReadonlySet<string>): { name: string; isTypeOnly: boolean }[] {
  return [...imports]
    .map((s) => (s.startsWith('type ') ? { name: s.slice(5), isTypeOnly: true } : { name: s, isTypeOnly: false }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
}

function header(ir: Program | Policy, origin: string, digest: string, exportName: string, options: TypedModuleOptions): string {
  const comment = (s: string): string => s.replace(/\*\//g, '*\\/');
  const lines = [
    `${origin}: generated by \`mpvisor pull\` from the published ${ir.kind === 'program' ? 'NF' : 'policy'}; do not edit.`,
    ...(ir.description !== undefined ? ['', ...ir.description.split(/\r?\n/)] : []),
    '',
    `IR ${digest}${options.manifestDigest !== undefined ? `, manifest ${options.manifestDigest}` : ''}.`,
    `The IR below is what was published; the types say what the compiler knows of it,`,
    ir.kind === 'program'
      ? `so \`${exportName}.derive(…)\` is checked as for an NF written here. Editing the IR`
      : `so deriving from its programs is checked as for NFs written here. Editing the IR`,
    `makes this module throw DATA_LOSS on load: pull it again instead.`,
  ];
  return `/**\n${lines.map((l) => (l === '' ? ' *' : ` * ${comment(l)}`)).join('\n')}\n */\n`;
}

// ---- names ------------------------------------------------------------------

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package ' +
    'private protected public await async of undefined NaN Infinity arguments eval ' +
    'Bit BoolExpr Expr HeaderDef MpvisorError Policy Program ProgramBuilder StackDef Varbit digestOf policy programFromIR'
  ).split(' '),
);

/** Identifiers used by a module, so generated constants never clash. */
class Names {
  readonly #taken = new Set<string>(RESERVED);

  claimExactly(name: string): void {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || this.#taken.has(name)) {
      throw new MpvisorError('INVALID_ARGUMENT', `export name "${name}" is not an identifier this module can export`);
    }
    this.#taken.add(name);
  }

  claim(want: string): string {
    let name = want;
    for (let i = 2; this.#taken.has(name); i++) name = `${want}${i}`;
    this.#taken.add(name);
    return name;
  }
}

/** `acme/fw-strict` → `fwStrict`, `l2-switch` → `l2Switch`. */
function identifierFor(nfName: string): string {
  const last = nfName.split('/').pop() ?? nfName;
  const words = last.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const id = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  const safe = id === '' ? 'nf' : /^[0-9]/.test(id) ? `nf${id}` : id;
  return RESERVED.has(safe) ? `${safe}Nf` : safe;
}

/** `scope/name@version` → `name`. */
function referenceName(reference: string): string {
  const at = reference.lastIndexOf('@');
  return at > 0 ? reference.slice(0, at) : reference;
}
