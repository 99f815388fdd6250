import { open, rename, rm } from 'node:fs/promises';
import { type ChunkReader, type commonV1, ObjectReadError, readObjectChunks } from '@flywheel/contracts';
import { type Io } from '../command';
import { NotDoneError } from '../errors';
import { table, toJson } from '../output';

const MiB = 1024 * 1024;

/** Bytes for people: `812 B`, `48.2 KiB`, `3.1 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/**
 * Copies an object out of the platform into `path`, piece by piece, and checks the whole against
 * the sha256 its owner recorded. The bytes go to `<path>.partial` first and take the name only
 * once checked, so `path` is never a truncated or altered copy. Progress goes to stderr for
 * anything over a few MiB.
 */
export async function downloadObject(read: ChunkReader, path: string, io: Io): Promise<commonV1.ObjectRef> {
  const partial = `${path}.partial`;
  const file = await open(partial, 'w');
  try {
    const object = await copyChunks(read, (data) => file.write(data), io);
    await file.close();
    await rename(partial, path);
    return object;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error instanceof NotDoneError ? new NotDoneError(`${error.message}; nothing was written`) : error;
  }
}

/**
 * Reads a whole object into memory (for a few MiB that is used at once, e.g. a model to
 * convert), checked against its sha256 as {@link downloadObject} checks it.
 */
export async function downloadBytes(read: ChunkReader, io: Io): Promise<{ readonly object: commonV1.ObjectRef; readonly bytes: Buffer }> {
  const pieces: Uint8Array[] = [];
  const object = await copyChunks(read, async (data) => pieces.push(data), io);
  return { object, bytes: Buffer.concat(pieces) };
}

/** The object read through `write`, with progress on stderr for anything over a few MiB. */
async function copyChunks(read: ChunkReader, write: (data: Uint8Array) => Promise<unknown>, io: Io): Promise<commonV1.ObjectRef> {
  let shown = 0;
  try {
    return await readObjectChunks(read, write, {
      onProgress(received, size) {
        if (size <= 4 * MiB || received - shown < 4 * MiB) return;
        io.stderr(`${formatBytes(received)} of ${formatBytes(size)}\n`);
        shown = received;
      },
    });
  } catch (error) {
    throw error instanceof ObjectReadError ? new NotDoneError(error.message) : error;
  }
}

/** What a download command prints: the file written, for people or (`--json`) for scripts. */
export function downloadedText(path: string, object: commonV1.ObjectRef, json: boolean): string {
  if (json) return toJson({ file: path, ...object });
  return `${table(['file', 'size', 'content type', 'sha256'], [[path, formatBytes(object.sizeBytes), object.contentType, object.sha256]])}\n`;
}
