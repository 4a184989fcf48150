/**
 * Shared types, constants and the error class of the capture readers and
 * writers (pcap and pcapng).
 */

/** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet (pcap LinkType registry, value 1). */
export const LINKTYPE_ETHERNET = 1;

/**
 * The largest captured length we accept, on read and write: 256 KiB. It is
 * libpcap's MAXIMUM_SNAPLEN (262144), the value tcpdump and dumpcap write as
 * the snapshot length by default.
 */
export const MAX_CAPLEN = 262_144;

/** The snapshot length our writers put in the file header / IDB by default. */
export const DEFAULT_SNAPLEN = MAX_CAPLEN;

/** A few well-known link types, only to make error messages readable. */
const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'LINKTYPE_NULL',
  1: 'LINKTYPE_ETHERNET',
  101: 'LINKTYPE_RAW',
  105: 'LINKTYPE_IEEE802_11',
  113: 'LINKTYPE_LINUX_SLL',
  127: 'LINKTYPE_IEEE802_11_RADIOTAP',
  228: 'LINKTYPE_IPV4',
  229: 'LINKTYPE_IPV6',
  276: 'LINKTYPE_LINUX_SLL2',
};

/** `LINKTYPE_ETHERNET (1)`, or `link type 4242` when we have no name for it. */
export function describeLinkType(linkType: number): string {
  const name = LINKTYPE_NAMES[linkType];
  return name === undefined ? `link type ${linkType}` : `${name} (${linkType})`;
}

/** Which capture format a file is in. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** Timestamp resolution of a pcap file (by magic) or a writer. */
export type TimestampPrecision = 'micro' | 'nano';

/** One packet read from a capture. */
export interface CapturedPacket {
  /** The captured bytes (a copy: the reader never hands out its buffer). */
  readonly data: Uint8Array;
  /**
   * Capture time, nanoseconds since 1970-01-01 00:00:00 UTC. Exact for pcap
   * micro/nano files and for pcapng interfaces whose resolution is 10^-9 or
   * coarser; finer resolutions are truncated to nanoseconds. 0n for pcapng
   * Simple Packet Blocks, which carry no timestamp.
   */
  readonly timestampNanos: bigint;
  /** The same instant in whole microseconds (timestampNanos / 1000, truncated). */
  readonly timestampMicros: bigint;
  /** Length of the packet on the wire; may exceed data.length when the capture truncated it. */
  readonly originalLength: number;
  /** Interface ID (pcapng: index of the IDB within its section; pcap: always 0). */
  readonly interface: number;
  /** Link-layer header type of the packet's interface (LINKTYPE_ETHERNET = 1). */
  readonly linkType: number;
  /** Index of the pcapng section the packet is in (0 for pcap). */
  readonly section: number;
}

/** One packet to write. A {@link CapturedPacket} is one too, so copying a capture is a loop. */
export interface PacketToWrite {
  readonly data: Uint8Array;
  /** Capture time in nanoseconds since the epoch; wins over timestampMicros. Defaults to 0. */
  readonly timestampNanos?: bigint;
  /** Capture time in microseconds since the epoch, used when timestampNanos is absent. */
  readonly timestampMicros?: bigint;
  /** Length on the wire; defaults to data.length and is never written below the captured length. */
  readonly originalLength?: number;
  /** pcapng interface ID (index into the writer's interfaces); pcap files have one interface, 0. */
  readonly interface?: number;
}

/** A writer of one capture file. Nothing is visible under `path` until close() succeeds. */
export interface CaptureWriter {
  /** The final path; the bytes go to `${path}.partial` until close(). */
  readonly path: string;
  readonly format: CaptureFormat;
  /** Packets accepted so far. */
  readonly packets: number;
  /** Bytes of capture produced so far (header included). */
  readonly bytes: number;
  /** Queue one packet. Await it: the promise settles once the packet is buffered or flushed. */
  write(packet: PacketToWrite): Promise<void>;
  /** Flush, close, and rename `${path}.partial` to `path`. On any failure the partial file is removed. */
  close(): Promise<void>;
  /** Discard everything: close and remove the partial file. Safe to call more than once. */
  abort(): Promise<void>;
}

/**
 * A capture that cannot be read (or a packet that cannot be written). The
 * message names the file and the byte offset of the offending header, block
 * or record, e.g.
 * `in.pcap: truncated packet record at byte offset 1234: header says 98 bytes, 40 remain`.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  /** The file, as the caller named it. */
  readonly file: string;
  /** Byte offset, from the start of the file, of the header/block/record at fault. */
  readonly offset: number;
  /** The message without the file and offset. */
  readonly reason: string;

  constructor(file: string, offset: number, what: string, detail?: string) {
    super(`${file}: ${what} at byte offset ${offset}${detail === undefined ? '' : `: ${detail}`}`);
    this.file = file;
    this.offset = offset;
    this.reason = detail === undefined ? what : `${what}: ${detail}`;
  }
}

/** Options common to every reader. */
export interface ReadCaptureOptions {
  /**
   * Link types to accept. The default accepts only LINKTYPE_ETHERNET (1):
   * everything downstream parses Ethernet. 'any' accepts every link type.
   */
  readonly linkTypes?: readonly number[] | 'any';
  /** Bytes read from the file per system call; the reader's buffer. Default 1 MiB. */
  readonly chunkSize?: number;
}

/** Seconds and nanoseconds of a nanosecond timestamp. */
export function splitTimestamp(nanos: bigint): { seconds: bigint; nanos: number } {
  const seconds = nanos / 1_000_000_000n;
  return { seconds, nanos: Number(nanos - seconds * 1_000_000_000n) };
}

/** Nanoseconds since the epoch from seconds and a fraction in nanoseconds. */
export function timestampFromParts(seconds: number | bigint, nanos = 0): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

/** Nanoseconds since the epoch from microseconds. */
export function timestampFromMicros(micros: number | bigint): bigint {
  return BigInt(micros) * 1000n;
}

/** The nanosecond timestamp a packet to write carries (0n when it has none). */
export function packetTimestampNanos(packet: PacketToWrite): bigint {
  if (packet.timestampNanos !== undefined) return packet.timestampNanos;
  if (packet.timestampMicros !== undefined) return packet.timestampMicros * 1000n;
  return 0n;
}

export function linkTypeAllowed(options: ReadCaptureOptions | undefined, linkType: number): boolean {
  const allowed = options?.linkTypes ?? [LINKTYPE_ETHERNET];
  return allowed === 'any' || allowed.includes(linkType);
}

export function linkTypeRefusal(linkType: number): string {
  return `only ${describeLinkType(LINKTYPE_ETHERNET)} is supported; pass { linkTypes: [${linkType}] } or { linkTypes: 'any' } to read it anyway`;
}
