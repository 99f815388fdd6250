import { storageConfigFromEnv } from './storage-config';

describe('storage config from the environment', () => {
  const base = { S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'flywheel', S3_SECRET_KEY: 'a-long-secret' };

  it('applies the documented defaults', () => {
    expect(storageConfigFromEnv(base)).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      accessKey: 'flywheel',
      secretKey: 'a-long-secret',
      bucket: 'flywheel',
      region: 'us-east-1',
    });
  });

  it('names each bad or missing variable', () => {
    expect(() => storageConfigFromEnv({ ...base, S3_ENDPOINT: 'not a url' })).toThrow(/^S3_ENDPOINT: must be an http\(s\) URL/);
    expect(() => storageConfigFromEnv({ ...base, S3_SECRET_KEY: undefined })).toThrow(/S3_SECRET_KEY: is required/);
    expect(() => storageConfigFromEnv({ ...base, S3_BUCKET: 'Bad_Bucket' })).toThrow(/S3_BUCKET: must be a valid S3 bucket name/);
  });
});
