/**
 * Classic libpcap capture files ("pcap savefiles").
 *
 * Format: the pcap-savefile(5) man page of libpcap and the IETF draft "PCAP
 * Capture File Format" (draft-ietf-opsawg-pcap), sections "File Header" and
 * "Packet Record":
 *
 *   File Header (24 octets, in the byte order of the writing host):
 *     0 Magic Number  4 Major Version (2)  6 Minor Version (4)
 *     8 Reserved1     12 Reserved2         16 SnapLen
 *     20 LinkType and additional information
 *   Packet Record: a 16-octet header
 *     0 Timestamp (Seconds)  4 Timestamp (Microseconds or nanoseconds)
 *     8 Captured Packet Length  12 Original Packet Length
 *   followed by Captured Packet Length octets of data, not padded.
 *
 * The magic number 0xA1B2C3D4 means microsecond timestamps, 0xA1B23C4D
 * nanosecond ones; either read byte-swapped (0xD4C3B2A1, 0x4D3CB2A1) means the
 * file was written on a host of the other byte order. We read all four and
 * write little-endian.
 */
import { AtomicFileSink } from './atomic-file.js';
import type { ChunkedReader } from './chunked-reader.js';
import {
  CaptureError,
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  MAX_CAPLEN,
  describeLinkType,
  linkTypeAllowed,
  linkTypeRefusal,
  packetTimestampNanos,
  type CaptureFormat,
  type CaptureWriter,
  type CapturedPacket,
  type PacketToWrite,
  type ReadCaptureOptions,
  type TimestampPrecision,
} from './types.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** The magic numbers as they read when the file's byte order is the other one. */
export const PCAP_MAGIC_MICRO_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NANO_SWAPPED = 0x4d3cb2a1;

export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/**
 * "LinkType and additional information": bits 31-28 FCS len, 27 R, 26 P,
 * 25-16 Reserved3, 15-0 Link-layer type. R and Reserved3 "MUST be set to zero
 * by pcap writers ... a reader SHOULD treat a non-zero value as an error".
 */
const LINKTYPE_RESERVED_BITS = 0x0bff0000;

/** What the file header of a pcap file says. */
export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly precision: TimestampPrecision;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snapLen: number;
  readonly linkType: number;
}

/** Is this 32-bit word (read little-endian) one of the four pcap magic numbers? */
export function isPcapMagic(magicLE: number): boolean {
  return (
    magicLE === PCAP_MAGIC_MICRO ||
    magicLE === PCAP_MAGIC_NANO ||
    magicLE === PCAP_MAGIC_MICRO_SWAPPED ||
    magicLE === PCAP_MAGIC_NANO_SWAPPED
  );
}

/** Read and check the 24-octet File Header; leaves the reader after it. */
export async function readPcapHeader(r: ChunkedReader, file: string, options: ReadCaptureOptions | undefined): Promise<PcapHeader> {
  const have = await r.fill(PCAP_FILE_HEADER_LENGTH);
  if (have < PCAP_FILE_HEADER_LENGTH) {
    throw new CaptureError(file, 0, 'truncated pcap file header', `the header is ${PCAP_FILE_HEADER_LENGTH} bytes, ${have} remain`);
  }
  const v = r.view;
  const at = r.start;
  const magic = v.getUint32(at, true);
  let littleEndian: boolean;
  let precision: TimestampPrecision;
  switch (magic) {
    case PCAP_MAGIC_MICRO: littleEndian = true; precision = 'micro'; break;
    case PCAP_MAGIC_MICRO_SWAPPED: littleEndian = false; precision = 'micro'; break;
    case PCAP_MAGIC_NANO: littleEndian = true; precision = 'nano'; break;
    case PCAP_MAGIC_NANO_SWAPPED: littleEndian = false; precision = 'nano'; break;
    default:
      throw new CaptureError(file, 0, 'bad pcap magic number', `0x${magic.toString(16).padStart(8, '0')}`);
  }
  const versionMajor = v.getUint16(at + 4, littleEndian);
  const versionMinor = v.getUint16(at + 6, littleEndian);
  // "Major Version ... The value for the current version of the format is 2."
  if (versionMajor !== 2) {
    throw new CaptureError(file, 4, 'unsupported pcap version', `${versionMajor}.${versionMinor} (only 2.x is defined)`);
  }
  const snapLen = v.getUint32(at + 16, littleEndian);
  const linkField = v.getUint32(at + 20, littleEndian);
  if ((linkField & LINKTYPE_RESERVED_BITS) !== 0) {
    throw new CaptureError(
      file, 20, 'reserved bits set in the pcap link type field',
      `0x${(linkField >>> 0).toString(16).padStart(8, '0')} (the R bit and Reserved3 must be zero)`,
    );
  }
  const linkType = linkField & 0xffff;
  if (!linkTypeAllowed(options, linkType)) {
    throw new CaptureError(file, 20, `unsupported ${describeLinkType(linkType)}`, linkTypeRefusal(linkType));
  }
  r.start += PCAP_FILE_HEADER_LENGTH;
  return { littleEndian, precision, versionMajor, versionMinor, snapLen, linkType };
}

