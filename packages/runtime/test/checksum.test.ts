import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { incrementalChecksum, internetChecksum, onesComplementSum } from '../src/algorithms/index.js';
import { fromHex } from '../src/packet/index.js';

/**
 * An independent reference: the ones'-complement sum is the ordinary sum of
 * the words modulo 0xffff, written as 0xffff (-0) rather than 0 when any word
 * is non-zero (end-around carry never produces +0 from non-zero input).
 */
function referenceSum(bytes: Uint8Array): number {
  let total = 0n;
  let anyNonZero = false;
  for (let i = 0; i < bytes.length; i += 2) {
    const w = (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
    if (w !== 0) anyNonZero = true;
    total += BigInt(w);
  }
  const r = Number(total % 0xffffn);
  return r === 0 && anyNonZero ? 0xffff : r;
}

// The classic Wikipedia / BMv2 test-suite IPv4 header (checksum 0xb861).
const IPV4_HEADER = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

describe('Internet checksum (RFC 1071)', () => {
  it("matches RFC 1071 §3's worked example: sum ddf2, checksum 220d", () => {
    const bytes = fromHex('00 01 f2 03 f4 f5 f6 f7');
    expect(onesComplementSum(bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it('computes the checksum of a real IPv4 header (0xb861) and verifies it to zero', () => {
    const zeroed = IPV4_HEADER.slice();
    zeroed[10] = 0;
    zeroed[11] = 0;
    expect(internetChecksum(zeroed)).toBe(0xb861);
    expect(internetChecksum(IPV4_HEADER)).toBe(0);
    expect(onesComplementSum(IPV4_HEADER)).toBe(0xffff);
  });

  it('pads an odd trailing byte with a zero byte on the right', () => {
    expect(onesComplementSum(Uint8Array.of(0x01))).toBe(0x0100);
    expect(onesComplementSum(fromHex('abcdef'))).toBe(0x9ace); // abcd + ef00 = 1_9acd -> 9ace
    expect(onesComplementSum(fromHex('abcdef'))).toBe(onesComplementSum(fromHex('abcdef00')));
  });

  it('distinguishes the two zeros: all-zero data sums to +0, cancelling data to -0', () => {
    expect(onesComplementSum(new Uint8Array(0))).toBe(0);
    expect(onesComplementSum(new Uint8Array(10))).toBe(0);
    expect(internetChecksum(new Uint8Array(10))).toBe(0xffff);
    expect(onesComplementSum(fromHex('ffff'))).toBe(0xffff);
    expect(onesComplementSum(fromHex('0001 fffe'))).toBe(0xffff);
    expect(internetChecksum(fromHex('0001 fffe'))).toBe(0);
  });

  it('chains sums through `initial` and folds large initial values', () => {
    expect(onesComplementSum(fromHex('0001'), 0xffff)).toBe(0x0001);
    expect(onesComplementSum(new Uint8Array(0), 0x1_0002)).toBe(0x0003);
    expect(() => onesComplementSum(new Uint8Array(0), -1)).toThrow(RangeError);
  });

  it('agrees with an independent modulo-0xffff reference on random data (including long buffers)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(onesComplementSum(bytes)).toBe(referenceSum(bytes));
      }),
      { numRuns: 2000 },
    );
    const big = new Uint8Array(300_000).fill(0xff);
    expect(onesComplementSum(big)).toBe(referenceSum(big));
  });

  it('sum(a ++ b) == sum(b, sum(a)) for even-length a', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a0, b) => {
        const a = a0.length % 2 ? a0.subarray(1) : a0;
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(onesComplementSum(ab)).toBe(onesComplementSum(b, onesComplementSum(a)));
      }),
    );
  });

  it('inserting the computed checksum makes the data verify', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 80 }), fc.nat(), (data, at0) => {
        const bytes = data.length % 2 ? data.subarray(1).slice() : data.slice();
        fc.pre(bytes.length >= 2);
        const at = (at0 % (bytes.length / 2)) * 2;
        bytes[at] = 0;
        bytes[at + 1] = 0;
        const c = internetChecksum(bytes);
        bytes[at] = c >> 8;
        bytes[at + 1] = c & 0xff;
        expect(internetChecksum(bytes)).toBe(0);
      }),
    );
  });
});

