/**
 * Creating capture writers, and writing one capture per egress port.
 *
 * Every writer streams through a 1 MiB buffer into `<path>.partial` and
 * renames it to `<path>` only in a successful close(), so a file under its
 * final name is always complete; abort() (or a failed close()) removes the
 * partial file.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PcapWriter, type PcapWriterOptions } from './pcap.js';
import { PcapngWriter, type PcapngWriterOptions } from './pcapng.js';
import type { CaptureFormat, PacketToWrite, TimestampPrecision } from './types.js';

type FileWriter = PcapWriter | PcapngWriter;

/** Options of {@link createCaptureWriter}. */
export interface CaptureWriterOptions extends PcapWriterOptions, PcapngWriterOptions {
  /** Default: 'pcapng' when the path ends in .pcapng, 'pcap' otherwise. */
  readonly format?: CaptureFormat;
  readonly precision?: TimestampPrecision;
}

/** The format a path's extension suggests: pcapng for `.pcapng`, pcap otherwise. */
export function formatForPath(path: string): CaptureFormat {
  return path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap';
}

/**
 * A pcap or pcapng writer for `path`. For pcapng, `linkType` and `snapLen`
 * describe the single default interface unless `interfaces` is given.
 */
export async function createCaptureWriter(path: string, options: CaptureWriterOptions = {}): Promise<PcapWriter | PcapngWriter> {
  const format = options.format ?? formatForPath(path);
  if (format === 'pcap') return PcapWriter.create(path, options);
  if (options.interfaces !== undefined) return PcapngWriter.create(path, options);
  const iface = {
    ...(options.linkType !== undefined ? { linkType: options.linkType } : {}),
    ...(options.snapLen !== undefined ? { snapLen: options.snapLen } : {}),
  };
  return PcapngWriter.create(path, { ...options, interfaces: [iface] });
}

/** Options of {@link PortCaptureWriter}. */
export interface PortCaptureWriterOptions {
  /** 'pcap' (default) or 'pcapng'; also the files' extension. */
  readonly format?: CaptureFormat;
  /** Timestamp resolution of every file: 'micro' (default) or 'nano'. */
  readonly precision?: TimestampPrecision;
  /** Write dropped packets to `dropped.<ext>` (created even when nothing is dropped). Default false. */
  readonly dropped?: boolean;
  /** Link type of every file. Default LINKTYPE_ETHERNET (1). */
  readonly linkType?: number;
  /** Snapshot length of every file. Default 262144. */
  readonly snapLen?: number;
}

/** What a successful {@link PortCaptureWriter.close} produced. */
export interface PortCaptureSummary {
  /** Egress port → file path and packet count, in port order. */
  readonly ports: ReadonlyArray<{ readonly port: number; readonly path: string; readonly packets: number }>;
  /** The drop capture, when asked for. */
  readonly dropped?: { readonly path: string; readonly packets: number };
  /** Every file written, in the order above. */
  readonly files: readonly string[];
}

/**
 * One output capture per egress port in a directory — `port-1.pcap`,
 * `port-2.pcap`, ... created on the port's first packet — plus `dropped.pcap`
 * when asked for.
 *
 * Commit semantics of close(): first every file is flushed, synced and closed
 * under its `.partial` name; if any of that fails, every partial file is
 * removed and nothing appears under a final name. Only then is each file
 * renamed into place (same directory, so each rename is atomic); if a rename
 * fails, the files already renamed by this close() are removed again and the
 * remaining partial files deleted, so a failed close() leaves none of this
 * run's files. (A crash of the process in the middle of the rename phase can
 * leave some files renamed and others `.partial`: no file system offers an
 * atomic rename of several files.) Files of an earlier run that this run does
 * not produce are left untouched.
 */
export class PortCaptureWriter {
  private readonly writers = new Map<number, FileWriter>();
  /** Port writers being created (so concurrent first packets share one). */
  private readonly opening = new Map<number, Promise<FileWriter>>();
  private droppedWriter: FileWriter | undefined;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  private constructor(
    /** The output directory. */
    readonly dir: string,
    private readonly options: PortCaptureWriterOptions,
  ) {}

  /** Create the directory (recursively) and a writer for it; no file is created yet. */
  static async create(dir: string, options: PortCaptureWriterOptions = {}): Promise<PortCaptureWriter> {
    await mkdir(dir, { recursive: true });
    return new PortCaptureWriter(dir, options);
  }

