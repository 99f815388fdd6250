import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type RunningS3Server, S3Server } from '@flywheel/s3-server';
import { MinioObjectStore } from './minio-object-store';
import { MAX_OBJECT_CHUNK_BYTES, readObjectChunk } from './object-chunk';
import { datasetVersionKey, datasetVersionPrefix, modelArtifactKey } from './object-key';
import { sha256Hex, sha256OfStream } from './sha256';
import { IntegrityError, ObjectNotFoundError, ObjectTooLargeError } from './storage.exception';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dataDir: string;
let server: RunningS3Server;
let store: MinioObjectStore;
let credentials: { accessKey: string; secretKey: string };

/**
 * A TCP proxy to the S3 server that resets the first `resets` connections as soon as a request
 * arrives on them (as a server closing an idle keep-alive socket, or a restarting one, does).
 */
async function resettingProxy(resets: number): Promise<{ endpoint: string; resets: () => number; close: () => Promise<void> }> {
  const target = new URL(server.endpoint);
  let done = 0;
  const sockets = new Set<Socket>();
  const proxy = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (done < resets) {
      done++;
      socket.once('data', () => socket.resetAndDestroy());
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    resets: () => done,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

function storeAt(endpoint: string): MinioObjectStore {
  return new MinioObjectStore({ endpoint, ...credentials, bucket: 'flywheel-test', region: 'us-east-1', partSizeBytes: 5 * MiB });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-storage-'));
  const accessKey = `storage-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  server = await S3Server.start({ port: 0, dataDir, accessKey, secretKey, logger: silent });
  credentials = { accessKey, secretKey };
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

  it('puts a buffer under the sha256 its caller computed, which the server checks against the bytes', async () => {
    const key = datasetVersionKey('claims', 3, 'rows.csv');
    const body = Buffer.from('claim_id,amount\n7,19.5\n');
    const put = await store.put(key, body, { contentType: 'text/csv', sha256: sha256Hex(body) });
    expect(put).toEqual({ key, sha256: sha256Hex(body), size: body.length, etag: createHash('md5').update(body).digest('hex') });
    expect((await store.get(key, { expectedSha256: put.sha256 })).equals(body)).toBe(true);
    expect(await store.stat(key)).toMatchObject({ contentType: 'text/csv', sha256: put.sha256, size: body.length });

    const misnamed = datasetVersionKey('claims', 4, 'rows.csv');
    await expect(store.put(misnamed, body, { sha256: sha256Hex('other bytes') })).rejects.toMatchObject({
      code: 'XAmzContentSHA256Mismatch',
    });
    expect(await store.stat(misnamed)).toBeUndefined();
    await expect(store.put(misnamed, body, { sha256: sha256Hex(body).toUpperCase() })).rejects.toThrow(
      /a put's sha256 is 64 lowercase hex digits/,
    );
  });

  it('sends such a buffer unsigned with its MD5 where the client signs no payloads (HTTPS), which the server checks', async () => {
    const unsigned = storeAt(server.endpoint);
    // What the client does over TLS; here on the plain server, which verifies the MD5 alike.
    (unsigned as unknown as { client: { enableSHA256: boolean } }).client.enableSHA256 = false;
    const key = datasetVersionKey('claims', 5, 'rows.csv');
    const body = Buffer.from('claim_id\n8\n');
    const put = await unsigned.put(key, body, { sha256: sha256Hex(body) });
    expect(put.etag).toBe(createHash('md5').update(body).digest('hex'));
    expect((await store.get(key, { expectedSha256: put.sha256 })).equals(body)).toBe(true);
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

  it('reads ranges, and pieces that join into the object (readObjectChunk), past the end reading nothing', async () => {
    const key = modelArtifactKey('ranged', 'run-1', 'model.json');
    const body = randomBytes(10 * MiB + 123);
    const put = await store.put(key, body, { contentType: 'application/json' });
    expect((await store.getRange(key, 5, 10)).equals(body.subarray(5, 15))).toBe(true);
    expect((await store.getRange(key, body.length - 3, 100)).equals(body.subarray(body.length - 3))).toBe(true);
    await expect(store.getRange(key, -1, 10)).rejects.toThrow(RangeError);
    await expect(store.getRange(modelArtifactKey('ranged', 'run-2', 'model.json'), 0, 10)).rejects.toBeInstanceOf(ObjectNotFoundError);

    const object = { key, sha256: put.sha256, sizeBytes: put.size, contentType: 'application/json' };
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < body.length;) {
      const chunk = await readObjectChunk(store, object, offset, 0);
      expect([chunk.offset, chunk.data.length]).toEqual([offset, Math.min(MAX_OBJECT_CHUNK_BYTES, body.length - offset)]);
      pieces.push(chunk.data);
      offset += chunk.data.length;
    }
    expect(sha256Hex(Buffer.concat(pieces))).toBe(put.sha256);
    expect((await readObjectChunk(store, object, 100, 7)).data.equals(body.subarray(100, 107))).toBe(true);
    expect((await readObjectChunk(store, object, body.length, 0)).data).toHaveLength(0);
    expect((await readObjectChunk(store, object, body.length + 5, 0)).data).toHaveLength(0);
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

  it('sends a read, a buffer and a stat again when their connection is reset, and not a stream it cannot replay', async () => {
    const key = modelArtifactKey('fraud', 'reset-run', 'model.json');
    const body = randomBytes(64 * 1024);
    const proxy = await resettingProxy(2);
    try {
      const flaky = storeAt(proxy.endpoint);
      const put = await flaky.put(key, body, { contentType: 'application/json' });
      expect(put.sha256).toBe(sha256Hex(body));
      expect(proxy.resets()).toBe(2);
      expect(await store.get(key, { expectedSha256: put.sha256 })).toEqual(body);
    } finally {
      await proxy.close();
    }

    const reads = await resettingProxy(2);
    try {
      const flaky = storeAt(reads.endpoint);
      expect(await flaky.get(key, { expectedSha256: sha256Hex(body) })).toEqual(body);
      expect((await flaky.stat(key))?.size).toBe(body.length);
      expect(reads.resets()).toBe(2);
    } finally {
      await reads.close();
    }

    const streamed = await resettingProxy(1);
    try {
      const flaky = storeAt(streamed.endpoint);
      await expect(flaky.put(modelArtifactKey('fraud', 'reset-run', 'stream.bin'), Readable.from([body]))).rejects.toThrow(
        /ECONNRESET|socket hang up|EPIPE/,
      );
    } finally {
      await streamed.close();
    }
  });

  it('gives up after three resets in a row with the reset itself', async () => {
    const proxy = await resettingProxy(3);
    try {
      const flaky = storeAt(proxy.endpoint);
      await expect(flaky.stat(modelArtifactKey('fraud', 'reset-run', 'model.json'))).rejects.toThrow(/ECONNRESET|socket hang up/);
      expect(proxy.resets()).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});
