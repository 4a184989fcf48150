import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError, PcapWriter, PcapngWriter, readCapture, readCaptureAll } from '@mpvisor/runtime';
import { Bytes, concat, expectCaptureError, handPcap, ngBlock, ngEpb, ngIdb, ngShb, ngSpb, pseudoRandomBytes, tempDir } from './capture-helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
/** Write `bytes` to a new file and return its path. */
const put = (bytes: Uint8Array, ext = 'pcap'): string => {
  const path = join(dir, `bad${n++}.${ext}`);
  writeFileSync(path, bytes);
  return path;
};

const rec = (len: number, seed = 1) => ({ seconds: 1, fraction: 2, data: pseudoRandomBytes(len, seed) });

describe('bad pcap files', () => {
  it('an empty file, or one too short for a magic number', async () => {
    const p = put(new Uint8Array(0));
    await expectCaptureError(readCaptureAll(p), p, 0, `${p}: not a capture file at byte offset 0: the file is 0 bytes long, too short for a magic number`);
    const q = put(Uint8Array.of(0xd4, 0xc3));
    await expectCaptureError(readCaptureAll(q), q, 0, /the file is 2 bytes long/);
  });

  it('a wrong magic number', async () => {
    const p = put(concat(Uint8Array.of(0x12, 0x34, 0x56, 0x78), new Uint8Array(40)));
    const err = await expectCaptureError(readCaptureAll(p), p, 0, /^.*: not a capture file at byte offset 0: unknown magic number \(bytes 12 34 56 78\)/);
    expect(err.reason).toMatch(/^not a capture file: unknown magic number/);
    expect(err.name).toBe('CaptureError');
    expect(err).toBeInstanceOf(Error);
  });

  it('a truncated file header', async () => {
    const p = put(handPcap({ le: true }).subarray(0, 10));
    await expectCaptureError(readCaptureAll(p), p, 0, `${p}: truncated pcap file header at byte offset 0: the header is 24 bytes, 10 remain`);
  });

  it('an unknown major version', async () => {
    const p = put(handPcap({ le: false, major: 3 }));
    await expectCaptureError(readCaptureAll(p), p, 4, `${p}: unsupported pcap version at byte offset 4: 3.4 (only 2.x is defined)`);
  });

  it('an unsupported link type, unless the caller opts in', async () => {
    const p = put(handPcap({ le: true, linkType: 105, records: [rec(30)] }));
    await expectCaptureError(
      readCaptureAll(p), p, 20,
      `${p}: unsupported LINKTYPE_IEEE802_11 (105) at byte offset 20: only LINKTYPE_ETHERNET (1) is supported; pass { linkTypes: [105] } or { linkTypes: 'any' } to read it anyway`,
    );
    expect((await readCaptureAll(p, { linkTypes: [105] })).map((x) => x.linkType)).toEqual([105]);
    expect(await readCaptureAll(p, { linkTypes: 'any' })).toHaveLength(1);
    const q = put(handPcap({ le: false, linkType: 4242 }));
    await expectCaptureError(readCaptureAll(q), q, 20, /unsupported link type 4242 at byte offset 20/);
  });

  it('reserved bits set in the link type field', async () => {
    const p = put(handPcap({ le: true, linkType: 0x00010001 }));
    await expectCaptureError(readCaptureAll(p), p, 20, /reserved bits set in the pcap link type field at byte offset 20: 0x00010001/);
  });

  it('a truncated record header', async () => {
    const bytes = handPcap({ le: true, records: [rec(60)] });
    const p = put(concat(bytes, new Uint8Array(10)));
    await expectCaptureError(readCaptureAll(p), p, 100, `${p}: truncated packet record header at byte offset 100: the header is 16 bytes, 10 remain`);
  });

  it('truncated record data, at the right offset whatever the chunk size', async () => {
    const full = handPcap({ le: true, records: [rec(60), rec(98, 2)] });
    const p = put(full.subarray(0, 24 + 76 + 16 + 40));
    for (const chunkSize of [64, 100, 1 << 20]) {
      await expectCaptureError(readCaptureAll(p, { chunkSize }), p, 100, `${p}: truncated packet record at byte offset 100: header says 98 bytes, 40 remain`);
    }
    const be = put(handPcap({ le: false, nano: true, records: [rec(98)] }).subarray(0, 24 + 16 + 97));
    await expectCaptureError(readCaptureAll(be), be, 24, `${be}: truncated packet record at byte offset 24: header says 98 bytes, 97 remain`);
  });

  it('yields the good packets before the bad one (streaming), then fails', async () => {
    const full = handPcap({ le: true, records: [rec(60), rec(61), rec(98)] });
    const p = put(full.subarray(0, full.length - 1));
    const seen: number[] = [];
    const loop = (async () => {
      for await (const pkt of readCapture(p)) seen.push(pkt.data.length);
    })();
    await expectCaptureError(loop, p, 24 + 76 + 77, /truncated packet record at byte offset 177: header says 98 bytes, 97 remain/);
    expect(seen).toEqual([60, 61]);
  });

  it('caplen greater than the snapshot length', async () => {
    const p = put(handPcap({ le: true, snapLen: 1500, records: [rec(1500), rec(1501)] }));
    await expectCaptureError(
      readCaptureAll(p), p, 24 + 16 + 1500,
      `${p}: oversized packet record at byte offset 1540: captured length 1501 exceeds the file's snapshot length 1500`,
    );
  });

  it('caplen greater than 256 KiB', async () => {
    const p = put(handPcap({ le: false, snapLen: 1_000_000, records: [{ seconds: 0, fraction: 0, data: new Uint8Array(8), capLen: 262_145 }] }));
    await expectCaptureError(
      readCaptureAll(p), p, 24,
      `${p}: oversized packet record at byte offset 24: captured length 262145 exceeds the 262144-byte (256 KiB) maximum`,
    );
  });
});

