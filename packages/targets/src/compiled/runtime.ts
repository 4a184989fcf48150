/**
 * What generated code calls at run time: exact arithmetic on values of 33 to
 * 52 bits held as JS numbers, BigInt helpers for wider values, bit-level
 * reads and writes on packet bytes, a reusable bit writer for checksum and
 * hash inputs, the Internet checksum and its incremental update, hashes and
 * meters. Every function here mirrors the reference's semantics exactly
 * (reference/evaluate.ts, reference/primitives.ts, runtime's algorithms).
 *
 * Value representation in generated code: a `bit<W>` with W <= 52 is a JS
 * number (an exact non-negative integer below 2^W); a wider one is a
 * BigInt; a `bool` is a JS boolean.
 */
import { crc16, crc32, identity, TwoRateThreeColorMeter, xor16, type MeterCell } from '@mpvisor/runtime';

/** The widest `bit<W>` held as a JS number; sums of two such values stay exact (below 2^53). */
export const NUM_MAX_WIDTH = 52;

const TWO32 = 4294967296;

/** A parser fault thrown from inside an expression (lookahead past the end, `.last` of an empty stack). */
export class Fault {
  constructor(readonly code: number) {}
}
const FAULTS = Array.from({ length: 7 }, (_, i) => new Fault(i));

export function fault(code: number): never {
  throw FAULTS[code] ?? new Fault(code);
}

// ---------------------------------------------------------------- 33..52-bit numbers

export function and52(a: number, b: number): number {
  return ((Math.floor(a / TWO32) & Math.floor(b / TWO32)) >>> 0) * TWO32 + (((a >>> 0) & (b >>> 0)) >>> 0);
}
export function or52(a: number, b: number): number {
  return ((Math.floor(a / TWO32) | Math.floor(b / TWO32)) >>> 0) * TWO32 + (((a >>> 0) | (b >>> 0)) >>> 0);
}
export function xor52(a: number, b: number): number {
  return ((Math.floor(a / TWO32) ^ Math.floor(b / TWO32)) >>> 0) * TWO32 + (((a >>> 0) ^ (b >>> 0)) >>> 0);
}
/** a * b modulo 2^w, for numbers of 33..52 bits (the product is not exact in doubles). */
export function mulN(a: number, b: number, w: number): number {
  return Number(BigInt.asUintN(w, BigInt(a) * BigInt(b)));
}

// ---------------------------------------------------------------- shifts by a run-time amount (number or bigint)

