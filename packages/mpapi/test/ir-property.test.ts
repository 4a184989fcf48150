// Properties of the IR over random valid programs (see support/ir-arbitraries):
// the validator accepts them (no false positives), JSON text round-trips
// them exactly, canonical JSON ignores key order, and the digest is the
// sha256 of the canonical JSON.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { canonicalJson, decodePolicy, decodeProgram, digestOf, type Decoded, type Program } from '@mpvisor/mpapi';
import { policyArb, programArb } from './support/ir-arbitraries.js';

const RUNS = 500;

/** The issues as text, so a counterexample says why it was rejected. */
function accepted<A>(d: Decoded<A>): A {
  if (either.isLeft(d)) throw new Error(`rejected a valid document:\n${d.left.map((i) => `  ${i.path ?? '$'} ${i.stage ? `[${i.stage}${i.action ? `.${i.action}` : ''}] ` : ''}${i.message}`).join('\n')}`);
  return d.right;
}

/** mulberry32: a small seeded PRNG, so a shuffle replays from the property's seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deep copy with every object's keys in a random order (arrays keep theirs). */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return Object.fromEntries(keys.map((k) => [k, shuffleKeys((value as Record<string, unknown>)[k], random)]));
}

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

/** Every `kind` tag in a document. */
function kinds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) kinds(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'kind' && typeof v === 'string') out.add(v);
      else if (k === 'op' && typeof v === 'string') out.add(`op ${v}`);
      else kinds(v, out);
    }
  }
  return out;
}

