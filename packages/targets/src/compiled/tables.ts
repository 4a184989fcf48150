/**
 * Match-action tables for compiled code: what the control plane installed,
 * rebuilt into structures that answer a lookup without scanning the entries.
 *
 * - exact keys only: one Map on the (packed) key;
 * - exact and one lpm key: one Map per prefix length, longest first (the
 *   first hit wins: entries are identified by their matches, so two entries
 *   with the same prefix length cannot both match);
 * - ternary, range or optional keys: tuple-space search. Entries are grouped
 *   by the masks they use (a range key takes mask 0 and is checked per
 *   entry); in a group a Map from the masked key leads to a bucket sorted
 *   best first; groups are visited by their best priority, highest first,
 *   and the search stops when no later group can win.
 *
 * The winner is the reference's (lookup.ts `better`): priority, then the
 * longest prefix, then the entry installed first.
 *
 * Keys are packed into "parts": consecutive keys of at most 52 bits in all
 * share one JS number; a wider key is a part of its own (a BigInt). A key of
 * several parts uses nested Maps, so no lookup builds a string or allocates.
 */
import type { ActionCall, KeyMatch, MatchKind, Stage } from '@mpvisor/mpapi';
import { entryKey, type StoredEntry, type TableState } from '@mpvisor/runtime';
import { hexValue, NUM_MAX_WIDTH } from './runtime.js';

export type Val = number | bigint;

/** One installed entry, decoded for compiled code. */
export interface CEntry {
  readonly se: StoredEntry;
  /** Index of the action in the stage's actions. */
  readonly a: number;
  /** Argument values, in the action's parameter order. */
  readonly args: readonly Val[];
  readonly pri: number;
  readonly plen: number;
  readonly seq: number;
  /** Per range key (in order of the stage's range keys): low and high bounds. */
  readonly rl: readonly Val[];
  readonly rh: readonly Val[];
  /** Per key: the mask and the masked value it must equal (0 and 0 for range and don't-care). */
  readonly m: readonly Val[];
  readonly v: readonly Val[];
}

/**
 * Tables with at most this many entries (and not exact-only) are searched
 * by a scan of their entries sorted best first: a few masked compares cost
 * less than a hash lookup per mask group.
 */
export const SCAN_MAX = 16;

export interface CGroup {
  /** Per key: the mask applied before the Map lookup (0 for range keys). */
  readonly m: readonly Val[];
  /** Nested by parts; leaves are a CEntry (no priorities) or a best-first CEntry[] (priorities). */
  readonly map: KeyMap;
  maxPri: number;
  readonly plen: number;
}

/** What the generated lookup code reads; the object stays, its contents are swapped on a rebuild. */
export class CTable {
  map: KeyMap = new Map<Val, unknown>();
  groups: CGroup[] = [];
  /** Set instead of groups for a small table: every entry, best first. */
  scan: CEntry[] | null = null;
  defA = 0;
  defArgs: readonly Val[] = [];
  defCall: ActionCall | undefined;
}

export type TableKind = 'keyless' | 'exact' | 'lpm' | 'priority';

export interface KeyPlan {
  readonly width: number;
  readonly big: boolean;
  readonly match: MatchKind;
}

export interface TablePlan {
  readonly kind: TableKind;
  readonly keys: readonly KeyPlan[];
  /** Key indices grouped into parts. */
  readonly parts: readonly (readonly number[])[];
  /** Indices of range keys. */
  readonly ranges: readonly number[];
}

export function planTable(stage: Stage, keyWidths: readonly number[]): TablePlan {
  const keys = stage.keys.map((k, i): KeyPlan => ({ width: keyWidths[i]!, big: keyWidths[i]! > NUM_MAX_WIDTH, match: k.match }));
  const kinds = new Set(keys.map((k) => k.match));
  const kind: TableKind =
    keys.length === 0 ? 'keyless' : kinds.has('ternary') || kinds.has('range') || kinds.has('optional') ? 'priority' : kinds.has('lpm') ? 'lpm' : 'exact';
  const parts: number[][] = [];
  let cur: number[] = [];
  let bits = 0;
  keys.forEach((k, i) => {
    if (k.big) {
      if (cur.length > 0) parts.push(cur);
      parts.push([i]);
      cur = [];
      bits = 0;
      return;
    }
    if (bits + k.width > NUM_MAX_WIDTH && cur.length > 0) {
      parts.push(cur);
      cur = [];
      bits = 0;
    }
    cur.push(i);
    bits += k.width;
  });
  if (cur.length > 0) parts.push(cur);
  return { kind, keys, parts, ranges: keys.flatMap((k, i) => (k.match === 'range' ? [i] : [])) };
}

