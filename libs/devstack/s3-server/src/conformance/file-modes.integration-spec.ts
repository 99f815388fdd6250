import { readdirSync } from 'node:fs';
import { CopyDestinationOptions, CopySourceOptions } from 'minio';
import { entriesOpenToOthers } from '@flywheel/test-kit';
import { startTestS3Server, type TestS3 } from '../testing';

jest.setTimeout(60_000);

describe('S3 store files', () => {
  let s3: TestS3 | undefined;

  afterEach(async () => {
    await s3?.dispose();
    s3 = undefined;
  });

  it('keeps objects, their metadata and uploads in progress readable by its own user alone, whatever the umask', async () => {
    const umask = process.umask(0o022);
    try {
      s3 = await startTestS3Server();
      // Parts of 5 MiB: a 6 MiB object goes up in two, through a multipart upload.
      const client = s3.client({ partSize: 5 * 1024 * 1024 });
      await client.makeBucket('flywheel');
      await client.putObject('flywheel', 'models/fraud/1/model.json', Buffer.from('{"weights":[1,2,3]}'));
      await client.putObject('flywheel', 'datasets/claims/v1/part-0.csv', Buffer.alloc(6 * 1024 * 1024, 'a'));
      await client.copyObject(
        new CopySourceOptions({ Bucket: 'flywheel', Object: 'models/fraud/1/model.json' }),
        new CopyDestinationOptions({ Bucket: 'flywheel', Object: 'models/fraud/2/model.json' }),
      );
      const pending = await client.initiateNewMultipartUpload('flywheel', 'datasets/claims/v2/part-0.csv', {});
      await client.uploadPart(
        { bucketName: 'flywheel', objectName: 'datasets/claims/v2/part-0.csv', uploadID: pending, partNumber: 1, headers: {} },
        Buffer.from('row'),
      );

      const files = readdirSync(s3.dataDir, { recursive: true, encoding: 'utf8' });
      expect(files.filter((f) => f.endsWith('.data')).length).toBeGreaterThanOrEqual(4);
      expect(entriesOpenToOthers(s3.dataDir)).toEqual([]);
    } finally {
      process.umask(umask);
    }
  });
});
