import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '@flywheel/dev-server-kit';
import { KeyedLock } from './keyed-lock';
import { Errors } from './s3-errors';

/** S3's smallest allowed size for every part of a multipart upload but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

/** What a client stored alongside the bytes. */
export interface ObjectAttributes {
  contentType: string;
  /** User metadata (`x-amz-meta-*`), names in lower case without the prefix. */
  metadata: Record<string, string>;
  /** Standard headers S3 keeps and returns (cache-control, content-disposition, …). */
  headers: Record<string, string>;
}

export interface ObjectMeta extends ObjectAttributes {
  key: string;
  size: number;
  /** Without quotes: md5 hex, or `<md5 of part md5s>-<parts>` for multipart uploads. */
  etag: string;
  lastModified: string;
  /** The file holding the bytes, in the same folder as the sidecar. */
  dataFile: string;
}

export interface BucketMeta {
  name: string;
  created: string;
}

export interface UploadMeta extends ObjectAttributes {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
}

export interface PartMeta {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: string;
  dataFile: string;
}

interface BucketState {
  meta: BucketMeta;
  objects: Map<string, ObjectMeta>;
  sorted: string[] | undefined;
}

interface UploadState {
  meta: UploadMeta;
  parts: Map<number, PartMeta>;
}

const UPLOAD_ID = /^fw[0-9a-f]{48}$/;

function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new Error(`${path} is not readable JSON: ${(error as Error).message}`);
  }
}

/**
 * The server's durable state under one folder:
 *
 *   buckets/<bucket>/bucket.json
 *   buckets/<bucket>/objects/<h[0..2]>/<h>.json            sidecar: key, size, etag, metadata, data file
 *   buckets/<bucket>/objects/<h[0..2]>/<h>.<uuid>.data     the bytes (h = sha256 of the key)
 *   multipart/<uploadId>/upload.json, part-<n>.json, part-<n>.<uuid>.data
 *   tmp/                                                    bodies being received
 *
 * Bytes are written to tmp/, flushed, renamed next to their sidecar, and only then does the
 * sidecar (itself replaced by rename) point at them: a crash leaves either the old object or
 * the new one, never half of one. Unreferenced data files are removed on open.
 */
export class DiskStore {
  private readonly buckets = new Map<string, BucketState>();
  private readonly uploads = new Map<string, UploadState>();
  private readonly lock = new KeyedLock();

  private constructor(readonly dataDir: string) {}

  static async open(dataDir: string): Promise<DiskStore> {
    const store = new DiskStore(dataDir);
    await rm(store.tmpDir, { recursive: true, force: true });
    for (const dir of [store.tmpDir, join(dataDir, 'buckets'), join(dataDir, 'multipart')])
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await store.loadBuckets();
    await store.loadUploads();
    return store;
  }

  private get tmpDir(): string {
    return join(this.dataDir, 'tmp');
  }

  private bucketDir(bucket: string): string {
    return join(this.dataDir, 'buckets', bucket);
  }

  private shardDir(bucket: string, hash: string): string {
    return join(this.bucketDir(bucket), 'objects', hash.slice(0, 2));
  }

  private uploadDir(uploadId: string): string {
    return join(this.dataDir, 'multipart', uploadId);
  }

  /** A fresh path in the temporary folder, on the same file system as the data. */
  tempPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  private async writeJsonAtomic(path: string, value: unknown): Promise<void> {
    const tmp = this.tempPath();
    const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(JSON.stringify(value));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  }

