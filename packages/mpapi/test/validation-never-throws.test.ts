/**
 * Decoding is total: whatever JSON arrives (a corrupt file, a hostile
 * registry), `decodeProgram` returns Left or Right and never throws, and
 * `validateProgram` never throws on anything the structural codec accepts.
 * Random mutations of valid IR reach much deeper than random JSON would.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { decodeProgram, ir, validateProgram, type Program } from '@mpvisor/mpapi';
import { l2switch } from '../../../examples/nfs/l2-switch.js';
import { miniRouter } from './support/programs.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Key = string | number;

const bases: readonly Program[] = [l2switch.toIR(), miniRouter.toIR()];

/** Every path into a JSON value, the root included. */
function pathsOf(v: unknown, at: readonly Key[] = [], out: Key[][] = []): Key[][] {
  out.push([...at]);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

/** Leaves of the IR: names, hex values, widths. Swapping them around makes faults the codec lets through. */
function leavesOf(v: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(v)) v.forEach((x) => leavesOf(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => leavesOf(x, out));
  else out.push(v as Json);
  return out;
}

type Edit =
  | { readonly op: 'replace'; readonly at: number; readonly value: Json }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'duplicate'; readonly at: number }
  /** Replace a leaf by another leaf of the IR of the same JS type: keeps the shape, breaks the meaning. */
  | { readonly op: 'swap'; readonly at: number; readonly pick: number };

/** Apply an edit at path number `at` (mod the number of paths); returns the new document. */
function applyEdit(doc: unknown, edit: Edit): unknown {
  const paths = pathsOf(doc);
  const path = paths[edit.at % paths.length]!;
  if (path.length === 0) return edit.op === 'replace' ? edit.value : doc;
  if (edit.op === 'swap' && pathsOf(path.reduce<unknown>((o, k) => (o as Record<Key, unknown>)[k], doc)).length > 1) return doc; // not a leaf
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<Key, unknown>)[k], doc) as Record<Key, unknown> | unknown[];
  const key = path[path.length - 1]!;
  if (edit.op === 'swap') {
    const old = (parent as Record<Key, unknown>)[key];
    const same = leaves.filter((l) => typeof l === typeof old);
    if (same.length > 0) (parent as Record<Key, unknown>)[key] = same[edit.pick % same.length];
  } else if (edit.op === 'replace') (parent as Record<Key, unknown>)[key] = edit.value;
  else if (Array.isArray(parent)) {
    if (edit.op === 'delete') parent.splice(key as number, 1);
    else parent.splice(key as number, 0, structuredClone(parent[key as number]));
  } else if (edit.op === 'delete') delete parent[key];
  else parent[`${String(key)}_copy`] = structuredClone(parent[key]);
  return doc;
}

const leaves = [...new Set(bases.flatMap((b) => leavesOf(b)))];

const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 3, arbitrary: fc.constantFrom(...leaves) },
  { weight: 1, arbitrary: fc.constantFrom<Json>('__proto__', 'constructor', 'toString', 'standard.constructor', 'meta.__proto__', '0x0', 0, -1, 2049, 1.5, 2 ** 53) },
);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }) },
);

const mutate = (edits: fc.Arbitrary<Edit[]>): fc.Arbitrary<unknown> =>
  fc.tuple(fc.constantFrom(...bases), edits).map(([base, list]) => list.reduce<unknown>((doc, e) => applyEdit(doc, e), structuredClone(base)));

/** One to three random edits: mostly rejected by the codec. */
const mutant = mutate(fc.array(edit, { minLength: 1, maxLength: 3 }));

/** One edit that keeps the JSON shape plausible (a leaf swapped for another, an element dropped or doubled), so most pass the codec and reach validateProgram. */
const plausibleMutant = mutate(
  fc
    .oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('swap' as const), at: fc.nat(), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }) },
    )
    .map((e): Edit[] => [e]),
);

describe('decoding never throws', () => {
  it('decodeProgram returns Left or Right for any mutation of valid IR', () => {
    fc.assert(
      fc.property(mutant, (doc) => {
        const d = decodeProgram(doc);
        expect(either.isLeft(d) || either.isRight(d)).toBe(true);
        if (either.isLeft(d)) {
          expect(d.left.length).toBeGreaterThan(0);
          for (const issue of d.left) {
            expect(typeof issue.message).toBe('string');
            expect(issue.path ?? '$').toMatch(/^\$/);
          }
        }
      }),
      { numRuns: 2500 },
    );
  });

  it('validateProgram never throws on a structurally decoded program', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 1, arbitrary: mutant }, { weight: 3, arbitrary: plausibleMutant }), (doc) => {
        const structural = ir.Program.decode(doc);
        if (either.isLeft(structural)) return;
        checked++;
        const issues = validateProgram(structural.right);
        expect(Array.isArray(issues)).toBe(true);
      }),
      { numRuns: 2500 },
    );
    // the property is vacuous unless a fair share of mutants get past the codec
    expect(checked).toBeGreaterThan(500);
  });

  it('every mutant that decodes re-encodes to IR that decodes again', () => {
    fc.assert(
      fc.property(mutant, (doc) => {
        const d = decodeProgram(doc);
        if (either.isRight(d)) expect(either.isRight(decodeProgram(JSON.parse(JSON.stringify(d.right))))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('non-object documents are Left, not exceptions', () => {
    for (const doc of [undefined, null, 0, 'program', [], [{}], true]) {
      const d = decodeProgram(doc);
      expect(either.isLeft(d)).toBe(true);
    }
  });
});
