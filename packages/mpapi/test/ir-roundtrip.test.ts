// Every example NF and policy survives builder → IR → JSON text → decode
// unchanged; its canonical JSON does not depend on key order; its digest is
// stable and changes when anything in the IR changes.
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  decodeIR,
  decodePolicy,
  decodeProgram,
  digestOf,
  parseIR,
  programFromIR,
  type Decoded,
  type Policy,
  type Program,
} from '@mpvisor/mpapi';
import { policies, programs } from '../../../examples/nfs/index.js';

const programList = Object.entries(programs);
const policyList = Object.entries(policies);

function right<A>(d: Decoded<A>): A {
  if (either.isLeft(d)) throw new Error(`expected a valid document, got:\n${d.left.map((i) => `${i.path ?? ''} ${i.message}`).join('\n')}`);
  return d.right;
}

/** Rebuild every object with its keys in reverse order (arrays keep their order). */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).reverse().map((k) => [k, reverseKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Every leaf of a JSON value with its path. */
function leaves(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value }];
}

/** A deep copy of `value` with the leaf at `path` replaced by a different value of the same JSON type. */
function changeLeaf(value: unknown, path: readonly (string | number)[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const old = at[last];
  at[last] = typeof old === 'number' ? old + 1 : typeof old === 'boolean' ? !old : typeof old === 'string' ? `${old}x` : 0;
  return copy;
}

describe('the examples', () => {
  it('are at least the seven seed NFs and a derived one, and two policies', () => {
    expect(programList.length).toBeGreaterThanOrEqual(8);
    expect(policyList.length).toBeGreaterThanOrEqual(2);
    expect(programList.some(([, p]) => (p.toIR().lineage?.length ?? 0) > 0)).toBe(true);
  });

  it('have distinct names and distinct digests', () => {
    const names = programList.map(([, p]) => p.toIR().name);
    expect(new Set(names).size).toBe(names.length);
    const digests = programList.map(([, p]) => p.irDigest());
    expect(new Set(digests).size).toBe(digests.length);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('keeps a key named __proto__ (an action parameter may be named so)', () => {
    const withProto = JSON.parse('{"args":{"__proto__":"0x1","x":"0x2"}}') as unknown;
    expect(canonicalJson(withProto)).toBe('{"args":{"__proto__":"0x1","x":"0x2"}}');
    expect(digestOf(withProto)).not.toBe(digestOf({ args: { x: '0x2' } }));
  });

  it('serialises a builder as its IR, as JSON.stringify does', () => {
    const [, builder] = programList[0]!;
    expect(canonicalJson(builder)).toBe(builder.canonicalJson());
    expect(digestOf(builder)).toBe(builder.irDigest());
  });
});

describe.each(programList)('program %s', (_, builder) => {
  const ir: Program = builder.toIR();

  it('decodes from its JSON text to the same IR', () => {
    const text = JSON.stringify(ir);
    const decoded = right(decodeProgram(JSON.parse(text)));
    expect(decoded).toStrictEqual(ir);
    expect(canonicalJson(decoded)).toBe(canonicalJson(ir));
    expect(right(parseIR(text))).toStrictEqual(ir);
    expect(right(decodeIR(JSON.parse(text)))).toStrictEqual(ir);
  });

  it('serialises the builder as its IR', () => {
    expect(JSON.parse(JSON.stringify(builder))).toStrictEqual(JSON.parse(JSON.stringify(ir)));
    expect(builder.toIR()).toBe(ir); // built once, then cached
  });

  it('decodes from its canonical JSON to the same IR', () => {
    const text = builder.canonicalJson();
    expect(text).toBe(canonicalJson(ir));
    expect(right(decodeProgram(JSON.parse(text)))).toStrictEqual(ir);
  });

  it('has canonical JSON independent of key order', () => {
    const reversed = reverseKeys(ir);
    expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(ir)); // the shuffle did something
    expect(canonicalJson(reversed)).toBe(canonicalJson(ir));
    expect(digestOf(reversed)).toBe(builder.irDigest());
    expect(canonicalJson(right(decodeProgram(reversed)))).toBe(canonicalJson(ir));
  });

  it('has a stable sha256 digest', () => {
    const d = builder.irDigest();
    expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestOf(ir)).toBe(d);
    expect(digestOf(JSON.parse(JSON.stringify(ir)))).toBe(d);
    expect(programFromIR(ir).irDigest()).toBe(d);
  });

  it('is rebuilt unchanged from its IR', () => {
    expect(programFromIR(ir).toIR()).toStrictEqual(ir);
    expect(programFromIR(JSON.parse(JSON.stringify(ir)) as Program).toIR()).toStrictEqual(ir);
  });

  it('changes digest when any leaf of the IR changes', () => {
    const d = digestOf(ir);
    const all = leaves(ir);
    expect(all.length).toBeGreaterThan(10);
    for (const leaf of all) expect(digestOf(changeLeaf(ir, leaf.path)), leaf.path.join('.')).not.toBe(d);
  });

  it('changes digest when derived, and again when a derived stage is resized', () => {
    const derived = builder.derive(`${ir.name}-copy`);
    const dIR = derived.toIR();
    expect(dIR.lineage?.[0]).toStrictEqual({ kind: 'ancestor', name: ir.name, digest: builder.irDigest() });
    expect(derived.irDigest()).not.toBe(builder.irDigest());
    // same name, but the lineage differs
    expect(builder.derive(ir.name).irDigest()).not.toBe(builder.irDigest());
    const stage = ir.stages[0];
    if (stage === undefined) return;
    const resized = programFromIR(ir).derive(`${ir.name}-copy`).resize(stage.name, stage.size + 1);
    expect(resized.irDigest()).not.toBe(derived.irDigest());
    expect(programFromIR(ir).derive(`${ir.name}-copy`).resize(stage.name, stage.size).irDigest()).toBe(derived.irDigest());
    expect(right(decodeProgram(JSON.parse(JSON.stringify(resized.toIR()))))).toStrictEqual(resized.toIR());
  });
});

describe('derived examples', () => {
  it.each(programList.filter(([, p]) => (p.toIR().lineage?.length ?? 0) > 0))('%s names the digest of its parent', (_, builder) => {
    const parent = builder.toIR().lineage![0]!;
    const found = programList.find(([, p]) => p.toIR().name === parent.name);
    expect(found, `parent ${parent.name} is an example`).toBeDefined();
    expect(parent.digest).toBe(found![1].irDigest());
  });
});

describe.each(policyList)('policy %s', (_, builder) => {
  const ir: Policy = builder.toIR();

  it('decodes from its JSON text to the same IR', () => {
    const text = JSON.stringify(builder);
    const decoded = right(decodePolicy(JSON.parse(text)));
    expect(decoded).toStrictEqual(ir);
    expect(right(parseIR(text))).toStrictEqual(ir);
    expect(right(decodePolicy(JSON.parse(builder.canonicalJson())))).toStrictEqual(ir);
  });

  it('embeds its programs exactly as they build', () => {
    expect(ir.steps.length).toBeGreaterThan(0);
    for (const p of ir.programs) {
      const source = programList.find(([, b]) => b.toIR().name === p.name);
      expect(source, `program ${p.name} is an example`).toBeDefined();
      expect(p).toStrictEqual(source![1].toIR());
    }
  });

  it('has canonical JSON independent of key order and a stable digest', () => {
    expect(canonicalJson(reverseKeys(ir))).toBe(canonicalJson(ir));
    expect(builder.irDigest()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestOf(JSON.parse(JSON.stringify(ir)))).toBe(builder.irDigest());
    expect(digestOf(reverseKeys(ir))).toBe(builder.irDigest());
  });

  it('changes digest when one of its programs changes', () => {
    const first = ir.programs[0]!;
    const renamed = { ...ir, programs: [{ ...first, description: `${first.description ?? ''} (changed)` }, ...ir.programs.slice(1)] };
    expect(right(decodePolicy(renamed))).toStrictEqual(renamed);
    expect(digestOf(renamed)).not.toBe(builder.irDigest());
  });
});