  private async loadBuckets(): Promise<void> {
    for (const name of await entries(join(this.dataDir, 'buckets'))) {
      const dir = this.bucketDir(name);
      const meta = await readJson<BucketMeta>(join(dir, 'bucket.json'));
      if (!meta) {
        // A bucket whose creation never completed.
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const state: BucketState = { meta, objects: new Map(), sorted: undefined };
      for (const shard of await entries(join(dir, 'objects'))) {
        const shardDir = join(dir, 'objects', shard);
        const files = await entries(shardDir);
        const referenced = new Set<string>();
        for (const file of files.filter((f) => f.endsWith('.json'))) {
          const object = await readJson<ObjectMeta>(join(shardDir, file));
          if (!object) continue;
          state.objects.set(object.key, object);
          referenced.add(object.dataFile);
        }
        for (const file of files.filter((f) => f.endsWith('.data') && !referenced.has(f))) await unlink(join(shardDir, file));
      }
      this.buckets.set(name, state);
    }
  }

  private async loadUploads(): Promise<void> {
    for (const uploadId of await entries(join(this.dataDir, 'multipart'))) {
      const dir = this.uploadDir(uploadId);
      const meta = await readJson<UploadMeta>(join(dir, 'upload.json'));
      if (!meta || !UPLOAD_ID.test(uploadId) || !this.buckets.has(meta.bucket)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const files = await entries(dir);
      const parts = new Map<number, PartMeta>();
      for (const file of files.filter((f) => f.startsWith('part-') && f.endsWith('.json'))) {
        const part = await readJson<PartMeta>(join(dir, file));
        if (part) parts.set(part.partNumber, part);
      }
      const referenced = new Set([...parts.values()].map((p) => p.dataFile));
      for (const file of files.filter((f) => f.endsWith('.data') && !referenced.has(f))) await unlink(join(dir, file));
      this.uploads.set(uploadId, { meta, parts });
    }
  }

  // Buckets

  listBuckets(): BucketMeta[] {
    return [...this.buckets.values()].map((b) => b.meta).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  hasBucket(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  private requireBucket(bucket: string): BucketState {
    const state = this.buckets.get(bucket);
    if (!state) throw Errors.noSuchBucket(bucket);
    return state;
  }

  createBucket(bucket: string): Promise<void> {
    return this.lock.run(`bucket\n${bucket}`, async () => {
      if (this.buckets.has(bucket)) throw Errors.bucketAlreadyOwnedByYou(bucket);
      const meta: BucketMeta = { name: bucket, created: new Date().toISOString() };
      await mkdir(join(this.bucketDir(bucket), 'objects'), { recursive: true, mode: PRIVATE_DIR_MODE });
      await this.writeJsonAtomic(join(this.bucketDir(bucket), 'bucket.json'), meta);
      this.buckets.set(bucket, { meta, objects: new Map(), sorted: undefined });
    });
  }

  deleteBucket(bucket: string): Promise<void> {
    return this.lock.run(`bucket\n${bucket}`, async () => {
      const state = this.requireBucket(bucket);
      if (state.objects.size > 0) throw Errors.bucketNotEmpty(bucket);
      for (const upload of this.listUploads(bucket)) await this.abortUpload(bucket, upload.key, upload.uploadId);
      this.buckets.delete(bucket);
      // Renamed away first, so that a crash mid-removal cannot leave half a bucket behind.
      const doomed = this.tempPath();
      await rename(this.bucketDir(bucket), doomed);
      await rm(doomed, { recursive: true, force: true });
    });
  }

  // Objects

  getObject(bucket: string, key: string): ObjectMeta | undefined {
    return this.requireBucket(bucket).objects.get(key);
  }

  /** Where the bytes of an object live now (for operators and tests inspecting the data folder). */
  dataPath(bucket: string, meta: ObjectMeta): string {
    return join(this.shardDir(bucket, keyHash(meta.key)), meta.dataFile);
  }

  /** Opens an object's bytes; the handle stays readable even if the object is replaced meanwhile. */
  async openObject(bucket: string, key: string): Promise<{ meta: ObjectMeta; handle: FileHandle }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const meta = this.getObject(bucket, key);
      if (!meta) throw Errors.noSuchKey(key);
      try {
        return { meta, handle: await open(this.dataPath(bucket, meta), 'r') };
      } catch (error) {
        // Replaced between the lookup and the open: look again.
        if (!isMissing(error)) throw error;
      }
    }
    throw Errors.internalError();
  }

  /** Keys of a bucket in ascending order. */
  sortedKeys(bucket: string): string[] {
    const state = this.requireBucket(bucket);
    state.sorted ??= [...state.objects.keys()].sort();
    return state.sorted;
  }

  /**
   * Makes the file at `tmpPath` the object's content. `precondition` sees the current object
   * (under the object's lock) and may throw to refuse the write; `tmpPath` is consumed either way.
   */
  commitObject(
    bucket: string,
    key: string,
    tmpPath: string,
    fields: Omit<ObjectMeta, 'key' | 'dataFile'>,
    precondition?: (existing: ObjectMeta | undefined) => void,
  ): Promise<ObjectMeta> {
    return this.lock.run(`object\n${bucket}\n${key}`, async () => {
      const hash = keyHash(key);
      const dir = this.shardDir(bucket, hash);
      const dataFile = `${hash}.${randomUUID()}.data`;
      let existing: ObjectMeta | undefined;
      try {
        const state = this.requireBucket(bucket);
        existing = state.objects.get(key);
        precondition?.(existing);
        await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
        await rename(tmpPath, join(dir, dataFile));
      } catch (error) {
        await unlink(tmpPath).catch(() => undefined);
        throw error;
      }
      const meta: ObjectMeta = { ...fields, key, dataFile };
      try {
        await this.writeJsonAtomic(join(dir, `${hash}.json`), meta);
      } catch (error) {
        await unlink(join(dir, dataFile)).catch(() => undefined);
        throw error;
      }
      const state = this.buckets.get(bucket);
      if (state) {
        state.objects.set(key, meta);
        if (!existing) state.sorted = undefined;
      }
      if (existing) await unlink(join(dir, existing.dataFile)).catch(() => undefined);
      return meta;
    });
  }

  deleteObject(bucket: string, key: string): Promise<void> {
    return this.lock.run(`object\n${bucket}\n${key}`, async () => {
      const state = this.requireBucket(bucket);
      const existing = state.objects.get(key);
      if (!existing) return;
      const hash = keyHash(key);
      const dir = this.shardDir(bucket, hash);
      await unlink(join(dir, `${hash}.json`));
      state.objects.delete(key);
      state.sorted = undefined;
      await unlink(join(dir, existing.dataFile)).catch(() => undefined);
    });
  }

  // Multipart uploads

  async createUpload(bucket: string, key: string, attributes: ObjectAttributes): Promise<UploadMeta> {
    this.requireBucket(bucket);
    const uploadId = `fw${randomBytes(24).toString('hex')}`;
    const meta: UploadMeta = { ...attributes, uploadId, bucket, key, initiated: new Date().toISOString() };
    await mkdir(this.uploadDir(uploadId), { recursive: true, mode: PRIVATE_DIR_MODE });
    await this.writeJsonAtomic(join(this.uploadDir(uploadId), 'upload.json'), meta);
    this.uploads.set(uploadId, { meta, parts: new Map() });
    return meta;
  }

  /** Uploads of a bucket, by key then initiation time (the order ListMultipartUploads uses). */
  listUploads(bucket: string): UploadMeta[] {
    this.requireBucket(bucket);
    return [...this.uploads.values()]
      .map((u) => u.meta)
      .filter((u) => u.bucket === bucket)
      .sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0));
  }

