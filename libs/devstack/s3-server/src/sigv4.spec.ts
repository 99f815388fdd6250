import { Readable } from 'node:stream';
import { AwsChunkedDecoder } from './request-body';
import { type S3Error } from './s3-errors';
import { awsUriEncode, canonicalQueries, signingKey, verifyRequest } from './sigv4';

// The worked examples of the AWS "Signature Version 4 for Amazon S3" documentation.
const credentials = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const now = new Date(Date.UTC(2013, 4, 24));

function headers(entries: Record<string, string>): Map<string, string[]> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));
}

const getObject = {
  method: 'GET',
  rawPath: '/test.txt',
  rawQuery: '',
  headers: headers({
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  }),
};

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as S3Error).code;
  }
  return 'no error';
}

describe('SigV4 verification', () => {
  it('accepts the AWS GET Object example and reports its signed payload hash', () => {
    expect(verifyRequest(getObject, { credentials, region: 'us-east-1', now })).toEqual({
      kind: 'sha256',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  it('refuses the example with another secret, another range, a late clock or no credentials', () => {
    expect(codeOf(() => verifyRequest(getObject, { credentials: { ...credentials, secretKey: 'x' }, region: 'us-east-1', now }))).toBe(
      'SignatureDoesNotMatch',
    );
    const otherRange = { ...getObject, headers: new Map(getObject.headers).set('range', ['bytes=0-99']) };
    expect(codeOf(() => verifyRequest(otherRange, { credentials, region: 'us-east-1', now }))).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => verifyRequest(getObject, { credentials, region: 'us-east-1', now: new Date(now.getTime() + 16 * 60_000) }))).toBe(
      'RequestTimeTooSkewed',
    );
    expect(codeOf(() => verifyRequest(getObject, { credentials, region: 'eu-west-1', now }))).toBe('AuthorizationHeaderMalformed');
    const anonymous = { ...getObject, headers: headers({ host: 'examplebucket.s3.amazonaws.com' }) };
    expect(codeOf(() => verifyRequest(anonymous, { credentials, region: 'us-east-1', now }))).toBe('AccessDenied');
  });

  it('canonicalises queries whatever their encoding and order', () => {
    expect(canonicalQueries('prefix=a%20b&list-type=2&delimiter=%2F')).toEqual(['delimiter=%2F&list-type=2&prefix=a%20b']);
    expect(canonicalQueries('uploads')).toEqual(['uploads=']);
    expect(awsUriEncode("a b/c!*'()", true)).toBe('a%20b/c%21%2A%27%28%29');
  });
});

describe('aws-chunked decoding', () => {
  const key = signingKey(credentials.secretKey, '20130524', 'us-east-1');
  const auth = {
    kind: 'streaming' as const,
    seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    signingKey: key,
    amzDate: '20130524T000000Z',
    scope: '20130524/us-east-1/s3/aws4_request',
  };
  const frame = (data: Buffer, signature: string) => [
    Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`),
    data,
    Buffer.from('\r\n'),
  ];
  const body = Buffer.concat([
    ...frame(Buffer.alloc(65536, 'a'), 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'),
    ...frame(Buffer.alloc(1024, 'a'), '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'),
    ...frame(Buffer.alloc(0), 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'),
  ]);

  async function decode(input: Buffer, pieceSize: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (let i = 0; i < input.length; i += pieceSize) pieces.push(input.subarray(i, i + pieceSize));
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(pieces).pipe(new AwsChunkedDecoder(auth))) out.push(chunk as Buffer);
    return Buffer.concat(out);
  }

  it('decodes the AWS example, however the bytes are split on the wire', async () => {
    for (const pieceSize of [1, 7, 4096, body.length]) {
      expect((await decode(body, pieceSize)).equals(Buffer.alloc(66560, 'a'))).toBe(true);
    }
  });

  it('refuses a modified chunk and a body cut short', async () => {
    const forged = Buffer.from(body);
    forged[200] = 'b'.charCodeAt(0);
    await expect(decode(forged, 4096)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(decode(body.subarray(0, body.length - 90), 4096)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});
