/**
 * The source audit run on publish: an NF module is a description of a
 * program, so it needs nothing from its host. It may import only
 * `@mpvisor/*` packages and other NF modules (which are audited too), and may
 * not reach code loading, the process, the filesystem, the network, the clock
 * or randomness — source-level safety in the spirit of the multi-level Click
 * paper. Globals are told apart from local names by the type checker: a name
 * is a host global when every declaration of its symbol is ambient (lib and
 * `@types` files) or when it resolves to nothing at all.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { MpvisorError, type Issue } from '@mpvisor/mpapi';
import { Project, ts, type SourceFile } from 'ts-morph';

export interface AuditFinding {
  readonly file: string;
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly column: number;
  /** What was found, e.g. `eval`, `Math.random`, `import "node:fs"`. */
  readonly construct: string;
  readonly message: string;
}

export interface AuditReport {
  readonly ok: boolean;
  /** Every module audited (absolute paths): the entry and the NF modules it imports, transitively. */
  readonly files: readonly string[];
  readonly findings: readonly AuditFinding[];
}

export interface AuditOptions {
  /** A project to resolve symbols in (its compiler options are used); by default one from the nearest tsconfig.json. */
  readonly project?: Project;
  /** Relative imports must stay inside this directory; by default the entry's package (nearest package.json). */
  readonly root?: string;
}

const WHY = {
  code: 'it runs code built at run time',
  modules: 'it loads modules at run time',
  host: 'it reaches the host process',
  globalObject: 'the global object reaches every host capability by name',
  clock: 'it reads the clock or schedules on it',
  gc: 'it observes garbage collection, which is not deterministic',
  random: 'it reads randomness',
  network: 'it reaches the network',
  threads: 'it shares memory between threads or blocks on it',
  wasm: 'it compiles and runs code',
  reflection: 'reflection reaches what the audit cannot see',
  constructor: 'it reaches the Function constructor',
  prototype: 'it reaches prototypes, and through them the Function constructor',
  computed: 'a key computed at run time can name eval, Function or constructor',
  ambient: 'an ambient declaration names a host global the audit cannot see',
  withStatement: 'it makes names resolve at run time',
} as const;

/** Host globals an NF module may not name at all (values only: type positions are harmless). */
const FORBIDDEN_GLOBALS: ReadonlyMap<string, string> = new Map([
  ...['eval', 'Function'].map((n) => [n, WHY.code] as const),
  ...['require', 'module', 'exports', '__dirname', '__filename'].map((n) => [n, WHY.modules] as const),
  ...['process', 'Deno', 'Bun'].map((n) => [n, WHY.host] as const),
  ...['globalThis', 'global', 'window', 'self', 'frames'].map((n) => [n, WHY.globalObject] as const),
  ...['Date', 'performance', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'requestAnimationFrame', 'requestIdleCallback', 'Intl', 'AbortSignal'].map(
    (n) => [n, WHY.clock] as const,
  ),
  ...['WeakRef', 'FinalizationRegistry'].map((n) => [n, WHY.gc] as const),
  ...['crypto'].map((n) => [n, WHY.random] as const),
  ...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'WebTransport', 'RTCPeerConnection', 'BroadcastChannel', 'navigator', 'location', 'document'].map(
    (n) => [n, WHY.network] as const,
  ),
  ...['Atomics', 'SharedArrayBuffer', 'Worker', 'SharedWorker'].map((n) => [n, WHY.threads] as const),
  ...['WebAssembly'].map((n) => [n, WHY.wasm] as const),
  ...['Reflect', 'Proxy'].map((n) => [n, WHY.reflection] as const),
]);

const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self', 'frames']);

/**
 * Members of host objects, keyed by the lib interface or namespace that
 * declares them, so `const M = Math; M.random()` is found through M's type.
 */
