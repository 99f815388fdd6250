import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonLogger, type LogLevel } from '../broker/broker-logger';
import { S3Server } from './s3-server';

const USAGE = `usage: S3_ACCESS_KEY=… S3_SECRET_KEY=… node -r @swc-node/register libs/devstack/src/s3/main.ts
         [--port 9000] [--host 127.0.0.1] [--data-dir .flywheel/s3] [--region us-east-1] [--log-level info]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name} must be an integer between 0 and 65535, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        region: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) fail(`--log-level must be debug|info|warn|error|silent`);
  // Keys only from the environment: never a default, never on the command line (visible in ps).
  const accessKey = process.env.S3_ACCESS_KEY;
  const secretKey = process.env.S3_SECRET_KEY;
  if (!accessKey || accessKey.length < 3) fail('S3_ACCESS_KEY must be set (at least 3 characters)');
  if (!secretKey || secretKey.length < 8) fail('S3_SECRET_KEY must be set (at least 8 characters)');
  const server = await S3Server.start({
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port, 9000),
    dataDir: resolve(values['data-dir'] ?? '.flywheel/s3'),
    region: values.region ?? process.env.S3_REGION ?? 'us-east-1',
    accessKey,
    secretKey,
    logger: jsonLogger(level, 's3-server'),
  });
  process.stdout.write(`S3 server ready at ${server.endpoint} (data in ${server.dataDir})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the S3 server\n`);
    server.stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`${(error as Error).stack}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`s3 server failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
