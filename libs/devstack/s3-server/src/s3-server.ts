import { createHash, randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { jsonLogger, PRIVATE_FILE_MODE, type ServerLogger as S3Logger } from '@flywheel/dev-server-kit';
import { DiskStore, MAX_PARTS, type ObjectAttributes, type ObjectMeta } from './disk-store';
import { continuationToken, listPage, readContinuationToken, urlEncodeKey } from './listing';
import { resolveRange } from './range';
import { receiveSmall, receiveToFile } from './request-body';
import { Errors, S3Error } from './s3-errors';
import { awsUriEncode, type PayloadAuth, verifyRequest } from './sigv4';
import { childText, childrenNamed, parseXml, xmlDocument, XmlSyntaxError, type XmlObject } from './xml';

export type { S3Logger };

export interface S3ServerOptions {
  /** Interface to listen on; loopback unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  logger?: S3Logger;
}

export interface RunningS3Server {
  /** Base URL for clients, e.g. `http://127.0.0.1:9000` (what `S3_ENDPOINT` takes). */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly dataDir: string;
  /** The file currently holding an object's bytes, or undefined if there is no such object. */
  objectDataPath(bucket: string, key: string): string | undefined;
  stop(): Promise<void>;
}

const GiB = 1024 * 1024 * 1024;
/** S3's limit for a single PUT and for one part. */
const MAX_PUT_BYTES = 5 * GiB;
const MAX_XML_BYTES = 4 * 1024 * 1024;
const MAX_USER_METADATA_BYTES = 2048;
const MAX_KEY_BYTES = 1024;
const MAX_LIST = 1000;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};
/** S3 sub-resources this server does not serve; asking for one is NotImplemented, never a silent wrong answer. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'accelerate',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'versioning',
  'versions',
  'website',
];
const OWNER = { ID: 'flywheel', DisplayName: 'flywheel' };

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: URLSearchParams;
  payload: PayloadAuth;
}

function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = map.get(name);
    if (values) values.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw Errors.invalidArgument('The request URI is not validly percent-encoded.');
  }
}

/** Path-style addressing: `/<bucket>` or `/<bucket>/<key>`. */
function route(rawPath: string): { bucket?: string; key?: string } {
  if (!rawPath.startsWith('/')) throw Errors.invalidRequest('The request path must start with "/".');
  const rest = rawPath.slice(1);
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  const bucket = decodePath(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? '' : decodePath(rest.slice(slash + 1));
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw Errors.keyTooLong();
  return key === '' ? { bucket } : { bucket, key };
}

export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias')
  );
}

function quoted(etag: string): string {
  return `"${etag}"`;
}

function unquoted(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(',').some((candidate) => candidate.trim() === '*' || unquoted(candidate) === etag);
}

function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** Last-Modified has one-second resolution; conditions compare at that resolution. */
function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000) * 1000;
}

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw Errors.invalidArgument(`${name} must be a non-negative integer.`);
  return Math.min(Number(raw), max);
}

/**
 * An S3-compatible object store for development and tests: path-style requests, SigV4 auth
 * (header and presigned), objects durable under one folder, multipart uploads. It serves what
 * the `minio` client and the AWS SDKs use for buckets and objects; other sub-resources answer
 * NotImplemented.
 */
export class S3Server implements RunningS3Server {
  readonly endpoint: string;
  readonly port: number;

