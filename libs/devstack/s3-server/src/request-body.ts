import { createHash, createHmac, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { type IncomingMessage } from 'node:http';
import { Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_FILE_MODE } from '@flywheel/dev-server-kit';
import { Errors } from './s3-errors';
import { EMPTY_SHA256, type PayloadAuth } from './sigv4';

export interface ReceivedBody {
  size: number;
  md5Hex: string;
}

export interface BodyLimits {
  maxBytes: number;
}

/**
 * Decodes `aws-chunked` bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), checking every chunk's
 * signature against the previous one, starting from the request's own signature.
 */
export class AwsChunkedDecoder extends Transform {
  private header = '';
  private remaining = -1;
  private chunkHash: Hash | undefined;
  private expectedSignature = '';
  private previousSignature: string;
  private trailingCrlf = 0;
  private finished = false;

  constructor(private readonly auth: Extract<PayloadAuth, { kind: 'streaming' }>) {
    super();
    this.previousSignature = auth.seedSignature;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.finished ? null : Errors.incompleteBody());
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.finished) throw Errors.invalidRequest('data after the final aws-chunked chunk');
      if (this.trailingCrlf > 0) {
        const expected = this.trailingCrlf === 2 ? 0x0d : 0x0a;
        if (chunk[at] !== expected) throw Errors.invalidRequest('aws-chunked chunk is not followed by CRLF');
        this.trailingCrlf -= 1;
        at += 1;
        if (this.trailingCrlf === 0) this.endChunk();
      } else if (this.remaining < 0) {
        const newline = chunk.indexOf(0x0a, at);
        const end = newline === -1 ? chunk.length : newline + 1;
        this.header += chunk.toString('latin1', at, end);
        if (this.header.length > 4096) throw Errors.invalidRequest('aws-chunked chunk header is too long');
        at = end;
        if (newline !== -1) this.startChunk();
      } else {
        const take = Math.min(this.remaining, chunk.length - at);
        const data = chunk.subarray(at, at + take);
        this.chunkHash!.update(data);
        if (data.length > 0) this.push(data);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.trailingCrlf = 2;
      }
    }
  }

  private startChunk(): void {
    const m = /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-f]{64})\r\n$/.exec(this.header);
    if (!m) throw Errors.invalidRequest('malformed aws-chunked chunk header');
    this.header = '';
    this.remaining = parseInt(m[1]!, 16);
    this.expectedSignature = m[2]!;
    this.chunkHash = createHash('sha256');
    if (this.remaining === 0) this.trailingCrlf = 2;
  }

  private endChunk(): void {
    const size = this.remaining;
    const digest = this.chunkHash!.digest('hex');
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', this.auth.amzDate, this.auth.scope, this.previousSignature, EMPTY_SHA256, digest].join(
      '\n',
    );
    const signature = createHmac('sha256', this.auth.signingKey).update(toSign).digest('hex');
    if (signature !== this.expectedSignature) throw Errors.signatureDoesNotMatch();
    this.previousSignature = signature;
    const wasFinal = size === 0 && digest === EMPTY_SHA256;
    this.remaining = -1;
    this.chunkHash = undefined;
    if (wasFinal) this.finished = true;
  }
}

/** Counts and hashes what flows through, refusing to go past the announced length. */
class Meter extends Transform {
  readonly md5 = createHash('md5');
  readonly sha256: Hash | undefined;
  size = 0;

  constructor(
    private readonly maxBytes: number,
    wantSha256: boolean,
  ) {
    super();
    this.sha256 = wantSha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(Errors.invalidRequest('The request body is longer than its declared length.'));
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    callback(null, chunk);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The number of body bytes the client announced, after any aws-chunked framing is removed. */
function declaredLength(request: IncomingMessage, payload: PayloadAuth, maxBytes: number): number {
  const raw = payload.kind === 'streaming' ? header(request, 'x-amz-decoded-content-length') : header(request, 'content-length');
  if (raw === undefined) {
    if (payload.kind !== 'streaming' && header(request, 'transfer-encoding') === undefined) return 0;
    throw Errors.missingContentLength();
  }
  if (!/^\d+$/.test(raw)) throw Errors.invalidArgument('Content-Length must be a non-negative integer.');
  const length = Number(raw);
  if (length > maxBytes) throw Errors.entityTooLarge();
  return length;
}

function contentMd5(request: IncomingMessage): string | undefined {
  const value = header(request, 'content-md5');
  if (value === undefined) return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== value) throw Errors.invalidDigest();
  return bytes.toString('hex');
}

async function receive(request: IncomingMessage, payload: PayloadAuth, limits: BodyLimits, sink: Writable): Promise<ReceivedBody> {
  const expected = declaredLength(request, payload, limits.maxBytes);
  const md5 = contentMd5(request);
  const meter = new Meter(expected, payload.kind === 'sha256');
  const head = payload.kind === 'streaming' ? new AwsChunkedDecoder(payload) : meter;
  const stages = head === meter ? [meter, sink] : [head, meter, sink];
  // The request is piped rather than put in the pipeline: a failing stage must not destroy the
  // socket, so that the client still receives the S3 error.
  const done = pipeline(stages as unknown as [Transform, Writable]);
  const onClose = () => {
    if (!request.complete) head.destroy(Errors.incompleteBody());
  };
  request.once('close', onClose);
  request.pipe(head);
  try {
    await done;
  } catch (error) {
    request.unpipe(head);
    request.resume();
    throw error;
  } finally {
    request.off('close', onClose);
  }
  if (meter.size !== expected) throw Errors.incompleteBody();
  const md5Hex = meter.md5.digest('hex');
  if (md5 !== undefined && md5 !== md5Hex) throw Errors.badDigest();
  if (payload.kind === 'sha256' && meter.sha256!.digest('hex') !== payload.sha256) throw Errors.contentSha256Mismatch();
  return { size: meter.size, md5Hex };
}

/** Streams the body into `path` (flushed to disk), checking length, Content-MD5 and the signed SHA-256. */
export async function receiveToFile(
  request: IncomingMessage,
  path: string,
  payload: PayloadAuth,
  limits: BodyLimits,
): Promise<ReceivedBody> {
  try {
    const received = await receive(request, payload, limits, createWriteStream(path, { mode: PRIVATE_FILE_MODE }));
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return received;
  } catch (error) {
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

/** Reads a small body (an XML document) into memory with the same checks. */
export async function receiveSmall(request: IncomingMessage, payload: PayloadAuth, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await receive(request, payload, { maxBytes }, sink);
  return Buffer.concat(chunks);
}
