import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BMV2_CRC16,
  BMV2_CRC32,
  HASH_ALGORITHMS,
  crc16,
  crc32,
  csum16,
  hashBytes,
  identity,
  makeCrc,
  packFields,
  v1modelHash,
  xor16,
  type HashField,
} from '../src/algorithms/index.js';
import { fromHex, hex } from '../src/packet/index.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const CHECK = ascii('123456789');
// The input BMv2's own tests/test_calculations.cpp hashes for its HashTest cases.
const BMV2_INPUT = fromHex('0bb8 1f90');

/** CRC-16/ARC the textbook bit-at-a-time way (reflected polynomial 0xA001), independent of the table code. */
function bitwiseCrc16Arc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

describe('BMv2 hash algorithms', () => {
  it('crc16 is CRC-16/ARC: check value 0xBB3D', () => {
    expect(crc16(CHECK)).toBe(0xbb3d);
    expect(hashBytes('crc16', CHECK)).toBe(0xbb3dn);
    expect(crc16(new Uint8Array(0))).toBe(0);
  });

  it('crc32 is CRC-32/ISO-HDLC: check value 0xCBF43926', () => {
    expect(crc32(CHECK)).toBe(0xcbf43926);
    expect(hashBytes('crc32', CHECK)).toBe(0xcbf43926n);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("reproduces BMv2's own HashTest vectors (tests/test_calculations.cpp)", () => {
    expect(crc16(BMV2_INPUT)).toBe(0x5d8a);
    expect(crc32(BMV2_INPUT)).toBe(0x005d6a6f);
    expect(xor16(BMV2_INPUT)).toBe(0x1428);
    expect(xor16(fromHex('0bb8 1f90 5a'))).toBe(0x4e28);
    expect(identity(Uint8Array.of(1, 2, 3, 4, 5))).toBe(0x0102030405n);
    expect(csum16(fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7'))).toBe(0xb861);
  });

  it('crc32 agrees with zlib on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(crc32(data)).toBe(zlibCrc32(data));
      }),
      { numRuns: 3000 },
    );
  });

  it('crc16 agrees with a bit-at-a-time CRC-16/ARC on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(crc16(data)).toBe(bitwiseCrc16Arc(data));
      }),
      { numRuns: 3000 },
    );
  });

  it('makeCrc reproduces other catalogue CRCs (BMv2 crc_custom configurations and its CrcMap check values)', () => {
    const ccittFalse = makeCrc({ width: 16, polynomial: 0x1021, initial: 0xffff, finalXor: 0, reflectData: false, reflectRemainder: false });
    const xmodem = makeCrc({ width: 16, polynomial: 0x1021, initial: 0, finalXor: 0, reflectData: false, reflectRemainder: false });
    const mpeg2 = makeCrc({ width: 32, polynomial: 0x04c11db7, initial: 0xffffffff, finalXor: 0, reflectData: false, reflectRemainder: false });
    const bzip2 = makeCrc({ width: 32, polynomial: 0x04c11db7, initial: 0xffffffff, finalXor: 0xffffffff, reflectData: false, reflectRemainder: false });
    const crc32c = makeCrc({ width: 32, polynomial: 0x1edc6f41, initial: 0xffffffff, finalXor: 0xffffffff, reflectData: true, reflectRemainder: true });
    const crc8 = makeCrc({ width: 8, polynomial: 0x07, initial: 0, finalXor: 0, reflectData: false, reflectRemainder: false });
    expect(ccittFalse(BMV2_INPUT)).toBe(0x5d75);
    expect(xmodem(BMV2_INPUT)).toBe(0xd9b5);
    expect(mpeg2(BMV2_INPUT)).toBe(0x125e1592);
    expect(ccittFalse(CHECK)).toBe(0x29b1);
    expect(xmodem(CHECK)).toBe(0x31c3);
    expect(bzip2(CHECK)).toBe(0xfc891918);
    expect(crc32c(CHECK)).toBe(0xe3069283);
    expect(crc8(CHECK)).toBe(0xf4);
    expect(makeCrc(BMV2_CRC16)(CHECK)).toBe(0xbb3d);
    expect(makeCrc(BMV2_CRC32)(CHECK)).toBe(0xcbf43926);
  });

  it('csum16 is the Internet checksum; odd input is padded on the right', () => {
    expect(csum16(fromHex('0001 f203 f4f5 f6f7'))).toBe(0x220d);
    expect(csum16(Uint8Array.of(0x01))).toBe(0xfeff);
    expect(csum16(new Uint8Array(0))).toBe(0xffff);
    expect(hashBytes('csum16', fromHex('ffff'))).toBe(0n);
  });

  it('xor16 XORs big-endian words', () => {
    expect(xor16(fromHex('1234 5678'))).toBe(0x444c);
    expect(xor16(fromHex('1234 56'))).toBe(0x4434);
    expect(xor16(fromHex('abcd abcd'))).toBe(0);
    expect(xor16(new Uint8Array(0))).toBe(0);
  });

  it('identity is the first 8 bytes as a big-endian integer; later bytes are ignored', () => {
    expect(identity(new Uint8Array(0))).toBe(0n);
    expect(identity(fromHex('ab'))).toBe(0xabn);
    expect(identity(fromHex('0102 0304 0506 0708'))).toBe(0x0102030405060708n);
    expect(identity(fromHex('0102 0304 0506 0708 090a'))).toBe(0x0102030405060708n);
    expect(hashBytes('identity', fromHex('ffff ffff ffff ffff'))).toBe(0xffffffffffffffffn);
  });

  it('every algorithm is deterministic and fits its width', () => {
    const widths: Record<string, bigint> = { crc16: 16n, crc32: 32n, identity: 64n, csum16: 16n, xor16: 16n };
    fc.assert(
      fc.property(fc.constantFrom(...HASH_ALGORITHMS), fc.uint8Array({ maxLength: 40 }), (algo, data) => {
        const h = hashBytes(algo, data);
        expect(hashBytes(algo, data.slice())).toBe(h);
        expect(h >= 0n && h < 1n << widths[algo]!).toBe(true);
      }),
    );
  });
});

