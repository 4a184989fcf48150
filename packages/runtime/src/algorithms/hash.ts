/**
 * The v1model hash algorithms, bit-for-bit as BMv2's simple_switch computes
 * them.
 *
 * Sources read (p4lang/behavioral-model; this is an independent
 * implementation, no code copied):
 *  - `src/bm_sim/calculations.cpp`: the hash functors `crc16`, `crc32`,
 *    `crc_custom<T>` (and the default configurations of `crc16_custom` /
 *    `crc32_custom`), `cksum16`/`csum16`, `xor_hash<uint16_t>` (`xor16`),
 *    `identity`, and `BufBuilder::Deparse`, which serialises a field list
 *    into the byte string that is hashed.
 *  - `src/bm_sim/crc_tables.h`: `table_crc16` is the MSB-first table of the
 *    polynomial 0x8005 and `table_crc32` that of 0x04C11DB7.
 *  - `src/bm_sim/extract.h` (`generic_deparse`): how a field's bits are
 *    written at a bit offset.
 *  - `targets/simple_switch/primitives.cpp`
 *    (`modify_field_with_hash_based_offset`, which p4c's v1model back end
 *    emits for `hash(...)`, see p4c `backends/bmv2/simple_switch/
 *    simpleSwitch.cpp`): result = (hash % max) + base in uint64; a `max` of 0
 *    is treated as 1 (so the result is `base`), matching v1model.p4's
 *    documentation of `hash` ("If max=0, the value written to result will
 *    always be base").
 *
 * What BMv2 computes, in CRC catalogue terms:
 *  - crc16: poly 0x8005, init 0x0000, refin true, refout true, xorout 0x0000
 *    = CRC-16/ARC (check value of "123456789": 0xBB3D).
 *  - crc32: poly 0x04C11DB7, init 0xFFFFFFFF, refin true, refout true,
 *    xorout 0xFFFFFFFF = CRC-32/ISO-HDLC, the Ethernet/zlib CRC (check
 *    0xCBF43926).
 *  - csum16: the Internet checksum (RFC 1071) of the bytes — the complemented
 *    ones'-complement sum of big-endian 16-bit words, an odd last byte padded
 *    with a zero byte on the right.
 *  - xor16: XOR of the big-endian 16-bit words, an odd last byte padded with
 *    a zero byte on the right.
 *  - identity: the first min(8, n) bytes as an unsigned big-endian integer;
 *    bytes after the eighth are ignored.
 */

import { internetChecksum } from './checksum.js';

/** The v1model `HashAlgorithm` members this module implements. */
export type HashAlgorithm = 'crc16' | 'crc32' | 'identity' | 'csum16' | 'xor16';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['crc16', 'crc32', 'identity', 'csum16', 'xor16'];

/**
 * A CRC configuration in BMv2's `crc_custom` terms (`CustomCrcMgr<T>::
 * crc_config_t`): an MSB-first polynomial without its top bit, the initial
 * remainder, the final XOR, and whether input bytes and the final remainder
 * are bit-reflected.
 */
export interface CrcConfig {
  readonly width: 8 | 16 | 32;
  readonly polynomial: number;
  readonly initial: number;
  readonly finalXor: number;
  readonly reflectData: boolean;
  readonly reflectRemainder: boolean;
}

/** BMv2 `crc16` (and the default of `crc16_custom`): CRC-16/ARC. */
export const BMV2_CRC16: CrcConfig = {
  width: 16,
  polynomial: 0x8005,
  initial: 0x0000,
  finalXor: 0x0000,
  reflectData: true,
  reflectRemainder: true,
};

/** BMv2 `crc32` (and the default of `crc32_custom`): CRC-32/ISO-HDLC. */
export const BMV2_CRC32: CrcConfig = {
  width: 32,
  polynomial: 0x04c11db7,
  initial: 0xffffffff,
  finalXor: 0xffffffff,
  reflectData: true,
  reflectRemainder: true,
};

function reflectBits(value: number, nBits: number): number {
  let out = 0;
  let v = value;
  for (let i = 0; i < nBits; i++) {
    out = (out << 1) | (v & 1);
    v >>>= 1;
  }
  return out >>> 0;
}

/**
 * Builds a table-driven CRC function for `config`. The table and the update
 * step follow the MSB-first ("non-reflected") formulation; reflection is
 * applied to each input byte and to the final remainder when configured, as
 * BMv2's `crc_custom` does.
 */
export function makeCrc(config: CrcConfig): (data: Uint8Array) => number {
  const { width } = config;
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  const top = width === 32 ? 0x80000000 : 1 << (width - 1);
  const poly = config.polynomial & mask;
  const table = new Uint32Array(256);
  for (let dividend = 0; dividend < 256; dividend++) {
    let r = (dividend << (width - 8)) >>> 0;
    for (let bit = 0; bit < 8; bit++) {
      r = r & top ? (((r << 1) >>> 0) ^ poly) >>> 0 : (r << 1) >>> 0;
      r = (r & mask) >>> 0;
    }
    table[dividend] = r;
  }
  const reflectByte = new Uint8Array(256);
  for (let b = 0; b < 256; b++) reflectByte[b] = reflectBits(b, 8);
  const shift = width - 8;
  return (data: Uint8Array): number => {
    let r = config.initial & mask;
    for (let i = 0; i < data.length; i++) {
      const byte = config.reflectData ? reflectByte[data[i]!]! : data[i]!;
      const idx = (byte ^ (r >>> shift)) & 0xff;
      r = ((table[idx]! ^ (r << 8)) & mask) >>> 0;
    }
    const out = config.reflectRemainder ? reflectBits(r, width) : r;
    return ((out ^ config.finalXor) & mask) >>> 0;
  };
}

