/**
 * Packet captures: streaming pcap (micro- and nanosecond) and pcapng readers
 * and writers, and a writer of one capture per egress port.
 */
export {
  CaptureError,
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  MAX_CAPLEN,
  describeLinkType,
  splitTimestamp,
  timestampFromMicros,
  timestampFromParts,
  type CaptureFormat,
  type CaptureWriter,
  type CapturedPacket,
  type PacketToWrite,
  type ReadCaptureOptions,
  type TimestampPrecision,
} from './types.js';
export { CaptureReader, openCapture, readCapture, readCaptureAll } from './reader.js';
export {
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  PcapWriter,
  type PcapHeader,
  type PcapWriterOptions,
} from './pcap.js';
export {
  PcapngWriter,
  type PcapngInterface,
  type PcapngInterfaceOptions,
  type PcapngWriterOptions,
} from './pcapng.js';
export {
  PortCaptureWriter,
  createCaptureWriter,
  formatForPath,
  type CaptureWriterOptions,
  type PortCaptureSummary,
  type PortCaptureWriterOptions,
} from './writer.js';