describe('incremental checksum update (RFC 1624 eqn. 3)', () => {
  it("reproduces RFC 1624 §4's example: m 5555 -> 3285 turns HC dd2f into 0000 (eqn. 2 would give ffff)", () => {
    expect(incrementalChecksum(0xdd2f, fromHex('5555'), fromHex('3285'))).toBe(0x0000);
  });

  it('updates an IPv4 checksum after a TTL decrement like a full recomputation', () => {
    const after = IPV4_HEADER.slice();
    after[8] = 0x3f; // TTL 64 -> 63 (word 4 = ttl|protocol: 4011 -> 3f11)
    after[10] = 0;
    after[11] = 0;
    const full = internetChecksum(after);
    expect(full).toBe(0xb961);
    expect(incrementalChecksum(0xb861, fromHex('4011'), fromHex('3f11'))).toBe(full);
  });

  it('leaves a checksum unchanged when nothing changes, including a checksum of 0x0000 (RFC 1624 erratum 4782 case)', () => {
    expect(incrementalChecksum(0x0000, fromHex('5555'), fromHex('5555'))).toBe(0x0000);
    expect(incrementalChecksum(0x1234, fromHex('abcd'), fromHex('abcd'))).toBe(0x1234);
  });

  it('pads odd-length regions on the right and never throws (it runs in the packet loop)', () => {
    // Changing only the high byte of word 4 (the TTL) of the classic header.
    expect(incrementalChecksum(0xb861, fromHex('40'), fromHex('3f'))).toBe(0xb961);
    expect(incrementalChecksum(0x1_b861, fromHex('40'), fromHex('3f'))).toBe(0xb961);
    // Regions of different lengths: every removed word is subtracted and every added word added.
    const data = fromHex('4500 0000 1111 2222');
    const grown = fromHex('4500 0000 1111 2222 3333');
    expect(incrementalChecksum(internetChecksum(data), new Uint8Array(0), fromHex('3333'))).toBe(internetChecksum(grown));
    expect(incrementalChecksum(internetChecksum(grown), fromHex('3333'), new Uint8Array(0))).toBe(internetChecksum(data));
  });

  /** A random IPv4-like header (checksum field at bytes 10-11) and random word changes. */
  const headerAndChanges = fc
    .tuple(
      fc.uint8Array({ minLength: 20, maxLength: 60 }).map((b) => (b.length % 2 ? b.subarray(1) : b)),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xffff })), { minLength: 1, maxLength: 6 }),
    )
    .filter(([h]) => h.length >= 20);

  it('equals a full recomputation for random headers and random 16-bit word changes', () => {
    fc.assert(
      fc.property(headerAndChanges, ([header, changes]) => {
        const h = header.slice();
        h[10] = 0;
        h[11] = 0;
        const words = h.length / 2;
        let checksum = internetChecksum(h);
        // RFC 1624's precondition: the old checksum came from non-zero data.
        fc.pre(h.some((b) => b !== 0));
        for (const [w0, value] of changes) {
          let w = w0 % words;
          if (w === 5) w = (w + 1) % words; // never the checksum field itself
          const removed = h.slice(2 * w, 2 * w + 2);
          h[2 * w] = value >> 8;
          h[2 * w + 1] = value & 0xff;
          const added = h.slice(2 * w, 2 * w + 2);
          checksum = incrementalChecksum(checksum, removed, added);
          if (h.every((b) => b === 0)) {
            // The corner: from scratch gives 0xffff (-0), eqn. 3 gives 0x0000 (+0); equal as ones'-complement numbers.
            expect(checksum).toBe(0x0000);
            expect(internetChecksum(h)).toBe(0xffff);
            return;
          }
          expect(checksum).toBe(internetChecksum(h));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('updates several words at once (removed/added concatenated) like a full recomputation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (h0, repl) => {
        const h = h0.slice();
        h[0] = 0x45; // a real header is never all zero
        h[10] = 0;
        h[11] = 0;
        const old = internetChecksum(h);
        // Replace source and destination addresses (bytes 12..19).
        const removed = h.slice(12, 20);
        h.set(repl, 12);
        expect(incrementalChecksum(old, removed, repl)).toBe(internetChecksum(h));
      }),
      { numRuns: 2000 },
    );
  });
});
