import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { jsonLogger, type LogLevel, type ServerLogger } from '@flywheel/dev-server-kit';
import { S3Server } from '../s3-server';

/** Silent unless S3_TEST_LOG names a level (e.g. `S3_TEST_LOG=debug npx jest …`) to see every request. */
export const testLogger: ServerLogger = jsonLogger((process.env.S3_TEST_LOG as LogLevel | undefined) ?? 'silent', 's3-server');

export interface TestS3 {
  server: S3Server;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  client(options?: { secretKey?: string; accessKey?: string; partSize?: number; region?: string }): Client;
  /** Stops the server, keeping the data folder. */
  stop(): Promise<void>;
  /** Starts again on the same data folder (and port). */
  restart(): Promise<void>;
  /** Stops the server and removes the data folder. */
  dispose(): Promise<void>;
}

export function minioClient(
  endpoint: string,
  accessKey: string,
  secretKey: string,
  extra: { partSize?: number; region?: string } = {},
): Client {
  const url = new URL(endpoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, ...extra });
}

/** An S3 server on a free loopback port with fresh random keys and a temporary data folder. */
export async function startTestS3Server(options: { region?: string } = {}): Promise<TestS3> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-s3-'));
  const accessKey = `test-${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  const start = (port: number) => S3Server.start({ port, dataDir, accessKey, secretKey, region: options.region, logger: testLogger });
  let server = await start(0);
  let running = true;
  const test: TestS3 = {
    get server() {
      return server;
    },
    dataDir,
    accessKey,
    secretKey,
    client: (overrides = {}) =>
      minioClient(server.endpoint, overrides.accessKey ?? accessKey, overrides.secretKey ?? secretKey, {
        partSize: overrides.partSize,
        region: overrides.region,
      }),
    async stop() {
      if (running) await server.stop();
      running = false;
    },
    async restart() {
      await test.stop();
      server = await start(server.port);
      running = true;
    },
    async dispose() {
      await test.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}
