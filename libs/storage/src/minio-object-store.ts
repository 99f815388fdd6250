import { createHash } from 'node:crypto';
import { Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { Client } from 'minio';
import { type ObjectKey, type ObjectKeyPrefix, parseObjectKey } from './object-key';
import { type GetOptions, type ObjectInfo, ObjectStore, type ObjectSummary, type PutOptions, type PutResult } from './object-store';
import { SHA256_HEX, Sha256Meter, sha256Hex } from './sha256';
import { DEFAULT_PART_SIZE_BYTES, type StorageConfig } from './storage-config';
import { IntegrityError, ObjectNotFoundError, ObjectTooLargeError } from './storage.exception';

const SHA256_METADATA = 'sha256';
/** A Buffer body is handed to the client in slices this size, so multipart uploads get real parts. */
const BUFFER_SLICE_BYTES = 1024 * 1024;

function s3Code(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** A connection the server or the network dropped under a request: an idempotent request may simply be sent again. */
export function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (
    code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || /socket hang up/i.test((error as Error | undefined)?.message ?? '')
  );
}

/** How often an idempotent request is sent in all when its connection is reset, and the pause before each retry. */
const RESET_ATTEMPTS = 3;
const RESET_BACKOFF_MS = [100, 400];

/**
 * `request` again when its connection was reset (a pooled keep-alive socket the server closed,
 * a restarting server), up to RESET_ATTEMPTS; any other failure at once.
 */
async function retryingResets<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= RESET_ATTEMPTS || !isConnectionReset(error)) throw error;
      await new Promise((r) => setTimeout(r, RESET_BACKOFF_MS[attempt - 1]));
    }
  }
}

function checkExpected(options: GetOptions): void {
  if (!SHA256_HEX.test(options?.expectedSha256 ?? '')) {
    throw new TypeError(`expectedSha256 must be 64 lowercase hex characters, got ${JSON.stringify(options?.expectedSha256)}`);
  }
  const max = options.maxBytes;
  if (max !== undefined && !(Number.isSafeInteger(max) && max >= 0)) throw new TypeError(`maxBytes must be an integer ≥ 0, got ${max}`);
}

/**
 * Fails the stream at its end, instead of ending it, when the digest is not the expected one;
 * and as soon as more than `maxBytes` pass, whatever size the object was said to have.
 */
class VerifyingStream extends Sha256Meter {
  private seen = 0;

  constructor(
    private readonly key: string,
    private readonly expected: string,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) callback(new ObjectTooLargeError(this.key, this.maxBytes));
    else super._transform(chunk, encoding, callback);
  }

  protected override onDigest(digest: string, callback: TransformCallback): void {
    callback(digest === this.expected ? null : new IntegrityError(this.key, this.expected, digest));
  }
}