interface Member {
  readonly construct: string;
  readonly why: string;
}
const FORBIDDEN_MEMBERS: ReadonlyMap<string, Member> = new Map<string, Member>([
  ['Math.random', { construct: 'Math.random', why: WHY.random }],
  ['DateConstructor.now', { construct: 'Date.now', why: WHY.clock }],
  ['Performance.now', { construct: 'performance.now', why: WHY.clock }],
  ['Atomics.wait', { construct: 'Atomics.wait', why: WHY.threads }],
  ['Atomics.waitAsync', { construct: 'Atomics.waitAsync', why: WHY.threads }],
  ['ErrorConstructor.prepareStackTrace', { construct: 'Error.prepareStackTrace', why: WHY.reflection }],
  ...['getPrototypeOf', 'setPrototypeOf', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors', 'defineProperty', 'defineProperties'].map(
    (m): [string, Member] => [`ObjectConstructor.${m}`, { construct: `Object.${m}`, why: WHY.prototype }],
  ),
]);
/** Every member of these is forbidden (the global itself is forbidden too, this catches aliases). */
const FORBIDDEN_CONTAINERS: ReadonlyMap<string, { readonly prefix: string; readonly why: string }> = new Map([
  ['Crypto', { prefix: 'crypto', why: WHY.random }],
  ['SubtleCrypto', { prefix: 'crypto.subtle', why: WHY.random }],
  ['Reflect', { prefix: 'Reflect', why: WHY.reflection }],
]);
/** Property names forbidden on any object: each leads to the Function constructor. */
const FORBIDDEN_PROPERTY_NAMES: ReadonlyMap<string, string> = new Map([
  ['constructor', WHY.constructor],
  ...['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'].map((n) => [n, WHY.prototype] as const),
]);
/** On a value of type any, these names may be a forbidden member the types no longer show. */
const UNTYPED_SUSPECTS = new Set(['random', 'now', 'getRandomValues', 'randomUUID', 'prepareStackTrace', 'getPrototypeOf', 'setPrototypeOf', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors', 'defineProperty', 'defineProperties']);
/**
 * Allowed globals with a forbidden member: used other than as `Math.max(…)`
 * (e.g. `const m: { random(): number } = Math`) they would hide that member.
 */
const MEMBER_ONLY_GLOBALS: ReadonlyMap<string, string> = new Map([
  ['Math', 'Math.random'],
  ['Object', 'Object.getPrototypeOf'],
  ['Error', 'Error.prepareStackTrace'],
]);

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js']);

/** Audit `file` and, transitively, the NF modules it imports. */
export function auditModule(file: string, options: AuditOptions = {}): AuditReport {
  const entry = path.resolve(file);
  const root = realpath(options.root ?? packageRoot(entry));
  const project = options.project ?? defaultProject(entry);
  const findings: AuditFinding[] = [];
  const files: string[] = [];
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const next = queue.shift()!;
    const key = realpath(next);
    if (seen.has(key)) continue;
    seen.add(key);
    files.push(next);
    const sf = project.getSourceFile(next) ?? project.addSourceFileAtPath(next);
    const audit = auditSourceFile(sf, project, root);
    findings.push(...audit.findings);
    queue.push(...audit.imports);
  }
  return { ok: findings.length === 0, files, findings };
}

/** Throw PERMISSION_DENIED listing every finding as `file:line:column: message`. */
export function assertAudited(report: AuditReport): void {
  if (report.ok) return;
  const issues: Issue[] = report.findings.map((f) => ({ message: `${displayPath(f.file)}:${f.line}:${f.column}: ${f.message}` }));
  throw new MpvisorError('PERMISSION_DENIED', issues);
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function packageRoot(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

function defaultProject(entry: string): Project {
  const tsconfig = ts.findConfigFile(path.dirname(entry), ts.sys.fileExists);
  // allowJs: a relative import may name a .js NF module, which must be in the program to be resolved
  if (tsconfig !== undefined) {
    return new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: true, noEmit: true } });
  }
  return new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      allowJs: true,
      noEmit: true,
      skipLibCheck: true,
    },
  });
}

