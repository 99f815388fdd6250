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
  S3_ENDPOINT: z
    .string({ error: 'is required' })
    .refine((value) => {
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
export function storageConfigFromEnv(env: Record<string, string | undefined> = process.env): StorageConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new StorageConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_REGION } = parsed.data;
  return { endpoint: S3_ENDPOINT, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, bucket: S3_BUCKET, region: S3_REGION };
}
