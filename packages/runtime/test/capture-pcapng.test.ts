import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter, createCaptureWriter, openCapture, readCaptureAll, timestampFromParts } from '@mpvisor/runtime';
import { Bytes, concat, ngBlock, ngEpb, ngIdb, ngShb, ngSpb, pseudoRandomBytes, tempDir } from './capture-helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
const file = (): string => join(dir, `t${n++}.pcapng`);

const packets = [
  { data: pseudoRandomBytes(60, 1), timestampNanos: timestampFromParts(1_700_000_000, 123_456_789) },
  { data: pseudoRandomBytes(1514, 2), timestampNanos: timestampFromParts(1_700_000_001, 999_999_999), originalLength: 1600 },
  { data: pseudoRandomBytes(0, 3), timestampNanos: 0n },
  { data: pseudoRandomBytes(61, 4), timestampNanos: timestampFromParts(5_000_000_000, 7) },
  { data: pseudoRandomBytes(63, 5), timestampNanos: 1n },
];

const u32le = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

describe('pcapng writer and reader', () => {
  it('round-trips bytes and nanosecond timestamps (if_tsresol 9)', async () => {
    const path = file();
    const w = await PcapngWriter.create(path, { precision: 'nano' });
    for (const p of packets) await w.write(p);
    await w.close();
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual(packets.map((p) => p.data));
    expect(back.map((p) => p.timestampNanos)).toEqual(packets.map((p) => p.timestampNanos));
    expect(back.map((p) => p.originalLength)).toEqual([60, 1600, 0, 61, 63]);
    expect(back.every((p) => p.linkType === 1 && p.interface === 0 && p.section === 0)).toBe(true);
  });

  it('round-trips microsecond timestamps (if_tsresol 6, the default)', async () => {
    const path = file();
    const w = await createCaptureWriter(path); // .pcapng → pcapng
    expect(w.format).toBe('pcapng');
    for (const p of packets) await w.write(p);
    await w.close();
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual(packets.map((p) => p.data));
    expect(back.map((p) => p.timestampMicros)).toEqual(packets.map((p) => p.timestampNanos / 1000n));
  });

  it('writes SHB, one IDB per interface with if_tsresol, then padded EPBs', async () => {
    const path = file();
    const w = await PcapngWriter.create(path, {
      interfaces: [{ name: 'port-1' }, { name: 'port-2', precision: 'nano', snapLen: 1000 }],
    });
    await w.write({ data: Uint8Array.of(1, 2, 3, 4, 5), timestampNanos: 3_000_000_123_456n, interface: 1 });
    await w.write({ data: Uint8Array.of(9, 9, 9, 9), timestampNanos: 3_000_000_123_456n, interface: 0 });
    await w.close();
    const b = readFileSync(path);
    // SHB
    expect(u32le(b, 0)).toBe(0x0a0d0d0a);
    const shbLen = u32le(b, 4);
    expect(u32le(b, 8)).toBe(0x1a2b3c4d);
    expect([b.readUInt16LE(12), b.readUInt16LE(14)]).toEqual([1, 0]);
    expect(b.readBigInt64LE(16)).toBe(-1n);
    expect(u32le(b, shbLen - 4)).toBe(shbLen);
    // IDB 0
    let at = shbLen;
    expect(u32le(b, at)).toBe(1);
    const idb0 = u32le(b, at + 4);
    expect(b.readUInt16LE(at + 8)).toBe(1);
    expect(u32le(b, at + 12)).toBe(262144);
    expect(b.subarray(at + 16, at + idb0 - 4).includes(Buffer.from([9, 0, 1, 0, 6]))).toBe(true);
    at += idb0;
    // IDB 1
    expect(u32le(b, at)).toBe(1);
    const idb1 = u32le(b, at + 4);
    expect(u32le(b, at + 12)).toBe(1000);
    expect(b.subarray(at + 16, at + idb1 - 4).includes(Buffer.from([9, 0, 1, 0, 9]))).toBe(true);
    at += idb1;
    // EPB on interface 1 (nano): 5 bytes of data padded to 8.
    expect(u32le(b, at)).toBe(6);
    expect(u32le(b, at + 4)).toBe(28 + 8 + 4);
    expect(u32le(b, at + 8)).toBe(1);
    expect((BigInt(u32le(b, at + 12)) << 32n) | BigInt(u32le(b, at + 16))).toBe(3_000_000_123_456n);
    expect([u32le(b, at + 20), u32le(b, at + 24)]).toEqual([5, 5]);
    expect([...b.subarray(at + 28, at + 36)]).toEqual([1, 2, 3, 4, 5, 0, 0, 0]);
    expect(u32le(b, at + 36)).toBe(40);
    at += 40;
    // EPB on interface 0 (micro)
    expect(u32le(b, at + 8)).toBe(0);
    expect((BigInt(u32le(b, at + 12)) << 32n) | BigInt(u32le(b, at + 16))).toBe(3_000_000_123n);
    expect(at + 28 + 4 + 4).toBe(b.length);

    const back = await readCaptureAll(path);
    expect(back.map((p) => p.interface)).toEqual([1, 0]);
    expect(back.map((p) => p.timestampNanos)).toEqual([3_000_000_123_456n, 3_000_000_123_000n]);
  });

  it('reads a big-endian file built by hand, honouring if_tsresol (10^-3, 2^-10) and if_tsoffset', async () => {
    const le = false;
    const a = pseudoRandomBytes(33, 1);
    const b = pseudoRandomBytes(64, 2);
    const c = pseudoRandomBytes(7, 3);
    const bytes = concat(
      ngShb(le, [[4, [...Buffer.from('hand')]]]),
      ngIdb(le, 1, 0, [[9, [3]], [2, [...Buffer.from('eth0')]]]), // milliseconds, no snaplen limit
      ngIdb(le, 1, 65535, [[9, [0x80 | 10]], [14, [...new Bytes(le).u64(100n).build()]]]), // 1/1024 s, +100 s
      ngEpb(le, 0, 1_700_000_000_123n, a),
      ngEpb(le, 1, 1024n * 5n + 512n, b, 1500),
      ngEpb(le, 0, 1n, c),
    );
    const path = file();
    writeFileSync(path, bytes);
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual([a, b, c]);
    expect(back.map((p) => p.interface)).toEqual([0, 1, 0]);
    expect(back.map((p) => p.timestampNanos)).toEqual([
      1_700_000_000_123n * 1_000_000n,
      105_500_000_000n, // 5.5 s + 100 s offset
      1_000_000n,
    ]);
    expect(back[1]!.originalLength).toBe(1500);
  });

  it('reads Simple Packet Blocks and the obsolete Packet Block, and skips unknown blocks', async () => {
    for (const le of [true, false]) {
      const a = pseudoRandomBytes(50, 1);
      const b = pseudoRandomBytes(21, 2);
      const pb = concat(new Bytes(le).u16(0).u16(0).u32(0).u32(2000).u32(b.length).u32(b.length).build(), b);
      const bytes = concat(
        ngShb(le),
        ngBlock(le, 0x00000004, Uint8Array.of(0, 0, 0, 0)), // Name Resolution Block (only nrb_record_end)
        ngIdb(le, 1, 40),
        ngBlock(le, 0x80000001, pseudoRandomBytes(37, 9)), // local-use block
        ngSpb(le, 50, a.subarray(0, 40)), // snaplen 40 < original length 50
        ngBlock(le, 0x00000005, new Uint8Array(20)), // Interface Statistics Block
        ngBlock(le, 2, pb),
        ngBlock(le, 0x0bad0bad, new Uint8Array(0)),
      );
      const path = file();
      writeFileSync(path, bytes);
      for (const chunkSize of [64, 1 << 20]) {
        const back = await readCaptureAll(path, { chunkSize });
        expect(back.map((p) => p.data)).toEqual([a.subarray(0, 40), b]);
        expect(back.map((p) => p.originalLength)).toEqual([50, 21]);
        expect(back.map((p) => p.timestampNanos)).toEqual([0n, 2_000_000n]);
      }
    }
  });

  it('reads several sections of different byte orders, each with its own interfaces', async () => {
    const a = pseudoRandomBytes(10, 1);
    const b = pseudoRandomBytes(11, 2);
    const c = pseudoRandomBytes(12, 3);
    const bytes = concat(
      ngShb(true),
      ngIdb(true, 1, 0),
      ngIdb(true, 1, 0, [[9, [9]]]),
      ngEpb(true, 1, 42n, a),
      ngShb(false, [], [1, 2]), // minor version 2 is read as 1.0
      ngIdb(false, 1, 0, [[9, [9]]]),
      ngEpb(false, 0, 43n, b),
      ngShb(true),
      ngIdb(true, 1, 0),
      ngEpb(true, 0, 44n, c),
    );
    const path = file();
    writeFileSync(path, bytes);
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual([a, b, c]);
    expect(back.map((p) => p.section)).toEqual([0, 1, 2]);
    expect(back.map((p) => p.interface)).toEqual([1, 0, 0]);
    expect(back.map((p) => p.timestampNanos)).toEqual([42n, 43n, 44_000n]);
    const capture = await openCapture(path);
    expect(capture.format).toBe('pcapng');
    await capture.close();
  });

  it('reads non-Ethernet interfaces when the caller opts in', async () => {
    const path = file();
    writeFileSync(path, concat(ngShb(true), ngIdb(true, 101, 0), ngEpb(true, 0, 0n, Uint8Array.of(0x45, 0))));
    const back = await readCaptureAll(path, { linkTypes: [101] });
    expect(back.map((p) => p.linkType)).toEqual([101]);
    const w = await PcapngWriter.create(file(), { interfaces: [{ linkType: 101 }] });
    await w.write(back[0]!);
    await w.close();
    expect((await readCaptureAll(w.path, { linkTypes: 'any' }))[0]!.data).toEqual(Uint8Array.of(0x45, 0));
  });

  it('round-trips arbitrary packets over several interfaces and chunk sizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            data: fc.uint8Array({ maxLength: 300 }),
            timestampNanos: fc.bigInt({ min: 0n, max: 1n << 62n }),
            interface: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 64, max: 2048 }),
        async (pkts, chunkSize) => {
          const path = file();
          const w = await PcapngWriter.create(path, { interfaces: [{ precision: 'nano' }, { precision: 'micro' }, { precision: 'nano' }] });
          for (const p of pkts) await w.write(p);
          await w.close();
          const back = await readCaptureAll(path, { chunkSize });
          expect(back.map((p) => p.data)).toEqual(pkts.map((p) => p.data));
          expect(back.map((p) => p.interface)).toEqual(pkts.map((p) => p.interface));
          expect(back.map((p) => p.timestampNanos)).toEqual(
            pkts.map((p) => (p.interface === 1 ? (p.timestampNanos / 1000n) * 1000n : p.timestampNanos)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
