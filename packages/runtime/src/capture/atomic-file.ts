/**
 * Buffered, backpressure-aware output to `<path>.partial`, renamed to `<path>`
 * only by a successful commit(). Bytes are gathered in one 1 MiB buffer and
 * written with `FileHandle.write`; a write() that fills the buffer returns a
 * promise that settles only when the buffer has reached the file, so a caller
 * that awaits each write never holds more than one buffer of output.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';

export const DEFAULT_WRITE_BUFFER = 1 << 20;

const RESOLVED: Promise<void> = Promise.resolve();

/** The temporary name a file is written under until it is complete. */
export function partialPathOf(path: string): string {
  return `${path}.partial`;
}

export class AtomicFileSink {
  readonly partialPath: string;
  private buf: Buffer;
  private used = 0;
  /** Bytes accepted (buffered or written). */
  private accepted = 0;
  /** The chain of slow-path writes; null when nothing is in flight. */
  private inflight: Promise<void> | null = null;
  private failure: unknown = undefined;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    bufferSize: number,
  ) {
    this.partialPath = partialPathOf(path);
    this.buf = Buffer.allocUnsafe(bufferSize);
  }

  /** Create (or truncate) `<path>.partial`. */
  static async create(path: string, bufferSize = DEFAULT_WRITE_BUFFER): Promise<AtomicFileSink> {
    const fh = await open(partialPathOf(path), 'w');
    return new AtomicFileSink(path, fh, bufferSize);
  }

  /** Total bytes accepted so far: the file offset the next write lands at. */
  get bytes(): number {
    return this.accepted;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Append the parts, in order. The parts may be reused by the caller as soon
   * as this returns (they are copied synchronously or before queuing).
   */
  write(...parts: Uint8Array[]): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new Error(`${this.path}: write after ${this.state === 'committed' ? 'close' : 'abort'}`));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let total = 0;
    for (const p of parts) total += p.length;
    this.accepted += total;
    if (this.inflight === null && this.used + total <= this.buf.length) {
      for (const p of parts) {
        this.buf.set(p, this.used);
        this.used += p.length;
      }
      return RESOLVED;
    }
    // Slow path: copy now (the caller may reuse its parts), append after whatever is in flight.
    const copy = Buffer.allocUnsafe(total);
    let at = 0;
    for (const p of parts) {
      copy.set(p, at);
      at += p.length;
    }
    return this.enqueue(() => this.appendSlow(copy));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = (this.inflight ?? RESOLVED).then(task);
    const tracked = run.then(
      () => {
        if (this.inflight === tracked) this.inflight = null;
      },
      (err: unknown) => {
        if (this.failure === undefined) this.failure = err;
        if (this.inflight === tracked) this.inflight = null;
        throw err;
      },
    );
    // The chain itself must not raise unhandled rejections; callers get `tracked`.
    tracked.catch(() => undefined);
    this.inflight = tracked;
    return tracked;
  }

  private async appendSlow(bytes: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.used + bytes.length > this.buf.length) await this.flushBuffer();
    if (bytes.length > this.buf.length) {
      await this.writeAll(bytes);
    } else {
      bytes.copy(this.buf, this.used);
      this.used += bytes.length;
    }
  }

  private async flushBuffer(): Promise<void> {
    if (this.used === 0) return;
    await this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off);
      off += bytesWritten;
    }
  }

  /** Flush and close the file without renaming it (the first phase of a commit). */
  async finish(): Promise<void> {
    if (this.state !== 'open') throw new Error(`${this.path}: already ${this.state}`);
    try {
      if (this.failure !== undefined) throw this.failure;
      await this.enqueue(() => this.flushBuffer());
      await this.fh.sync();
    } finally {
      await this.fh.close().catch(() => undefined);
    }
  }

  /** Rename `<path>.partial` to `<path>` (the second phase). */
  async publish(): Promise<void> {
    await rename(this.partialPath, this.path);
    this.state = 'committed';
  }

  /** finish() then publish(); on any failure, remove the partial file and rethrow. */
  async commit(): Promise<void> {
    try {
      await this.finish();
      await this.publish();
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Close (if open) and remove the partial file. Idempotent; never throws. */
  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.buf = Buffer.alloc(0);
    await (this.inflight ?? RESOLVED).catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await unlink(this.partialPath).catch(() => undefined);
  }
}
