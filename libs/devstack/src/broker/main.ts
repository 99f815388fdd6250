import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonLogger, type LogLevel } from './broker-logger';
import { KafkaBroker } from './kafka-broker';

const USAGE = `usage: npm run broker -- [--port 9092] [--host 127.0.0.1] [--advertised-host HOST]
                         [--data-dir .flywheel/kafka] [--partitions 1] [--rebalance-delay-ms 3000]
                         [--log-level info]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'advertised-host': { type: 'string' },
        'data-dir': { type: 'string' },
        partitions: { type: 'string' },
        'rebalance-delay-ms': { type: 'string' },
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
  const host = values.host ?? '127.0.0.1';
  const broker = await KafkaBroker.start({
    host,
    port: integer('port', values.port, 9092),
    advertisedHost: values['advertised-host'] ?? (host === '0.0.0.0' ? '127.0.0.1' : host),
    dataDir: resolve(values['data-dir'] ?? '.flywheel/kafka'),
    defaultPartitions: integer('partitions', values.partitions, 1) || 1,
    initialRebalanceDelayMs: integer('rebalance-delay-ms', values['rebalance-delay-ms'], 3000),
    logger: jsonLogger(level),
  });
  process.stdout.write(`Kafka broker ready at ${broker.bootstrapAddress} (data in ${broker.config.dataDir})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the broker\n`);
    broker.stop().then(
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
  process.stderr.write(`kafka broker failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