/** JS source of each part, from the source of each (masked) key value. */
export function partSources(plan: TablePlan, key: (i: number) => string): string[] {
  return plan.parts.map((idx) => {
    if (idx.length === 1) return key(idx[0]!);
    let src = key(idx[0]!);
    for (const i of idx.slice(1)) src = `(${src} * ${2 ** plan.keys[i]!.width} + ${key(i)})`;
    return src;
  });
}

/** The same packing, at build time. */
function partsOf(plan: TablePlan, values: readonly Val[]): Val[] {
  return plan.parts.map((idx) => {
    if (idx.length === 1) return values[idx[0]!]!;
    let v = values[idx[0]!] as number;
    for (const i of idx.slice(1)) v = v * 2 ** plan.keys[i]!.width + (values[i] as number);
    return v;
  });
}

/**
 * A hash table on numeric keys (exact integers below 2^53): open addressing
 * with linear probing over a Float64Array of keys, so a lookup neither boxes
 * its key nor allocates (a JS Map on keys above 2^30 does both).
 */
export class NumHash<V> {
  private keys = new Float64Array(8);
  private vals: (V | undefined)[] = new Array<V | undefined>(8).fill(undefined);
  private mask = 7;
  private count = 0;

  get(k: number): V | undefined {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let h = Math.imul((k | 0) ^ Math.imul((k / 4294967296) | 0, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === k) return v;
    }
  }

  set(k: number, v: V): this {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    let h = Math.imul((k | 0) ^ Math.imul((k / 4294967296) | 0, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      if (this.vals[i] === undefined) {
        this.keys[i] = k;
        this.vals[i] = v;
        this.count++;
        return this;
      }
      if (this.keys[i] === k) {
        this.vals[i] = v;
        return this;
      }
    }
  }

  /** Remove a key; later keys of its probe run move back (backward-shift deletion, no tombstones). */
  delete(k: number): boolean {
    const mask = this.mask;
    let h = Math.imul((k | 0) ^ Math.imul((k / 4294967296) | 0, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      if (this.vals[i] === undefined) return false;
      if (this.keys[i] === k) break;
    }
    this.count--;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = this.vals[j];
      if (v === undefined) break;
      const kj = this.keys[j]!;
      let hj = Math.imul((kj | 0) ^ Math.imul((kj / 4294967296) | 0, 0x27d4eb2d), 0x9e3779b1);
      hj ^= hj >>> 15;
      const home = hj & mask;
      // move j back into the hole at i unless its home lies cyclically in (i, j]
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.keys[i] = kj;
        this.vals[i] = v;
        i = j;
      }
    }
    this.vals[i] = undefined;
    return true;
  }

  *values(): IterableIterator<V> {
    for (const v of this.vals) if (v !== undefined) yield v;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const size = (this.mask + 1) * 2;
    this.keys = new Float64Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.count = 0;
    vals.forEach((v, i) => {
      if (v !== undefined) this.set(keys[i]!, v);
    });
  }
}

/** What a level of a key's nested maps is: a NumHash on a numeric part, a Map on a BigInt one. */
export interface KeyMap {
  get(k: Val): unknown;
  set(k: Val, v: unknown): unknown;
  delete(k: Val): boolean;
  values(): IterableIterator<unknown>;
}

const ones = (w: number): bigint => (1n << BigInt(w)) - 1n;
const asVal = (v: bigint, k: KeyPlan): Val => (k.big ? v : Number(v));

/** Mask and masked value of one key match (range keys: mask 0; their bounds are checked per entry). */
function maskOf(m: KeyMatch, k: KeyPlan): { mask: bigint; value: bigint; plen: number } {
  switch (m.kind) {
    case 'exact':
    case 'optional':
      return { mask: ones(k.width), value: BigInt(m.value), plen: 0 };
    case 'lpm':
      return { mask: ones(k.width) ^ ones(k.width - m.prefixLength), value: BigInt(m.value), plen: m.prefixLength };
    case 'ternary':
      return { mask: BigInt(m.mask), value: BigInt(m.value), plen: 0 };
    case 'range':
    case 'any':
      return { mask: 0n, value: 0n, plen: 0 };
  }
}

function decodeCall(stage: Stage, call: ActionCall): { a: number; args: Val[] } {
  const a = stage.actions.findIndex((x) => x.name === call.action);
  const action = stage.actions[a]!;
  return { a, args: action.params.map((p) => hexValue(call.args[p.name] ?? '0x0', p.width)) };
}

/** The default action, re-decoded when the control plane replaced it. */
export function syncDefault(t: CTable, ts: TableState): void {
  if (t.defCall === ts.defaultAction) return;
  const d = decodeCall(ts.stage, ts.defaultAction);
  t.defA = d.a;
  t.defArgs = d.args;
  t.defCall = ts.defaultAction;
}