describe('bad pcapng files', () => {
  // SHB without options: 28 bytes (offsets 0-27); IDB without options: 20 bytes (28-47); first packet block at 48.
  const head = (le = true, snapLen = 0) => concat(ngShb(le), ngIdb(le, 1, snapLen));
  const epb = ngEpb(true, 0, 5n, pseudoRandomBytes(50, 1)); // 28 + 52 + 4 = 84 bytes

  it('a block length that is not a multiple of 4', async () => {
    const bad = epb.slice();
    new DataView(bad.buffer).setUint32(4, 45, true);
    const p = put(concat(head(), bad), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, `${p}: bad block length at byte offset 48: the Enhanced Packet Block says 45 bytes, which is not a multiple of 4`);
  });

  it('a block length below the minimum', async () => {
    const p = put(concat(head(), new Bytes(true).u32(6).u32(16).u32(0).u32(16).build()), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, `${p}: bad block length at byte offset 48: the Enhanced Packet Block says 16 bytes, less than its 32-byte minimum`);
    const q = put(concat(head(), new Bytes(true).u32(0x99).u32(8).build()), 'pcapng');
    await expectCaptureError(readCaptureAll(q), q, 48, /the block of type 0x00000099 says 8 bytes, less than its 12-byte minimum/);
  });

  it('a trailing block length that does not match', async () => {
    const p = put(concat(head(), ngBlock(true, 6, epb.subarray(8, epb.length - 4), { trail: 88 })), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, `${p}: bad block length at byte offset 48: the Enhanced Packet Block's trailing Block Total Length 88 does not match the leading 84`);
    const q = put(concat(head(), ngBlock(true, 0x1234, new Uint8Array(8), { trail: 4 }), epb), 'pcapng');
    await expectCaptureError(readCaptureAll(q, { chunkSize: 64 }), q, 48, /block of type 0x00001234's trailing Block Total Length 4 does not match the leading 20/);
  });

  it('a block length beyond what we buffer', async () => {
    const p = put(concat(head(), new Bytes(true).u32(6).u32(64 << 20).build(), new Uint8Array(100)), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, /the Enhanced Packet Block says 67108864 bytes, more than the 16777216-byte limit/);
  });

  it('a truncated block, known or skipped, and a truncated block header', async () => {
    const p = put(concat(head(), epb.subarray(0, 50)), 'pcapng');
    for (const chunkSize of [64, 1 << 20]) {
      await expectCaptureError(readCaptureAll(p, { chunkSize }), p, 48, `${p}: truncated Enhanced Packet Block at byte offset 48: header says 84 bytes, 50 remain`);
    }
    const unknown = ngBlock(true, 0x80000000, new Uint8Array(200));
    const q = put(concat(head(), unknown.subarray(0, 100)), 'pcapng');
    for (const chunkSize of [64, 1 << 20]) {
      await expectCaptureError(readCaptureAll(q, { chunkSize }), q, 48, `${q}: truncated block of type 0x80000000 at byte offset 48: header says 212 bytes, 100 remain`);
    }
    const r = put(concat(head(), epb, Uint8Array.of(6, 0, 0, 0, 1)), 'pcapng');
    await expectCaptureError(readCaptureAll(r), r, 132, `${r}: truncated block header at byte offset 132: a block header is 8 bytes, 5 remain`);
  });

  it('a bad byte-order magic, and an unsupported version', async () => {
    const shb = ngShb(true);
    const bad = shb.slice();
    bad.set([1, 2, 3, 4], 8);
    const p = put(bad, 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 8, `${p}: bad pcapng byte-order magic at byte offset 8: 0x04030201 (expected 0x1a2b3c4d in either byte order)`);
    const q = put(concat(head(), ngShb(false, [], [2, 0])), 'pcapng');
    await expectCaptureError(readCaptureAll(q), q, 48 + 12, `${q}: unsupported pcapng version at byte offset 60: 2.0 (only 1.0 is defined)`);
  });

  it('a packet on an interface the section has not described', async () => {
    const p = put(concat(head(), ngEpb(true, 1, 0n, new Uint8Array(4))), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, `${p}: Enhanced Packet Block refers to an undefined interface at byte offset 48: interface 1, but section 0 has 1 Interface Description Block(s) before it`);
    // Interfaces do not carry over to the next section.
    const q = put(concat(head(), ngShb(true), ngEpb(true, 0, 0n, new Uint8Array(4))), 'pcapng');
    await expectCaptureError(readCaptureAll(q), q, 76, /interface 0, but section 1 has 0 Interface Description Block/);
    const r = put(concat(ngShb(true), ngSpb(true, 4, new Uint8Array(4))), 'pcapng');
    await expectCaptureError(readCaptureAll(r), r, 28, `${r}: Simple Packet Block before any Interface Description Block at byte offset 28: section 0 has no interface 0`);
  });

  it('caplen above the snapshot length, above 256 KiB, or beyond the block', async () => {
    const p = put(concat(head(true, 100), ngEpb(true, 0, 0n, new Uint8Array(101))), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 48, `${p}: oversized Enhanced Packet Block at byte offset 48: captured length 101 exceeds the interface's snapshot length 100`);
    const q = put(concat(head(), ngEpb(true, 0, 0n, new Uint8Array(262_148))), 'pcapng');
    await expectCaptureError(readCaptureAll(q), q, 48, `${q}: oversized Enhanced Packet Block at byte offset 48: captured length 262148 exceeds the 262144-byte (256 KiB) maximum`);
    const r = put(concat(head(), ngEpb(true, 0, 0n, new Uint8Array(8), 100, 100)), 'pcapng');
    await expectCaptureError(readCaptureAll(r), r, 48, `${r}: bad block length at byte offset 48: the Enhanced Packet Block says 40 bytes, too short for its captured length 100`);
  });

  it('an unsupported link type in an Interface Description Block', async () => {
    const p = put(concat(ngShb(false), ngIdb(false, 113, 0)), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 36, /^.*: unsupported LINKTYPE_LINUX_SLL \(113\) at byte offset 36: only LINKTYPE_ETHERNET \(1\) is supported/);
    expect(await readCaptureAll(p, { linkTypes: 'any' })).toEqual([]);
  });

  it('an option whose length is wrong or runs past the block', async () => {
    const p = put(concat(ngShb(true), ngIdb(true, 1, 0, [[9, [6, 6]]])), 'pcapng');
    await expectCaptureError(readCaptureAll(p), p, 44, `${p}: bad if_tsresol option at byte offset 44: length 2, must be 1`);
    const idb = concat(new Bytes(true).u16(1).u16(0).u32(0).build(), new Bytes(true).u16(2).u16(40).u32(0).build());
    const q = put(concat(ngShb(true), ngBlock(true, 1, idb)), 'pcapng');
    await expectCaptureError(readCaptureAll(q), q, 44, `${q}: bad option at byte offset 44: option 2 says 40 bytes, more than the block has left`);
  });
});

describe('writer errors', () => {
  it('refuses packets it cannot represent, naming the file and output offset', async () => {
    const path = join(dir, 'w.pcap');
    const w = await PcapWriter.create(path);
    await w.write({ data: new Uint8Array(10) });
    await expectCaptureError(w.write({ data: new Uint8Array(1), interface: 1 }), path, 50, /a pcap file has one interface \(0\), the packet is on interface 1/);
    await expectCaptureError(w.write({ data: new Uint8Array(1), timestampNanos: -1n }), path, 50, /before 1970/);
    await expectCaptureError(w.write({ data: new Uint8Array(1), timestampNanos: 1n << 63n }), path, 50, /does not fit the 32-bit seconds field/);
    await w.write({ data: new Uint8Array(5) }); // the writer is still usable
    await w.close();
    expect((await readCaptureAll(path)).map((p) => p.data.length)).toEqual([10, 5]);

    const ng = join(dir, 'w.pcapng');
    const v = await PcapngWriter.create(ng);
    await expect(v.write({ data: new Uint8Array(1), interface: 2 })).rejects.toThrow(CaptureError);
    await v.abort();
    await expect(PcapWriter.create(join(dir, 'x.pcap'), { snapLen: 0 })).rejects.toThrow(RangeError);
  });
});
