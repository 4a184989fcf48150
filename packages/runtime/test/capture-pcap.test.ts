import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PcapWriter,
  createCaptureWriter,
  openCapture,
  readCapture,
  readCaptureAll,
  splitTimestamp,
  timestampFromMicros,
  timestampFromParts,
  type CapturedPacket,
} from '@mpvisor/runtime';
import { handPcap, pseudoRandomBytes, tempDir } from './capture-helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
const file = (ext = 'pcap'): string => join(dir, `t${n++}.${ext}`);

const packets = [
  { data: pseudoRandomBytes(60, 1), timestampNanos: timestampFromParts(1_700_000_000, 123_456_789) },
  { data: pseudoRandomBytes(1514, 2), timestampNanos: timestampFromParts(1_700_000_001, 999_999_999) },
  { data: pseudoRandomBytes(0, 3), timestampNanos: 0n },
  { data: pseudoRandomBytes(61, 4), timestampNanos: timestampFromParts(0xffffffff, 1), originalLength: 9000 },
];

describe('pcap writer and reader', () => {
  it('round-trips bytes and nanosecond timestamps exactly (magic 0xa1b23c4d)', async () => {
    const path = file();
    const w = await PcapWriter.create(path, { precision: 'nano' });
    for (const p of packets) await w.write(p);
    await w.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 4)]).toEqual([0x4d, 0x3c, 0xb2, 0xa1]); // little-endian nano magic
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual(packets.map((p) => p.data));
    expect(back.map((p) => p.timestampNanos)).toEqual(packets.map((p) => p.timestampNanos));
    expect(back.map((p) => p.originalLength)).toEqual([60, 1514, 0, 9000]);
    expect(back.every((p) => p.linkType === 1 && p.interface === 0 && p.section === 0)).toBe(true);
    expect(bytes.length).toBe(24 + packets.reduce((s, p) => s + 16 + p.data.length, 0));
  });

  it('round-trips microsecond timestamps (magic 0xa1b2c3d4), truncating below the microsecond', async () => {
    const path = file();
    const w = await createCaptureWriter(path); // micro by default
    for (const p of packets) await w.write(p);
    await w.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 24)]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0,
    ]);
    const back = await readCaptureAll(path);
    expect(back.map((p) => p.data)).toEqual(packets.map((p) => p.data));
    expect(back.map((p) => p.timestampMicros)).toEqual(packets.map((p) => p.timestampNanos / 1000n));
    expect(back.map((p) => p.timestampNanos)).toEqual(packets.map((p) => (p.timestampNanos / 1000n) * 1000n));
    // The first record's header: seconds, microseconds, caplen, len.
    const v = new DataView(bytes.buffer, bytes.byteOffset + 24, 16);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([1_700_000_000, 123_456, 60, 60]);
  });

  it('accepts microsecond timestamps on write and truncates to the snapshot length', async () => {
    const path = file();
    const w = await PcapWriter.create(path, { snapLen: 100 });
    await w.write({ data: pseudoRandomBytes(300, 9), timestampMicros: 1_700_000_000_000_001n });
    await w.close();
    const [p] = await readCaptureAll(path);
    expect(p!.data).toEqual(pseudoRandomBytes(300, 9).subarray(0, 100));
    expect(p!.originalLength).toBe(300);
    expect(p!.timestampMicros).toBe(1_700_000_000_000_001n);
    expect(splitTimestamp(p!.timestampNanos)).toEqual({ seconds: 1_700_000_000n, nanos: 1000 });
    expect(timestampFromMicros(1)).toBe(1000n);
  });

  it('exposes the header through openCapture', async () => {
    const path = file();
    const w = await PcapWriter.create(path, { precision: 'nano', snapLen: 2000 });
    await w.close();
    const c = await openCapture(path);
    expect(c.format).toBe('pcap');
    expect(c.pcapHeader).toEqual({ littleEndian: true, precision: 'nano', versionMajor: 2, versionMinor: 4, snapLen: 2000, linkType: 1 });
    const all: CapturedPacket[] = [];
    for await (const p of c) all.push(p);
    expect(all).toEqual([]);
  });

  it('reads big-endian files, micro and nano, built by hand', async () => {
    for (const nano of [false, true]) {
      const path = file();
      const a = pseudoRandomBytes(42, 11);
      const b = pseudoRandomBytes(99, 12);
      writeFileSync(path, handPcap({ le: false, nano, records: [
        { seconds: 1_600_000_000, fraction: 250_000, data: a },
        { seconds: 1_600_000_001, fraction: 1, data: b, origLen: 1500 },
      ] }));
      expect([...readFileSync(path).subarray(0, 4)]).toEqual(nano ? [0xa1, 0xb2, 0x3c, 0x4d] : [0xa1, 0xb2, 0xc3, 0xd4]);
      const back = await readCaptureAll(path);
      expect(back.map((p) => p.data)).toEqual([a, b]);
      const unit = nano ? 1n : 1000n;
      expect(back.map((p) => p.timestampNanos)).toEqual([1_600_000_000n * 1_000_000_000n + 250_000n * unit, 1_600_000_001n * 1_000_000_000n + unit]);
      expect(back.map((p) => p.originalLength)).toEqual([42, 1500]);
      const c = await openCapture(path);
      expect(c.pcapHeader?.littleEndian).toBe(false);
      await c.close();
    }
  });

  it('handles records straddling chunk boundaries, and records larger than a chunk', async () => {
    const path = file();
    const sizes = [1, 63, 64, 65, 200, 3, 1000, 17, 0, 129];
    const w = await PcapWriter.create(path, { precision: 'nano' });
    for (const [i, s] of sizes.entries()) await w.write({ data: pseudoRandomBytes(s, i + 1), timestampNanos: BigInt(i) });
    await w.close();
    for (const chunkSize of [64, 65, 100, 1 << 20]) {
      const back = await readCaptureAll(path, { chunkSize });
      expect(back.map((p) => p.data)).toEqual(sizes.map((s, i) => pseudoRandomBytes(s, i + 1)));
      expect(back.map((p) => p.timestampNanos)).toEqual(sizes.map((_, i) => BigInt(i)));
    }
  });

  it('hands out copies: packets stay intact after the reader reuses its buffer', async () => {
    const path = file();
    const w = await PcapWriter.create(path);
    for (let i = 0; i < 50; i++) await w.write({ data: pseudoRandomBytes(40, i + 100) });
    await w.close();
    const kept: Uint8Array[] = [];
    for await (const p of readCapture(path, { chunkSize: 64 })) kept.push(p.data);
    expect(kept).toEqual(Array.from({ length: 50 }, (_, i) => pseudoRandomBytes(40, i + 100)));
  });

  it('copies a capture read back into a new writer (a CapturedPacket is a PacketToWrite)', async () => {
    const src = file();
    const dst = file();
    const w = await PcapWriter.create(src, { precision: 'nano' });
    for (const p of packets) await w.write(p);
    await w.close();
    const out = await PcapWriter.create(dst, { precision: 'nano' });
    for await (const p of readCapture(src)) await out.write(p);
    await out.close();
    expect(readFileSync(dst)).toEqual(readFileSync(src));
  });

  it('stops early and closes the file when the loop breaks', async () => {
    const path = file();
    const w = await PcapWriter.create(path);
    for (let i = 0; i < 10; i++) await w.write({ data: pseudoRandomBytes(30, i + 1) });
    await w.close();
    let seen = 0;
    for await (const _ of readCapture(path)) {
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
  });

  it('round-trips arbitrary packets with arbitrary chunk sizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            data: fc.uint8Array({ maxLength: 300 }),
            timestampNanos: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n + 999_999_999n }),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 64, max: 2048 }),
        fc.constantFrom('micro' as const, 'nano' as const),
        async (pkts, chunkSize, precision) => {
          const path = file();
          const w = await PcapWriter.create(path, { precision });
          for (const p of pkts) await w.write(p);
          await w.close();
          const back = await readCaptureAll(path, { chunkSize });
          expect(back.map((p) => p.data)).toEqual(pkts.map((p) => p.data));
          const unit = precision === 'nano' ? 1n : 1000n;
          expect(back.map((p) => p.timestampNanos)).toEqual(pkts.map((p) => (p.timestampNanos / unit) * unit));
        },
      ),
      { numRuns: 60 },
    );
  });
});
