import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '@flywheel/dev-server-kit';

/** `fs.writeSync` may write less than asked; loop until every byte is in the file. */
export function writeFully(fd: number, buf: Uint8Array, position: number | null): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position === null ? null : position + done);
  }
}

/** Reads up to `length` bytes at `position`; returns fewer only at the end of the file. */
export function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Makes a directory entry change (create, rename, unlink) itself durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export const TEMP_SUFFIX = '.tmp';

/**
 * Replaces `file` so that a crash leaves either the old or the new content, never a mix:
 * the data goes to a temporary file that is then renamed over the target.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, fsync: boolean): void {
  const temp = file + TEMP_SUFFIX;
  const fd = fs.openSync(temp, 'w', PRIVATE_FILE_MODE);
  try {
    writeFully(fd, typeof data === 'string' ? Buffer.from(data) : data, 0);
    if (fsync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  if (fsync) fsyncDir(path.dirname(file));
}

/** Creates `dir` (and missing parents) readable by the broker's user alone. */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Opens a log, index or journal file, created (when it does not exist) readable by the broker's user alone. */
export function openPrivate(file: string, flags: 'a' | 'w+' | 'r+'): number {
  return fs.openSync(file, flags, PRIVATE_FILE_MODE);
}

export function unlinkIfExists(file: string): void {
  fs.rmSync(file, { force: true });
}
