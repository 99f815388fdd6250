import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Errors, type S3Error } from './s3-errors';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** AWS allows this much clock difference between client and server. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

export interface RequestToVerify {
  method: string;
  /** The path exactly as received, still percent-encoded. */
  rawPath: string;
  /** The query string exactly as received, without `?`. */
  rawQuery: string;
  /** Header names (lower case) with every value received, in order. */
  headers: Map<string, string[]>;
}

export interface VerifyOptions {
  credentials: Credentials;
  region: string;
  now: Date;
  /** Regions, besides the configured one, accepted in the credential scope of this request. */
  alsoAcceptRegions?: readonly string[];
}

/** What the signature says about the body: not covered, covered by a SHA-256, or signed chunk by chunk. */
export type PayloadAuth =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; sha256: string }
  | { kind: 'streaming'; seedSignature: string; signingKey: Buffer; amzDate: string; scope: string };

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function signingKey(secretKey: string, date: string, region: string, service = 's3'): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), 'aws4_request');
}

/** RFC 3986 encoding as SigV4 defines it: everything but unreserved characters is %XX-encoded. */
export function awsUriEncode(text: string, keepSlash = false): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw Errors.invalidArgument('The request URI is not validly percent-encoded.');
  }
}

/** Canonical query strings a correct client may have signed for this query (encodings differ between SDKs). */
export function canonicalQueries(rawQuery: string, exclude?: string): string[] {
  const pairs = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    })
    .filter(([name]) => name !== exclude) as [string, string][];
  const normalised = pairs
    .map(([name, value]) => [awsUriEncode(safeDecode(name)), awsUriEncode(safeDecode(value))])
    .sort(([a, av], [b, bv]) => (a! < b! ? -1 : a! > b! ? 1 : av! < bv! ? -1 : av! > bv! ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  // As sent, sorted as strings: what clients that sign their own pre-encoded query produce.
  const asSent = pairs
    .map(([name, value]) => `${name}=${value}`)
    .sort()
    .join('&');
  return normalised === asSent ? [normalised] : [normalised, asSent];
}

export function canonicalPaths(rawPath: string): string[] {
  const normalised = rawPath
    .split('/')
    .map((segment) => awsUriEncode(safeDecode(segment)))
    .join('/');
  return normalised === rawPath ? [rawPath] : [rawPath, normalised];
}

export function canonicalHeaderValue(values: string[]): string {
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

export function canonicalRequest(
  method: string,
  path: string,
  query: string,
  headers: Map<string, string[]>,
  signedHeaders: string[],
  payloadHash: string,
): string {
  const lines = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers.get(name) ?? [])}\n`).join('');
  return [method, path, query, lines, signedHeaders.join(';'), payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

interface ParsedAuth {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

function parseCredential(credential: string, malformed: (why: string) => S3Error): Omit<ParsedAuth, 'signedHeaders' | 'signature'> {
  const parts = credential.split('/');
  if (parts.length !== 5) throw malformed(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  const [accessKey, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date)) throw malformed(`Invalid credential date "${date}". This date is not in yyyyMMdd format.`);
  if (service !== 's3') throw malformed(`the credential scope names service "${service}"; expecting "s3".`);
  if (terminator !== 'aws4_request') throw malformed(`the credential scope terminator "${terminator}" is not "aws4_request".`);
  return { accessKey, date, region, service, terminator };
}

function parseAuthorizationHeader(value: string): ParsedAuth {
  const malformed = (why: string) => Errors.authorizationHeaderMalformed(`The authorization header is malformed; ${why}`);
  if (!value.startsWith(`${ALGORITHM} `)) {
    throw Errors.invalidRequest('The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) throw malformed(`"${part.trim()}" is not a key=value pair.`);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) throw malformed('it must contain Credential, SignedHeaders and Signature.');
  return { ...parseCredential(credential, malformed), signedHeaders: signedHeaders.split(';'), signature };
}

function parseAmzDate(value: string | undefined): Date | undefined {
  const m = value && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function equalSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkScope(auth: ParsedAuth, options: VerifyOptions, amzDate: string): void {
  if (auth.accessKey !== options.credentials.accessKey) throw Errors.invalidAccessKeyId();
  if (auth.date !== amzDate.slice(0, 8)) {
    throw Errors.authorizationHeaderMalformed(
      `The credential date "${auth.date}" does not match the request date "${amzDate.slice(0, 8)}".`,
    );
  }
  if (auth.region !== options.region && !options.alsoAcceptRegions?.includes(auth.region)) {
    throw Errors.authorizationHeaderMalformed(
      `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${options.region}'`,
      options.region,
    );
  }
}