/** The packets of a pcap file whose header `readPcapHeader` has just read. */
export async function* readPcapRecords(
  r: ChunkedReader,
  file: string,
  header: PcapHeader,
): AsyncGenerator<CapturedPacket, void, undefined> {
  const le = header.littleEndian;
  const fracToNanos = header.precision === 'nano' ? 1 : 1000;
  const snapLen = header.snapLen;
  const linkType = header.linkType;
  for (;;) {
    const recordOffset = r.position;
    if (r.available < PCAP_RECORD_HEADER_LENGTH) {
      const have = await r.fill(PCAP_RECORD_HEADER_LENGTH);
      if (have === 0) return;
      if (have < PCAP_RECORD_HEADER_LENGTH) {
        throw new CaptureError(file, recordOffset, 'truncated packet record header', `the header is ${PCAP_RECORD_HEADER_LENGTH} bytes, ${have} remain`);
      }
    }
    const v = r.view;
    const at = r.start;
    const seconds = v.getUint32(at, le);
    const fraction = v.getUint32(at + 4, le);
    const capLen = v.getUint32(at + 8, le);
    const origLen = v.getUint32(at + 12, le);
    if (capLen > MAX_CAPLEN) {
      throw new CaptureError(file, recordOffset, 'oversized packet record', `captured length ${capLen} exceeds the ${MAX_CAPLEN}-byte (256 KiB) maximum`);
    }
    // SnapLen "MUST NOT be zero"; we tolerate 0 as "no limit" (the 256 KiB cap above still holds).
    if (snapLen !== 0 && capLen > snapLen) {
      throw new CaptureError(file, recordOffset, 'oversized packet record', `captured length ${capLen} exceeds the file's snapshot length ${snapLen}`);
    }
    const recordLength = PCAP_RECORD_HEADER_LENGTH + capLen;
    if (r.available < recordLength) {
      const have = await r.fill(recordLength);
      if (have < recordLength) {
        throw new CaptureError(file, recordOffset, 'truncated packet record', `header says ${capLen} bytes, ${have - PCAP_RECORD_HEADER_LENGTH} remain`);
      }
    }
    r.start += PCAP_RECORD_HEADER_LENGTH;
    const data = r.take(capLen);
    const timestampNanos = BigInt(seconds) * 1_000_000_000n + BigInt(fraction * fracToNanos);
    yield {
      data,
      timestampNanos,
      timestampMicros: timestampNanos / 1000n,
      originalLength: origLen,
      interface: 0,
      linkType,
      section: 0,
    };
  }
}

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** Timestamp resolution: 'micro' (magic 0xA1B2C3D4, the default) or 'nano' (0xA1B23C4D). */
  readonly precision?: TimestampPrecision;
  /** Link type in the header. Default LINKTYPE_ETHERNET (1). */
  readonly linkType?: number;
  /** SnapLen in the header; longer packets are truncated to it. Default and maximum 262144. */
  readonly snapLen?: number;
}

export function checkSnapLen(path: string, snapLen: number): void {
  if (!Number.isInteger(snapLen) || snapLen < 1 || snapLen > MAX_CAPLEN) {
    throw new RangeError(`${path}: snapLen must be an integer in 1..${MAX_CAPLEN}, got ${snapLen}`);
  }
}

