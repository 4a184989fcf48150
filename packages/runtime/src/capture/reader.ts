/**
 * Reading captures: pcap or pcapng, told apart by the first four bytes, one
 * packet at a time. Only one chunk of the file (1 MiB by default) is in
 * memory at any moment, so a capture of any length can be read:
 *
 *   for await (const pkt of readCapture('in.pcap')) { ... }
 */
import { ChunkedReader } from './chunked-reader.js';
import { isPcapMagic, readPcapHeader, readPcapRecords, type PcapHeader } from './pcap.js';
import { BT_SHB, readPcapngBlocks } from './pcapng.js';
import { CaptureError, type CaptureFormat, type CapturedPacket, type ReadCaptureOptions } from './types.js';

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** An open capture: its format and header, and its packets as an async iterable (once). */
export class CaptureReader implements AsyncIterable<CapturedPacket> {
  private iterated = false;

  private constructor(
    private readonly reader: ChunkedReader,
    /** The file, as the caller named it. */
    readonly path: string,
    readonly format: CaptureFormat,
    /** The File Header of a pcap file (undefined for pcapng). */
    readonly pcapHeader: PcapHeader | undefined,
    private readonly options: ReadCaptureOptions | undefined,
  ) {}

  /** Open `path`, detect its format and, for pcap, read and check its header. */
  static async open(path: string, options?: ReadCaptureOptions): Promise<CaptureReader> {
    const r = await ChunkedReader.open(path, options?.chunkSize);
    try {
      const have = await r.fill(4);
      if (have < 4) {
        throw new CaptureError(path, 0, 'not a capture file', `the file is ${have} bytes long, too short for a magic number`);
      }
      const magicLE = r.view.getUint32(r.start, true);
      if (isPcapMagic(magicLE)) {
        const header = await readPcapHeader(r, path, options);
        return new CaptureReader(r, path, 'pcap', header, options);
      }
      if (magicLE === BT_SHB) return new CaptureReader(r, path, 'pcapng', undefined, options);
      throw new CaptureError(
        path, 0, 'not a capture file',
        `unknown magic number (bytes ${hexBytes(r.buf.subarray(r.start, r.start + 4))}); pcap begins with a1 b2 c3 d4 or a1 b2 3c 4d in either byte order, pcapng with 0a 0d 0d 0a`,
      );
    } catch (err) {
      await r.close();
      throw err;
    }
  }

  /** The packets, in file order. The file is closed when iteration ends, breaks or throws. */
  [Symbol.asyncIterator](): AsyncIterator<CapturedPacket> {
    if (this.iterated) throw new Error(`${this.path}: a CaptureReader can be iterated only once`);
    this.iterated = true;
    return this.packets();
  }

  private async *packets(): AsyncGenerator<CapturedPacket, void, undefined> {
    try {
      if (this.pcapHeader !== undefined) yield* readPcapRecords(this.reader, this.path, this.pcapHeader);
      else yield* readPcapngBlocks(this.reader, this.path, this.options);
    } finally {
      await this.reader.close();
    }
  }

  /** Close the file (only needed when the packets are never iterated to the end). */
  async close(): Promise<void> {
    await this.reader.close();
  }
}

/** Open a capture (pcap or pcapng); see {@link CaptureReader}. */
export function openCapture(path: string, options?: ReadCaptureOptions): Promise<CaptureReader> {
  return CaptureReader.open(path, options);
}

/**
 * The packets of a pcap or pcapng file, streamed: the file is opened on the
 * first `next()` and closed when the loop ends, breaks or throws. Bad input
 * throws {@link CaptureError} naming the file and byte offset.
 */
export async function* readCapture(path: string, options?: ReadCaptureOptions): AsyncGenerator<CapturedPacket, void, undefined> {
  const capture = await CaptureReader.open(path, options);
  yield* capture;
}

/** Every packet of a (small) capture in an array. Prefer {@link readCapture} for big files. */
export async function readCaptureAll(path: string, options?: ReadCaptureOptions): Promise<CapturedPacket[]> {
  const out: CapturedPacket[] = [];
  for await (const p of readCapture(path, options)) out.push(p);
  return out;
}