/** BMv2 `crc16` of `data` (CRC-16/ARC). */
export const crc16: (data: Uint8Array) => number = makeCrc(BMV2_CRC16);

/** BMv2 `crc32` of `data` (CRC-32/ISO-HDLC). */
export const crc32: (data: Uint8Array) => number = makeCrc(BMV2_CRC32);

/** BMv2 `csum16`: the Internet checksum (complemented sum) of `data`. */
export function csum16(data: Uint8Array): number {
  return internetChecksum(data);
}

/** BMv2 `xor16`: XOR of big-endian 16-bit words, odd tail padded on the right. */
export function xor16(data: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < data.length; i += 2) {
    x ^= (data[i]! << 8) | (i + 1 < data.length ? data[i + 1]! : 0);
  }
  return x;
}

/** BMv2 `identity`: the first min(8, n) bytes as an unsigned big-endian integer. */
export function identity(data: Uint8Array): bigint {
  let v = 0n;
  const n = Math.min(8, data.length);
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(data[i]!);
  return v;
}

/** The raw (64-bit) output of `algorithm` over `data`, as BMv2's hash functors give it. */
export function hashBytes(algorithm: HashAlgorithm, data: Uint8Array): bigint {
  switch (algorithm) {
    case 'crc16':
      return BigInt(crc16(data));
    case 'crc32':
      return BigInt(crc32(data));
    case 'identity':
      return identity(data);
    case 'csum16':
      return BigInt(csum16(data));
    case 'xor16':
      return BigInt(xor16(data));
    default: {
      const never: never = algorithm;
      throw new RangeError(`unknown hash algorithm ${String(never)}`);
    }
  }
}

/** One entry of a hashed field list: a value and its width in bits. */
export interface HashField {
  readonly value: bigint;
  readonly width: number;
}

/**
 * Serialises a field list the way BMv2's `BufBuilder::Deparse` does: the
 * fields' bits are concatenated most significant bit first with no gaps, in
 * list order, into a buffer of ceil(totalBits / 8) bytes; if the total is not
 * a multiple of 8, the unused low-order bits of the LAST byte are zero (the
 * padding is at the end, and only to a byte boundary).
 *
 * Each value is reduced to its width first (two's complement for negative
 * values, as a signed `int<W>` field holds it). Zero-width fields contribute
 * nothing. BMv2 skips fields of invalid headers entirely; callers pass only the
 * fields that BMv2 would include.
 */
export function packFields(fields: readonly HashField[]): Uint8Array {
  let totalBits = 0;
  for (const f of fields) {
    if (!Number.isSafeInteger(f.width) || f.width < 0) {
      throw new RangeError(`packFields: field width must be a non-negative integer, got ${f.width}`);
    }
    totalBits += f.width;
  }
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bitPos = 0;
  for (const f of fields) {
    const v = BigInt.asUintN(f.width, f.value);
    // Write the field's bits from most to least significant, a byte-aligned
    // chunk at a time where possible.
    let remaining = f.width;
    while (remaining > 0) {
      const byteIndex = bitPos >>> 3;
      const bitInByte = bitPos & 7;
      const room = 8 - bitInByte;
      const take = Math.min(room, remaining);
      const chunk = Number((v >> BigInt(remaining - take)) & ((1n << BigInt(take)) - 1n));
      out[byteIndex] = out[byteIndex]! | (chunk << (room - take));
      remaining -= take;
      bitPos += take;
    }
  }
  return out;
}

const U64 = 64;

/**
 * The v1model `hash(result, algo, base, data, max)` extern as BMv2's
 * simple_switch executes it: `((hash(data) % max) + base)` in 64-bit unsigned
 * arithmetic, then truncated to the result's width. `base` and `max` are taken
 * modulo 2^64 (BMv2 reads them as uint64); `max` 0 is treated as 1, so the
 * result is `base` (BMv2 logs a warning; v1model.p4 documents the same result).
 */
export function v1modelHash(
  algorithm: HashAlgorithm,
  fields: readonly HashField[],
  base: bigint,
  max: bigint,
  resultWidth: number,
): bigint {
  if (!Number.isSafeInteger(resultWidth) || resultWidth < 0) {
    throw new RangeError(`v1modelHash: resultWidth must be a non-negative integer, got ${resultWidth}`);
  }
  const h = hashBytes(algorithm, packFields(fields));
  const b = BigInt.asUintN(U64, base);
  let m = BigInt.asUintN(U64, max);
  if (m === 0n) m = 1n;
  const v = BigInt.asUintN(U64, (h % m) + b);
  return BigInt.asUintN(resultWidth, v);
}
