/**
 * The description header (DH) of HyperV §IV-B (Fig. 2): 4 bytes in front of
 * the original packet that name its virtual data plane and give the total
 * length of the DH and the packet's headers, so a generic parser can take
 * the headers as one piece without parsing them layer by layer. The paper
 * fixes the size (4 bytes) but not the split; here both fields are 16 bits,
 * in network byte order:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |            vPDP id            |  length (DH + headers, bytes) |
 *  +-------------------------------+-------------------------------+
 */
export const DH_LENGTH = 4;

export interface DescriptionHeader {
  readonly vpdp: number;
  /** Bytes of the DH plus the original packet's headers (at least 4). */
  readonly length: number;
}

/** Read the DH at the front of a packet, or say why it is not one. */
export function readDescriptionHeader(data: Uint8Array): DescriptionHeader | string {
  if (data.length < DH_LENGTH) return `packet of ${data.length} bytes is shorter than a description header`;
  const vpdp = (data[0]! << 8) | data[1]!;
  const length = (data[2]! << 8) | data[3]!;
  if (length < DH_LENGTH) return `description header length ${length} is less than the header itself`;
  if (length > data.length) return `description header length ${length} exceeds the packet (${data.length} bytes)`;
  return { vpdp, length };
}

/** A packet with a DH in front; `headerBytes` is the length of the packet's own headers. */
export function writeDescriptionHeader(vpdp: number, headerBytes: number, packet: Uint8Array): Uint8Array {
  if (!Number.isInteger(vpdp) || vpdp < 0 || vpdp > 0xffff) throw new RangeError(`vPDP id ${vpdp} does not fit the description header's 16 bits`);
  const length = DH_LENGTH + headerBytes;
  if (length > 0xffff) throw new RangeError(`header length ${headerBytes} does not fit the description header's 16 bits`);
  const out = new Uint8Array(DH_LENGTH + packet.length);
  out[0] = vpdp >> 8;
  out[1] = vpdp & 0xff;
  out[2] = length >> 8;
  out[3] = length & 0xff;
  out.set(packet, DH_LENGTH);
  return out;
}