  private constructor(
    private readonly server: Server,
    private readonly store: DiskStore,
    private readonly options: Required<Omit<S3ServerOptions, 'logger'>> & { logger: S3Logger },
  ) {
    this.port = (server.address() as AddressInfo).port;
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    this.endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  get host(): string {
    return this.options.host;
  }

  get region(): string {
    return this.options.region;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  static async start(options: S3ServerOptions): Promise<S3Server> {
    if (!options.accessKey || options.accessKey.length < 3) throw new Error('S3 server: accessKey must be at least 3 characters');
    if (!options.secretKey || options.secretKey.length < 8) throw new Error('S3 server: secretKey must be at least 8 characters');
    const config = {
      host: options.host ?? '127.0.0.1',
      port: options.port,
      dataDir: resolve(options.dataDir),
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region ?? 'us-east-1',
      logger: options.logger ?? jsonLogger('info', 's3-server'),
    };
    const store = await DiskStore.open(config.dataDir);
    const server = createServer();
    // Large uploads may legitimately take longer than Node's default whole-request timeout.
    server.requestTimeout = 0;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    const s3 = new S3Server(server, store, config);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void s3.handle(req, res));
    config.logger.info('s3 server listening', { endpoint: s3.endpoint, dataDir: config.dataDir, region: config.region });
    return s3;
  }

  objectDataPath(bucket: string, key: string): string | undefined {
    if (!this.store.hasBucket(bucket)) return undefined;
    const meta = this.store.getObject(bucket, key);
    return meta && this.store.dataPath(bucket, meta);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
    this.server.closeAllConnections();
    await closed;
    this.options.logger.info('s3 server stopped', { endpoint: this.endpoint });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('server', 'FlywheelS3');
    let authenticated = false;
    try {
      if (rawPath === '/minio/health/live' && (method === 'GET' || method === 'HEAD')) {
        res.end();
        return;
      }
      const { bucket, key } = route(rawPath);
      const query = new URLSearchParams(rawQuery.replace(/\+/g, '%2B'));
      const regionFree = key === undefined && (bucket === undefined || (method === 'GET' && query.has('location')) || method === 'PUT');
      const payload = verifyRequest(
        { method, rawPath, rawQuery, headers: headerMap(req.rawHeaders) },
        {
          credentials: { accessKey: this.options.accessKey, secretKey: this.options.secretKey },
          region: this.options.region,
          now: new Date(),
          // Clients ask for a bucket's region, and create buckets, before they know the region.
          alsoAcceptRegions: regionFree ? ['us-east-1'] : [],
        },
      );
      authenticated = true;
      const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name));
      if (unsupported) throw Errors.notImplemented(`The "${unsupported}" sub-resource`);
      await this.dispatch({ req, res, method, bucket, key, query, payload });
    } catch (error) {
      this.fail(req, res, error, rawPath, requestId, authenticated);
    } finally {
      this.options.logger.debug('s3 request', { method, path: rawPath, status: res.statusCode, ms: Date.now() - started, requestId });
    }
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    error: unknown,
    resource: string,
    requestId: string,
    authenticated: boolean,
  ): void {
    const s3 = error instanceof S3Error ? error : error instanceof XmlSyntaxError ? Errors.malformedXml() : Errors.internalError();
    if (!(error instanceof S3Error) && !(error instanceof XmlSyntaxError)) {
      this.options.logger.error('s3 request failed', { resource, requestId, error: (error as Error).stack ?? String(error) });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) {
      // Unread body: drain it so the client can read the answer; strangers lose the connection.
      if (!authenticated) res.setHeader('connection', 'close');
      req.resume();
    }
    res.statusCode = s3.status;
    for (const name of res.getHeaderNames()) {
      if (!['x-amz-request-id', 'server', 'connection'].includes(name)) res.removeHeader(name);
    }
    if (req.method === 'HEAD') {
      // No body to carry the code, so it travels in headers, as MinIO sends it.
      res.setHeader('x-minio-error-code', s3.code);
      res.setHeader('x-minio-error-desc', JSON.stringify(s3.message));
      res.end();
      return;
    }
    const body = s3.toXml(resource, requestId);
    res.setHeader('content-type', 'application/xml');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  }

  private sendXml(res: ServerResponse, root: string, body: XmlObject | string, status = 200): void {
    const text = xmlDocument(root, body);
    res.statusCode = status;
    res.setHeader('content-type', 'application/xml');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  }

  private dispatch(ctx: RequestContext): Promise<void> | void {
    const { method, bucket, key, query } = ctx;
    if (bucket === undefined) {
      if (method === 'GET') return this.listBuckets(ctx);
      throw Errors.methodNotAllowed();
    }
    if (key === undefined) {
      switch (method) {
        case 'PUT':
          return this.createBucket(ctx, bucket);
        case 'HEAD':
          return this.headBucket(ctx, bucket);
        case 'DELETE':
          return this.store.deleteBucket(bucket).then(() => void this.noContent(ctx.res));
        case 'GET':
          if (query.has('location')) return this.bucketLocation(ctx, bucket);
          if (query.has('uploads')) return this.listUploads(ctx, bucket);
          return this.listObjects(ctx, bucket);
        case 'POST':
          if (query.has('delete')) return this.deleteObjects(ctx, bucket);
          throw Errors.methodNotAllowed();
        default:
          throw Errors.methodNotAllowed();
      }
    }
    switch (method) {
      case 'PUT':
        if (query.has('uploadId') || query.has('partNumber')) return this.uploadPart(ctx, bucket, key);
        if (ctx.req.headers['x-amz-copy-source'] !== undefined) return this.copyObject(ctx, bucket, key);
        return this.putObject(ctx, bucket, key);
      case 'GET':
        if (query.has('uploadId')) return this.listParts(ctx, bucket, key);
        return this.getObject(ctx, bucket, key, true);
      case 'HEAD':
        return this.getObject(ctx, bucket, key, false);
      case 'DELETE':
        if (query.has('uploadId')) {
          return this.store.abortUpload(bucket, key, query.get('uploadId')!).then(() => void this.noContent(ctx.res));
        }
        return this.store.deleteObject(bucket, key).then(() => void this.noContent(ctx.res));
      case 'POST':
        if (query.has('uploads')) return this.initiateUpload(ctx, bucket, key);
        if (query.has('uploadId')) return this.completeUpload(ctx, bucket, key);
        throw Errors.methodNotAllowed();
      default:
        throw Errors.methodNotAllowed();
    }
  }

  private noContent(res: ServerResponse): void {
    res.statusCode = 204;
    res.end();
  }

  // Buckets

  private listBuckets(ctx: RequestContext): void {
    this.sendXml(ctx.res, 'ListAllMyBucketsResult', {
      Owner: OWNER,
      Buckets: { Bucket: this.store.listBuckets().map((b) => ({ Name: b.name, CreationDate: b.created })) },
    });
  }

  private async createBucket(ctx: RequestContext, bucket: string): Promise<void> {
    if (!isValidBucketName(bucket)) throw Errors.invalidBucketName(bucket);
    const body = await receiveSmall(ctx.req, ctx.payload, MAX_XML_BYTES);
    if (body.length > 0) {
      const config = parseXml(body.toString('utf8'));
      if (config.name !== 'CreateBucketConfiguration') throw Errors.malformedXml();
      const location = childText(config, 'LocationConstraint');
      if (location && location !== this.options.region) {
        throw new S3Error(
          'IllegalLocationConstraintException',
          400,
          `The ${location} location constraint is incompatible with the region of this server (${this.options.region}).`,
        );
      }
    }
    await this.store.createBucket(bucket);
    ctx.res.setHeader('location', `/${bucket}`);
    ctx.res.end();
  }

  private headBucket(ctx: RequestContext, bucket: string): void {
    if (!this.store.hasBucket(bucket)) throw Errors.noSuchBucket(bucket);
    ctx.res.setHeader('x-amz-bucket-region', this.options.region);
    ctx.res.end();
  }

  private bucketLocation(ctx: RequestContext, bucket: string): void {
    if (!this.store.hasBucket(bucket)) throw Errors.noSuchBucket(bucket);
    // S3 answers an empty constraint for us-east-1.
    this.sendXml(ctx.res, 'LocationConstraint', this.options.region === 'us-east-1' ? '' : this.options.region);
  }

  private listObjects(ctx: RequestContext, bucket: string): void {
    const { query } = ctx;
    const v2 = query.get('list-type') === '2';
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = intParam(query, 'max-keys', MAX_LIST, MAX_LIST);
    const encodingType = query.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') throw Errors.invalidArgument('Invalid Encoding Method specified in Request');
    const encode = (text: string) => (encodingType === 'url' ? urlEncodeKey(text) : text);
    const keys = this.store.sortedKeys(bucket);
    const token = v2 ? query.get('continuation-token') : null;
    const startAfter = v2 ? (query.get('start-after') ?? '') : '';
    const marker = v2 ? '' : (query.get('marker') ?? '');
    let position: { after: string; skipPrefix?: string };
    if (token !== null) position = readContinuationToken(token);
    else if (v2) position = { after: startAfter };
    else {
      const markerIsPrefix =
        delimiter !== '' &&
        marker.startsWith(prefix) &&
        marker.endsWith(delimiter) &&
        marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length;
      position = markerIsPrefix ? { after: marker, skipPrefix: marker } : { after: marker };
    }
    const page = listPage(keys, { prefix, delimiter, maxKeys, ...position });
    const objects = this.store;
    const contents = page.keys.map((key) => {
      const meta = objects.getObject(bucket, key)!;
      return { Key: encode(key), LastModified: meta.lastModified, ETag: quoted(meta.etag), Size: meta.size, StorageClass: 'STANDARD' };
    });
    const commonPrefixes = page.commonPrefixes.map((p) => ({ Prefix: encode(p) }));
    if (v2) {
      this.sendXml(ctx.res, 'ListBucketResult', {
        Name: bucket,
        Prefix: encode(prefix),
        Delimiter: delimiter === '' ? undefined : encode(delimiter),
        MaxKeys: maxKeys,
        KeyCount: contents.length + commonPrefixes.length,
        IsTruncated: page.truncated,
        ContinuationToken: token ?? undefined,
        NextContinuationToken: page.truncated && page.last ? continuationToken(page.last) : undefined,
        StartAfter: startAfter === '' ? undefined : encode(startAfter),
        EncodingType: encodingType ?? undefined,
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      });
    } else {
      this.sendXml(ctx.res, 'ListBucketResult', {
        Name: bucket,
        Prefix: encode(prefix),
        Marker: encode(marker),
        NextMarker: page.truncated && page.last ? encode(page.last.value) : undefined,
        MaxKeys: maxKeys,
        Delimiter: delimiter === '' ? undefined : encode(delimiter),
        IsTruncated: page.truncated,
        EncodingType: encodingType ?? undefined,
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      });
    }
  }

  private async deleteObjects(ctx: RequestContext, bucket: string): Promise<void> {
    if (!this.store.hasBucket(bucket)) throw Errors.noSuchBucket(bucket);
    const body = await receiveSmall(ctx.req, ctx.payload, MAX_XML_BYTES);
    const document = parseXml(body.toString('utf8'));
    if (document.name !== 'Delete') throw Errors.malformedXml();
    const quiet = childText(document, 'Quiet')?.trim() === 'true';
    const keys = childrenNamed(document, 'Object').map((object) => childText(object, 'Key'));
    if (keys.length === 0 || keys.length > 1000 || keys.some((key) => key === undefined || key === '')) throw Errors.malformedXml();
    const deleted: XmlObject[] = [];
    const errors: XmlObject[] = [];
    for (const key of keys as string[]) {
      try {
        if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw Errors.keyTooLong();
        await this.store.deleteObject(bucket, key);
        if (!quiet) deleted.push({ Key: key });
      } catch (error) {
        const s3 = error instanceof S3Error ? error : Errors.internalError();
        errors.push({ Key: key, Code: s3.code, Message: s3.message });
      }
    }
    this.sendXml(ctx.res, 'DeleteResult', { Deleted: deleted, Error: errors });
  }

  // Objects

  private attributesFrom(req: IncomingMessage): ObjectAttributes {
    const metadata: Record<string, string> = {};
    const headers: Record<string, string> = {};
    let metadataBytes = 0;
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      const text = Array.isArray(value) ? value.join(',') : value;
      if (name.startsWith('x-amz-meta-')) {
        const short = name.slice('x-amz-meta-'.length);
        metadata[short] = text;
        metadataBytes += Buffer.byteLength(short) + Buffer.byteLength(text);
      } else if (STORED_HEADERS.includes(name)) {
        // aws-chunked describes the transfer, not the object.
        const kept =
          name === 'content-encoding'
            ? text
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== 'aws-chunked')
                .join(',')
            : text;
        if (kept !== '') headers[name] = kept;
      }
    }
    if (metadataBytes > MAX_USER_METADATA_BYTES) {
      throw new S3Error(
        'MetadataTooLarge',
        400,
        `Your metadata headers exceed the maximum allowed metadata size (${MAX_USER_METADATA_BYTES} bytes).`,
      );
    }
    return { contentType: header(req, 'content-type') ?? DEFAULT_CONTENT_TYPE, metadata, headers };
  }

  private writePreconditions(req: IncomingMessage, key: string): (existing: ObjectMeta | undefined) => void {
    const ifNoneMatch = header(req, 'if-none-match');
    const ifMatch = header(req, 'if-match');
    return (existing) => {
      if (ifNoneMatch !== undefined && existing && etagMatches(ifNoneMatch, existing.etag)) throw Errors.preconditionFailed();
      if (ifMatch !== undefined) {
        if (!existing) throw Errors.noSuchKey(key);
        if (!etagMatches(ifMatch, existing.etag)) throw Errors.preconditionFailed();
      }
    };
  }

  private async putObject(ctx: RequestContext, bucket: string, key: string): Promise<void> {
    const attributes = this.attributesFrom(ctx.req);
    const precondition = this.writePreconditions(ctx.req, key);
    // Checked before the body is read, so a refused write does not cost an upload.
    precondition(this.store.getObject(bucket, key));
    const tmp = this.store.tempPath();
    const received = await receiveToFile(ctx.req, tmp, ctx.payload, { maxBytes: MAX_PUT_BYTES });
    const meta = await this.store.commitObject(
      bucket,
      key,
      tmp,
      { ...attributes, size: received.size, etag: received.md5Hex, lastModified: new Date().toISOString() },
      precondition,
    );
    ctx.res.setHeader('etag', quoted(meta.etag));
    ctx.res.end();
  }

  private async copyObject(ctx: RequestContext, bucket: string, key: string): Promise<void> {
    const { req } = ctx;
    const source = header(req, 'x-amz-copy-source')!;
    const withoutVersion = source.split('?')[0]!;
    const decoded = decodePath(withoutVersion).replace(/^\//, '');
    const slash = decoded.indexOf('/');
    if (slash <= 0 || slash === decoded.length - 1)
      throw Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
    const sourceBucket = decoded.slice(0, slash);
    const sourceKey = decoded.slice(slash + 1);
    if (!this.store.hasBucket(sourceBucket)) throw Errors.noSuchBucket(sourceBucket);
    if (!this.store.hasBucket(bucket)) throw Errors.noSuchBucket(bucket);
    const directive = (header(req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') throw Errors.invalidArgument('Unknown metadata directive.');
    if (directive === 'COPY' && sourceBucket === bucket && sourceKey === key) {
      throw Errors.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const { meta: sourceMeta, handle } = await this.store.openObject(sourceBucket, sourceKey);
    const tmp = this.store.tempPath();
    let md5Hex: string;
    try {
      this.checkCopyConditions(req, sourceMeta);
      if (sourceMeta.size > MAX_PUT_BYTES) {
        throw Errors.invalidRequest(
          `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_BYTES}`,
        );
      }
      const md5 = createHash('md5');
      const out = await open(tmp, 'w', PRIVATE_FILE_MODE);
      try {
        for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
          md5.update(chunk as Buffer);
          await out.write(chunk as Buffer);
        }
        await out.sync();
      } finally {
        await out.close();
      }
      md5Hex = md5.digest('hex');
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
    const attributes: ObjectAttributes =
      directive === 'REPLACE'
        ? this.attributesFrom(req)
        : { contentType: sourceMeta.contentType, metadata: sourceMeta.metadata, headers: sourceMeta.headers };
    const meta = await this.store.commitObject(
      bucket,
      key,
      tmp,
      { ...attributes, size: sourceMeta.size, etag: md5Hex, lastModified: new Date().toISOString() },
      this.writePreconditions(req, key),
    );
    // MinIO also sends the new ETag as a header, and the minio client reads it from there.
    ctx.res.setHeader('etag', quoted(meta.etag));
    this.sendXml(ctx.res, 'CopyObjectResult', { LastModified: meta.lastModified, ETag: quoted(meta.etag) });
  }

  private checkCopyConditions(req: IncomingMessage, source: ObjectMeta): void {
    const ifMatch = header(req, 'x-amz-copy-source-if-match');
    const ifNoneMatch = header(req, 'x-amz-copy-source-if-none-match');
    const modifiedSince = httpDate(header(req, 'x-amz-copy-source-if-modified-since'));
    const unmodifiedSince = httpDate(header(req, 'x-amz-copy-source-if-unmodified-since'));
    const modified = seconds(source.lastModified);
    if (ifMatch !== undefined && !etagMatches(ifMatch, source.etag)) throw Errors.preconditionFailed();
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, source.etag)) throw Errors.preconditionFailed();
    if (ifMatch === undefined && unmodifiedSince !== undefined && modified > unmodifiedSince) throw Errors.preconditionFailed();
    if (ifNoneMatch === undefined && modifiedSince !== undefined && modified <= modifiedSince) throw Errors.preconditionFailed();
  }

  private objectHeaders(ctx: RequestContext, meta: ObjectMeta): void {
    const { res, query } = ctx;
    res.setHeader('content-type', meta.contentType);
    res.setHeader('etag', quoted(meta.etag));
    res.setHeader('last-modified', new Date(meta.lastModified).toUTCString());
    res.setHeader('accept-ranges', 'bytes');
    for (const [name, value] of Object.entries(meta.headers)) res.setHeader(name, value);
    for (const [name, value] of Object.entries(meta.metadata)) res.setHeader(`x-amz-meta-${name}`, value);
    for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = query.get(param);
      if (value !== null) res.setHeader(name, value);
    }
  }

  /** True when a conditional GET/HEAD is answered without the body (304) — 412 throws. */
  private notModified(req: IncomingMessage, meta: ObjectMeta): boolean {
    const ifMatch = header(req, 'if-match');
    const ifNoneMatch = header(req, 'if-none-match');
    const modified = seconds(meta.lastModified);
    if (ifMatch !== undefined) {
      if (!etagMatches(ifMatch, meta.etag)) throw Errors.preconditionFailed();
    } else {
      const unmodifiedSince = httpDate(header(req, 'if-unmodified-since'));
      if (unmodifiedSince !== undefined && modified > unmodifiedSince) throw Errors.preconditionFailed();
    }
    if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, meta.etag);
    const modifiedSince = httpDate(header(req, 'if-modified-since'));
    return modifiedSince !== undefined && modified <= modifiedSince;
  }

  private async getObject(ctx: RequestContext, bucket: string, key: string, withBody: boolean): Promise<void> {
    const { req, res } = ctx;
    const { meta, handle } = await this.store.openObject(bucket, key);
    let streaming = false;
    try {
      if (this.notModified(req, meta)) {
        res.statusCode = 304;
        res.setHeader('etag', quoted(meta.etag));
        res.setHeader('last-modified', new Date(meta.lastModified).toUTCString());
        res.end();
        return;
      }
      const range = resolveRange(header(req, 'range'), meta.size);
      this.objectHeaders(ctx, meta);
      if (range) {
        res.statusCode = 206;
        res.setHeader('content-range', `bytes ${range.start}-${range.end}/${meta.size}`);
      }
      const length = range ? range.end - range.start + 1 : meta.size;
      res.setHeader('content-length', length);
      if (!withBody || length === 0) {
        res.end();
        return;
      }
      streaming = true;
      const body = handle.createReadStream({ start: range?.start ?? 0, end: range?.end ?? meta.size - 1, highWaterMark: 256 * 1024 });
      await pipeline(body, res).catch((error: NodeJS.ErrnoException) => {
        // A client that goes away mid-download is not a server error.
        if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE')
          this.options.logger.warn('s3 download failed', { bucket, key, error: error.message });
      });
    } finally {
      if (!streaming) await handle.close();
    }
  }

  // Multipart uploads

  private async initiateUpload(ctx: RequestContext, bucket: string, key: string): Promise<void> {
    const attributes = this.attributesFrom(ctx.req);
    await receiveSmall(ctx.req, ctx.payload, MAX_XML_BYTES);
    const upload = await this.store.createUpload(bucket, key, attributes);
    this.sendXml(ctx.res, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId });
  }

  private async uploadPart(ctx: RequestContext, bucket: string, key: string): Promise<void> {
    const { query, req, res } = ctx;
    const uploadId = query.get('uploadId');
    const rawPart = query.get('partNumber') ?? '';
    if (uploadId === null) throw Errors.invalidArgument('uploadId is required with partNumber.');
    if (!/^\d{1,5}$/.test(rawPart) || Number(rawPart) < 1 || Number(rawPart) > MAX_PARTS) {
      throw Errors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`);
    }
    if (req.headers['x-amz-copy-source'] !== undefined) throw Errors.notImplemented('UploadPartCopy');
    this.store.checkUpload(bucket, key, uploadId);
    const tmp = this.store.tempPath();
    const received = await receiveToFile(req, tmp, ctx.payload, { maxBytes: MAX_PUT_BYTES });
    const part = await this.store.putPart(bucket, key, uploadId, Number(rawPart), tmp, { size: received.size, etag: received.md5Hex });
    res.setHeader('etag', quoted(part.etag));
    res.end();
  }

  private listParts(ctx: RequestContext, bucket: string, key: string): void {
    const { query } = ctx;
    const { upload, parts } = this.store.listParts(bucket, key, query.get('uploadId')!);
    const maxParts = intParam(query, 'max-parts', MAX_LIST, MAX_LIST);
    const marker = intParam(query, 'part-number-marker', 0, MAX_PARTS);
    const after = parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    this.sendXml(ctx.res, 'ListPartsResult', {
      Bucket: bucket,
      Key: key,
      UploadId: upload.uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.partNumber : marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: quoted(p.etag), Size: p.size })),
    });
  }

  private listUploads(ctx: RequestContext, bucket: string): void {
    const { query } = ctx;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const keyMarker = query.get('key-marker') ?? '';
    const uploadIdMarker = query.get('upload-id-marker') ?? '';
    const maxUploads = intParam(query, 'max-uploads', MAX_LIST, MAX_LIST);
    const encodingType = query.get('encoding-type');
    const encode = (text: string) => (encodingType === 'url' ? urlEncodeKey(text) : text);
    let uploads = this.store.listUploads(bucket).filter((u) => u.key.startsWith(prefix));
    if (keyMarker !== '') {
      const markerIndex = uploadIdMarker === '' ? -1 : uploads.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker);
      uploads = markerIndex !== -1 ? uploads.slice(markerIndex + 1) : uploads.filter((u) => u.key > keyMarker);
    }
    const entries: XmlObject[] = [];
    const commonPrefixes: string[] = [];
    let truncated = false;
    let last: { key: string; uploadId: string } | undefined;
    for (const upload of uploads) {
      const at = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
      const commonPrefix = at === -1 ? undefined : upload.key.slice(0, at + delimiter.length);
      if (commonPrefix !== undefined && commonPrefix === commonPrefixes[commonPrefixes.length - 1]) continue;
      if (entries.length + commonPrefixes.length === maxUploads) {
        truncated = true;
        break;
      }
      if (commonPrefix !== undefined) commonPrefixes.push(commonPrefix);
      else {
        entries.push({
          Key: encode(upload.key),
          UploadId: upload.uploadId,
          Initiator: OWNER,
          Owner: OWNER,
          StorageClass: 'STANDARD',
          Initiated: upload.initiated,
        });
      }
      last = { key: commonPrefix ?? upload.key, uploadId: commonPrefix === undefined ? upload.uploadId : '' };
    }
    this.sendXml(ctx.res, 'ListMultipartUploadsResult', {
      Bucket: bucket,
      KeyMarker: encode(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? encode(last.key) : undefined,
      NextUploadIdMarker: truncated && last ? last.uploadId : undefined,
      Delimiter: delimiter === '' ? undefined : encode(delimiter),
      Prefix: encode(prefix),
      MaxUploads: maxUploads,
      IsTruncated: truncated,
      EncodingType: encodingType ?? undefined,
      Upload: entries,
      CommonPrefixes: commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    });
  }

  private async completeUpload(ctx: RequestContext, bucket: string, key: string): Promise<void> {
    const uploadId = ctx.query.get('uploadId')!;
    this.store.checkUpload(bucket, key, uploadId);
    const body = await receiveSmall(ctx.req, ctx.payload, MAX_XML_BYTES);
    const document = parseXml(body.toString('utf8'));
    if (document.name !== 'CompleteMultipartUpload') throw Errors.malformedXml();
    const parts = childrenNamed(document, 'Part').map((part) => {
      const number = childText(part, 'PartNumber')?.trim() ?? '';
      const etag = childText(part, 'ETag');
      if (!/^\d{1,5}$/.test(number) || etag === undefined) throw Errors.malformedXml();
      return { partNumber: Number(number), etag: unquoted(etag) };
    });
    const meta = await this.store.completeUpload(bucket, key, uploadId, parts);
    this.sendXml(ctx.res, 'CompleteMultipartUploadResult', {
      Location: `${this.endpoint}/${bucket}/${awsUriEncode(key, true)}`,
      Bucket: bucket,
      Key: key,
      ETag: quoted(meta.etag),
    });
  }
}
