/**
 * Small whole-number samples (tables per packet, slot passes) counted by
 * value, so a run of millions of packets keeps a few dozen numbers; the
 * median is the runtime's `spread` median (the mean of the two middle
 * values for an even count).
 */
import type { Spread } from '@mpvisor/runtime';

export class Histogram {
  private readonly counts = new Map<number, number>();
  private n = 0;

  add(value: number): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
    this.n++;
  }

  get size(): number {
    return this.n;
  }

  /** The k-th smallest value, from 0. */
  private nth(k: number, sorted: readonly [number, number][]): number {
    let seen = 0;
    for (const [v, c] of sorted) {
      seen += c;
      if (k < seen) return v;
    }
    return sorted.at(-1)?.[0] ?? 0;
  }

  spread(): Spread {
    if (this.n === 0) return { min: 0, median: 0, max: 0 };
    const sorted = [...this.counts].sort((a, b) => a[0] - b[0]);
    const mid = this.n >> 1;
    const median = this.n % 2 === 1 ? this.nth(mid, sorted) : (this.nth(mid - 1, sorted) + this.nth(mid, sorted)) / 2;
    return { min: sorted[0]![0], median, max: sorted.at(-1)![0] };
  }
}

/** A number as the reports print it: whole numbers plain, halves with one decimal. */
export const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** `8 (6–10)`: median and range. */
export const medianRange = (s: Spread): string => `${num(s.median)} (${num(s.min)}–${num(s.max)})`;

export { textTable } from '@mpvisor/targets';
