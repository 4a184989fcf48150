/**
 * Table lookup, written for clarity (a scan): exact, lpm (longest prefix
 * wins), ternary, range and optional keys. In a stage that needs priorities
 * the highest priority wins, and between equal priorities the entry
 * installed first (P4Runtime leaves that case to the target).
 */
import type { KeyMatch } from '@mpvisor/mpapi';
import type { StoredEntry, TableState } from '@mpvisor/runtime';
import { mask } from './bits.js';

export function matches(m: KeyMatch, key: bigint, width: number): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'exact':
    case 'optional':
      return key === BigInt(m.value);
    case 'lpm': {
      const keep = mask(width) ^ mask(width - m.prefixLength);
      return (key & keep) === BigInt(m.value);
    }
    case 'ternary':
      return (key & BigInt(m.mask)) === BigInt(m.value);
    case 'range':
      return BigInt(m.low) <= key && key <= BigInt(m.high);
  }
}

const prefixOf = (e: StoredEntry): number => {
  const lpm = e.matches.find((m) => m.kind === 'lpm');
  return lpm?.kind === 'lpm' ? lpm.prefixLength : 0;
};

/** The winning entry for these key values, or undefined on a miss. A stage without keys always misses. */
export function lookup(table: TableState, keys: readonly bigint[]): StoredEntry | undefined {
  if (table.stage.keys.length === 0) return undefined;
  let best: StoredEntry | undefined;
  for (const e of table.entries.values()) {
    if (!e.matches.every((m, i) => matches(m, keys[i]!, table.keyWidths[i]!))) continue;
    if (!best || better(e, best)) best = e;
  }
  return best;
}

/** Whether `a` wins over `b` when both match: priority, then longest prefix, then installed first. */
export function better(a: StoredEntry, b: StoredEntry): boolean {
  if (a.priority !== undefined && b.priority !== undefined && a.priority !== b.priority) return a.priority > b.priority;
  const pa = prefixOf(a);
  const pb = prefixOf(b);
  if (pa !== pb) return pa > pb;
  return a.seq < b.seq;
}
