/**
 * pcapng capture files.
 *
 * Format: the IETF draft "PCAP Next Generation (pcapng) Capture File Format"
 * (draft-ietf-opsawg-pcapng). Sections used here:
 *   - "General Block Structure": Block Type, Block Total Length, Body (padded
 *     to 32 bits), Block Total Length again; the length is a multiple of 4 and
 *     at least 12. Unknown blocks are skipped by their length.
 *   - "Physical File Layout": the file begins with a Section Header Block;
 *     more SHBs may follow, each starting a new section with its own
 *     interfaces and byte order.
 *   - "Options": 16-bit code, 16-bit length, value padded to 32 bits, list
 *     ended by opt_endofopt (or by the end of the block).
 *   - "Endianness": each section is in the byte order given by its SHB's
 *     Byte-Order Magic (0x1A2B3C4D).
 *   - "Section Header Block" (type 0x0A0D0D0A), "Interface Description Block"
 *     (type 1; options if_tsresol and if_tsoffset are honoured), "Enhanced
 *     Packet Block" (type 6), "Simple Packet Block" (type 3, read only), and
 *     the obsolete "Packet Block" of the appendix (type 2, read only).
 */
import { AtomicFileSink } from './atomic-file.js';
import type { ChunkedReader } from './chunked-reader.js';
import { checkLinkType, checkSnapLen } from './pcap.js';
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

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** Smallest legal Block Total Length of each block type we parse. */
const MIN_LENGTH: Readonly<Record<number, number>> = {
  [BT_SHB]: 28, // header 8 + magic 4 + versions 4 + section length 8 + trailer 4
  [BT_IDB]: 20, // header 8 + link type 2 + reserved 2 + snaplen 4 + trailer 4
  [BT_PB]: 32, // header 8 + if 2 + drops 2 + ts 8 + caplen 4 + len 4 + trailer 4
  [BT_SPB]: 16, // header 8 + original length 4 + trailer 4
  [BT_EPB]: 32, // header 8 + if 4 + ts 8 + caplen 4 + len 4 + trailer 4
};

const BLOCK_NAMES: Readonly<Record<number, string>> = {
  [BT_SHB]: 'Section Header Block',
  [BT_IDB]: 'Interface Description Block',
  [BT_PB]: 'Packet Block',
  [BT_SPB]: 'Simple Packet Block',
  [BT_EPB]: 'Enhanced Packet Block',
};

/**
 * Largest block we buffer whole (SHB, IDB, EPB, SPB, PB): a 256 KiB packet
 * plus generous room for options. Other blocks are skipped without buffering,
 * whatever their length.
 */
export const MAX_BUFFERED_BLOCK = 16 << 20;

const pad4 = (n: number): number => (n + 3) & ~3;

/** One interface of the current section, as its IDB described it. */
export interface PcapngInterface {
  readonly linkType: number;
  readonly snapLen: number;
  /** if_tsresol: the resolution byte (6 = microseconds when the option is absent). */
  readonly tsresol: number;
  /** if_tsoffset in seconds (0 when absent). */
  readonly tsoffsetSeconds: bigint;
  readonly name?: string;
}

interface InterfaceState extends PcapngInterface {
  /** Timestamp units to nanoseconds: units * mul / div >> shift, plus offset. */
  readonly mul: bigint;
  readonly div: bigint;
  readonly shift: bigint;
  readonly offsetNanos: bigint;
}

function interfaceState(linkType: number, snapLen: number, tsresol: number, tsoffsetSeconds: bigint, name: string | undefined): InterfaceState {
  let mul = 1n;
  let div = 1n;
  let shift = 0n;
  if ((tsresol & 0x80) !== 0) {
    // MSB set: resolution is 2^-(remaining bits) seconds.
    mul = 1_000_000_000n;
    shift = BigInt(tsresol & 0x7f);
  } else if (tsresol <= 9) {
    mul = 10n ** BigInt(9 - tsresol);
  } else {
    div = 10n ** BigInt(tsresol - 9);
  }
  const base = { linkType, snapLen, tsresol, tsoffsetSeconds, mul, div, shift, offsetNanos: tsoffsetSeconds * 1_000_000_000n };
  return name === undefined ? base : { ...base, name };
}