/** The object store over the `minio` client: any S3-compatible server (MinIO, AWS S3, the development one of libs/devstack). */
export class MinioObjectStore extends ObjectStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;

  constructor(config: StorageConfig) {
    super();
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === 'https:';
    this.bucket = config.bucket;
    this.region = config.region;
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      // Set explicitly: without it the client sizes parts for a 5 TiB object when a stream's
      // length is unknown, and buffers one such part in memory.
      partSize: config.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
    });
  }

  async ensureBucket(): Promise<void> {
    if (await retryingResets(() => this.client.bucketExists(this.bucket))) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // Another process created it first.
      if (s3Code(error) !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }

  /**
   * A Buffer is sent again if its connection is reset (the same bytes under the same key: the
   * same object); a stream, which cannot be read twice, is not.
   */
  async put(key: ObjectKey, body: Buffer | Readable, options: PutOptions = {}): Promise<PutResult> {
    return Buffer.isBuffer(body) ? retryingResets(() => this.putOnce(key, body, options)) : this.putOnce(key, body, options);
  }

  private async putOnce(key: ObjectKey, body: Buffer | Readable, options: PutOptions): Promise<PutResult> {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.metadata ?? {})) {
      if (name.toLowerCase() === SHA256_METADATA) throw new TypeError(`metadata "${SHA256_METADATA}" is reserved for the storage library`);
      metadata[`x-amz-meta-${name}`] = value;
    }
    const headers = (extra: Record<string, string>) => ({
      'Content-Type': options.contentType ?? 'application/octet-stream',
      ...metadata,
      ...extra,
    });
    if (Buffer.isBuffer(body)) {
      // The bytes are known: hashed once, here or by the caller, for the metadata, the request's
      // signature and the answer alike.
      if (options.sha256 !== undefined && !SHA256_HEX.test(options.sha256))
        throw new TypeError(`a put's sha256 is 64 lowercase hex digits, got "${options.sha256}"`);
      const sha256 = options.sha256 ?? sha256Hex(body);
      if (body.length <= this.client.partSize) {
        const etag = await this.putWhole(key, body, sha256, headers({ [`x-amz-meta-${SHA256_METADATA}`]: sha256 }));
        return { key, sha256, size: body.length, etag };
      }
      const source = Readable.from(sliced(body), { objectMode: false });
      const uploaded = await this.client.putObject(
        this.bucket,
        key,
        source,
        body.length,
        headers({ [`x-amz-meta-${SHA256_METADATA}`]: sha256 }),
      );
      return { key, sha256, size: body.length, etag: uploaded.etag };
    }
    const meter = new Sha256Meter();
    const feeding = pipeline(body, meter);
    const [uploaded] = await Promise.all([this.client.putObject(this.bucket, key, meter, options.size, headers({})), feeding]);
    const { sha256, size: sent } = meter.result();
    return { key, sha256, size: sent, etag: uploaded.etag };
  }

  /**
   * One PUT of bytes whose sha256 is known, signed with it. The client's putObject would read
   * them into a copy and hash them twice more (MD5 and SHA-256), which for a training set of a
   * few megabytes was a tenth of its upload. Over HTTP the signed hash is the server's check of
   * the bytes; over HTTPS the payload goes unsigned, as the client sends it, with its MD5. Sent
   * through the client's request method, which its types publish and its docs call internal:
   * the integration tests cover both ways, against the version the lockfile pins.
   */
  private async putWhole(key: ObjectKey, body: Buffer, sha256: string, headers: Record<string, string>): Promise<string> {
    const signed = this.client.enableSHA256;
    const response = await this.client.makeRequestStreamAsync(
      {
        method: 'PUT',
        bucketName: this.bucket,
        objectName: key,
        headers: {
          ...headers,
          'Content-Length': String(body.length),
          ...(signed ? {} : { 'Content-MD5': createHash('md5').update(body).digest('base64') }),
        },
      },
      body,
      signed ? sha256 : '',
      [200],
      this.region,
    );
    response.resume();
    await finished(response);
    return (response.headers.etag ?? '').replace(/^"|"$/g, '');
  }

  /** Read whole, so a read whose connection is reset midway starts again. */
  async get(key: ObjectKey, options: GetOptions): Promise<Buffer> {
    return retryingResets(async () => {
      const stream = await this.open(key, options);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  /** A reset before the server answers is retried; once bytes flow, the caller has them and the stream fails. */
  getStream(key: ObjectKey, options: GetOptions): Promise<Readable> {
    return retryingResets(() => this.open(key, options));
  }

  private async open(key: ObjectKey, options: GetOptions): Promise<Readable> {
    checkExpected(options);
    let source: Readable;
    try {
      source = await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (s3Code(error) === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw error;
    }
    const verifying = new VerifyingStream(key, options.expectedSha256, options.maxBytes);
    source.on('error', (error) => verifying.destroy(error));
    // A refused read stops the download too, not only what the caller sees of it.
    verifying.once('error', () => source.destroy());
    return source.pipe(verifying);
  }

  async getRange(key: ObjectKey, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length <= 0)
      throw new RangeError(`a range is a whole offset ≥ 0 and a length > 0, got ${offset} and ${length}`);
    return retryingResets(async () => {
      let source: Readable;
      try {
        source = await this.client.getPartialObject(this.bucket, key, offset, length);
      } catch (error) {
        if (s3Code(error) === 'NoSuchKey') throw new ObjectNotFoundError(key);
        throw error;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of source) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  async stat(key: ObjectKey): Promise<ObjectInfo | undefined> {
    let stat;
    try {
      stat = await retryingResets(() => this.client.statObject(this.bucket, key));
    } catch (error) {
      if (s3Code(error) === 'NotFound' || s3Code(error) === 'NoSuchKey') return undefined;
      throw error;
    }
    const { 'content-type': contentType, [SHA256_METADATA]: sha256, ...rest } = stat.metaData as Record<string, string>;
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(rest)) {
      // The client mixes standard headers into its metadata; only user metadata is returned.
      if (!['cache-control', 'content-encoding', 'content-disposition', 'content-language', 'x-amz-storage-class'].includes(name))
        metadata[name] = value;
    }
    return {
      key,
      size: stat.size,
      etag: stat.etag,
      lastModified: stat.lastModified,
      contentType: contentType ?? 'application/octet-stream',
      metadata,
      ...(sha256 && SHA256_HEX.test(sha256) ? { sha256 } : {}),
    };
  }

  async list(prefix: ObjectKeyPrefix): Promise<ObjectSummary[]> {
    const summaries: ObjectSummary[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      const entry = item as { name?: string; size: number; etag?: string; lastModified?: Date };
      if (entry.name === undefined) continue;
      summaries.push({
        key: parseObjectKey(entry.name),
        size: entry.size,
        etag: entry.etag ?? '',
        lastModified: entry.lastModified ?? new Date(0),
      });
    }
    return summaries;
  }

  async delete(key: ObjectKey): Promise<void> {
    await retryingResets(() => this.client.removeObject(this.bucket, key));
  }
}

function* sliced(body: Buffer): Generator<Buffer> {
  for (let at = 0; at < body.length; at += BUFFER_SLICE_BYTES) yield body.subarray(at, at + BUFFER_SLICE_BYTES);
}
