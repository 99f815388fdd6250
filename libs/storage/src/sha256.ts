import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hashes a whole stream without holding it in memory. */
export async function sha256OfStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    hash.update(bytes);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Passes bytes through unchanged while hashing and counting them; `result()` is available once
 * the stream has ended. Strings are taken as UTF-8.
 */
export class Sha256Meter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private bytes = 0;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    this.onDigest(this.digest, callback);
  }

  /** Hook for subclasses that judge the digest before the stream is allowed to end. */
  protected onDigest(_digest: string, callback: TransformCallback): void {
    callback();
  }

  result(): { sha256: string; size: number } {
    if (this.digest === undefined) throw new Error('the stream has not ended yet');
    return { sha256: this.digest, size: this.bytes };
  }
}
