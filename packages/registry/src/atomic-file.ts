/**
 * Writing a file whole or not at all: a dot-named temp file beside it,
 * flushed, then renamed over it, so a reader (or a crash) sees the old file
 * or the new one, never a mix. (The layout store has its own asynchronous
 * variant, which can also create a file only if none exists.)
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array, options: { readonly mode?: number; readonly dirMode?: number } = {}): void {
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true, ...(options.dirMode !== undefined ? { mode: options.dirMode } : {}) });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', options.mode ?? 0o666);
    try {
      if (typeof data === 'string') writeSync(fd, data);
      else writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // the umask can narrow a mode but never widen it; an explicit mode is set as given
    if (options.mode !== undefined) chmodSync(temp, options.mode);
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
