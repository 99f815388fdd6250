import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Client, CopyConditions, CopyDestinationOptions, CopySourceOptions, type S3Error } from 'minio';
import { startTestS3Server, type TestS3 } from '../testing';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const BUCKET = 'conformance';

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

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A byte stream (not object mode) that hands out `data` in 64 KiB chunks, as a file or socket would. */
function byteStream(data: Buffer): Readable {
  let at = 0;
  return new Readable({
    read() {
      this.push(at < data.length ? data.subarray(at, (at += 64 * 1024)) : null);
    },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    return error as S3Error;
  }
  throw new Error('expected the call to fail');
}

/** ListParts is protected in the client's typings, yet it is what a resuming upload calls. */
function listParts(c: Client, bucket: string, key: string, uploadId: string): Promise<{ part: number; size: number; etag: string }[]> {
  type PartsLister = { listParts(bucket: string, key: string, uploadId: string): Promise<{ part: number; size: number; etag: string }[]> };
  return (c as unknown as PartsLister).listParts(bucket, key, uploadId);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('buckets through minio', () => {
  it('makes, finds, lists, locates and removes buckets', async () => {
    expect(await client.bucketExists(BUCKET)).toBe(true);
    expect(await client.bucketExists('absent-bucket')).toBe(false);
    await client.makeBucket('second-bucket');
    expect((await client.listBuckets()).map((b) => b.name)).toEqual([BUCKET, 'second-bucket']);
    expect(await client.getBucketRegionAsync(BUCKET)).toBe('us-east-1');
    await client.removeBucket('second-bucket');
    expect(await client.bucketExists('second-bucket')).toBe(false);
  });

  it('answers BucketAlreadyOwnedByYou, BucketNotEmpty, NoSuchBucket and InvalidBucketName', async () => {
    expect((await errorOf(client.makeBucket(BUCKET))).code).toBe('BucketAlreadyOwnedByYou');
    await client.putObject(BUCKET, 'x', Buffer.from('x'));
    expect((await errorOf(client.removeBucket(BUCKET))).code).toBe('BucketNotEmpty');
    expect((await errorOf(client.putObject('no-such-bucket', 'x', Buffer.from('x')))).code).toBe('NoSuchBucket');
    expect((await errorOf(client.removeBucket('no-such-bucket'))).code).toBe('NoSuchBucket');
    // The client refuses invalid names itself; the server must too (a client with its own rules may not).
    const direct = client as unknown as {
      makeRequestAsyncOmit(options: object, payload: string, codes: number[], region: string): Promise<unknown>;
    };
    expect((await errorOf(direct.makeRequestAsyncOmit({ method: 'PUT', bucketName: 'Upper_Case' }, '', [200], 'us-east-1'))).code).toBe(
      'InvalidBucketName',
    );
  });

  it('reports a configured region, and clients with and without that region both work', async () => {
    const regional = await startTestS3Server({ region: 'eu-west-1' });
    try {
      const discovering = regional.client();
      await discovering.makeBucket('regional', 'eu-west-1');
      expect(await discovering.getBucketRegionAsync('regional')).toBe('eu-west-1');
      await discovering.putObject('regional', 'k', Buffer.from('v'));
      const pinned = regional.client({ region: 'eu-west-1' });
      expect((await readAll(await pinned.getObject('regional', 'k'))).toString()).toBe('v');
      const wrong = regional.client({ region: 'us-west-2' });
      expect((await errorOf(wrong.statObject('regional', 'k'))).code).toBe('AuthorizationHeaderMalformed');
    } finally {
      await regional.dispose();
    }
  });
});

describe('objects through minio', () => {
  it('puts, stats and gets an object with content type and user metadata', async () => {
    const body = Buffer.from('id,label\n1,0\n2,1\n');
    const put = await client.putObject(BUCKET, 'datasets/claims/v1/part-0.csv', body, body.length, {
      'Content-Type': 'text/csv',
      'x-amz-meta-sha256': sha256(body),
      'Cache-Control': 'no-cache',
    });
    expect(put.etag).toBe(createHash('md5').update(body).digest('hex'));
    const stat = await client.statObject(BUCKET, 'datasets/claims/v1/part-0.csv');
    expect(stat.size).toBe(body.length);
    expect(stat.etag).toBe(put.etag);
    expect(stat.metaData).toEqual({ 'content-type': 'text/csv', 'cache-control': 'no-cache', sha256: sha256(body) });
    expect(Math.abs(stat.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await readAll(await client.getObject(BUCKET, 'datasets/claims/v1/part-0.csv'))).toEqual(body);
  });

  it('stores an empty object and keys with spaces, unicode, plus signs and numbers', async () => {
    const keys = ['empty', 'with space/and+plus', 'unicodé/ключ/鍵.txt', "odd!chars*(1)'~.bin", '12345', '0x1f', '1e5'];
    for (const key of keys) await client.putObject(BUCKET, key, key === 'empty' ? Buffer.alloc(0) : Buffer.from(key));
    for (const key of keys) {
      expect((await readAll(await client.getObject(BUCKET, key))).toString()).toBe(key === 'empty' ? '' : key);
    }
    const listed = await collect(client.listObjectsV2(BUCKET, '', true));
    expect(listed.map((o) => o.name).sort()).toEqual([...keys].sort());
  });

  it('serves ranges with 206 and refuses a range past the end with InvalidRange', async () => {
    const body = randomBytes(1000);
    await client.putObject(BUCKET, 'ranged', body);
    expect(await readAll(await client.getPartialObject(BUCKET, 'ranged', 10, 20))).toEqual(body.subarray(10, 30));
    expect(await readAll(await client.getPartialObject(BUCKET, 'ranged', 990))).toEqual(body.subarray(990));
    const partial = await client.getPartialObject(BUCKET, 'ranged', 0, 5);
    expect((partial as unknown as { statusCode: number }).statusCode).toBe(206);
    expect((partial as unknown as { headers: Record<string, string> }).headers['content-range']).toBe('bytes 0-4/1000');
    await readAll(partial);
    const error = await errorOf(client.getPartialObject(BUCKET, 'ranged', 1000, 10));
    expect(error.code).toBe('InvalidRange');
  });

  it('answers NoSuchKey for a missing object and NotFound to stat', async () => {
    expect((await errorOf(client.getObject(BUCKET, 'missing'))).code).toBe('NoSuchKey');
    expect((await errorOf(client.statObject(BUCKET, 'missing'))).code).toBe('NotFound');
  });

  it('overwrites an object in place', async () => {
    await client.putObject(BUCKET, 'k', Buffer.from('first'));
    await client.putObject(BUCKET, 'k', Buffer.from('second'), undefined, { 'x-amz-meta-round': '2' });
    expect((await readAll(await client.getObject(BUCKET, 'k'))).toString()).toBe('second');
    expect((await client.statObject(BUCKET, 'k')).metaData.round).toBe('2');
  });

  it('copies objects, keeping or replacing metadata, and honours copy conditions', async () => {
    await client.putObject(BUCKET, 'models/fraud/1/model.json', Buffer.from('{"w":[1]}'), undefined, {
      'Content-Type': 'application/json',
      'x-amz-meta-run': 'r1',
    });
    const kept = (await client.copyObject(
      new CopySourceOptions({ Bucket: BUCKET, Object: 'models/fraud/1/model.json' }),
      new CopyDestinationOptions({ Bucket: BUCKET, Object: 'models/fraud/2/model.json' }),
    )) as { Etag: string };
    expect(kept.Etag).toBe(createHash('md5').update('{"w":[1]}').digest('hex'));
    const keptStat = await client.statObject(BUCKET, 'models/fraud/2/model.json');
    expect(keptStat.metaData).toEqual({ 'content-type': 'application/json', run: 'r1' });

    await client.copyObject(
      new CopySourceOptions({ Bucket: BUCKET, Object: 'models/fraud/1/model.json' }),
      new CopyDestinationOptions({
        Bucket: BUCKET,
        Object: 'models/fraud/3/model.json',
        MetadataDirective: 'REPLACE',
        UserMetadata: { run: 'r3' },
      }),
    );
    expect((await client.statObject(BUCKET, 'models/fraud/3/model.json')).metaData.run).toBe('r3');
    expect((await readAll(await client.getObject(BUCKET, 'models/fraud/3/model.json'))).toString()).toBe('{"w":[1]}');

    const conditions = new CopyConditions();
    conditions.setMatchETag('not-the-etag');
    const refused = await errorOf(
      client.copyObject(BUCKET, 'models/fraud/4/model.json', `/${BUCKET}/models/fraud/1/model.json`, conditions),
    );
    expect(refused.code).toBe('PreconditionFailed');
    expect((await errorOf(client.statObject(BUCKET, 'models/fraud/4/model.json'))).code).toBe('NotFound');
    const legacy = (await client.copyObject(BUCKET, 'models/fraud/5/model.json', `/${BUCKET}/models/fraud/1/model.json`)) as {
      etag: string;
    };
    expect(legacy.etag).toBe(kept.Etag);
  });

  it('removes one object and many at once (multi-delete), missing keys included', async () => {
    for (let i = 0; i < 5; i++) await client.putObject(BUCKET, `tmp/${i}`, Buffer.from(String(i)));
    await client.removeObject(BUCKET, 'tmp/0');
    await client.removeObject(BUCKET, 'tmp/never-existed');
    const errors = await client.removeObjects(BUCKET, ['tmp/1', 'tmp/2', 'tmp/3', 'tmp/absent']);
    expect(errors).toEqual([]);
    expect((await collect(client.listObjectsV2(BUCKET, 'tmp/', true))).map((o) => o.name)).toEqual(['tmp/4']);
  });
});

describe('listing through minio', () => {
  const keys = Array.from({ length: 130 }, (_, i) => `datasets/d${i % 3}/v${i}/part-${String(i).padStart(4, '0')}.csv`).sort();

  beforeEach(async () => {
    await Promise.all(keys.map((key) => client.putObject(BUCKET, key, Buffer.from(key))));
    await client.putObject(BUCKET, 'models/m/1/model.json', Buffer.from('{}'));
  });

  it('lists 130 objects recursively, in key order, with sizes and etags', async () => {
    const listed = await collect(client.listObjectsV2(BUCKET, 'datasets/', true));
    expect(listed.map((o) => o.name)).toEqual(keys);
    expect(listed[0]!.size).toBe(keys[0]!.length);
    expect(listed[0]!.etag).toBe(createHash('md5').update(keys[0]!).digest('hex'));
  });

  it('rolls keys up into common prefixes with a delimiter', async () => {
    const top = await collect(client.listObjectsV2(BUCKET, '', false));
    expect(top).toEqual([
      { prefix: 'datasets/', size: 0 },
      { prefix: 'models/', size: 0 },
    ]);
    const datasets = await collect(client.listObjectsV2(BUCKET, 'datasets/', false));
    expect(datasets.map((o) => o.prefix)).toEqual(['datasets/d0/', 'datasets/d1/', 'datasets/d2/']);
  });

  it('pages with max-keys and continuation tokens until the listing is complete', async () => {
    const names: string[] = [];
    let token = '';
    let pages = 0;
    for (; pages < 20; pages++) {
      const page = await client.listObjectsV2Query(BUCKET, 'datasets/', token, '', 25, '');
      names.push(...page.objects.map((o) => o.name!));
      if (!page.isTruncated) break;
      token = page.nextContinuationToken;
    }
    expect(pages + 1).toBe(6);
    expect(names).toEqual(keys);
  });

  it('pages common prefixes without repeating them', async () => {
    const prefixes: string[] = [];
    let token = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await client.listObjectsV2Query(BUCKET, 'datasets/d1/', token, '/', 7, '');
      prefixes.push(...page.objects.map((o) => o.prefix!));
      if (!page.isTruncated) break;
      token = page.nextContinuationToken;
    }
    expect(prefixes).toEqual([
      ...new Set(keys.filter((k) => k.startsWith('datasets/d1/')).map((k) => k.split('/').slice(0, 3).join('/') + '/')),
    ]);
  });

  it('starts after a given key, and lists with the V1 API (markers) as well', async () => {
    const after = await collect(client.listObjectsV2(BUCKET, 'datasets/', true, keys[99]));
    expect(after.map((o) => o.name)).toEqual(keys.slice(100));
    const v1 = await collect(client.listObjects(BUCKET, 'datasets/', true));
    expect(v1.map((o) => o.name)).toEqual(keys);
    const v1Page = await client.listObjectsQuery(BUCKET, 'datasets/', keys[9], { Delimiter: '', MaxKeys: 10, IncludeVersion: false });
    expect(v1Page.objects.map((o) => o.name)).toEqual(keys.slice(10, 20));
    expect(v1Page.isTruncated).toBe(true);
  });
});

describe('multipart uploads through minio', () => {
  it('uploads a 17 MiB stream in 5 MiB parts and reads it back byte-identical, whole and by range', async () => {
    const multipart = s3.client({ partSize: 5 * MiB });
    const data = randomBytes(17 * MiB);
    const result = await multipart.putObject(BUCKET, 'datasets/big/v1/data.bin', byteStream(data), data.length, {
      'Content-Type': 'application/octet-stream',
      'x-amz-meta-kind': 'big',
    });
    expect(result.etag).toMatch(/^[0-9a-f]{32}-4$/);

    const partMd5s = [0, 1, 2, 3].map((i) =>
      createHash('md5')
        .update(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))
        .digest(),
    );
    expect(result.etag).toBe(`${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-4`);

    const stat = await multipart.statObject(BUCKET, 'datasets/big/v1/data.bin');
    expect(stat.size).toBe(data.length);
    expect(stat.metaData.kind).toBe('big');
    expect(sha256(await readAll(await multipart.getObject(BUCKET, 'datasets/big/v1/data.bin')))).toBe(sha256(data));
    const across = await readAll(await multipart.getPartialObject(BUCKET, 'datasets/big/v1/data.bin', 5 * MiB - 100, 300));
    expect(across).toEqual(data.subarray(5 * MiB - 100, 5 * MiB + 200));
    expect(await collect(multipart.listIncompleteUploads(BUCKET, '', true))).toEqual([]);
  });

  it('initiates, uploads parts, lists parts and uploads, completes, and aborts', async () => {
    const key = 'models/big/1/weights.bin';
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, key, { 'x-amz-meta-run': 'r9' });
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(1234);
    const e1 = await client.uploadPart({ bucketName: BUCKET, objectName: key, uploadID: uploadId, partNumber: 1, headers: {} }, part1);
    const e2 = await client.uploadPart({ bucketName: BUCKET, objectName: key, uploadID: uploadId, partNumber: 2, headers: {} }, part2);
    const parts = await listParts(client, BUCKET, key, uploadId);
    expect(parts.map((p) => [p.part, p.size, p.etag])).toEqual([
      [1, part1.length, e1.etag],
      [2, part2.length, e2.etag],
    ]);
    const incomplete = await collect(client.listIncompleteUploads(BUCKET, 'models/', true));
    expect(incomplete).toEqual([expect.objectContaining({ key, uploadId, size: part1.length + part2.length })]);

    const bad = await errorOf(
      client.completeMultipartUpload(BUCKET, key, uploadId, [
        { part: 1, etag: e1.etag },
        { part: 2, etag: 'ffffffffffffffffffffffffffffffff' },
      ]),
    );
    expect(bad.code).toBe('InvalidPart');
    const disordered = await errorOf(
      client.completeMultipartUpload(BUCKET, key, uploadId, [
        { part: 2, etag: e2.etag },
        { part: 1, etag: e1.etag },
      ]),
    );
    expect(disordered.code).toBe('InvalidPartOrder');

    await client.completeMultipartUpload(BUCKET, key, uploadId, [
      { part: 1, etag: e1.etag },
      { part: 2, etag: e2.etag },
    ]);
    expect(sha256(await readAll(await client.getObject(BUCKET, key)))).toBe(sha256(Buffer.concat([part1, part2])));
    expect((await client.statObject(BUCKET, key)).metaData.run).toBe('r9');
    expect((await errorOf(listParts(client, BUCKET, key, uploadId))).code).toBe('NoSuchUpload');

    const abandoned = await client.initiateNewMultipartUpload(BUCKET, 'abandoned', {});
    await client.uploadPart(
      { bucketName: BUCKET, objectName: 'abandoned', uploadID: abandoned, partNumber: 1, headers: {} },
      Buffer.from('x'),
    );
    await client.abortMultipartUpload(BUCKET, 'abandoned', abandoned);
    expect(await collect(client.listIncompleteUploads(BUCKET, '', true))).toEqual([]);
    expect((await errorOf(client.abortMultipartUpload(BUCKET, 'abandoned', abandoned))).code).toBe('NoSuchUpload');
  });

  it('refuses a non-last part below 5 MiB with EntityTooSmall', async () => {
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, 'small-parts', {});
    const e1 = await client.uploadPart(
      { bucketName: BUCKET, objectName: 'small-parts', uploadID: uploadId, partNumber: 1, headers: {} },
      Buffer.from('a'),
    );
    const e2 = await client.uploadPart(
      { bucketName: BUCKET, objectName: 'small-parts', uploadID: uploadId, partNumber: 2, headers: {} },
      Buffer.from('b'),
    );
    const error = await errorOf(
      client.completeMultipartUpload(BUCKET, 'small-parts', uploadId, [
        { part: 1, etag: e1.etag },
        { part: 2, etag: e2.etag },
      ]),
    );
    expect(error.code).toBe('EntityTooSmall');
  });
});