export function checkLinkType(path: string, linkType: number): void {
  if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) {
    throw new RangeError(`${path}: linkType must be an integer in 0..65535, got ${linkType}`);
  }
}

/**
 * Writes a little-endian pcap file to `<path>.partial`, renamed to `path` by
 * close(). Packets longer than the snapshot length are truncated to it (the
 * original length is kept), as a capture would.
 */
export class PcapWriter implements CaptureWriter {
  readonly format: CaptureFormat = 'pcap';
  private count = 0;
  private done = false;
  private readonly scratch = new Uint8Array(PCAP_RECORD_HEADER_LENGTH);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private readonly nanoUnit: bigint;

  private constructor(
    private readonly sink: AtomicFileSink,
    readonly precision: TimestampPrecision,
    readonly linkType: number,
    readonly snapLen: number,
  ) {
    this.nanoUnit = precision === 'nano' ? 1n : 1000n;
  }

  /** Create `<path>.partial` and write the File Header into it. */
  static async create(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
    const precision = options.precision ?? 'micro';
    const linkType = options.linkType ?? LINKTYPE_ETHERNET;
    const snapLen = options.snapLen ?? DEFAULT_SNAPLEN;
    checkSnapLen(path, snapLen);
    checkLinkType(path, linkType);
    const sink = await AtomicFileSink.create(path);
    const writer = new PcapWriter(sink, precision, linkType, snapLen);
    const header = new DataView(new ArrayBuffer(PCAP_FILE_HEADER_LENGTH));
    header.setUint32(0, precision === 'nano' ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, true);
    header.setUint16(4, 2, true); // Major Version
    header.setUint16(6, 4, true); // Minor Version
    header.setUint32(8, 0, true); // Reserved1
    header.setUint32(12, 0, true); // Reserved2
    header.setUint32(16, snapLen, true);
    header.setUint32(20, linkType, true);
    await sink.write(new Uint8Array(header.buffer));
    return writer;
  }

  get path(): string {
    return this.sink.path;
  }

  get packets(): number {
    return this.count;
  }

  get bytes(): number {
    return this.sink.bytes;
  }

  write(packet: PacketToWrite): Promise<void> {
    const offset = this.sink.bytes;
    if (packet.interface !== undefined && packet.interface !== 0) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write packet record', `a pcap file has one interface (0), the packet is on interface ${packet.interface}`));
    }
    const nanos = packetTimestampNanos(packet);
    if (nanos < 0n) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write packet record', `timestamp ${nanos} ns is before 1970`));
    }
    const seconds = nanos / 1_000_000_000n;
    if (seconds > 0xffffffffn) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write packet record', `timestamp ${seconds} s does not fit the 32-bit seconds field`));
    }
    const data = packet.data;
    const capLen = Math.min(data.length, this.snapLen);
    const origLen = Math.max(packet.originalLength ?? data.length, capLen);
    if (!Number.isInteger(origLen) || origLen > 0xffffffff) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write packet record', `original length ${origLen} is not a 32-bit unsigned integer`));
    }
    const v = this.scratchView;
    v.setUint32(0, Number(seconds), true);
    v.setUint32(4, Number((nanos - seconds * 1_000_000_000n) / this.nanoUnit), true);
    v.setUint32(8, capLen, true);
    v.setUint32(12, origLen, true);
    this.count++;
    return this.sink.write(this.scratch, capLen === data.length ? data : data.subarray(0, capLen));
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.sink.commit();
  }

  /**
   * First phase of a two-phase commit (used to commit several files
   * together): flush, sync and close `<path>.partial` without renaming it.
   * Follow with publish(), or abort() to discard.
   */
  async finish(): Promise<void> {
    if (this.done) throw new Error(`${this.path}: writer already closed`);
    this.done = true;
    await this.sink.finish();
  }

  /** Second phase: rename `<path>.partial` to `<path>`. */
  async publish(): Promise<void> {
    await this.sink.publish();
  }

  async abort(): Promise<void> {
    this.done = true;
    await this.sink.abort();
  }
}