function unitsToNanos(units: bigint, i: InterfaceState): bigint {
  let ns = units * i.mul;
  if (i.div !== 1n) ns /= i.div;
  if (i.shift !== 0n) ns >>= i.shift;
  return ns + i.offsetNanos;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The packets of a pcapng file, read block by block from the start. The
 * reader holds one block at a time (and at most its chunk of the file).
 */
export async function* readPcapngBlocks(
  r: ChunkedReader,
  file: string,
  options: ReadCaptureOptions | undefined,
): AsyncGenerator<CapturedPacket, void, undefined> {
  let section = -1;
  let le = true;
  let interfaces: InterfaceState[] = [];

  for (;;) {
    const blockOffset = r.position;
    if (r.available < 12) {
      const have = await r.fill(12);
      if (have === 0) return;
      if (have < 8) {
        throw new CaptureError(file, blockOffset, 'truncated block header', `a block header is 8 bytes, ${have} remain`);
      }
    }
    let v = r.view;
    let at = r.start;
    const type = v.getUint32(at, le);
    if (type === BT_SHB) {
      // Block Type is palindromic; the Byte-Order Magic 8 octets in gives the section's byte order.
      if (r.available < 12) {
        throw new CaptureError(file, blockOffset, 'truncated Section Header Block', `its fixed part is 28 bytes, ${r.available} remain`);
      }
      const magic = v.getUint32(at + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (magic === BYTE_ORDER_MAGIC_SWAPPED) le = false;
      else {
        throw new CaptureError(file, blockOffset + 8, 'bad pcapng byte-order magic', `0x${magic.toString(16).padStart(8, '0')} (expected 0x1a2b3c4d in either byte order)`);
      }
    } else if (section < 0) {
      throw new CaptureError(file, blockOffset, 'missing Section Header Block', `a pcapng file must begin with one, found block type 0x${type.toString(16).padStart(8, '0')}`);
    }
    const length = v.getUint32(at + 4, le);
    const blockName = BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
    if (length % 4 !== 0) {
      throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName} says ${length} bytes, which is not a multiple of 4`);
    }
    const minimum = MIN_LENGTH[type] ?? 12;
    if (length < minimum) {
      throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName} says ${length} bytes, less than its ${minimum}-byte minimum`);
    }

    if (MIN_LENGTH[type] === undefined) {
      // Unknown block (or one we do not use: NRB, ISB, DSB, custom ...): skip it by its length.
      await skipBlock(r, file, blockOffset, length, le, blockName);
      continue;
    }

    if (length > MAX_BUFFERED_BLOCK) {
      throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName} says ${length} bytes, more than the ${MAX_BUFFERED_BLOCK}-byte limit`);
    }
    if (r.available < length) {
      const have = await r.fill(length);
      if (have < length) {
        throw new CaptureError(file, blockOffset, `truncated ${blockName}`, `header says ${length} bytes, ${have} remain`);
      }
      v = r.view;
      at = r.start;
    }
    const trailer = v.getUint32(at + length - 4, le);
    if (trailer !== length) {
      throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName}'s trailing Block Total Length ${trailer} does not match the leading ${length}`);
    }

    switch (type) {
      case BT_SHB: {
        const major = v.getUint16(at + 12, le);
        const minor = v.getUint16(at + 14, le);
        // Readers "MUST treat a Minor Version of 2 as equivalent to a Minor Version of 0".
        // (We refuse other versions, as libpcap and Wireshark do, rather than skip the section.)
        if (major !== 1 || (minor !== 0 && minor !== 2)) {
          throw new CaptureError(file, blockOffset + 12, 'unsupported pcapng version', `${major}.${minor} (only 1.0 is defined)`);
        }
        section++;
        interfaces = [];
        r.start += length;
        break;
      }
      case BT_IDB: {
        const linkType = v.getUint16(at + 8, le);
        const snapLen = v.getUint32(at + 12, le);
        if (!linkTypeAllowed(options, linkType)) {
          throw new CaptureError(file, blockOffset + 8, `unsupported ${describeLinkType(linkType)}`, linkTypeRefusal(linkType));
        }
        let tsresol = 6;
        let tsoffset = 0n;
        let name: string | undefined;
        forEachOption(v, at + 16, at + length - 4, le, file, r.position - r.start, (code, valueAt, valueLength, optionOffset) => {
          if (code === IF_TSRESOL) {
            if (valueLength !== 1) throw new CaptureError(file, optionOffset, 'bad if_tsresol option', `length ${valueLength}, must be 1`);
            tsresol = v.getUint8(valueAt);
          } else if (code === IF_TSOFFSET) {
            if (valueLength !== 8) throw new CaptureError(file, optionOffset, 'bad if_tsoffset option', `length ${valueLength}, must be 8`);
            tsoffset = v.getBigInt64(valueAt, le);
          } else if (code === IF_NAME) {
            name = utf8.decode(r.buf.subarray(valueAt, valueAt + valueLength)).replace(/\0.*$/s, '');
          }
        });
        interfaces.push(interfaceState(linkType, snapLen, tsresol, tsoffset, name));
        r.start += length;
        break;
      }
      case BT_EPB:
      case BT_PB: {
        const interfaceId = type === BT_EPB ? v.getUint32(at + 8, le) : v.getUint16(at + 8, le);
        const high = v.getUint32(at + 12, le);
        const low = v.getUint32(at + 16, le);
        const capLen = v.getUint32(at + 20, le);
        const origLen = v.getUint32(at + 24, le);
        const iface = interfaces[interfaceId];
        if (iface === undefined) {
          throw new CaptureError(file, blockOffset, `${blockName} refers to an undefined interface`, `interface ${interfaceId}, but section ${section} has ${interfaces.length} Interface Description Block(s) before it`);
        }
        checkCapLen(file, blockOffset, blockName, capLen, iface.snapLen);
        if (28 + pad4(capLen) + 4 > length) {
          throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName} says ${length} bytes, too short for its captured length ${capLen}`);
        }
        const units = (BigInt(high) << 32n) | BigInt(low);
        const timestampNanos = unitsToNanos(units, iface);
        r.start += 28;
        const data = r.take(capLen);
        r.start += length - 28 - capLen;
        yield {
          data,
          timestampNanos,
          timestampMicros: timestampNanos / 1000n,
          originalLength: origLen,
          interface: interfaceId,
          linkType: iface.linkType,
          section,
        };
        break;
      }
      case BT_SPB: {
        // "it MUST be assumed that all the Simple Packet Blocks have been captured on
        // the interface previously specified in the first Interface Description Block."
        const iface = interfaces[0];
        if (iface === undefined) {
          throw new CaptureError(file, blockOffset, 'Simple Packet Block before any Interface Description Block', `section ${section} has no interface 0`);
        }
        const origLen = v.getUint32(at + 8, le);
        const room = length - 16;
        // Its data length "is the minimum value among the SnapLen ... and the Original Packet Length".
        const capLen = iface.snapLen === 0 ? origLen : Math.min(origLen, iface.snapLen);
        if (capLen > MAX_CAPLEN) checkCapLen(file, blockOffset, blockName, capLen, 0);
        if (capLen > room) {
          throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName} says ${length} bytes, too short for ${capLen} bytes of packet data`);
        }
        r.start += 12;
        const data = r.take(capLen);
        r.start += length - 12 - capLen;
        yield { data, timestampNanos: 0n, timestampMicros: 0n, originalLength: origLen, interface: 0, linkType: iface.linkType, section };
        break;
      }
      default:
        r.start += length;
    }
  }
}