interface FileAudit {
  readonly findings: AuditFinding[];
  /** NF modules this one imports, to audit next. */
  readonly imports: string[];
}

function auditSourceFile(source: SourceFile, project: Project, root: string): FileAudit {
  const sf = source.compilerNode;
  const checker = project.getTypeChecker().compilerObject;
  const file = source.getFilePath() as string;
  const findings: AuditFinding[] = [];
  const imports: string[] = [];
  const reported = new Set<ts.Node>();

  const report = (node: ts.Node, construct: string, why: string): void => {
    if (reported.has(node)) return;
    reported.add(node);
    const { line, character } = ts.getLineAndCharacterOfPosition(sf, node.getStart(sf));
    findings.push({ file, line: line + 1, column: character + 1, construct, message: `${construct} is not allowed in an NF module: ${why}` });
  };

  const checkSpecifier = (node: ts.Node, specifier: ts.Expression | undefined): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) {
      report(node, 'import', 'a module specifier must be a string literal');
      return;
    }
    const spec = specifier.text;
    const construct = `import "${spec}"`;
    if (/^@mpvisor\/[^/]+/.test(spec)) return;
    if (!spec.startsWith('./') && !spec.startsWith('../')) {
      report(node, construct, 'an NF module may import only @mpvisor/* packages and other NF modules');
      return;
    }
    const resolved = resolveRelative(path.dirname(file), spec);
    if (resolved.kind === 'missing') report(node, construct, 'no such module');
    else if (resolved.kind === 'notModule') report(node, construct, `${path.basename(resolved.file)} is not an NF module (a .ts, .mts or .js file)`);
    else {
      const rel = path.relative(root, realpath(resolved.file));
      if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) {
        report(node, construct, `it is outside the NF's package ${root}`);
      } else imports.push(resolved.file);
    }
  };

  /** The host global `id` names, if it names one (unresolved names are the host's too). */
  const globalName = (id: ts.Identifier): string | undefined => {
    const parent = id.parent;
    const symbol = ts.isShorthandPropertyAssignment(parent) && parent.name === id ? checker.getShorthandAssignmentValueSymbol(parent) : checker.getSymbolAtLocation(id);
    if (!symbol) return id.text;
    if (symbol.flags & ts.SymbolFlags.Alias) return undefined; // an import: checked by its specifier
    const decls = symbol.declarations ?? [];
    return decls.every(isAmbient) ? id.text : undefined;
  };

  const forbiddenGlobalRef = (node: ts.Node): boolean => {
    const e = skipParens(node);
    if (!ts.isIdentifier(e) || !isValueReference(e)) return false;
    const name = globalName(e);
    return name !== undefined && FORBIDDEN_GLOBALS.has(name);
  };

  /** A member named `name` read from a value of type `type` (its symbol, when the checker has it). */
  const checkMember = (at: ts.Node, object: ts.Node | undefined, name: string, type: ts.Type | undefined, symbol?: ts.Symbol): void => {
    if (object && forbiddenGlobalRef(object)) return; // the global itself is already reported
    const byName = FORBIDDEN_PROPERTY_NAMES.get(name);
    if (byName) return report(at, `.${name}`, byName);
    const prop = symbol ?? type?.getProperty(name);
    if (prop) {
      for (const d of prop.declarations ?? []) {
        if (!isAmbient(d)) continue;
        const container = containerName(d);
        if (container === undefined) {
          const why = FORBIDDEN_GLOBALS.get(name); // a property of `typeof globalThis`
          if (why) return report(at, name, why);
          continue;
        }
        const member = FORBIDDEN_MEMBERS.get(`${container}.${name}`);
        if (member) return report(at, member.construct, member.why);
        const whole = FORBIDDEN_CONTAINERS.get(container);
        if (whole) return report(at, `${whole.prefix}.${name}`, whole.why);
      }
      return;
    }
    if (type && type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) && UNTYPED_SUSPECTS.has(name)) {
      report(at, `.${name}`, `on an untyped value it may be a forbidden member (Math.random, Date.now, …)`);
    }
  };

  /** A computed key: fine when it is a number or a known set of harmless names. */
  const checkComputedKey = (at: ts.Node, object: ts.Node | undefined, key: ts.Expression, objectType: ts.Type | undefined): void => {
    if (object && forbiddenGlobalRef(object)) return;
    const literal = literalKey(key);
    if (literal !== undefined) return checkMember(at, object, literal, objectType);
    const keyType = checker.getTypeAtLocation(key);
    const parts = keyType.isUnion() ? keyType.types : [keyType];
    if (parts.every((t) => t.flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.ESSymbolLike))) return;
    if (parts.every((t) => t.isStringLiteral() || t.isNumberLiteral())) {
      for (const t of parts) if (t.isStringLiteral()) checkMember(at, object, t.value, objectType);
      return;
    }
    report(at, 'computed property access', WHY.computed);
  };

  const checkBindingPattern = (pattern: ts.ObjectBindingPattern, sourceType: ts.Type | undefined): void => {
    const type = sourceType ?? checker.getTypeAtLocation(pattern);
    for (const element of pattern.elements) {
      if (element.dotDotDotToken) continue; // a rest element copies own enumerable properties only
      const prop = element.propertyName ?? element.name;
      if (ts.isComputedPropertyName(prop)) checkComputedKey(element, undefined, prop.expression, type);
      else if (ts.isIdentifier(prop) || ts.isStringLiteralLike(prop) || ts.isNumericLiteral(prop) || ts.isPrivateIdentifier(prop)) {
        checkMember(element, undefined, prop.text, type);
      }
    }
  };

  const checkIdentifier = (id: ts.Identifier): void => {
    if (!isValueReference(id)) return;
    const name = globalName(id);
    if (name === undefined) return;
    const why = FORBIDDEN_GLOBALS.get(name);
    const parent = skipParensUp(id);
    if (why) {
      if (GLOBAL_OBJECTS.has(name) && ts.isPropertyAccessExpression(parent) && skipParens(parent.expression) === id) {
        return report(id, `${name}.${parent.name.text}`, why);
      }
      if (GLOBAL_OBJECTS.has(name) && ts.isElementAccessExpression(parent) && skipParens(parent.expression) === id) {
        const literal = literalKey(parent.argumentExpression);
        return report(id, literal !== undefined ? `${name}['${literal}']` : `${name}[…]`, why);
      }
      return report(id, name, why);
    }
    const hidden = MEMBER_ONLY_GLOBALS.get(name);
    if (hidden !== undefined && !isMemberOnlyUse(id, parent)) {
      report(id, name, `only its members may be used (${name}.…): as a value it would hide ${hidden} from the audit`);
    }
  };

  const visit = (node: ts.Node): void => {
    if (isTypeOnly(node)) return; // types are erased: nothing in them runs
    switch (node.kind) {
      case ts.SyntaxKind.ImportDeclaration:
        checkSpecifier(node, (node as ts.ImportDeclaration).moduleSpecifier);
        return; // its names are declarations
      case ts.SyntaxKind.ExportDeclaration: {
        const d = node as ts.ExportDeclaration;
        if (d.moduleSpecifier) return checkSpecifier(node, d.moduleSpecifier);
        break;
      }
      case ts.SyntaxKind.ImportEqualsDeclaration: {
        const d = node as ts.ImportEqualsDeclaration;
        if (ts.isExternalModuleReference(d.moduleReference)) return checkSpecifier(node, d.moduleReference.expression);
        break;
      }
      case ts.SyntaxKind.CallExpression:
        if ((node as ts.CallExpression).expression.kind === ts.SyntaxKind.ImportKeyword) report(node, 'import()', WHY.modules);
        break;
      case ts.SyntaxKind.MetaProperty:
        if ((node as ts.MetaProperty).keywordToken === ts.SyntaxKind.ImportKeyword) report(node, 'import.meta', 'it reaches the module URL and, through it, the filesystem');
        break;
      case ts.SyntaxKind.WithStatement:
        report(node, 'with', WHY.withStatement);
        break;
      case ts.SyntaxKind.VariableStatement:
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.ModuleDeclaration:
        if (isAmbientDeclaration(node)) {
          report(node, node.kind === ts.SyntaxKind.ModuleDeclaration && (node as ts.ModuleDeclaration).name.getText(sf) === 'global' ? 'declare global' : 'declare', WHY.ambient);
          return;
        }
        break;
      case ts.SyntaxKind.PropertyAccessExpression: {
        const p = node as ts.PropertyAccessExpression;
        if (ts.isIdentifier(p.name)) checkMember(p, p.expression, p.name.text, checker.getTypeAtLocation(p.expression), checker.getSymbolAtLocation(p.name));
        break;
      }
      case ts.SyntaxKind.ElementAccessExpression: {
        const e = node as ts.ElementAccessExpression;
        // `out[key] = value` only writes: it cannot read eval or constructor out of anything
        const written = ts.isBinaryExpression(e.parent) && e.parent.left === e && e.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
        if (!written) checkComputedKey(e, e.expression, e.argumentExpression, checker.getTypeAtLocation(e.expression));
        break;
      }
      case ts.SyntaxKind.ObjectBindingPattern: {
        const p = node as ts.ObjectBindingPattern;
        const init = ts.isVariableDeclaration(p.parent) ? p.parent.initializer : undefined;
        checkBindingPattern(p, init ? checker.getTypeAtLocation(init) : undefined);
        break;
      }
      case ts.SyntaxKind.BinaryExpression: {
        // `({ random } = Math)`: a destructuring assignment reads members of the right-hand side
        const b = node as ts.BinaryExpression;
        if (b.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isObjectLiteralExpression(b.left)) {
          const type = checker.getTypeAtLocation(b.right);
          for (const prop of b.left.properties) {
            if ((ts.isPropertyAssignment(prop) || ts.isShorthandPropertyAssignment(prop)) && !ts.isComputedPropertyName(prop.name)) {
              checkMember(prop.name, b.right, prop.name.text, type);
            } else if (ts.isPropertyAssignment(prop) && ts.isComputedPropertyName(prop.name)) {
              checkComputedKey(prop.name, b.right, prop.name.expression, type);
            }
          }
        }
        break;
      }
      case ts.SyntaxKind.Identifier:
        checkIdentifier(node as ts.Identifier);
        break;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return { findings, imports };
}

type Resolved = { readonly kind: 'module'; readonly file: string } | { readonly kind: 'notModule'; readonly file: string } | { readonly kind: 'missing' };

/** Resolve a relative specifier as NodeNext does for TypeScript sources (`./x.js` may be `./x.ts`). */
function resolveRelative(dir: string, spec: string): Resolved {
  const target = path.resolve(dir, spec);
  const ext = path.extname(target);
  const base = target.slice(0, target.length - ext.length);
  const candidates =
    ext === '.js'
      ? [`${base}.ts`, target]
      : ext === '.mjs'
        ? [`${base}.mts`]
        : ext === ''
          ? [`${target}.ts`, `${target}.mts`, `${target}.js`, path.join(target, 'index.ts'), path.join(target, 'index.js')]
          : [target];
  const found = candidates.find(isFile);
  if (found === undefined) return isFile(target) ? { kind: 'notModule', file: target } : { kind: 'missing' };
  const isModule = MODULE_EXTENSIONS.has(path.extname(found)) && !found.endsWith('.d.ts');
  return isModule ? { kind: 'module', file: found } : { kind: 'notModule', file: found };
}

function skipParens(node: ts.Node): ts.Node {
  let n = node;
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  return n;
}

function skipParensUp(node: ts.Node): ts.Node {
  let n = node.parent;
  while (ts.isParenthesizedExpression(n)) n = n.parent;
  return n;
}

function literalKey(key: ts.Expression): string | undefined {
  const k = skipParens(key);
  return ts.isStringLiteralLike(k) || ts.isNumericLiteral(k) ? k.text : undefined;
}

/** The interface, class or namespace a lib declaration sits in; undefined for a global. */
function containerName(decl: ts.Node): string | undefined {
  for (let n: ts.Node | undefined = decl.parent; n; n = n.parent) {
    if (ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n)) return n.name?.text;
    if (ts.isModuleDeclaration(n)) {
      const name = n.name.text;
      return name === 'global' || name === 'globalThis' || ts.isStringLiteral(n.name) ? undefined : name;
    }
    if (ts.isTypeLiteralNode(n) || ts.isVariableDeclaration(n)) {
      // `declare var AbortSignal: { timeout(…) }`: the member of an anonymous type, named by its variable
      const v = ts.isVariableDeclaration(n) ? n : n.parent;
      return v && ts.isVariableDeclaration(v) && ts.isIdentifier(v.name) ? v.name.text : '';
    }
    if (ts.isSourceFile(n)) return undefined;
  }
  return undefined;
}

