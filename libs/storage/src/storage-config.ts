import { z } from 'zod';

export interface StorageConfig {
  /** S3 endpoint URL, e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** Multipart part size; a streamed upload buffers one part in memory. Default 64 MiB. */
  partSizeBytes?: number;
}

export const DEFAULT_PART_SIZE_BYTES = 64 * 1024 * 1024;

const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const schema = z.object({
  S3_ENDPOINT: z.string({ error: 'is required' }).refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && (url.pathname === '/' || url.pathname === '');
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without a path, e.g. http://127.0.0.1:9000'),
  S3_ACCESS_KEY: z.string({ error: 'is required' }).min(3, 'must be at least 3 characters'),
  S3_SECRET_KEY: z.string({ error: 'is required' }).min(8, 'must be at least 8 characters'),
  S3_BUCKET: z.string().regex(bucketName, 'must be a valid S3 bucket name (3-63 of a-z 0-9 . -)').default('flywheel'),
  S3_REGION: z.string().min(1).default('us-east-1'),
});

export class StorageConfigError extends Error {}

/** Reads the S3_* variables; a bad or missing one fails with a message naming it. */
/** The S3_* variables of a service's validated configuration, as the store takes them. */
export interface S3Variables {
  S3_ENDPOINT: string;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
  S3_BUCKET: string;
  S3_REGION: string;
}

export function storageConfigOf(config: S3Variables): StorageConfig {
  return {
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
  };
}

export function storageConfigFromEnv(env: Record<string, string | undefined> = process.env): StorageConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new StorageConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return storageConfigOf(parsed.data);
}