function checkCapLen(file: string, blockOffset: number, blockName: string, capLen: number, snapLen: number): void {
  if (capLen > MAX_CAPLEN) {
    throw new CaptureError(file, blockOffset, `oversized ${blockName}`, `captured length ${capLen} exceeds the ${MAX_CAPLEN}-byte (256 KiB) maximum`);
  }
  // IDB SnapLen: "A value of zero indicates no limit."
  if (snapLen !== 0 && capLen > snapLen) {
    throw new CaptureError(file, blockOffset, `oversized ${blockName}`, `captured length ${capLen} exceeds the interface's snapshot length ${snapLen}`);
  }
}

/** Skip a block we do not parse, checking that it is all there and that its trailer matches. */
async function skipBlock(r: ChunkedReader, file: string, blockOffset: number, length: number, le: boolean, blockName: string): Promise<void> {
  const body = length - 4; // everything up to the trailing Block Total Length
  const skipped = await r.skip(body);
  const haveTrailer = skipped === body ? await r.fill(4) : 0;
  if (skipped < body || haveTrailer < 4) {
    throw new CaptureError(file, blockOffset, `truncated ${blockName}`, `header says ${length} bytes, ${skipped + Math.min(haveTrailer, 4)} remain`);
  }
  const trailer = r.view.getUint32(r.start, le);
  if (trailer !== length) {
    throw new CaptureError(file, blockOffset, 'bad block length', `the ${blockName}'s trailing Block Total Length ${trailer} does not match the leading ${length}`);
  }
  r.start += 4;
}