describe('packFields: BMv2 field-list serialisation (BufBuilder::Deparse)', () => {
  it('concatenates byte-aligned fields big-endian', () => {
    const fields: HashField[] = [
      { value: 0x0a000001n, width: 32 },
      { value: 0x0a000002n, width: 32 },
      { value: 6n, width: 8 },
      { value: 40000n, width: 16 },
      { value: 80n, width: 16 },
    ];
    expect(hex(packFields(fields))).toBe('0a000001' + '0a000002' + '06' + '9c40' + '0050');
  });

  it('packs bits MSB-first with no gaps and pads the last byte at its low end', () => {
    expect(hex(packFields([{ value: 0xabcn, width: 12 }]))).toBe('abc0');
    expect(hex(packFields([{ value: 1n, width: 1 }, { value: 0n, width: 1 }, { value: 0xffn, width: 8 }]))).toBe('bfc0');
    expect(hex(packFields([{ value: 0x1ffn, width: 9 }]))).toBe('ff80');
    expect(packFields([])).toEqual(new Uint8Array(0));
    expect(packFields([{ value: 5n, width: 0 }])).toEqual(new Uint8Array(0));
  });

  it("reproduces BMv2's non-aligned CalculationTest cases with the identity hash", () => {
    // CalculationTest.Extra: f6=0x3d, f8=0x3e, f9=1, f9=0 -> 0xf4f80200
    const extra = packFields([
      { value: 0x3dn, width: 6 },
      { value: 0x3en, width: 8 },
      { value: 1n, width: 9 },
      { value: 0n, width: 9 },
    ]);
    expect(hashBytes('identity', extra)).toBe(0xf4f80200n);
    // CalculationTest.WithConstantNonAligned: 4-bit 0, 16-bit 0xffff, 12-bit 0x9fd -> 0x0ffff9fd
    const constant = packFields([
      { value: 0n, width: 4 },
      { value: 0xffffn, width: 16 },
      { value: 0x9fdn, width: 12 },
    ]);
    expect(hashBytes('identity', constant)).toBe(0x0ffff9fdn);
  });

  it('so identity over a lone 12-bit field is the value shifted left by the 4 padding bits', () => {
    expect(v1modelHash('identity', [{ value: 0xabcn, width: 12 }], 0n, 0x10000n, 16)).toBe(0xabc0n);
  });

  it('reduces values to their width (two’s complement for negatives)', () => {
    expect(hex(packFields([{ value: 0x1ffn, width: 8 }]))).toBe('ff');
    expect(hex(packFields([{ value: -1n, width: 4 }, { value: 0n, width: 4 }]))).toBe('f0');
    expect(() => packFields([{ value: 0n, width: -1 }])).toThrow(RangeError);
  });

  it('round-trips: reading the bits back MSB-first gives the values, and the length is ceil(bits / 8)', () => {
    const field = fc.integer({ min: 0, max: 70 }).chain((width) =>
      fc.bigInt({ min: 0n, max: width === 0 ? 0n : (1n << BigInt(width)) - 1n }).map((value) => ({ value, width })),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 8 }), (fields) => {
        const bytes = packFields(fields);
        const totalBits = fields.reduce((a, f) => a + f.width, 0);
        expect(bytes.length).toBe(Math.ceil(totalBits / 8));
        let all = 0n;
        for (const b of bytes) all = (all << 8n) | BigInt(b);
        const pad = bytes.length * 8 - totalBits;
        expect(all & ((1n << BigInt(pad)) - 1n)).toBe(0n);
        let rest = all >> BigInt(pad);
        for (let i = fields.length - 1; i >= 0; i--) {
          const f = fields[i]!;
          expect(rest & ((1n << BigInt(f.width)) - 1n)).toBe(f.value);
          rest >>= BigInt(f.width);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('v1modelHash: hash(result, algo, base, data, max) on simple_switch', () => {
  const fiveTuple: HashField[] = [
    { value: 0x0a000001n, width: 32 },
    { value: 0x0a000002n, width: 32 },
    { value: 6n, width: 8 },
    { value: 40000n, width: 16 },
    { value: 80n, width: 16 },
  ];

  it('is base + (hash mod max)', () => {
    const h = hashBytes('crc16', packFields(fiveTuple));
    expect(v1modelHash('crc16', fiveTuple, 0n, 2n, 14)).toBe(h % 2n);
    expect(v1modelHash('crc16', fiveTuple, 100n, 8n, 16)).toBe(100n + (h % 8n));
    expect(v1modelHash('crc32', fiveTuple, 0n, 1n << 32n, 32)).toBe(hashBytes('crc32', packFields(fiveTuple)));
  });

  it('treats max 0 as 1, so the result is base (BMv2 warns; v1model.p4 documents it)', () => {
    for (const algo of HASH_ALGORITHMS) expect(v1modelHash(algo, fiveTuple, 7n, 0n, 16)).toBe(7n);
  });

  it('truncates to the result width after adding base, in 64-bit arithmetic', () => {
    expect(v1modelHash('identity', [{ value: 0xffn, width: 8 }], 0x10n, 0x1000n, 8)).toBe((0xffn + 0x10n) & 0xffn);
    expect(v1modelHash('identity', [{ value: 0xffffffffffffffffn, width: 64 }], 1n, 0xffffffffffffffffn, 64)).toBe(1n);
    expect(v1modelHash('identity', [{ value: 5n, width: 8 }], (1n << 64n) + 3n, 100n, 64)).toBe(8n);
    expect(v1modelHash('identity', [{ value: 5n, width: 8 }], 0n, 100n, 0)).toBe(0n);
  });

  it('always lies in [base, base + max) when that range fits the result width', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASH_ALGORITHMS),
        fc.array(fc.bigInt({ min: 0n, max: 0xffffffffn }).map((value) => ({ value, width: 32 })), { maxLength: 4 }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 1n, max: 1000n }),
        (algo, fields, base, max) => {
          const r = v1modelHash(algo, fields, base, max, 16);
          expect(r >= base && r < base + max).toBe(true);
        },
      ),
    );
  });
});
