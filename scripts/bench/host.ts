/**
 * Where a target runs while it is measured: in a child process of its own
 * (the default), or in this process.
 *
 * Why a process each: V8 keeps one heap and one set of type feedback per
 * process. Measured side by side in one process, the targets' code paths
 * they share (DeviceTarget, the harness) turn polymorphic, and each pays
 * for the others' garbage; the slow interpreters hardly notice, but the
 * compiled target and the copy loop, at a fraction of a microsecond per
 * packet, came out 2 to 5 times slower than alone. In a child each target
 * is timed as it would run in a process of its own, and the parent still
 * interleaves the repetitions (one child works at a time).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Performer, type Job, type JobResults } from './jobs.js';

export interface Host {
  /** The target's or executor's id. */
  readonly id: string;
  perform<J extends Job>(job: J): Promise<JobResults[J['op']]>;
  close(): Promise<void>;
}

export class InlineHost implements Host {
  constructor(
    readonly id: string,
    private readonly performer: Performer,
  ) {}

  perform<J extends Job>(job: J): Promise<JobResults[J['op']]> {
    return this.performer.perform(job);
  }

  async close(): Promise<void> {}
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** tsx's loader, so the child runs the TypeScript sources as `npm run bench` does. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type Reply = { readonly seq: number; readonly ok: true; readonly value: unknown } | { readonly seq: number; readonly ok: false; readonly error: string };

/** A target or image executor, found by id in a child process (worker.ts), which answers jobs one at a time. */
export class ChildHost implements Host {
  private child: ChildProcess | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: string | undefined;

  constructor(
    readonly kind: 'target' | 'executor',
    readonly id: string,
  ) {}

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(WORKER, [this.kind, this.id], {
      execArgv: ['--conditions=@mpvisor/source', '--import', TSX_LOADER],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: Reply) => {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    child.on('exit', (code, signal) => {
      this.exited = `the child process of ${this.id} exited (${signal ?? code})`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
    child.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
    this.child = child;
    return child;
  }

  perform<J extends Job>(job: J): Promise<JobResults[J['op']]> {
    if (this.exited !== undefined) return Promise.reject(new Error(this.exited));
    const child = this.start();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ seq, job });
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited !== undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    const timer = setTimeout(() => child.kill(), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
