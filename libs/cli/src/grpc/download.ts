import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { type commonV1 } from '@flywheel/contracts';
import { type Io } from '../command';
import { NotDoneError } from '../errors';
import { table, toJson } from '../output';

/** Reads the piece of an object that starts at `offset` (ReadTrainingSet, ReadRunArtifact, ReadModelArtifact). */
export type ChunkReader = (offset: number) => Promise<commonV1.ObjectChunk | undefined>;

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
    throw error;
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

async function copyChunks(read: ChunkReader, write: (data: Uint8Array) => Promise<unknown>, io: Io): Promise<commonV1.ObjectRef> {
  const hash = createHash('sha256');
  let object: commonV1.ObjectRef | undefined;
  let offset = 0;
  let shown = 0;
  do {
    const chunk = await read(offset);
    if (!chunk?.object) throw new NotDoneError('the service answered a read without the object it belongs to');
    // Every piece must be of the object the first one announced, and start where the last ended.
    if (object && (chunk.object.key !== object.key || chunk.object.sha256 !== object.sha256))
      throw new NotDoneError(`the object changed while it was read (${object.key} became ${chunk.object.key})`);
    if (chunk.offset !== offset) throw new NotDoneError(`asked for the bytes from ${offset}, got them from ${chunk.offset}`);
    object ??= chunk.object;
    if (chunk.data.length === 0 && offset < object.sizeBytes)
      throw new NotDoneError(`${object.key} ended after ${offset} of its ${object.sizeBytes} bytes`);
    await write(chunk.data);
    hash.update(chunk.data);
    offset += chunk.data.length;
    if (object.sizeBytes > 4 * MiB && offset - shown >= 4 * MiB) {
      io.stderr(`${formatBytes(offset)} of ${formatBytes(object.sizeBytes)}\n`);
      shown = offset;
    }
  } while (offset < object.sizeBytes);
  const actual = hash.digest('hex');
  if (actual !== object.sha256)
    throw new NotDoneError(`${object.key}: the bytes read hash to ${actual}, not the ${object.sha256} recorded; nothing was written`);
  return object;
}

/** What a download command prints: the file written, for people or (`--json`) for scripts. */
export function downloadedText(path: string, object: commonV1.ObjectRef, json: boolean): string {
  if (json) return toJson({ file: path, ...object });
  return `${table(['file', 'size', 'content type', 'sha256'], [[path, formatBytes(object.sizeBytes), object.contentType, object.sha256]])}\n`;
}