  private requireUpload(bucket: string, key: string, uploadId: string): UploadState {
    this.requireBucket(bucket);
    const upload = UPLOAD_ID.test(uploadId) ? this.uploads.get(uploadId) : undefined;
    if (!upload || upload.meta.bucket !== bucket || upload.meta.key !== key) throw Errors.noSuchUpload(uploadId);
    return upload;
  }

  /** Validates an upload exists before its body is received. */
  checkUpload(bucket: string, key: string, uploadId: string): void {
    this.requireUpload(bucket, key, uploadId);
  }

  listParts(bucket: string, key: string, uploadId: string): { upload: UploadMeta; parts: PartMeta[] } {
    const upload = this.requireUpload(bucket, key, uploadId);
    return { upload: upload.meta, parts: [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber) };
  }

  putPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    tmpPath: string,
    received: { size: number; etag: string },
  ): Promise<PartMeta> {
    return this.lock.run(`upload\n${uploadId}`, async () => {
      const dir = this.uploadDir(uploadId);
      const dataFile = `part-${partNumber}.${randomUUID()}.data`;
      let upload: UploadState;
      try {
        upload = this.requireUpload(bucket, key, uploadId);
        await rename(tmpPath, join(dir, dataFile));
      } catch (error) {
        await unlink(tmpPath).catch(() => undefined);
        throw error;
      }
      const part: PartMeta = { partNumber, size: received.size, etag: received.etag, lastModified: new Date().toISOString(), dataFile };
      await this.writeJsonAtomic(join(dir, `part-${partNumber}.json`), part);
      const previous = upload.parts.get(partNumber);
      upload.parts.set(partNumber, part);
      if (previous) await unlink(join(dir, previous.dataFile)).catch(() => undefined);
      return part;
    });
  }

  abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.lock.run(`upload\n${uploadId}`, async () => {
      this.requireUpload(bucket, key, uploadId);
      this.uploads.delete(uploadId);
      const doomed = this.tempPath();
      await rename(this.uploadDir(uploadId), doomed);
      await rm(doomed, { recursive: true, force: true });
    });
  }

  /** Joins the listed parts into the object, S3's rules applied; the upload is gone afterwards. */
  completeUpload(bucket: string, key: string, uploadId: string, requested: { partNumber: number; etag: string }[]): Promise<ObjectMeta> {
    return this.lock.run(`upload\n${uploadId}`, async () => {
      const upload = this.requireUpload(bucket, key, uploadId);
      if (requested.length === 0) throw Errors.malformedXml();
      const chosen: PartMeta[] = [];
      for (const [index, wanted] of requested.entries()) {
        if (index > 0 && wanted.partNumber <= requested[index - 1]!.partNumber) throw Errors.invalidPartOrder();
        const part = upload.parts.get(wanted.partNumber);
        if (!part || part.etag !== wanted.etag.replace(/^"|"$/g, '')) throw Errors.invalidPart();
        chosen.push(part);
      }
      if (chosen.slice(0, -1).some((part) => part.size < MIN_PART_SIZE)) throw Errors.entityTooSmall();
      const tmp = this.tempPath();
      const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
      let size = 0;
      try {
        for (const part of chosen) {
          for await (const chunk of createReadStream(join(this.uploadDir(uploadId), part.dataFile), { highWaterMark: 1024 * 1024 })) {
            await handle.write(chunk as Buffer);
            size += (chunk as Buffer).length;
          }
        }
        await handle.sync();
      } catch (error) {
        await handle.close();
        await unlink(tmp).catch(() => undefined);
        throw error;
      }
      await handle.close();
      const md5OfMd5s = createHash('md5');
      for (const part of chosen) md5OfMd5s.update(Buffer.from(part.etag, 'hex'));
      const { contentType, metadata, headers } = upload.meta;
      const meta = await this.commitObject(bucket, key, tmp, {
        size,
        etag: `${md5OfMd5s.digest('hex')}-${chosen.length}`,
        lastModified: new Date().toISOString(),
        contentType,
        metadata,
        headers,
      });
      this.uploads.delete(uploadId);
      await rm(this.uploadDir(uploadId), { recursive: true, force: true });
      return meta;
    });
  }
}
