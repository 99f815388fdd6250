import { type Readable } from 'node:stream';
import { type ObjectKey, type ObjectKeyPrefix } from './object-key';

export interface PutOptions {
  contentType?: string;
  /** User metadata (stored as `x-amz-meta-*`); `sha256` is reserved for the library. */
  metadata?: Record<string, string>;
  /** Length of a stream body when known; lets small streams go up in one request. */
  size?: number;
  /**
   * A Buffer body's sha256 (hex) when the caller has it already (computed where the bytes were
   * made, off the event loop), so that it is not hashed again here. Over HTTP the server checks
   * it against the bytes and refuses a mismatch; over HTTPS it is recorded as given, and reads
   * are checked against it.
   */
  sha256?: string;
}

export interface PutResult {
  key: ObjectKey;
  /** Of the bytes sent, computed while they streamed; record it to check reads against. */
  sha256: string;
  size: number;
  etag: string;
}

export interface GetOptions {
  /** The sha256 recorded when the object was written; a read that does not match throws IntegrityError. */
  expectedSha256: string;
  /** A read past this many bytes fails with ObjectTooLargeError, whatever size the object claims. */
  maxBytes?: number;
}

export interface ObjectSummary {
  key: ObjectKey;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface ObjectInfo extends ObjectSummary {
  contentType: string;
  metadata: Record<string, string>;
  /** Stored with Buffer bodies (known before upload); absent for stream bodies, whose hash the caller records. */
  sha256?: string;
}

/**
 * The object store port. Services depend on this abstract class (it is also the Nest injection
 * token), so unit tests can hand them a fake without any I/O.
 */
export abstract class ObjectStore {
  /** Creates the configured bucket if it does not exist yet. */
  abstract ensureBucket(): Promise<void>;
  abstract put(key: ObjectKey, body: Buffer | Readable, options?: PutOptions): Promise<PutResult>;
  /** The whole object, verified against `expectedSha256`. Throws ObjectNotFoundError, IntegrityError or ObjectTooLargeError. */
  abstract get(key: ObjectKey, options: GetOptions): Promise<Buffer>;
  /**
   * The object as a stream; its last act is the integrity check, so it errors with IntegrityError
   * instead of ending when the bytes do not match. Do not act on the data before it ends.
   */
  abstract getStream(key: ObjectKey, options: GetOptions): Promise<Readable>;
  /**
   * At most `length` bytes from `offset` (fewer at the end of the object), unverified: a range
   * cannot be checked against the whole object's sha256, so whoever joins the ranges checks the
   * whole. Throws ObjectNotFoundError.
   */
  abstract getRange(key: ObjectKey, offset: number, length: number): Promise<Buffer>;
  /** Undefined when there is no such object. */
  abstract stat(key: ObjectKey): Promise<ObjectInfo | undefined>;
  /** Every object under the prefix, in key order. */
  abstract list(prefix: ObjectKeyPrefix): Promise<ObjectSummary[]>;
  /** Removes the object; removing an absent object is not an error. */
  abstract delete(key: ObjectKey): Promise<void>;
}
