import { createHash, createHmac } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { type Client, type S3Error } from 'minio';
import { signV4 } from 'minio/dist/main/signing.js';
import { startTestS3Server, type TestS3 } from '../testing';

jest.setTimeout(60_000);

const BUCKET = 'guarded';
let s3: TestS3;
let client: Client;

beforeEach(async () => {
  s3 = await startTestS3Server();
  client = s3.client();
  await client.makeBucket(BUCKET);
});

afterEach(async () => {
  await s3.dispose();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Plain HTTP, so that the tests control every byte a client could get wrong. */
function send(method: string, path: string, headers: Record<string, string>, body: Buffer | string = ''): Promise<Answer> {
  const url = new URL(s3.server.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Signs with the minio client's own SigV4 code, so the server is checked against an independent signer. */
function signed(
  method: string,
  path: string,
  options: { body?: Buffer | string; payloadHash?: string; headers?: Record<string, string>; date?: Date; secretKey?: string } = {},
): { headers: Record<string, string>; body: Buffer | string } {
  const body = options.body ?? '';
  const date = options.date ?? new Date();
  const url = new URL(s3.server.endpoint);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': amzDate(date),
    'x-amz-content-sha256': options.payloadHash ?? createHash('sha256').update(body).digest('hex'),
    ...options.headers,
  };
  headers.authorization = signV4(
    { method, path, headers } as Parameters<typeof signV4>[0],
    s3.accessKey,
    options.secretKey ?? s3.secretKey,
    'us-east-1',
    date,
    headers['x-amz-content-sha256']!,
  );
  return { headers, body };
}

async function signedSend(
  method: string,
  path: string,
  options: Parameters<typeof signed>[2] = {},
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  const { headers, body } = signed(method, path, options);
  return send(method, path, { ...headers, ...extraHeaders }, body);
}

function code(answer: Answer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1];
}

async function errorOf(promise: Promise<unknown>): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    return error as S3Error;
  }
  throw new Error('expected the call to fail');
}

async function exists(key: string): Promise<boolean> {
  try {
    await client.statObject(BUCKET, key);
    return true;
  } catch {
    return false;
  }
}

describe('authentication', () => {
  it('refuses a client with the wrong secret (SignatureDoesNotMatch) and writes nothing', async () => {
    const wrong = s3.client({ secretKey: 'not-the-secret-at-all' });
    expect((await errorOf(wrong.putObject(BUCKET, 'intruder', Buffer.from('x')))).code).toBe('SignatureDoesNotMatch');
    expect((await errorOf(wrong.listBuckets())).code).toBe('SignatureDoesNotMatch');
    expect(await exists('intruder')).toBe(false);
  });

  it('refuses an unknown access key with InvalidAccessKeyId', async () => {
    const stranger = s3.client({ accessKey: 'someone-else' });
    expect((await errorOf(stranger.listBuckets())).code).toBe('InvalidAccessKeyId');
  });

  it('answers an anonymous PUT with 403 AccessDenied and stores nothing', async () => {
    const answer = await send('PUT', `/${BUCKET}/anonymous`, { 'content-type': 'text/plain' }, 'anonymous write');
    expect(answer.status).toBe(403);
    expect(code(answer)).toBe('AccessDenied');
    expect(answer.headers['content-type']).toBe('application/xml');
    expect(await exists('anonymous')).toBe(false);
    const listing = await send('GET', `/${BUCKET}?list-type=2`, {});
    expect([listing.status, code(listing)]).toEqual([403, 'AccessDenied']);
    const create = await send('PUT', '/anonymous-bucket', {});
    expect(create.status).toBe(403);
    expect(await client.bucketExists('anonymous-bucket')).toBe(false);
  });

  it('accepts presigned GET and PUT URLs, and refuses tampered or expired ones', async () => {
    await client.putObject(BUCKET, 'shared.txt', Buffer.from('shared'));
    const getUrl = new URL(await client.presignedGetObject(BUCKET, 'shared.txt', 60));
    const ok = await send('GET', getUrl.pathname + getUrl.search, {});
    expect([ok.status, ok.body]).toEqual([200, 'shared']);

    const tampered = new URL(getUrl);
    tampered.pathname = `/${BUCKET}/other.txt`;
    const refused = await send('GET', tampered.pathname + tampered.search, {});
    expect([refused.status, code(refused)]).toEqual([403, 'SignatureDoesNotMatch']);

    const putUrl = new URL(await client.presignedPutObject(BUCKET, 'uploaded.txt', 60));
    expect((await send('PUT', putUrl.pathname + putUrl.search, {}, 'via presigned')).status).toBe(200);
    expect((await client.statObject(BUCKET, 'uploaded.txt')).size).toBe('via presigned'.length);

    const longAgo = new Date(Date.now() - 3600_000);
    const expiredUrl = new URL(await client.presignedUrl('GET', BUCKET, 'shared.txt', 60, {}, longAgo));
    const expired = await send('GET', expiredUrl.pathname + expiredUrl.search, {});
    expect([expired.status, code(expired)]).toEqual([403, 'AccessDenied']);
  });

  it('refuses a signed request whose clock is too far off (RequestTimeTooSkewed)', async () => {
    const answer = await signedSend('GET', `/${BUCKET}?location`, { date: new Date(Date.now() - 20 * 60_000) });
    expect([answer.status, code(answer)]).toEqual([403, 'RequestTimeTooSkewed']);
  });

  it('refuses x-amz-* headers added after signing', async () => {
    const answer = await signedSend('PUT', `/${BUCKET}/meta`, { body: 'x' }, { 'x-amz-meta-injected': 'yes' });
    expect([answer.status, code(answer)]).toEqual([403, 'AccessDenied']);
    expect(await exists('meta')).toBe(false);
  });

  it('refuses Signature Version 2 with InvalidRequest', async () => {
    const answer = await send('GET', `/${BUCKET}`, { authorization: `AWS ${s3.accessKey}:c2lnbmF0dXJl`, date: new Date().toUTCString() });
    expect([answer.status, code(answer)]).toEqual([400, 'InvalidRequest']);
  });
});