function verifySignature(
  request: RequestToVerify,
  auth: ParsedAuth,
  amzDate: string,
  payloadHash: string,
  options: VerifyOptions,
  excludeFromQuery?: string,
): Buffer {
  const scope = `${auth.date}/${auth.region}/s3/aws4_request`;
  const key = signingKey(options.credentials.secretKey, auth.date, auth.region);
  for (const path of canonicalPaths(request.rawPath)) {
    for (const query of canonicalQueries(request.rawQuery, excludeFromQuery)) {
      const canonical = canonicalRequest(request.method, path, query, request.headers, auth.signedHeaders, payloadHash);
      const signature = createHmac('sha256', key)
        .update(stringToSign(amzDate, scope, canonical))
        .digest('hex');
      if (equalSignature(signature, auth.signature)) return key;
    }
  }
  throw Errors.signatureDoesNotMatch();
}

function checkSignedHeaders(request: RequestToVerify, signed: string[]): void {
  if (!signed.includes('host')) throw Errors.authorizationHeaderMalformed('The host header must be signed.');
  for (const name of request.headers.keys()) {
    if (name.startsWith('x-amz-') && !signed.includes(name) && name !== 'x-amz-content-sha256') {
      throw Errors.accessDenied(`There were headers present in the request which were not signed: ${name}`);
    }
  }
}

/**
 * Verifies a SigV4-signed request (Authorization header or presigned query) and says how its
 * body is covered. Throws the S3 error the client should get; anonymous requests are refused.
 */
export function verifyRequest(request: RequestToVerify, options: VerifyOptions): PayloadAuth {
  const authorization = request.headers.get('authorization');
  const query = new URLSearchParams(request.rawQuery);
  if (authorization !== undefined) {
    if (authorization.length !== 1) throw Errors.invalidArgument('Only one Authorization header is allowed.');
    const auth = parseAuthorizationHeader(authorization[0]!);
    const amzDate = request.headers.get('x-amz-date')?.[0];
    const date = parseAmzDate(amzDate);
    if (!amzDate || !date) throw Errors.accessDenied('AWS authentication requires a valid x-amz-date header.');
    if (Math.abs(options.now.getTime() - date.getTime()) > MAX_SKEW_MS) throw Errors.requestTimeTooSkewed();
    checkScope(auth, options, amzDate);
    checkSignedHeaders(request, auth.signedHeaders);
    const payloadHash = request.headers.get('x-amz-content-sha256')?.[0];
    if (payloadHash === undefined) throw Errors.invalidRequest('Missing required header for this request: x-amz-content-sha256');
    if (payloadHash !== UNSIGNED_PAYLOAD && payloadHash !== STREAMING_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      throw Errors.invalidArgument(
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
      );
    }
    const key = verifySignature(request, auth, amzDate, payloadHash, options);
    if (payloadHash === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
    if (payloadHash === STREAMING_PAYLOAD) {
      return {
        kind: 'streaming',
        seedSignature: auth.signature,
        signingKey: key,
        amzDate,
        scope: `${auth.date}/${auth.region}/s3/aws4_request`,
      };
    }
    return { kind: 'sha256', sha256: payloadHash };
  }
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm')) {
    const malformed = (why: string) => Errors.authorizationQueryParametersError(`Error parsing the X-Amz-Credential parameter; ${why}`);
    if (query.get('X-Amz-Algorithm') !== ALGORITHM)
      throw Errors.authorizationQueryParametersError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    const credential = query.get('X-Amz-Credential');
    const amzDate = query.get('X-Amz-Date') ?? undefined;
    const expires = Number(query.get('X-Amz-Expires'));
    const signedHeaders = query.get('X-Amz-SignedHeaders');
    const signature = query.get('X-Amz-Signature');
    if (!credential || !amzDate || !signedHeaders || !signature || !query.has('X-Amz-Expires')) {
      throw Errors.authorizationQueryParametersError(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw Errors.authorizationQueryParametersError('X-Amz-Expires must be between 1 and 604800 seconds.');
    }
    const date = parseAmzDate(amzDate);
    if (!date) throw Errors.authorizationQueryParametersError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    if (date.getTime() - options.now.getTime() > MAX_SKEW_MS) throw Errors.requestTimeTooSkewed();
    if (options.now.getTime() > date.getTime() + expires * 1000) throw Errors.expiredToken();
    const auth: ParsedAuth = { ...parseCredential(credential, malformed), signedHeaders: signedHeaders.split(';'), signature };
    checkScope(auth, options, amzDate);
    if (!auth.signedHeaders.includes('host')) throw Errors.authorizationQueryParametersError('The host header must be signed.');
    verifySignature(request, auth, amzDate, UNSIGNED_PAYLOAD, options, 'X-Amz-Signature');
    return { kind: 'unsigned' };
  }
  throw Errors.accessDenied('Anonymous access is not allowed; sign requests with AWS Signature Version 4.');
}
