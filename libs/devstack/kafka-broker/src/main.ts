import { resolve } from 'node:path';
import { jsonLogger, runServerCommand, ServerCommand } from '@flywheel/dev-server-kit';
import { KafkaBroker } from './kafka-broker';

const USAGE = `usage: npm run broker -- [--port 9092] [--host 127.0.0.1] [--advertised-host HOST]
                         [--data-dir .flywheel/kafka] [--partitions 1] [--rebalance-delay-ms 3000]
                         [--log-level info]`;

runServerCommand('kafka broker', async () => {
  const command = new ServerCommand(USAGE, ['port', 'host', 'advertised-host', 'data-dir', 'partitions', 'rebalance-delay-ms']);
  const { values } = command;
  const host = values.host ?? '127.0.0.1';
  const broker = await KafkaBroker.start({
    host,
    port: command.integer('port', 9092, 65535),
    advertisedHost: values['advertised-host'] ?? (host === '0.0.0.0' ? '127.0.0.1' : host),
    dataDir: resolve(values['data-dir'] ?? '.flywheel/kafka'),
    defaultPartitions: command.integer('partitions', 1) || 1,
    initialRebalanceDelayMs: command.integer('rebalance-delay-ms', 3000),
    logger: jsonLogger(command.logLevel(), 'kafka-broker'),
  });
  process.stdout.write(`Kafka broker ready at ${broker.bootstrapAddress} (data in ${broker.config.dataDir})\n`);
  command.stopOnSignals('broker', broker);
});