/**
 * Walk an option list in [from, to) of the buffer ("Options"): stops at
 * opt_endofopt or at the end of the block. `bufferBase` maps buffer indexes
 * to file offsets for error messages.
 */
function forEachOption(
  v: DataView,
  from: number,
  to: number,
  le: boolean,
  file: string,
  bufferBase: number,
  visit: (code: number, valueAt: number, valueLength: number, optionOffset: number) => void,
): void {
  let at = from;
  while (at + 4 <= to) {
    const code = v.getUint16(at, le);
    const valueLength = v.getUint16(at + 2, le);
    if (code === OPT_ENDOFOPT) return;
    if (at + 4 + pad4(valueLength) > to) {
      throw new CaptureError(file, bufferBase + at, 'bad option', `option ${code} says ${valueLength} bytes, more than the block has left`);
    }
    visit(code, at + 4, valueLength, bufferBase + at);
    at += 4 + pad4(valueLength);
  }
}

// ---------------------------------------------------------------------------
// Writing

/** One interface (IDB) of a pcapng file being written. */
export interface PcapngInterfaceOptions {
  /** Default LINKTYPE_ETHERNET (1). */
  readonly linkType?: number;
  /** Default and maximum 262144; longer packets are truncated to it. */
  readonly snapLen?: number;
  /** if_name. */
  readonly name?: string;
  /** if_description. */
  readonly description?: string;
  /** if_tsresol 6 ('micro') or 9 ('nano'); defaults to the writer's precision. */
  readonly precision?: TimestampPrecision;
}

/** Options of {@link PcapngWriter}. */
export interface PcapngWriterOptions {
  /** One IDB each, in order: packet.interface indexes this list. Default: one Ethernet interface. */
  readonly interfaces?: readonly PcapngInterfaceOptions[];
  /** Default timestamp resolution of the interfaces: 'micro' (the default) or 'nano'. */
  readonly precision?: TimestampPrecision;
  /** shb_userappl. Default "MPVisor". */
  readonly application?: string;
}

interface WriterInterface {
  readonly snapLen: number;
  /** Nanoseconds per timestamp unit. */
  readonly unit: bigint;
}

const utf8e = new TextEncoder();

function encodeOptions(options: ReadonlyArray<readonly [number, Uint8Array]>): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  let size = 4; // opt_endofopt
  for (const [, value] of options) size += 4 + pad4(value.length);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [code, value] of options) {
    if (value.length > 0xffff) throw new RangeError(`pcapng option ${code} is longer than 65535 bytes`);
    v.setUint16(at, code, true);
    v.setUint16(at + 2, value.length, true);
    out.set(value, at + 4);
    at += 4 + pad4(value.length);
  }
  // opt_endofopt: code 0, length 0 (already zero).
  return out;
}

function block(type: number, fixed: Uint8Array, options: Uint8Array): Uint8Array {
  const length = 8 + fixed.length + options.length + 4;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, length, true);
  out.set(fixed, 8);
  out.set(options, 8 + fixed.length);
  v.setUint32(length - 4, length, true);
  return out;
}

/**
 * Writes a little-endian pcapng file (one SHB, one IDB per interface, then one
 * EPB per packet) to `<path>.partial`, renamed to `path` by close().
 */
