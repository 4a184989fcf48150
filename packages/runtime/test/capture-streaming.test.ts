/**
 * Streaming: writing and reading a capture far larger than the memory the
 * reader and writer may use. The packet count defaults to 200,000 (about
 * 120 MB of pcap); set MPVISOR_CAPTURE_STREAM_PACKETS to run it bigger, e.g.
 * 10000000 for the ten-million-packet capture.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter, PcapngWriter, readCapture, type CaptureWriter } from '@mpvisor/runtime';
import { tempDir } from './capture-helpers.js';

const PACKETS = Number(process.env['MPVISOR_CAPTURE_STREAM_PACKETS'] ?? 200_000);
const PACKET_BYTES = PACKETS > 1_000_000 ? 60 : 600;

/** The garbage collector, exposed at run time so measurements see live memory only. */
function getGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
const gc = getGc();

/** Live JS heap plus ArrayBuffer memory (Buffers and Uint8Arrays live outside the JS heap). */
function liveBytes(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Run `step` `count` times, sampling memory growth above the starting point every `every` steps. */
async function peakGrowth(count: number, every: number, step: (i: number) => Promise<void>): Promise<number> {
  const base = liveBytes();
  let peak = 0;
  for (let i = 0; i < count; i++) {
    await step(i);
    if (i % every === every - 1) peak = Math.max(peak, liveBytes() - base);
  }
  return peak;
}

const { dir, cleanup } = tempDir();
afterAll(cleanup);

/** A frame whose bytes encode its index, so the reader can check every one cheaply. */
function frameFor(i: number, template: Uint8Array): Uint8Array {
  new DataView(template.buffer).setUint32(14, i);
  return template;
}

describe.each([
  ['pcap', (p: string): Promise<CaptureWriter> => PcapWriter.create(p, { precision: 'nano' })],
  ['pcapng', (p: string): Promise<CaptureWriter> => PcapngWriter.create(p, { precision: 'nano' })],
] as const)('streaming %s', (format, create) => {
  it(`writes and reads back ${PACKETS.toLocaleString('en')} packets in bounded memory`, async () => {
    const path = join(dir, `big.${format}`);
    const template = new Uint8Array(PACKET_BYTES);
    template.fill(0xab);
    template.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
    const every = Math.max(1, Math.floor(PACKETS / 10));

    const w = await create(path);
    const writeGrowth = await peakGrowth(PACKETS, every, (i) =>
      w.write({ data: frameFor(i, template), timestampNanos: 1_700_000_000_000_000_000n + BigInt(i) }),
    );
    await w.close();
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(PACKETS * PACKET_BYTES);

    let count = 0;
    let bad = 0;
    const iter = readCapture(path)[Symbol.asyncIterator]();
    const readGrowth = await peakGrowth(PACKETS, every, async (i) => {
      const r = await iter.next();
      if (r.done === true) throw new Error(`capture ended after ${count} packets`);
      const p = r.value;
      count++;
      const v = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      if (p.data.length !== PACKET_BYTES || v.getUint32(14) !== i || p.timestampNanos !== 1_700_000_000_000_000_000n + BigInt(i)) bad++;
    });
    expect((await iter.next()).done).toBe(true);
    expect(count).toBe(PACKETS);
    expect(bad).toBe(0);

    // The reader and the writer each hold one 1 MiB buffer; allow 16 MiB for
    // everything else (bigint timestamps, V8 bookkeeping). Without an exposed
    // GC, uncollected garbage counts too, so the bound is looser, still far
    // below the file size.
    const bound = gc === undefined ? 64 << 20 : 16 << 20;
    const mib = (b: number): string => `${(b / (1 << 20)).toFixed(1)} MiB`;
    console.log(
      `[capture-streaming] ${format}: ${count} packets, file ${mib(size)}, peak live-memory growth: write ${mib(writeGrowth)}, read ${mib(readGrowth)} (gc ${gc === undefined ? 'not ' : ''}exposed)`,
    );
    expect(writeGrowth).toBeLessThan(Math.min(bound, size / 4));
    expect(readGrowth).toBeLessThan(Math.min(bound, size / 4));
  });
});
