import { createHash } from 'node:crypto';
import { type ObjectChunk, type ObjectRef } from './generated/flywheel/common/v1/common';

/** Reads the piece of an object that starts at `offset` (ReadTrainingSet, ReadRunArtifact, ReadModelArtifact). */
export type ChunkReader = (offset: number) => Promise<ObjectChunk | undefined>;

/** An object that could not be read whole: larger than the reader takes, or not what it said it was. */
export class ObjectReadError extends Error {
  constructor(
    message: string,
    /** Larger than `maxBytes`: the caller's limit, not the service's fault. */
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export interface ReadObjectOptions {
  /** Refuse an object larger than this, as soon as its announced size or the bytes arriving say so. */
  maxBytes?: number;
  /** Told after every piece: bytes received so far, and the object's size. */
  onProgress?: (received: number, size: number) => void;
}

/**
 * Reads an object piece by piece as the read RPCs serve it (ask again from the offset reached
 * until `size_bytes`), handing each piece to `write`. Every piece must belong to the object the
 * first one announced and start where the last ended, and the whole must hash to its sha256;
 * otherwise it throws ObjectReadError, having written what came before.
 */
export async function readObjectChunks(
  read: ChunkReader,
  write: (data: Uint8Array) => unknown,
  options: ReadObjectOptions = {},
): Promise<ObjectRef> {
  const hash = createHash('sha256');
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let object: ObjectRef | undefined;
  let offset = 0;
  do {
    const chunk = await read(offset);
    if (!chunk?.object) throw new ObjectReadError('the service answered a read without the object it belongs to');
    if (object && (chunk.object.key !== object.key || chunk.object.sha256 !== object.sha256))
      throw new ObjectReadError(`the object changed while it was read (${object.key} became ${chunk.object.key})`);
    if (chunk.offset !== offset) throw new ObjectReadError(`asked for the bytes from ${offset}, got them from ${chunk.offset}`);
    object ??= chunk.object;
    const size = Math.max(object.sizeBytes, offset + chunk.data.length);
    if (size > limit) throw new ObjectReadError(`${object.key} is ${size} bytes, more than the ${limit} this reader takes`, true);
    if (chunk.data.length === 0 && offset < object.sizeBytes)
      throw new ObjectReadError(`${object.key} ended after ${offset} of its ${object.sizeBytes} bytes`);
    await write(chunk.data);
    hash.update(chunk.data);
    offset += chunk.data.length;
    options.onProgress?.(offset, object.sizeBytes);
  } while (offset < object.sizeBytes);
  const actual = hash.digest('hex');
  if (actual !== object.sha256)
    throw new ObjectReadError(`${object.key}: the bytes read hash to ${actual}, not the ${object.sha256} recorded`);
  return object;
}