describe('malformed and inconsistent requests', () => {
  it('refuses a body that does not match its signed SHA-256 and keeps nothing', async () => {
    const { headers } = signed('PUT', `/${BUCKET}/tampered`, { body: 'what was signed' });
    const answer = await send('PUT', `/${BUCKET}/tampered`, headers, 'what was sent!!');
    expect([answer.status, code(answer)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    expect(await exists('tampered')).toBe(false);
    expect(await readdir(`${s3.dataDir}/tmp`)).toEqual([]);
  });

  it('refuses a body that does not match its Content-MD5 (BadDigest)', async () => {
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    const answer = await signedSend('PUT', `/${BUCKET}/md5`, {
      body: 'payload',
      payloadHash: 'UNSIGNED-PAYLOAD',
      headers: { 'content-md5': wrongMd5 },
    });
    expect([answer.status, code(answer)]).toEqual([400, 'BadDigest']);
  });

  it('refuses malformed multi-delete XML (MalformedXML) and answers NotImplemented for unsupported sub-resources', async () => {
    const answer = await signedSend('POST', `/${BUCKET}?delete`, { body: '<Delete><Object><Key>a</Key></Object>' });
    expect([answer.status, code(answer)]).toEqual([400, 'MalformedXML']);
    const doctype = await signedSend('POST', `/${BUCKET}?delete`, {
      body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    });
    expect([doctype.status, code(doctype)]).toEqual([400, 'MalformedXML']);
    const tagging = await signedSend('GET', `/${BUCKET}?tagging`);
    expect([tagging.status, code(tagging)]).toEqual([501, 'NotImplemented']);
  });

  it('refuses part numbers outside 1..10000 and unknown upload ids', async () => {
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, 'parts', {});
    const zero = await signedSend('PUT', `/${BUCKET}/parts?partNumber=0&uploadId=${uploadId}`, { body: 'x' });
    expect([zero.status, code(zero)]).toEqual([400, 'InvalidArgument']);
    const unknown = await signedSend('PUT', `/${BUCKET}/parts?partNumber=1&uploadId=../../etc`, { body: 'x' });
    expect([unknown.status, code(unknown)]).toEqual([404, 'NoSuchUpload']);
  });

  it('accepts an aws-chunked streaming upload with valid chunk signatures and refuses a forged chunk', async () => {
    const chunks = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1024, 'b')];
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const build = (forge: boolean) => {
      const date = new Date();
      const { headers } = signed('PUT', `/${BUCKET}/streamed`, {
        date,
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        headers: { 'x-amz-decoded-content-length': String(total), 'content-encoding': 'aws-chunked' },
      });
      const seed = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
      const day = amzDate(date).slice(0, 8);
      const scope = `${day}/us-east-1/s3/aws4_request`;
      const key = [day, 'us-east-1', 's3', 'aws4_request'].reduce<Buffer | string>(
        (k, part) => createHmac('sha256', k).update(part).digest(),
        `AWS4${s3.secretKey}`,
      );
      const empty = createHash('sha256').update('').digest('hex');
      let previous = seed;
      const framed: Buffer[] = [];
      for (const data of [...chunks, Buffer.alloc(0)]) {
        const toSign = [
          'AWS4-HMAC-SHA256-PAYLOAD',
          amzDate(date),
          scope,
          previous,
          empty,
          createHash('sha256').update(data).digest('hex'),
        ].join('\n');
        const signature = createHmac('sha256', key).update(toSign).digest('hex');
        const sent = forge && data.length === 1024 ? Buffer.alloc(1024, 'c') : data;
        framed.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), sent, Buffer.from('\r\n'));
        previous = signature;
      }
      return { headers, body: Buffer.concat(framed) };
    };
    const forged = build(true);
    const refused = await send('PUT', `/${BUCKET}/streamed`, forged.headers, forged.body);
    expect([refused.status, code(refused)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await exists('streamed')).toBe(false);

    const good = build(false);
    expect((await send('PUT', `/${BUCKET}/streamed`, good.headers, good.body)).status).toBe(200);
    const stat = await client.statObject(BUCKET, 'streamed');
    expect(stat.size).toBe(total);
    expect(stat.metaData['content-encoding']).toBeUndefined();
  });
});
