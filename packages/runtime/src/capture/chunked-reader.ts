/**
 * A forward-only reader over a file that holds at most one chunk (default
 * 1 MiB) of it in memory: `fs.promises.open` + `FileHandle.read` into one
 * reusable buffer. A record that straddles two chunks is handled by moving
 * the unread tail to the front of the buffer before the next read; a record
 * larger than the buffer grows it (records are bounded by the readers, so the
 * buffer is too).
 */
import { open, type FileHandle } from 'node:fs/promises';

export const DEFAULT_CHUNK_SIZE = 1 << 20;

export class ChunkedReader {
  /** The buffer; valid unread bytes are buf[start, end). */
  buf: Buffer;
  /** A DataView over buf (rebuilt when buf grows). */
  view: DataView;
  start = 0;
  end = 0;
  /** Absolute file offset of buf[0]. */
  private base = 0;
  private eof = false;
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    chunkSize: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  static async open(path: string, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ChunkedReader> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 64) throw new RangeError(`chunkSize must be an integer >= 64, got ${chunkSize}`);
    return new ChunkedReader(await open(path, 'r'), chunkSize);
  }

  /** Absolute file offset of the next unread byte. */
  get position(): number {
    return this.base + this.start;
  }

  /** Unread bytes in the buffer. */
  get available(): number {
    return this.end - this.start;
  }

  /**
   * Make at least `n` unread bytes available in buf[start, start + n), reading
   * more of the file as needed. Resolves to the number available, which is
   * less than `n` only at the end of the file.
   */
  async fill(n: number): Promise<number> {
    if (this.end - this.start >= n) return this.end - this.start;
    if (this.eof) return this.end - this.start;
    // Move the unread tail to the front, growing the buffer if a record needs it.
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    while (this.end < n) {
      const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.base + this.end);
      if (bytesRead === 0) {
        this.eof = true;
        break;
      }
      this.end += bytesRead;
    }
    return this.end - this.start;
  }

  /**
   * Skip `n` bytes without buffering them. Resolves to the number skipped,
   * less than `n` only at the end of the file.
   */
  async skip(n: number): Promise<number> {
    const inBuffer = Math.min(n, this.end - this.start);
    this.start += inBuffer;
    if (inBuffer === n) return n;
    // Drop the (now empty) buffer and jump ahead in the file.
    const size = (await this.fh.stat()).size;
    const target = this.base + this.start + (n - inBuffer);
    const reached = Math.min(target, size);
    this.base = reached;
    this.start = 0;
    this.end = 0;
    if (reached === size) this.eof = reached < target || this.eof;
    return n - (target - reached);
  }

  /** Bytes left in the file from the current position (stat()s the file). */
  async remaining(): Promise<number> {
    const size = (await this.fh.stat()).size;
    return Math.max(0, size - this.position);
  }

  /** Copy `n` unread bytes (which must be available) out of the buffer and consume them. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