  get format(): CaptureFormat {
    return this.options.format ?? 'pcap';
  }

  /** Whether dropped packets are recorded (writeDropped() is a no-op otherwise). */
  get recordsDrops(): boolean {
    return this.options.dropped === true;
  }

  /** The path the capture of `port` is (or would be) written to. */
  pathForPort(port: number): string {
    return join(this.dir, `port-${port}.${this.format}`);
  }

  /** The path of the drop capture. */
  get droppedPath(): string {
    return join(this.dir, `dropped.${this.format}`);
  }

  private newWriter(path: string): Promise<FileWriter> {
    const o = this.options;
    return createCaptureWriter(path, {
      format: this.format,
      ...(o.precision !== undefined ? { precision: o.precision } : {}),
      ...(o.linkType !== undefined ? { linkType: o.linkType } : {}),
      ...(o.snapLen !== undefined ? { snapLen: o.snapLen } : {}),
    });
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new Error(`${this.dir}: PortCaptureWriter is ${this.state}`);
  }

  /** Record a packet sent out of egress `port` (a non-negative integer). */
  async write(port: number, packet: PacketToWrite): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(port) || port < 0) throw new RangeError(`egress port must be a non-negative integer, got ${port}`);
    let writer = this.writers.get(port);
    if (writer === undefined) {
      let pending = this.opening.get(port);
      if (pending === undefined) {
        pending = this.newWriter(this.pathForPort(port));
        this.opening.set(port, pending);
        try {
          writer = await pending;
          if (this.state !== 'open') {
            await writer.abort();
            this.checkOpen();
          }
          this.writers.set(port, writer);
        } finally {
          this.opening.delete(port);
        }
      } else {
        writer = await pending;
      }
    }
    await writer.write({ ...packet, interface: 0 });
  }

  /** Record a dropped packet (ignored unless the writer was created with `dropped: true`). */
  async writeDropped(packet: PacketToWrite): Promise<void> {
    this.checkOpen();
    if (!this.recordsDrops) return;
    this.droppedWriter ??= await this.newWriter(this.droppedPath);
    await this.droppedWriter.write({ ...packet, interface: 0 });
  }

  /** Packets written so far per port. */
  counts(): Map<number, number> {
    return new Map([...this.writers].sort(([a], [b]) => a - b).map(([port, w]) => [port, w.packets]));
  }

  /** Commit every file (see the class comment for the exact semantics). */
  async close(): Promise<PortCaptureSummary> {
    this.checkOpen();
    await Promise.allSettled(this.opening.values());
    if (this.recordsDrops) this.droppedWriter ??= await this.newWriter(this.droppedPath).catch(async (err: unknown) => {
      await this.abort();
      throw err;
    });
    this.state = 'closed';
    const ports = [...this.writers].sort(([a], [b]) => a - b);
    const all: FileWriter[] = ports.map(([, w]) => w);
    if (this.droppedWriter !== undefined) all.push(this.droppedWriter);

    // Phase 1: flush, sync and close every partial file; any failure discards them all.
    const finished = await Promise.allSettled(all.map((w) => w.finish()));
    const failed = finished.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(all.map((w) => w.abort()));
      throw failed.reason;
    }
    // Phase 2: rename each into place; on failure, take back what this close() renamed.
    const renamed: string[] = [];
    try {
      for (const w of all) {
        await w.publish();
        renamed.push(w.path);
      }
    } catch (err) {
      await Promise.all(renamed.map((p) => unlink(p).catch(() => undefined)));
      await Promise.all(all.map((w) => w.abort()));
      throw err;
    }
    const summary = {
      ports: ports.map(([port, w]) => ({ port, path: w.path, packets: w.packets })),
      files: all.map((w) => w.path),
    };
    return this.droppedWriter === undefined
      ? summary
      : { ...summary, dropped: { path: this.droppedWriter.path, packets: this.droppedWriter.packets } };
  }

  /** Discard every file of this run (removes the partial files). Idempotent. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    const opened = await Promise.allSettled(this.opening.values());
    const all = [...this.writers.values(), ...(this.droppedWriter === undefined ? [] : [this.droppedWriter])];
    for (const r of opened) if (r.status === 'fulfilled') all.push(r.value);
    await Promise.all(all.map((w) => w.abort()));
  }
}
