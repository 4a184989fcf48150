/** Bit-level reads and writes on packet bytes, most significant bit first (network order). */

/** `width` bits starting at bit `offset` of `buf`, as an unsigned integer. */
export function readBits(buf: Uint8Array, offset: number, width: number): bigint {
  let v = 0n;
  let bit = offset;
  const end = offset + width;
  // whole bytes when aligned, bit by bit at the edges
  while (bit < end) {
    const byte = buf[bit >> 3] ?? 0;
    if ((bit & 7) === 0 && end - bit >= 8) {
      v = (v << 8n) | BigInt(byte);
      bit += 8;
    } else {
      v = (v << 1n) | BigInt((byte >> (7 - (bit & 7))) & 1);
      bit += 1;
    }
  }
  return v;
}

/** Append `value` as `width` bits to a bit writer. */
export class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private nbits = 0;

  write(value: bigint, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | Number((value >> BigInt(i)) & 1n);
      if (++this.nbits === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.nbits = 0;
      }
    }
  }

  writeBytes(data: Uint8Array): void {
    if (this.nbits === 0) for (const b of data) this.bytes.push(b);
    else for (const b of data) this.write(BigInt(b), 8);
  }

  get bitLength(): number {
    return this.bytes.length * 8 + this.nbits;
  }

  /** The bytes written; a partial last byte is padded with zeros on the right. */
  finish(): Uint8Array {
    const out = Uint8Array.from(this.nbits > 0 ? [...this.bytes, this.acc << (8 - this.nbits)] : this.bytes);
    return out;
  }
}

export const mask = (width: number): bigint => (1n << BigInt(width)) - 1n;