export class PcapngWriter implements CaptureWriter {
  readonly format: CaptureFormat = 'pcapng';
  private count = 0;
  private done = false;
  private readonly head = new Uint8Array(28);
  private readonly headView = new DataView(this.head.buffer);
  private readonly tail = new Uint8Array(8);
  private readonly tailView = new DataView(this.tail.buffer);

  private constructor(
    private readonly sink: AtomicFileSink,
    private readonly interfaces: readonly WriterInterface[],
  ) {}

  static async create(path: string, options: PcapngWriterOptions = {}): Promise<PcapngWriter> {
    const precision = options.precision ?? 'micro';
    const declared = options.interfaces ?? [{}];
    if (declared.length === 0) throw new RangeError(`${path}: a pcapng writer needs at least one interface`);
    const blocks: Uint8Array[] = [];
    // Section Header Block: Byte-Order Magic, version 1.0, Section Length -1 (unspecified).
    const shb = new DataView(new ArrayBuffer(16));
    shb.setUint32(0, BYTE_ORDER_MAGIC, true);
    shb.setUint16(4, 1, true);
    shb.setUint16(6, 0, true);
    shb.setBigInt64(8, -1n, true);
    blocks.push(block(BT_SHB, new Uint8Array(shb.buffer), encodeOptions([[SHB_USERAPPL, utf8e.encode(options.application ?? 'MPVisor')]])));
    const interfaces: WriterInterface[] = [];
    for (const iface of declared) {
      const linkType = iface.linkType ?? LINKTYPE_ETHERNET;
      const snapLen = iface.snapLen ?? DEFAULT_SNAPLEN;
      checkLinkType(path, linkType);
      checkSnapLen(path, snapLen);
      const p = iface.precision ?? precision;
      const fixed = new DataView(new ArrayBuffer(8));
      fixed.setUint16(0, linkType, true);
      fixed.setUint16(2, 0, true); // Reserved
      fixed.setUint32(4, snapLen, true);
      const opts: [number, Uint8Array][] = [];
      if (iface.name !== undefined) opts.push([IF_NAME, utf8e.encode(iface.name)]);
      if (iface.description !== undefined) opts.push([IF_DESCRIPTION, utf8e.encode(iface.description)]);
      opts.push([IF_TSRESOL, Uint8Array.of(p === 'nano' ? 9 : 6)]);
      blocks.push(block(BT_IDB, new Uint8Array(fixed.buffer), encodeOptions(opts)));
      interfaces.push({ snapLen, unit: p === 'nano' ? 1n : 1000n });
    }
    const sink = await AtomicFileSink.create(path);
    await sink.write(...blocks);
    return new PcapngWriter(sink, interfaces);
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
    const interfaceId = packet.interface ?? 0;
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write Enhanced Packet Block', `interface ${interfaceId} is not one of the writer's ${this.interfaces.length} interface(s)`));
    }
    const nanos = packetTimestampNanos(packet);
    if (nanos < 0n) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write Enhanced Packet Block', `timestamp ${nanos} ns is before 1970`));
    }
    const units = nanos / iface.unit;
    if (units > 0xffff_ffff_ffff_ffffn) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write Enhanced Packet Block', `timestamp ${nanos} ns does not fit 64 bits`));
    }
    const data = packet.data;
    const capLen = Math.min(data.length, iface.snapLen);
    const origLen = Math.max(packet.originalLength ?? data.length, capLen);
    if (!Number.isInteger(origLen) || origLen > 0xffffffff) {
      return Promise.reject(new CaptureError(this.path, offset, 'cannot write Enhanced Packet Block', `original length ${origLen} is not a 32-bit unsigned integer`));
    }
    const padding = pad4(capLen) - capLen;
    const length = 28 + capLen + padding + 4;
    const h = this.headView;
    h.setUint32(0, BT_EPB, true);
    h.setUint32(4, length, true);
    h.setUint32(8, interfaceId, true);
    h.setUint32(12, Number(units >> 32n), true);
    h.setUint32(16, Number(units & 0xffff_ffffn), true);
    h.setUint32(20, capLen, true);
    h.setUint32(24, origLen, true);
    this.tail.fill(0);
    this.tailView.setUint32(padding, length, true);
    this.count++;
    return this.sink.write(this.head, capLen === data.length ? data : data.subarray(0, capLen), this.tail.subarray(0, padding + 4));
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
