import { z } from 'zod';
import { type ObjectKey } from './object-key';
import { type ObjectStore } from './object-store';

/** Largest piece of an object one read answers: well inside a gRPC message's 16 MiB. */
export const MAX_OBJECT_CHUNK_BYTES = 4 * 1024 * 1024;

/** An object as its owner recorded it: where it is, what its bytes hash to, how many there are. */
export interface RecordedObject {
  readonly key: ObjectKey;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly contentType: string;
}

export interface ObjectChunk {
  readonly object: RecordedObject;
  readonly offset: number;
  readonly data: Buffer;
}

/**
 * Up to `maxBytes` (0: the most) of `object` from `offset`, as the ReadTrainingSet-style RPCs
 * answer: a read at or past the end answers no bytes. The range is not verified — a reader joins
 * the pieces and checks the whole against `object.sha256`, as the `flywheel` command does.
 */
export async function readObjectChunk(
  objects: ObjectStore,
  object: RecordedObject,
  offset: number,
  maxBytes: number,
): Promise<ObjectChunk> {
  const length = Math.max(0, Math.min(maxBytes || MAX_OBJECT_CHUNK_BYTES, MAX_OBJECT_CHUNK_BYTES, object.sizeBytes - offset));
  const data = length > 0 ? await objects.getRange(object.key, offset, length) : Buffer.alloc(0);
  return { object, offset, data };
}

/**
 * The range of a chunk read request, keyed by the .proto's field names so that a violation names
 * the field as callers spell it (`max_bytes`): parse `chunkRangeFields(request)` with the
 * platform's parseRequest.
 */
export const chunkRangeSchema = z
  .object({
    offset: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER),
    max_bytes: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 (the most) or more')
      .max(MAX_OBJECT_CHUNK_BYTES, `must be at most ${MAX_OBJECT_CHUNK_BYTES} (4 MiB)`),
  })
  .transform(({ offset, max_bytes }) => ({ offset, maxBytes: max_bytes }));

export const chunkRangeFields = (request: { offset: number; maxBytes: number }) => ({
  offset: request.offset,
  max_bytes: request.maxBytes,
});