/** A map for one part of a key: numbers in a NumHash, BigInts in a Map. */
function keyMap(plan: TablePlan, part: number): KeyMap {
  const first = plan.parts[part]![0]!;
  return plan.keys[first]!.big ? new Map<Val, unknown>() : (new NumHash<unknown>() as KeyMap);
}

function nestedSet(plan: TablePlan, root: KeyMap, parts: readonly Val[], leaf: (old: unknown) => unknown): void {
  let m = root;
  for (let i = 0; i < parts.length - 1; i++) {
    let next = m.get(parts[i]!) as KeyMap | undefined;
    if (!next) {
      next = keyMap(plan, i + 1);
      m.set(parts[i]!, next);
    }
    m = next;
  }
  const last = parts[parts.length - 1]!;
  m.set(last, leaf(m.get(last)));
}

const betterThan = (a: CEntry, b: CEntry): number => b.pri - a.pri || b.plen - a.plen || a.seq - b.seq;

function decodeEntry(ts: TableState, plan: TablePlan, se: StoredEntry): CEntry {
  const { a, args } = decodeCall(ts.stage, se.action);
  const masks = se.matches.map((m, i) => maskOf(m, plan.keys[i]!));
  const rl: Val[] = [];
  const rh: Val[] = [];
  for (const i of plan.ranges) {
    const m = se.matches[i]!;
    const k = plan.keys[i]!;
    rl.push(asVal(m.kind === 'range' ? BigInt(m.low) : 0n, k));
    rh.push(asVal(m.kind === 'range' ? BigInt(m.high) : ones(k.width), k));
  }
  const plen = masks.reduce((n, m) => n + m.plen, 0);
  const m = masks.map((x, i) => asVal(x.mask, plan.keys[i]!));
  const v = masks.map((x, i) => asVal(x.value, plan.keys[i]!));
  return { se, a, args, pri: se.priority ?? 0, plen, seq: se.seq, rl, rh, m, v };
}

/**
 * Patch an exact-match table after one entry was inserted, modified or
 * deleted: the entry's matches are its key, so it is set or removed in the
 * hash without a rebuild. `matches` are those of a successful update.
 */
export function patchExact(t: CTable, ts: TableState, plan: TablePlan, matches: readonly KeyMatch[]): void {
  const values = matches.map((m, i) => asVal(BigInt((m as { value: string }).value), plan.keys[i]!));
  const parts = partsOf(plan, values);
  const se = ts.entries.get(entryKey(matches, undefined));
  if (se) {
    nestedSet(plan, t.map, parts, () => decodeEntry(ts, plan, se));
    return;
  }
  let m: KeyMap | undefined = t.map;
  for (let i = 0; i < parts.length - 1 && m; i++) m = m.get(parts[i]!) as KeyMap | undefined;
  m?.delete(parts[parts.length - 1]!);
}

/** Rebuild a table's structure from its installed entries. */
export function buildTable(t: CTable, ts: TableState, plan: TablePlan): void {
  syncDefault(t, ts);
  if (plan.kind === 'keyless') return;
  const root = keyMap(plan, 0);
  const groups = new Map<string, CGroup & { entries: { parts: Val[]; e: CEntry }[] }>();
  for (const se of ts.entries.values()) {
    const e = decodeEntry(ts, plan, se);
    const masks = se.matches.map((m, i) => maskOf(m, plan.keys[i]!));
    const plen = e.plen;
    const parts = partsOf(
      plan,
      masks.map((m, i) => asVal(m.value, plan.keys[i]!)),
    );
    if (plan.kind === 'exact') {
      nestedSet(plan, root, parts, () => e);
      continue;
    }
    const sig = masks.map((m) => m.mask.toString(16)).join('/');
    let g = groups.get(sig);
    if (!g) {
      g = { m: masks.map((m, i) => asVal(m.mask, plan.keys[i]!)), map: keyMap(plan, 0), maxPri: e.pri, plen, entries: [] };
      groups.set(sig, g);
    }
    g.maxPri = Math.max(g.maxPri, e.pri);
    g.entries.push({ parts, e });
  }
  t.map = root;
  const list = [...groups.values()];
  if (plan.kind !== 'exact' && ts.entries.size <= SCAN_MAX) {
    t.scan = list.flatMap((g) => g.entries.map((x) => x.e)).sort(betterThan);
    t.groups = [];
    return;
  }
  t.scan = null;
  for (const g of list) {
    if (plan.kind === 'lpm') {
      // unique per masked key: entries are identified by their matches
      for (const { parts, e } of g.entries) nestedSet(plan, g.map, parts, (old) => (old && betterThan(old as CEntry, e) < 0 ? old : e));
    } else {
      for (const { parts, e } of g.entries) nestedSet(plan, g.map, parts, (old) => [...((old as CEntry[] | undefined) ?? []), e]);
      sortBuckets(g.map, plan.parts.length);
    }
  }
  t.groups = list
    .map(({ m, map, maxPri, plen }): CGroup => ({ m, map, maxPri, plen }))
    .sort((a, b) => (plan.kind === 'lpm' ? b.plen - a.plen : b.maxPri - a.maxPri));
}