describe('durability', () => {
  it('finds buckets, objects, metadata and in-progress uploads again after a restart', async () => {
    const multipart = s3.client({ partSize: 5 * MiB });
    const big = randomBytes(11 * MiB);
    await multipart.putObject(BUCKET, 'big', byteStream(big), big.length);
    await client.putObject(BUCKET, 'small', Buffer.from('kept'), undefined, { 'x-amz-meta-note': 'survives' });
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, 'pending', {});
    const e1 = await client.uploadPart(
      { bucketName: BUCKET, objectName: 'pending', uploadID: uploadId, partNumber: 1, headers: {} },
      Buffer.from('part'),
    );

    await s3.restart();
    const again = s3.client();
    expect(await again.bucketExists(BUCKET)).toBe(true);
    expect(sha256(await readAll(await again.getObject(BUCKET, 'big')))).toBe(sha256(big));
    expect((await again.statObject(BUCKET, 'small')).metaData.note).toBe('survives');
    expect((await listParts(again, BUCKET, 'pending', uploadId)).map((p) => p.etag)).toEqual([e1.etag]);
    await again.completeMultipartUpload(BUCKET, 'pending', uploadId, [{ part: 1, etag: e1.etag }]);
    expect((await readAll(await again.getObject(BUCKET, 'pending'))).toString()).toBe('part');
  });
});