describe('random valid program IR', () => {
  it('covers the IR: every node kind and operator appears in a sample', () => {
    const seen = new Set<string>();
    for (const p of fc.sample(programArb, { numRuns: 300, seed: 42 })) kinds(p, seen);
    const expected = [
      // expressions and operators
      ...['const', 'bool', 'field', 'param', 'lookahead', 'isValid', 'unary', 'binary', 'slice', 'cast', 'mux'],
      ...['+', '-', '*', '|+|', '|-|', '&', '|', '^', '<<', '>>', '++', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '~', '!'].map((o) => `op ${o}`),
      // primitives
      ...['assign', 'maskedAssign', 'setValid', 'setInvalid', 'copyHeader', 'pushFront', 'popFront', 'drop', 'setEgress', 'multicast', 'clone'],
      ...['resubmit', 'recirculate', 'digest', 'registerRead', 'registerWrite', 'count', 'meterExecute', 'directMeterRead', 'hash'],
      ...['checksumVerify', 'checksumUpdate', 'checksumIncremental'],
      // parser, stages, entries, control
      ...['extract', 'advance', 'set', 'verify', 'goto', 'select', 'selectCase', 'mask', 'range', 'default'],
      ...['exact', 'lpm', 'ternary', 'optional', 'any', 'entry', 'ancestor', 'varbitField'],
      ...['always', 'hitMiss', 'actionRun', 'actionCase', 'branch', 'applyStage'],
    ];
    expect(expected.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('passes decodeProgram (the validator has no false positives)', () => {
    fc.assert(
      fc.property(programArb, (ir) => {
        accepted(decodeProgram(ir));
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips through JSON text unchanged', () => {
    fc.assert(
      fc.property(programArb, (ir) => {
        const decoded = accepted(decodeProgram(JSON.parse(JSON.stringify(ir))));
        expect(decoded).toStrictEqual(ir);
        expect(accepted(decodeProgram(JSON.parse(canonicalJson(ir))))).toStrictEqual(ir);
      }),
      { numRuns: RUNS },
    );
  });

  it('has canonical JSON independent of key order', () => {
    fc.assert(
      fc.property(programArb, fc.integer(), (ir, seed) => {
        const shuffled = shuffleKeys(ir, prng(seed));
        expect(shuffled).toEqual(ir);
        expect(canonicalJson(shuffled)).toBe(canonicalJson(ir));
        expect(canonicalJson(accepted(decodeProgram(shuffled)))).toBe(canonicalJson(ir));
        // canonical JSON is a fixpoint: its own parse serialises to itself
        expect(canonicalJson(JSON.parse(canonicalJson(shuffled)))).toBe(canonicalJson(ir));
      }),
      { numRuns: RUNS },
    );
  });

  it('has a digest that is a function of the canonical JSON', () => {
    fc.assert(
      fc.property(programArb, programArb, fc.integer(), (a: Program, b: Program, seed) => {
        expect(digestOf(a)).toBe(sha256(canonicalJson(a)));
        expect(digestOf(shuffleKeys(a, prng(seed)))).toBe(digestOf(a));
        expect(digestOf(JSON.parse(JSON.stringify(a)))).toBe(digestOf(a));
        expect(canonicalJson(a) === canonicalJson(b)).toBe(digestOf(a) === digestOf(b));
        const renamed = { ...a, name: `${a.name}2` };
        expect(digestOf(renamed)).not.toBe(digestOf(a));
      }),
      { numRuns: RUNS },
    );
  });
});

type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
type Draft = DeepMutable<Program>;

/** Every object in a document with the given `kind`. */
function nodesOfKind(value: unknown, kind: string, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const v of value) nodesOfKind(v, kind, out);
  else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o['kind'] === kind) out.push(o);
    for (const v of Object.values(o)) nodesOfKind(v, kind, out);
  }
  return out;
}

/**
 * One fault each: applied to a valid program it makes it invalid (or, when
 * the program has nothing to break, returns false). The validator must
 * then refuse the program.
 */
const FAULTS: Record<string, (p: Draft, random: () => number) => boolean> = {
  'an unknown top-level property': (p) => {
    Object.assign(p, { extra: 1 });
    return true;
  },
  'a non-canonical hex constant': (p, random) => {
    const consts = nodesOfKind(p, 'const');
    const c = consts[Math.floor(random() * consts.length)];
    if (!c) return false;
    c['value'] = `0x0${String(c['value']).slice(2)}`;
    return true;
  },
  'a constant too wide for its width': (p, random) => {
    const consts = nodesOfKind(p, 'const');
    const c = consts[Math.floor(random() * consts.length)];
    if (!c) return false;
    c['value'] = `0x${(1n << BigInt(c['width'] as number)).toString(16)}`;
    return true;
  },
  'an assignment to an unknown field': (p) => {
    const a = nodesOfKind(p.stages, 'assign')[0];
    if (!a) return false;
    a['target'] = 'nosuch.field';
    return true;
  },
  'an assignment one bit too wide': (p) => {
    const a = nodesOfKind(p.stages, 'assign')[0];
    if (!a) return false;
    a['value'] = { kind: 'binary', op: '++', left: a['value'], right: { kind: 'const', width: 1, value: '0x0' } };
    return true;
  },
  'a stage applied twice': (p) => {
    const s = p.stages[0];
    if (!s) return false;
    p.control.nodes.push({ kind: 'applyStage', id: 'again_node', stage: s.name, next: { kind: 'always', to: p.control.entry } });
    p.control.entry = 'again_node';
    return true;
  },
  'an apply of an undeclared stage': (p) => {
    p.control.nodes.push({ kind: 'applyStage', id: 'ghost_node', stage: 'ghost_stage', next: { kind: 'always', to: p.control.entry } });
    p.control.entry = 'ghost_node';
    return true;
  },
  'a cycle in the control': (p, random) => {
    const n = p.control.nodes[Math.floor(random() * p.control.nodes.length)];
    if (!n) return false;
    if (n.kind === 'branch') n.else = n.id;
    else if (n.next.kind === 'always') n.next.to = n.id;
    else if (n.next.kind === 'hitMiss') n.next.miss = n.id;
    else n.next.default = n.id;
    return true;
  },
  'a duplicate stage name': (p) => {
    const [a, b] = p.stages;
    if (!a || !b) return false;
    b.name = a.name;
    return true;
  },
  'an extracted header missing from the deparser': (p) => {
    const extracted = nodesOfKind(p.parser, 'extract').map((e) => String(e['header']).replace(/\[.*$/, ''));
    const victim = extracted[0];
    if (victim === undefined) return false;
    p.deparser = p.deparser.filter((h) => h !== victim);
    return true;
  },
  'a missing parser start state': (p) => {
    p.parser.start = 'nowhere_state';
    return true;
  },
  'an unreachable parser state': (p) => {
    p.parser.states.push({ kind: 'parserState', name: 'orphan_state', ops: [], transition: { kind: 'goto', state: 'accept' } });
    return true;
  },
  'a header type that is not a whole number of bytes': (p) => {
    const t = p.headerTypes[0];
    if (!t) return false;
    t.fields.unshift({ kind: 'bitField', name: 'odd_bit', width: 1 });
    return true;
  },
  'a /0 lpm prefix': (p) => {
    const m = p.stages.flatMap((s) => s.entries.flatMap((e) => e.matches)).find((x) => x.kind === 'lpm');
    if (!m || m.kind !== 'lpm') return false;
    m.prefixLength = 0;
    m.value = '0x0';
    return true;
  },
  'a zero ternary mask': (p) => {
    const m = p.stages.flatMap((s) => s.entries.flatMap((e) => e.matches)).find((x) => x.kind === 'ternary');
    if (!m || m.kind !== 'ternary') return false;
    m.mask = '0x0';
    m.value = '0x0';
    return true;
  },
  'a range with low above high': (p) => {
    const m = p.stages.flatMap((s) => s.entries.flatMap((e) => e.matches)).find((x) => x.kind === 'range');
    if (!m || m.kind !== 'range') return false;
    m.low = '0x1';
    m.high = '0x0';
    return true;
  },
  'an entry without a needed priority, or with an unneeded one': (p) => {
    const e = p.stages.flatMap((s) => s.entries)[0];
    if (!e) return false;
    if (e.priority === undefined) e.priority = 1;
    else delete e.priority;
    return true;
  },
  'an action call with an extra argument': (p) => {
    const s = p.stages[0];
    if (!s) return false;
    s.defaultAction.action.args = { ...s.defaultAction.action.args, zz_extra: '0x0' };
    return true;
  },
  'an action call without an argument': (p) => {
    const s = p.stages.find((x) => Object.keys(x.defaultAction.action.args).length > 0);
    if (!s) return false;
    const [first] = Object.keys(s.defaultAction.action.args);
    s.defaultAction.action.args = Object.fromEntries(Object.entries(s.defaultAction.action.args).filter(([k]) => k !== first));
    return true;
  },
};

describe('random invalid program IR', () => {
  it('is refused: the validator catches each injected fault', () => {
    const names = Object.keys(FAULTS);
    const hit = new Set<string>();
    fc.assert(
      fc.property(programArb, fc.constantFrom(...names), fc.integer(), (ir, fault, seed) => {
        const draft = JSON.parse(JSON.stringify(ir)) as Draft;
        fc.pre(FAULTS[fault]!(draft, prng(seed)));
        hit.add(fault);
        expect(either.isLeft(decodeProgram(draft)), `${fault} was accepted`).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(names.filter((n) => !hit.has(n))).toEqual([]);
  });
});

describe('random valid policy IR', () => {
  it('passes decodePolicy and round-trips through JSON text', () => {
    fc.assert(
      fc.property(policyArb, (ir) => {
        expect(accepted(decodePolicy(JSON.parse(JSON.stringify(ir))))).toStrictEqual(ir);
        expect(canonicalJson(shuffleKeys(ir, prng(ir.steps.length)))).toBe(canonicalJson(ir));
      }),
      { numRuns: 200 },
    );
  });
});
