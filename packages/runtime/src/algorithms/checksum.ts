/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Every function here works on 16-bit words read in network byte order
 * (big-endian). The ones'-complement sum is byte-order independent (RFC 1071
 * §2(B)), so the results are the values the checksum fields of real IPv4,
 * ICMP, TCP and UDP headers hold.
 *
 * Zero in ones'-complement arithmetic has two representations, +0 (0x0000)
 * and -0 (0xffff). {@link onesComplementSum} adds with end-around carry,
 * which yields +0 only when every word is zero and otherwise a value in
 * [0x0001, 0xffff]; consequently {@link internetChecksum} is 0xffff only for
 * all-zero data and is otherwise in [0x0000, 0xfffe].
 */

/** Folds a non-negative integer into 16 bits with end-around carry. */
function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The 16-bit ones'-complement sum of `bytes` taken as big-endian 16-bit words
 * (RFC 1071 §4.1), plus `initial`, folded to 16 bits but NOT complemented.
 *
 * An odd trailing byte is treated as the high byte of a word whose low byte is
 * zero ("padded with a zero byte on the right", RFC 1071 §4.1 and RFC 793's
 * checksum definition). `initial` lets sums be chained: the sum of a
 * concatenation of even-length chunks is
 * `onesComplementSum(b, onesComplementSum(a))`.
 *
 * @param initial a non-negative integer (it is folded like any other partial
 *   sum), e.g. a pseudo-header sum or a previous result.
 */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  if (!Number.isSafeInteger(initial) || initial < 0) {
    throw new RangeError(`onesComplementSum: initial must be a non-negative safe integer, got ${initial}`);
  }
  let sum = fold16(initial);
  const evenEnd = bytes.length & ~1;
  let i = 0;
  while (i < evenEnd) {
    // Fold every 32 Ki words so the accumulator stays far below 2^53.
    const chunkEnd = Math.min(evenEnd, i + 0x10000);
    for (; i < chunkEnd; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
    sum = fold16(sum);
  }
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  return fold16(sum);
}

/**
 * The Internet checksum of `bytes`: the ones'-complement of the
 * ones'-complement sum (RFC 1071), as a 16-bit number. Verifying data that
 * contains its own correct checksum field gives 0.
 */
export function internetChecksum(bytes: Uint8Array): number {
  return ~onesComplementSum(bytes) & 0xffff;
}

/**
 * Incremental update of an Internet checksum after some 16-bit words changed,
 * by RFC 1624 eqn. 3:
 *
 *     HC' = ~(~HC + ~m + m')
 *
 * where HC is `oldChecksum`, m an old word and m' its new value, with all
 * additions in ones'-complement arithmetic (end-around carry). Every word of
 * `removed` contributes ~m and every word of `added` contributes m'.
 *
 * `removed` and `added` are the old and new contents of the changed region
 * (or of several regions concatenated, in the same order), each starting at
 * an even offset of the checksummed data; normally they have the same even
 * length. An odd length is padded with a zero byte on the right, which is
 * exact for a region that ends on the high byte of a word. This function never
 * throws (it runs inside packet processing): `oldChecksum` is taken modulo
 * 2^16.
 *
 * Corner case (RFC 1624 §3): unlike eqn. 2 of RFC 1141, eqn. 3 never turns a
 * correct checksum into -0. If `oldChecksum` was computed from scratch over
 * data that is not all zero (so it is in [0x0000, 0xfffe]), the result is
 * exactly what recomputing from scratch over the new data gives, provided the
 * new data is not all zero either (then recomputation gives 0xffff while eqn.
 * 3 gives 0x0000 — both are ones'-complement zero). The same holds when m ==
 * m': with end-around-carry addition ~HC + ~m + m' is ~HC again, so a
 * checksum of 0x0000 stays 0x0000 (the -0 result described in RFC 1624
 * erratum 4782 only arises with an adder that produces +0 from non-zero
 * operands, which this one never does). An `oldChecksum` of 0xffff cannot come
 * from a from-scratch computation over non-zero data; for it the result is
 * still correct up to the ±0 ambiguity.
 */
export function incrementalChecksum(oldChecksum: number, removed: Uint8Array, added: Uint8Array): number {
  let sum = ~oldChecksum & 0xffff;
  for (let i = 0; i < removed.length; i += 2) {
    const m = (removed[i]! << 8) | (removed[i + 1] ?? 0);
    sum = fold16(sum + (~m & 0xffff));
  }
  for (let i = 0; i < added.length; i += 2) {
    sum = fold16(sum + ((added[i]! << 8) | (added[i + 1] ?? 0)));
  }
  return ~sum & 0xffff;
}