/** Declared, not defined: in a .d.ts file or under `declare` (so at run time it is whatever the host provides). */
function isAmbient(decl: ts.Node): boolean {
  for (let n: ts.Node | undefined = decl; n; n = n.parent) {
    if (ts.isSourceFile(n)) return n.isDeclarationFile;
    if (isAmbientDeclaration(n)) return true;
  }
  return false;
}

function isAmbientDeclaration(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

/** Inside a type (annotation, type argument, `implements`, `typeof x` in a type): erased, never run. */
function isTypeOnly(node: ts.Node): boolean {
  if (ts.isExpressionWithTypeArguments(node)) {
    // `class A extends B` evaluates B; `implements`, `interface … extends` do not
    const clause = node.parent;
    return !(ts.isHeritageClause(clause) && clause.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(clause.parent));
  }
  if (ts.isTypeNode(node)) return true;
  switch (node.kind) {
    case ts.SyntaxKind.InterfaceDeclaration:
    case ts.SyntaxKind.TypeAliasDeclaration:
      return true;
    default:
      return false;
  }
}

/** An identifier that is read as a value here (not a declared name, label, property name or key). */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) || ts.isMetaProperty(p)) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  if (ts.isShorthandPropertyAssignment(p)) return p.name === id;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isBindingElement(p)) && p.propertyName === id) return false;
  const named = p as ts.Node & { readonly name?: ts.Node };
  return named.name !== id;
}

/** `Math` read only as `Math.max(…)`, `Math['max']`, `const { max } = Math`, `x instanceof Error`, `new Error()`. */
function isMemberOnlyUse(id: ts.Identifier, parent: ts.Node): boolean {
  const self = (n: ts.Node): boolean => skipParens(n) === id;
  if (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) return self(parent.expression);
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return self(parent.expression);
  if (ts.isTypeOfExpression(parent)) return true;
  if (ts.isExpressionWithTypeArguments(parent)) return true; // `class E extends Error`
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    if (op === ts.SyntaxKind.InstanceOfKeyword) return self(parent.right);
    if (op === ts.SyntaxKind.EqualsToken) return self(parent.right) && ts.isObjectLiteralExpression(parent.left);
    return false;
  }
  if (ts.isVariableDeclaration(parent)) return parent.initializer !== undefined && self(parent.initializer) && ts.isObjectBindingPattern(parent.name);
  return false;
}
