import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MinioObjectStore } from './minio-object-store';
import { datasetVersionKey, type ObjectKey } from './object-key';
import { ObjectStore, type PutResult } from './object-store';
import { sha256Hex } from './sha256';
import { StorageModule } from './storage.module';

@Injectable()
class DatasetWriter {
  constructor(private readonly store: ObjectStore) {}

  write(rows: string): Promise<PutResult> {
    return this.store.put(datasetVersionKey('claims', 1, 'rows.csv'), Buffer.from(rows), { contentType: 'text/csv' });
  }
}

@Module({ providers: [DatasetWriter] })
class DatasetModule {}

const config = {
  endpoint: 'http://127.0.0.1:9',
  accessKey: 'flywheel',
  secretKey: 'a-long-secret',
  bucket: 'flywheel',
  region: 'us-east-1',
};

describe('StorageModule', () => {
  it('provides the ObjectStore port, backed by minio, to any module', async () => {
    const app = await Test.createTestingModule({ imports: [StorageModule.forRoot(config), DatasetModule] }).compile();
    expect(app.get(ObjectStore)).toBeInstanceOf(MinioObjectStore);
    expect(app.get(DatasetWriter)).toBeInstanceOf(DatasetWriter);
  });

  it('lets a unit test replace the port with a fake, without I/O', async () => {
    const puts: ObjectKey[] = [];
    const fake: Partial<ObjectStore> = {
      put: async (key, body) => {
        puts.push(key);
        return { key, sha256: sha256Hex(body as Buffer), size: (body as Buffer).length, etag: 'fake' };
      },
    };
    const app = await Test.createTestingModule({ imports: [StorageModule.forRoot(config), DatasetModule] })
      .overrideProvider(ObjectStore)
      .useValue(fake)
      .compile();
    const result = await app.get(DatasetWriter).write('id\n1\n');
    expect(puts).toEqual(['datasets/claims/v1/rows.csv']);
    expect(result.sha256).toBe(sha256Hex('id\n1\n'));
  });
});
