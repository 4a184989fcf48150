/**
 * Reading IR that came from outside (a file, a registry): JSON text →
 * structural decode (io-ts, with JSON paths) → semantic validation. Every
 * failure is a list of issues; nothing throws.
 */
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { Issue } from '../errors.js';
import { MpvisorError } from '../errors.js';
import { Program } from './program.js';
import { Policy } from './policy.js';
import { validateProgram } from '../validate/program-rules.js';
import { validatePolicy } from '../validate/policy-rules.js';

export type Decoded<A> = either.Either<readonly Issue[], A>;

/** `$.stages[2].keys[0].match` from an io-ts context; union and intersection members add no path segment. */
function jsonPath(context: t.Context): string {
  let path = '$';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!.type as { _tag?: string };
    if (parent._tag === 'UnionType' || parent._tag === 'IntersectionType') continue;
    const key = context[i]!.key;
    path += /^[0-9]+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return path;
}

/** "missing property" reads better than "expected X, got undefined"; the parent is named by its kind. */
function missingProperty(context: t.Context): string | undefined {
  const last = context[context.length - 1];
  const parent = context[context.length - 2];
  if (!last || !parent || last.key === '' || /^[0-9]+$/.test(last.key)) return undefined;
  const kind = typeof parent.actual === 'object' && parent.actual !== null ? (parent.actual as { kind?: unknown }).kind : undefined;
  return `missing property "${last.key}" in ${typeof kind === 'string' ? kind : parent.type.name}`;
}

export function issuesOf(errors: t.Errors): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = jsonPath(e.context);
    const message =
      (e.value === undefined ? missingProperty(e.context) : undefined) ??
      e.message ??
      `expected ${e.context[e.context.length - 1]?.type.name ?? 'a value'}, got ${JSON.stringify(e.value) ?? 'undefined'}`;
    const key = `${path}\0${message}`;
    if (!seen.has(key)) out.push({ message, path });
    seen.add(key);
  }
  return out;
}

const child = (v: unknown, key: string): unknown =>
  typeof v === 'object' && v !== null && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
const nameOf = (v: unknown): string | undefined => {
  const n = child(v, 'name');
  return typeof n === 'string' ? n : undefined;
};

/**
 * Name the program, stage and action a structural fault lies in, read from
 * the raw JSON along its path (as semantic issues are), so a fault in hand-
 * written IR says which stage it is in, not only `$.stages[3]`.
 */
function locate(root: unknown, issue: Issue): Issue {
  const path = issue.path ?? '$';
  const inPolicy = /^\$\.programs\[([0-9]+)\]/.exec(path);
  const doc = inPolicy ? child(child(root, 'programs'), inPolicy[1]!) : root;
  if (inPolicy ? child(doc, 'kind') !== 'program' : child(root, 'kind') !== 'program') return issue;
  const rest = inPolicy ? `$${path.slice(inPolicy[0].length)}` : path;
  const m = /^\$\.stages\[([0-9]+)\](?:\.actions\[([0-9]+)\])?/.exec(rest);
  const stage = m ? child(child(doc, 'stages'), m[1]!) : undefined;
  const action = m?.[2] !== undefined ? child(child(stage, 'actions'), m[2]) : undefined;
  const where = { program: nameOf(doc), stage: nameOf(stage), action: nameOf(action) };
  return {
    ...(where.program !== undefined ? { program: where.program } : {}),
    ...(where.stage !== undefined ? { stage: where.stage } : {}),
    ...(where.action !== undefined ? { action: where.action } : {}),
    ...issue,
  };
}

function decodeWith<A>(codec: t.Type<A, unknown, unknown>, validate: (a: A) => Issue[], u: unknown): Decoded<A> {
  const r = codec.decode(u);
  if (either.isLeft(r)) return either.left(issuesOf(r.left).map((i) => locate(u, i)));
  const issues = validate(r.right);
  return issues.length > 0 ? either.left(issues) : either.right(r.right);
}

export const decodeProgram = (u: unknown): Decoded<Program> => decodeWith(Program, validateProgram, u);
export const decodePolicy = (u: unknown): Decoded<Policy> => decodeWith(Policy, validatePolicy, u);

/** Decode a program or a policy by its `kind`. */
export function decodeIR(u: unknown): Decoded<Program | Policy> {
  const kind = typeof u === 'object' && u !== null ? (u as { kind?: unknown }).kind : undefined;
  if (kind === 'program') return decodeProgram(u);
  if (kind === 'policy') return decodePolicy(u);
  return either.left([{ message: `expected an IR document with kind "program" or "policy", got kind ${JSON.stringify(kind)}`, path: '$.kind' }]);
}

/** Parse JSON text and decode it; a syntax error is reported with its position. */
export function parseIR(text: string, source = '<input>'): Decoded<Program | Policy> {
  let u: unknown;
  try {
    u = JSON.parse(text);
  } catch (e) {
    return either.left([{ message: `${source} is not valid JSON: ${(e as Error).message}` }]);
  }
  return decodeIR(u);
}

/** Unwrap a decode result, throwing one MpvisorError (INVALID_ARGUMENT) that lists every issue. */
export function orThrow<A>(d: Decoded<A>): A {
  if (either.isLeft(d)) throw new MpvisorError('INVALID_ARGUMENT', d.left);
  return d.right;
}
