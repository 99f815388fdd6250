import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type RunningS3Server, S3Server } from '@flywheel/s3-server';
import { MinioObjectStore } from './minio-object-store';
import { datasetVersionKey, datasetVersionPrefix, modelArtifactKey } from './object-key';
import { sha256Hex, sha256OfStream } from './sha256';
import { IntegrityError, ObjectNotFoundError, ObjectTooLargeError } from './storage.exception';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dataDir: string;
let server: RunningS3Server;
let store: MinioObjectStore;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-storage-'));
  const accessKey = `storage-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  server = await S3Server.start({ port: 0, dataDir, accessKey, secretKey, logger: silent });
  store = new MinioObjectStore({
    endpoint: server.endpoint,
    accessKey,
    secretKey,
    bucket: 'flywheel-test',
    region: 'us-east-1',
    partSizeBytes: 5 * MiB,
  });
  await store.ensureBucket();
});

afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A byte stream of `data` in 64 KiB chunks, like a file being read. */
function byteStream(data: Buffer): Readable {
  let at = 0;
  return new Readable({
    read() {
      this.push(at < data.length ? data.subarray(at, (at += 64 * 1024)) : null);
    },
  });
}

describe('MinioObjectStore against the embedded S3 server', () => {
  it('creates its bucket once and tolerates being asked again', async () => {
    await expect(store.ensureBucket()).resolves.toBeUndefined();
  });

  it('round-trips a buffer with its sha256, content type and metadata', async () => {
    const key = datasetVersionKey('claims', 1, 'rows.csv');
    const body = Buffer.from('claim_id,amount\n1,120.5\n2,80\n');
    const put = await store.put(key, body, { contentType: 'text/csv', metadata: { rows: '2' } });
    expect(put).toEqual({ key, sha256: sha256Hex(body), size: body.length, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((await store.get(key, { expectedSha256: put.sha256 })).equals(body)).toBe(true);
    expect(await store.stat(key)).toEqual({
      key,
      size: body.length,
      etag: put.etag,
      lastModified: expect.any(Date),
      contentType: 'text/csv',
      metadata: { rows: '2' },
      sha256: put.sha256,
    });
  });

  it('throws IntegrityError naming the key when the file on the server was corrupted', async () => {
    const key = modelArtifactKey('fraud', 3, 'model.json');
    const body = Buffer.from(JSON.stringify({ weights: [0.1, 0.2, 0.3], bias: -1 }));
    const put = await store.put(key, body, { contentType: 'application/json' });
    const file = server.objectDataPath('flywheel-test', key)!;
    const bytes = readFileSync(file);
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(file, bytes);

    const error = await store.get(key, { expectedSha256: put.sha256 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).key).toBe(key);
    expect((error as Error).message).toContain(key);
    expect((error as IntegrityError).actualSha256).toBe(sha256Hex(bytes));
    const stream = await store.getStream(key, { expectedSha256: put.sha256 });
    await expect(sha256OfStream(stream)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('throws IntegrityError when the recorded sha256 is not the object’s', async () => {
    const key = datasetVersionKey('claims', 2, 'rows.csv');
    await store.put(key, Buffer.from('a,b\n'));
    await expect(store.get(key, { expectedSha256: sha256Hex('something else') })).rejects.toBeInstanceOf(IntegrityError);
    await expect(store.get(key, { expectedSha256: 'not-a-digest' })).rejects.toThrow(/expectedSha256 must be 64 lowercase hex/);
  });

  it('stops a read at maxBytes with ObjectTooLargeError, whatever the object is, and reads one that fits', async () => {
    const key = modelArtifactKey('grown', 1, 'model.json');
    const data = randomBytes(3 * MiB);
    const put = await store.put(key, data);
    const refused = store.get(key, { expectedSha256: put.sha256, maxBytes: MiB });
    await expect(refused).rejects.toBeInstanceOf(ObjectTooLargeError);
    await expect(refused).rejects.toThrow(`object ${key} is larger than the ${MiB} bytes allowed`);
    expect((await store.get(key, { expectedSha256: put.sha256, maxBytes: data.length })).equals(data)).toBe(true);
    await expect(store.get(key, { expectedSha256: put.sha256, maxBytes: -1 })).rejects.toThrow('maxBytes must be an integer ≥ 0');
  });

  it('streams a large object up in parts and back, hashing on the way, byte-identical', async () => {
    const key = datasetVersionKey('large', 1, 'data.bin');
    const data = randomBytes(23 * MiB);
    const put = await store.put(key, byteStream(data), { contentType: 'application/octet-stream' });
    expect(put.sha256).toBe(sha256Hex(data));
    expect(put.size).toBe(data.length);
    expect(put.etag).toMatch(/-5$/);
    const read = await sha256OfStream(await store.getStream(key, { expectedSha256: put.sha256 }));
    expect(read).toEqual({ sha256: put.sha256, size: data.length });
    const buffered = await store.put(datasetVersionKey('large', 2, 'data.bin'), data);
    expect(buffered.sha256).toBe(put.sha256);
    expect((await store.stat(buffered.key))!.size).toBe(data.length);
  });

  it('lists a prefix in key order, deletes, and reports missing objects', async () => {
    const keys = [3, 1, 2].map((i) => datasetVersionKey('listed', 1, `part-${i}.csv`));
    for (const key of keys) await store.put(key, Buffer.from(key));
    await store.put(datasetVersionKey('listed', 2, 'part-1.csv'), Buffer.from('other version'));
    const listed = await store.list(datasetVersionPrefix('listed', 1));
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    await store.delete(keys[0]!);
    await store.delete(keys[0]!);
    expect(await store.stat(keys[0]!)).toBeUndefined();
    await expect(store.get(keys[0]!, { expectedSha256: sha256Hex('x') })).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect((await store.list(datasetVersionPrefix('listed', 1))).length).toBe(2);
  });
});
