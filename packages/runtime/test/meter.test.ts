import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  METER_GREEN,
  METER_RED,
  METER_YELLOW,
  TwoRateThreeColorMeter,
  UNCONFIGURED_METER,
  checkTrTcmConfig,
  type MeterColor,
} from '../src/algorithms/index.js';

const G = METER_GREEN;
const Y = METER_YELLOW;
const R = METER_RED;
const ms = (n: number): bigint => BigInt(n) * 1000n;

describe('two-rate three-colour meter (RFC 2698, colour-blind)', () => {
  it('uses v1model colour values: green 0, yellow 1, red 2', () => {
    expect([G, Y, R]).toEqual([0, 1, 2]);
  });

  it('packets: a burst beyond CBS turns yellow, beyond PBS turns red, both buckets start full', () => {
    // CIR 10 pkt/s, CBS 3; PIR 20 pkt/s, PBS 5.
    const m = new TwoRateThreeColorMeter({ cir: 10, cburst: 3, pir: 20, pburst: 5 }, 'packets');
    const colours = Array.from({ length: 7 }, () => m.execute(0n, 1500));
    // Tc: 3 -> 0 over the first three (green, both buckets drained);
    // then Tc < 1 so yellow while Tp lasts (Tp 2 -> 0); then Tp < 1: red.
    expect(colours).toEqual([G, G, G, Y, Y, R, R]);
    expect(m.tokens()).toEqual({ committed: 0n, peak: 0n });
  });

  it('refills each bucket at its own rate from the elapsed microseconds', () => {
    const m = new TwoRateThreeColorMeter({ cir: 10, cburst: 3, pir: 20, pburst: 5 }, 'packets');
    for (let i = 0; i < 7; i++) m.execute(0n, 64);
    // 100 ms later: Tc += 10 * 0.1 = 1, Tp += 20 * 0.1 = 2.
    expect(m.tokens()).toEqual({ committed: 0n, peak: 0n });
    expect(m.execute(ms(100), 64)).toBe(G); // Tc 1 -> 0, Tp 2 -> 1
    expect(m.execute(ms(100), 64)).toBe(Y); // Tc 0, Tp 1 -> 0
    expect(m.execute(ms(100), 64)).toBe(R);
    // 49.999 ms more: Tc credit floor(10 * 0.149999) - 1 = 0; Tp credit floor(20 * 0.149999) - 2 = 0.
    expect(m.execute(ms(150) - 1n, 64)).toBe(R);
    // At exactly 150 ms the peak bucket gains its third token (20 * 0.15 = 3).
    expect(m.execute(ms(150), 64)).toBe(Y);
  });

  it('never refills beyond the burst sizes', () => {
    const m = new TwoRateThreeColorMeter({ cir: 10, cburst: 3, pir: 20, pburst: 5 }, 'packets');
    m.execute(0n, 1);
    const later = 3_600_000_000n; // an hour later
    expect(m.execute(later, 1)).toBe(G);
    expect(m.tokens()).toEqual({ committed: 2n, peak: 4n });
  });

  it('bytes: compares the packet size with the tokens; a yellow packet still drains the peak bucket', () => {
    // CIR 1000 B/s, CBS 1500 B; PIR 2000 B/s, PBS 3000 B.
    const m = new TwoRateThreeColorMeter({ cir: 1000, cburst: 1500, pir: 2000, pburst: 3000 }, 'bytes');
    expect(m.execute(0n, 1000)).toBe(G); // Tc 500, Tp 2000
    expect(m.execute(0n, 1000)).toBe(Y); // Tc 500 < 1000; Tp 1000
    expect(m.execute(0n, 1000)).toBe(Y); // Tp 0
    expect(m.execute(0n, 1)).toBe(R);
    expect(m.execute(0n, 0)).toBe(G); // an empty packet fits any bucket
    // 0.5 s later: Tc 500 + 500 = 1000, Tp 0 + 1000 = 1000.
    expect(m.execute(ms(500), 1000)).toBe(G);
    expect(m.tokens()).toEqual({ committed: 0n, peak: 0n });
  });

  it('a packet larger than PBS is always red and changes nothing', () => {
    const m = new TwoRateThreeColorMeter({ cir: 1000, cburst: 1500, pir: 2000, pburst: 3000 }, 'bytes');
    expect(m.execute(0n, 3001)).toBe(R);
    expect(m.tokens()).toEqual({ committed: 1500n, peak: 3000n });
  });

  it('the same traffic is coloured by size in byte mode and by count in packet mode', () => {
    const config = { cir: 2, cburst: 2, pir: 4, pburst: 3 };
    const pkts = new TwoRateThreeColorMeter(config, 'packets');
    const bytes = new TwoRateThreeColorMeter(config, 'bytes');
    expect([1, 1, 1, 1].map(() => pkts.execute(0n, 1))).toEqual([G, G, Y, R]);
    expect([1, 1, 1, 1].map(() => bytes.execute(0n, 1))).toEqual([G, G, Y, R]);
    const pkts2 = new TwoRateThreeColorMeter(config, 'packets');
    const bytes2 = new TwoRateThreeColorMeter(config, 'bytes');
    expect(pkts2.execute(0n, 2)).toBe(G);
    expect(bytes2.execute(0n, 2)).toBe(G);
    expect(pkts2.execute(0n, 2)).toBe(G);
    expect(bytes2.execute(0n, 2)).toBe(R); // Tp 1 < 2
  });

  it('counts refills from a fixed origin, so polling more often changes nothing (no rounding drift)', () => {
    const arrival = fc.record({ gap: fc.integer({ min: 0, max: 400_000 }), size: fc.integer({ min: 0, max: 1600 }) });
    fc.assert(
      fc.property(
        fc.record({ cir: fc.integer({ min: 0, max: 10_007 }), extra: fc.integer({ min: 0, max: 10_007 }) }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(arrival, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 400_000 }), { maxLength: 40 }),
        ({ cir, extra }, burst, arrivals, polls) => {
          const config = { cir, cburst: burst, pir: cir + extra, pburst: burst + 500 };
          const a = new TwoRateThreeColorMeter(config, 'bytes');
          const b = new TwoRateThreeColorMeter(config, 'bytes');
          let t = 0n;
          for (const [i, { gap, size }] of arrivals.entries()) {
            const prev = t;
            t += BigInt(gap);
            // b also sees empty packets (which consume nothing) in between.
            const poll = polls[i];
            if (poll !== undefined && gap > 0) b.execute(prev + BigInt(poll % gap), 0);
            expect(b.execute(t, size)).toBe(a.execute(t, size));
          }
          expect(b.tokens()).toEqual(a.tokens());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('credits floor(elapsed µs × rate / 10^6) tokens exactly, even for rates that do not divide 10^6', () => {
    const m = new TwoRateThreeColorMeter({ cir: 3, cburst: 1_000_000, pir: 7, pburst: 1_000_000 }, 'bytes');
    m.execute(0n, 1_000_000); // drain both buckets
    expect(m.tokens()).toEqual({ committed: 0n, peak: 0n });
    for (let t = 1n; t <= 2_000_000n; t += 997n) m.execute(t, 0);
    m.execute(2_000_000n, 0);
    expect(m.tokens()).toEqual({ committed: 6n, peak: 14n });
  });

  it('time that goes backwards adds no tokens and never throws', () => {
    const m = new TwoRateThreeColorMeter({ cir: 10, cburst: 1, pir: 10, pburst: 1 }, 'packets');
    expect(m.execute(ms(1000), 1)).toBe(G);
    expect(m.execute(ms(500), 1)).toBe(R);
    expect(m.execute(-5n, 1)).toBe(R);
    expect(m.execute(ms(1100), 1)).toBe(G);
  });

  it('honours a time origin: buckets are full then and refill from there', () => {
    const m = new TwoRateThreeColorMeter({ cir: 1, cburst: 1, pir: 1, pburst: 1 }, 'packets', 5_000_000n);
    expect(m.execute(5_000_000n, 1)).toBe(G);
    expect(m.execute(5_999_999n, 1)).toBe(R);
    expect(m.execute(6_000_000n, 1)).toBe(G);
  });

  it('returns the worse of the computed colour and a pre-colour, like BMv2', () => {
    const m = new TwoRateThreeColorMeter({ cir: 10, cburst: 1, pir: 10, pburst: 2 }, 'packets');
    expect(m.execute(0n, 1, Y)).toBe(Y); // computed green
    expect(m.execute(0n, 1, G)).toBe(Y); // computed yellow
    expect(m.execute(0n, 1, Y)).toBe(R); // computed red
  });

  it('an unconfigured meter marks everything green, whatever the pre-colour', () => {
    const colours: MeterColor[] = [UNCONFIGURED_METER.execute(0n, 1), UNCONFIGURED_METER.execute(10n, 9000, R)];
    expect(colours).toEqual([G, G]);
  });

  it('rejects invalid configurations: negative or fractional values, PIR below CIR', () => {
    expect(checkTrTcmConfig({ cir: 1, cburst: 1, pir: 1, pburst: 1 })).toBeUndefined();
    expect(checkTrTcmConfig({ cir: 2, cburst: 1, pir: 1, pburst: 1 })).toMatch(/pir/);
    expect(checkTrTcmConfig({ cir: -1, cburst: 1, pir: 1, pburst: 1 })).toMatch(/cir/);
    expect(checkTrTcmConfig({ cir: 1.5, cburst: 1, pir: 2, pburst: 1 })).toMatch(/cir/);
    expect(() => new TwoRateThreeColorMeter({ cir: 2, cburst: 1, pir: 1, pburst: 1 }, 'bytes')).toThrow(RangeError);
  });

  it('never throws for any packet size or time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), fc.double()), { maxLength: 30 }),
        (events) => {
          const m = new TwoRateThreeColorMeter({ cir: 100, cburst: 10, pir: 200, pburst: 20 }, 'bytes');
          for (const [t, size] of events) expect([G, Y, R]).toContain(m.execute(t, size));
        },
      ),
    );
  });
});
