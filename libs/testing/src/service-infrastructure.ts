import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestBroker } from '@flywheel/kafka-broker';
import { freePort } from '@flywheel/test-kit';
import { startTestPostgres, type TestPostgres } from './test-postgres';

/** One token per role, for calling a service under test as different teams. */
export interface TestTokens {
  reader: string;
  writer: string;
  promoter: string;
  admin: string;
}

export interface ServiceInfrastructure {
  postgres: TestPostgres;
  broker: TestBroker;
  s3: { endpoint: string; accessKey: string; secretKey: string };
  tokensFile: string;
  tokens: TestTokens;
  /**
   * The environment a service reads at boot (the same variables `npm start` and
   * docker-compose set): a fresh database of its own and free gRPC/HTTP ports.
   */
  serviceEnv(service: string, extra?: Record<string, string>): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL, the Kafka-protocol broker and the S3 store on loopback, for integration
 * tests that boot one or more services in-process. Stop it in afterAll.
 */
export async function startServiceInfrastructure(): Promise<ServiceInfrastructure> {
  // Loaded here, not at the top: most suites import @flywheel/testing for small helpers and
  // should not pay for the broker, the S3 store and NestJS.
  const { startTestBroker } = await import('@flywheel/kafka-broker');
  const { S3Server } = await import('@flywheel/s3-server');
  const { jsonLogger } = await import('@flywheel/dev-server-kit');
  const { issueToken, Role } = await import('@flywheel/platform');
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-services-'));
  const [postgres, broker] = await Promise.all([startTestPostgres(), startTestBroker()]);
  const s3Keys = { accessKey: `TEST${randomBytes(6).toString('hex').toUpperCase()}`, secretKey: randomBytes(18).toString('base64url') };
  const s3 = await S3Server.start({ port: 0, dataDir: join(dir, 's3'), ...s3Keys, logger: jsonLogger('warn', 's3-server') });
  const tokensFile = join(dir, 'tokens.json');
  const tokens: TestTokens = {
    reader: issueToken(tokensFile, { team: 'analysts', roles: [Role.Read] }).token,
    writer: issueToken(tokensFile, { team: 'fraud', roles: [Role.Write] }).token,
    promoter: issueToken(tokensFile, { team: 'release', roles: [Role.Promote] }).token,
    admin: issueToken(tokensFile, { team: 'platform', roles: [Role.Admin] }).token,
  };
  return {
    postgres,
    broker,
    s3: { endpoint: s3.endpoint, ...s3Keys },
    tokensFile,
    tokens,
    async serviceEnv(service, extra = {}) {
      return {
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(await freePort()),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
        KAFKA_BROKERS: broker.address,
        DATABASE_URL: await postgres.createDatabase(`${service.replace(/-/g, '_')}_${randomBytes(3).toString('hex')}`),
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: s3Keys.accessKey,
        S3_SECRET_KEY: s3Keys.secretKey,
        S3_BUCKET: 'flywheel',
        FLYWHEEL_TOKENS_FILE: tokensFile,
        FLYWHEEL_SERVICE_TOKEN: tokens.admin,
        LOG_LEVEL: process.env.SERVICE_LOG_LEVEL ?? 'warn',
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...extra,
      };
    },
    async stop() {
      await Promise.allSettled([s3.stop(), broker.stop(), postgres.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