export function shl32(a: number, r: number | bigint, w: number, m: number): number {
  if (r >= w) return 0;
  return w === 32 ? (a << Number(r)) >>> 0 : (a << Number(r)) & m;
}
export function shr32(a: number, r: number | bigint, w: number): number {
  return r >= w ? 0 : a >>> Number(r);
}
export function shlN(a: number, r: number | bigint, w: number): number {
  return r >= w ? 0 : Number(BigInt.asUintN(w, BigInt(a) << BigInt(r)));
}
export function shrN(a: number, r: number | bigint, w: number): number {
  return r >= w ? 0 : Math.floor(a / 2 ** Number(r));
}
export function shlB(a: bigint, r: number | bigint, w: number): bigint {
  return r >= w ? 0n : BigInt.asUintN(w, a << BigInt(r));
}
export function shrB(a: bigint, r: number | bigint, w: number): bigint {
  return r >= w ? 0n : a >> BigInt(r);
}
export function addSatB(a: bigint, b: bigint, m: bigint): bigint {
  const s = a + b;
  return s > m ? m : s;
}
export function subSatB(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

// ---------------------------------------------------------------- packet bytes

/** `width` bits of `d` from bit `bit` of byte `at`, as a BigInt (the caller checked the bounds). */
export function readBig(d: Uint8Array, at: number, bit: number, width: number): bigint {
  let v = 0n;
  let pos = at * 8 + bit;
  const end = pos + width;
  // unaligned head, bit by bit
  while (pos < end && (pos & 7) !== 0) {
    v = (v << 1n) | BigInt((d[pos >> 3]! >> (7 - (pos & 7))) & 1);
    pos++;
  }
  // whole 32-bit words, then bytes
  while (end - pos >= 32) {
    const i = pos >> 3;
    v = (v << 32n) | BigInt(((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0);
    pos += 32;
  }
  while (end - pos >= 8) {
    v = (v << 8n) | BigInt(d[pos >> 3]!);
    pos += 8;
  }
  while (pos < end) {
    v = (v << 1n) | BigInt((d[pos >> 3]! >> (7 - (pos & 7))) & 1);
    pos++;
  }
  return v;
}

/** Write `width` bits of `v` into `o` from bit `bit` of byte `at`, most significant first; other bits of shared bytes are kept. */
export function writeBig(o: Uint8Array, at: number, bit: number, v: bigint, width: number): void {
  let pos = at * 8 + bit;
  let left = width;
  const put = (b: number): void => {
    const i = pos >> 3;
    const k = 7 - (pos & 7);
    o[i] = (o[i]! & ~(1 << k)) | (b << k);
  };
  while (left > 0 && (pos & 7) !== 0) {
    left--;
    put(Number((v >> BigInt(left)) & 1n));
    pos++;
  }
  if (left >= 8) {
    // whole bytes from the hex digits of the aligned part
    const bytes = left >> 3;
    const rest = left & 7;
    const part = rest > 0 ? v >> BigInt(rest) : v;
    const hex = BigInt.asUintN(bytes * 8, part).toString(16).padStart(bytes * 2, '0');
    const i0 = pos >> 3;
    for (let i = 0; i < bytes; i++) o[i0 + i] = parseInt(hex.substr(i * 2, 2), 16);
    pos += bytes * 8;
    left = rest;
  }
  while (left > 0) {
    left--;
    put(Number((v >> BigInt(left)) & 1n));
    pos++;
  }
}

/** Write a number of `n` whole bytes (n <= 6) at `at`, most significant first. */
export function writeNumBytes(o: Uint8Array, at: number, v: number, n: number): void {
  let x = v;
  for (let k = n - 1; k >= 0; k--) {
    o[at + k] = x % 256;
    x = Math.floor(x / 256);
  }
}

// ---------------------------------------------------------------- output buffers

/**
 * Output bytes: V8 keeps typed arrays of up to 64 bytes on its heap, where
 * they are cheap; a larger one gets an off-heap store of its own, which
 * costs microseconds (4 µs for 1500 bytes here, its share of the garbage
 * collector included). So outputs of 65 bytes to 8 KB are views into 64 KB
 * slabs, handed out once each and never reused (so they start zeroed), as
 * Node pools small Buffers: about 140 ns for a 1500-byte copy. A slab lives
 * while any output in it does; `data.buffer` of such an output is the slab
 * (read it with byteOffset and byteLength, as for any view). (A slab of
 * memory not cleared first, Buffer.allocUnsafeSlow, is slower to get than
 * a zeroed ArrayBuffer; larger slabs come from mmap and fault in page by
 * page.)
 */
const ON_HEAP_MAX = 64;
const SLAB_SIZE = 65536;
const SLAB_MAX = 8192;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabAt = 0;

/** A fresh, zeroed output of n bytes. */
export function allocOut(n: number): Uint8Array {
  if (n <= ON_HEAP_MAX || n > SLAB_MAX) return new Uint8Array(n);
  if (slabAt + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabAt = 0;
  }
  const o = new Uint8Array(slab, slabAt, n);
  slabAt += (n + 7) & ~7;
  return o;
}

/** A fresh copy of d, a plain Uint8Array (even when d is a Buffer, whose slice() is a view). */
export function copyOut(d: Uint8Array): Uint8Array {
  const n = d.length;
  if (n <= ON_HEAP_MAX || n > SLAB_MAX) return new Uint8Array(d);
  const o = allocOut(n);
  o.set(d);
  return o;
}

/** Copy d[from..to) into o at `at`. */
export function copyBytes(o: Uint8Array, at: number, d: Uint8Array, from: number, to: number): void {
  if (to - from > 48) o.set(d.subarray(from, to), at);
  else for (let i = from, j = at; i < to; i++, j++) o[j] = d[i]!;
}

// ---------------------------------------------------------------- the bit writer (checksum and hash inputs)

/**
 * Concatenates values bit by bit, most significant first, like the
 * reference's BitWriter and BMv2's BufBuilder::Deparse; `finish` pads a
 * partial last byte with zeros on the right. Reused: `reset` before each use.
 */
export class BitBuf {
  buf = new Uint8Array(256);
  len = 0;
  private acc = 0;
  private nbits = 0;

  reset(): this {
    this.len = 0;
    this.acc = 0;
    this.nbits = 0;
    return this;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** A number of `w` bits (w <= 52). */
  num(v: number, w: number): void {
    if (w > 24) {
      const lo = w - 24;
      this.num(Math.floor(v / 2 ** lo), 24);
      this.num(v % 2 ** lo, lo);
      return;
    }
    if (this.nbits === 0 && (w & 7) === 0) {
      this.room(3);
      const b = this.buf;
      if (w === 8) b[this.len++] = v;
      else if (w === 16) {
        b[this.len++] = v >>> 8;
        b[this.len++] = v;
      } else if (w === 24) {
        b[this.len++] = v >>> 16;
        b[this.len++] = v >>> 8;
        b[this.len++] = v;
      }
      return;
    }
    this.room(4);
    // acc holds fewer than 8 bits, so acc * 2^w + v stays below 2^31
    let acc = this.acc * (1 << w) + v;
    let nbits = this.nbits + w;
    while (nbits >= 8) {
      nbits -= 8;
      this.buf[this.len++] = acc >>> nbits;
    }
    acc &= (1 << nbits) - 1;
    this.acc = acc;
    this.nbits = nbits;
  }

  /** A BigInt of `w` bits. */
  big(v: bigint, w: number): void {
    let left = w;
    while (left > 24) {
      left -= 24;
      this.num(Number((v >> BigInt(left)) & 0xffffffn), 24);
    }
    if (left > 0) this.num(Number(v & ((1n << BigInt(left)) - 1n)), left);
  }

  /** Bytes d[from..to). */
  bytes(d: Uint8Array, from: number, to: number): void {
    if (this.nbits === 0) {
      this.room(to - from);
      const b = this.buf;
      let j = this.len;
      for (let i = from; i < to; i++) b[j++] = d[i]!;
      this.len = j;
    } else for (let i = from; i < to; i++) this.num(d[i]!, 8);
  }

  /** Pad the partial last byte; returns the length in bytes. */
  finish(): number {
    if (this.nbits > 0) {
      this.room(1);
      this.buf[this.len++] = (this.acc << (8 - this.nbits)) & 0xff;
      this.acc = 0;
      this.nbits = 0;
    }
    return this.len;
  }
}

function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The sum (not folded) of big-endian 16-bit words of b[from..to), an odd last byte padded with zero. */
export function sumBytes(b: Uint8Array, from: number, to: number): number {
  let sum = 0;
  const even = from + ((to - from) & ~1);
  let i = from;
  // fold now and then so the sum stays exact
  while (i < even) {
    const stop = Math.min(even, i + 0x100000);
    for (; i < stop; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    sum = fold16(sum);
  }
  if ((to - from) & 1) sum += b[to - 1]! << 8;
  return sum;
}

/** The sum of the writer's words (its partial last byte padded). */
export function csumWords(w: BitBuf): number {
  return sumBytes(w.buf, 0, w.finish());
}

/** The Internet checksum from a sum of words: complement of the end-around-carry fold (runtime internetChecksum). */
export function csumFinish(sum: number): number {
  return ~fold16(sum) & 0xffff;
}

/** RFC 1071 Internet checksum of the writer's bytes (runtime internetChecksum). */
export function csum(w: BitBuf): number {
  return csumFinish(csumWords(w));
}

/** RFC 1624 eqn. 3 over the removed and added words (runtime incrementalChecksum). */
export function csumIncremental(old: number, removed: BitBuf, added: BitBuf): number {
  let sum = ~old & 0xffff;
  const rn = removed.finish();
  const rb = removed.buf;
  for (let i = 0; i < rn; i += 2) {
    const m = (rb[i]! << 8) | (i + 1 < rn ? rb[i + 1]! : 0);
    sum = fold16(sum + (~m & 0xffff));
  }
  const an = added.finish();
  const ab = added.buf;
  for (let i = 0; i < an; i += 2) sum = fold16(sum + ((ab[i]! << 8) | (i + 1 < an ? ab[i + 1]! : 0)));
  return ~sum & 0xffff;
}

/** The raw hash of the writer's bytes as a number (all algorithms but identity). */
export function hashNum(algorithm: 'crc16' | 'crc32' | 'csum16' | 'xor16', w: BitBuf): number {
  if (algorithm === 'csum16') return csum(w);
  const n = w.finish();
  const data = w.buf.subarray(0, n);
  return algorithm === 'crc16' ? crc16(data) : algorithm === 'crc32' ? crc32(data) : xor16(data);
}

/** The raw hash as a BigInt (identity: the first up to 8 bytes). */
export function hashBig(algorithm: 'crc16' | 'crc32' | 'csum16' | 'xor16' | 'identity', w: BitBuf): bigint {
  if (algorithm !== 'identity') return BigInt(hashNum(algorithm, w));
  const n = w.finish();
  return identity(w.buf.subarray(0, n));
}

/** v1model's `(hash % max) + base` in 64 bits, truncated to `width` (runtime v1modelHash), for a hash already computed. */
export function hashResult(h: bigint, base: bigint, max: bigint, width: number): bigint {
  return BigInt.asUintN(width, BigInt.asUintN(64, (h % max) + base));
}

// ---------------------------------------------------------------- meters

/** The colour of one packet through a meter cell: 0 green for an absent or unconfigured one (reference meterColour). */
export function meterColour(cell: MeterCell | null | undefined, now: number, bytes: number, unit: 'packets' | 'bytes'): number {
  if (!cell) return 0;
  const meter = (cell.state ??= new TwoRateThreeColorMeter(cell.config, unit)) as TwoRateThreeColorMeter;
  return meter.execute(BigInt(now), bytes);
}

const TIMESTAMP_LIMIT = 2 ** 48;

/** standard.ingressTimestamp from a packet's timestamp: bit<48> microseconds, wrapping as v1model's (0 if none). */
export function timestampOf(t: bigint | undefined): number {
  if (t === undefined) return 0;
  const n = Number(t);
  // exact below 2^48; anything else (negative, wider) wraps as the reference's BigInt.asUintN does
  return n >= 0 && n < TIMESTAMP_LIMIT ? n : Number(BigInt.asUintN(48, t));
}

/** A hex string as generated code's value of `width` bits. */
export function hexValue(hex: string, width: number): number | bigint {
  const v = BigInt(hex);
  return width <= NUM_MAX_WIDTH ? Number(v) : v;
}

/** What generated code sees as `H`. */
export const HELPERS = {
  fault,
  and52,
  or52,
  xor52,
  mulN,
  shl32,
  shr32,
  shlN,
  shrN,
  shlB,
  shrB,
  addSatB,
  subSatB,
  readBig,
  writeBig,
  writeNumBytes,
  copyBytes,
  allocOut,
  copyOut,
  BitBuf,
  csum,
  csumWords,
  csumFinish,
  sumBytes,
  csumIncremental,
  hashNum,
  hashBig,
  hashResult,
  meterColour,
  timestampOf,
  Fault,
} as const;
export type Helpers = typeof HELPERS;