function sortBuckets(m: KeyMap, depth: number): void {
  for (const v of m.values()) {
    if (depth > 1) sortBuckets(v as KeyMap, depth - 1);
    else (v as CEntry[]).sort(betterThan);
  }
}

/**
 * The generated lookup of one stage: a function `L<i>(k0, k1, …)` returning
 * the winning CEntry or null. `T` names the stage's CTable, `mask(i, m)` is
 * the source of key i masked by the mask source m.
 */
export function lookupSource(name: string, plan: TablePlan): string {
  const T = 'T';
  const params = ['T', ...plan.keys.map((_, i) => `k${i}`)].join(', ');
  const masked = (i: number, m: string): string => {
    const k = plan.keys[i]!;
    if (k.match === 'exact') return `k${i}`;
    if (k.big) return `(k${i} & ${m}[${i}])`;
    if (k.width <= 32) return `((k${i} & ${m}[${i}]) >>> 0)`;
    return `and52(k${i}, ${m}[${i}])`;
  };
  /** Walk the nested maps from `root`; `miss` is the statement run when a level misses. */
  const walk = (root: string, parts: string[], miss: string): string[] => {
    const lines = [`let b = ${root}.get(${parts[0]});`, `if (b === undefined) ${miss}`];
    for (const p of parts.slice(1)) lines.push(`b = b.get(${p});`, `if (b === undefined) ${miss}`);
    return lines;
  };
  if (plan.kind === 'exact') {
    const parts = partSources(plan, (i) => `k${i}`);
    return [`function ${name}(${params}) {`, ...walk(`${T}.map`, parts, 'return null;').map((l) => `  ${l}`), '  return b;', '}'].join('\n');
  }
  // a small table: its entries best first, the first that matches wins
  const keyTest = (i: number): string => {
    const k = plan.keys[i]!;
    if (k.match === 'exact') return `k${i} === v[${i}]`;
    if (k.match === 'range') return '';
    if (k.big) return `(k${i} & m[${i}]) === v[${i}]`;
    if (k.width <= 32) return `((k${i} & m[${i}]) >>> 0) === v[${i}]`;
    return `and52(k${i}, m[${i}]) === v[${i}]`;
  };
  const tests = [...plan.keys.map((_, i) => keyTest(i)).filter((x) => x !== ''), ...plan.ranges.map((k, r) => `e.rl[${r}] <= k${k} && k${k} <= e.rh[${r}]`)];
  const scan = [
    `  const sc = ${T}.scan;`,
    '  if (sc !== null) {',
    '    for (let i = 0; i < sc.length; i++) {',
    '      const e = sc[i], m = e.m, v = e.v;',
    `      if (${tests.join(' && ') || 'true'}) return e;`,
    '    }',
    '    return null;',
    '  }',
  ];
  if (plan.kind === 'lpm') {
    const parts = partSources(plan, (i) => masked(i, 'mk'));
    return [
      `function ${name}(${params}) {`,
      ...scan,
      `  const gs = ${T}.groups;`,
      '  for (let i = 0; i < gs.length; i++) {',
      '    const g = gs[i];',
      '    const mk = g.m;',
      ...walk('g.map', parts, 'continue;').map((l) => `    ${l}`),
      '    return b;',
      '  }',
      '  return null;',
      '}',
    ].join('\n');
  }
  const parts = partSources(plan, (i) => masked(i, 'mk'));
  const ranges = plan.ranges.map((k, r) => `rl[${r}] <= k${k} && k${k} <= rh[${r}]`).join(' && ') || 'true';
  return [
    `function ${name}(${params}) {`,
    ...scan,
    `  const gs = ${T}.groups;`,
    '  let best = null;',
    '  for (let i = 0; i < gs.length; i++) {',
    '    const g = gs[i];',
    '    if (best !== null && g.maxPri < best.pri) break;',
    '    const mk = g.m;',
    ...walk('g.map', parts, 'continue;').map((l) => `    ${l}`),
    '    for (let j = 0; j < b.length; j++) {',
    '      const e = b[j];',
    '      if (best !== null && !(e.pri > best.pri || (e.pri === best.pri && (e.plen > best.plen || (e.plen === best.plen && e.seq < best.seq))))) break;',
    '      const rl = e.rl, rh = e.rh;',
    `      if (${ranges}) { best = e; break; }`,
    '    }',
    '  }',
    '  return best;',
    '}',
  ].join('\n');
}
