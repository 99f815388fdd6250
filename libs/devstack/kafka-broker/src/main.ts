import { resolve } from 'node:path';
import { jsonLogger, runServerCommand, ServerCommand } from '@flywheel/dev-server-kit';
import { KafkaBroker } from './kafka-broker';
import { readUsersFile } from './security/users-file';

const USAGE = `usage: npm run broker -- (--users-file users.json | --allow-anonymous)
                         [--port 9092] [--host 127.0.0.1] [--advertised-host HOST]
                         [--data-dir .flywheel/kafka] [--partitions 1] [--rebalance-delay-ms 3000]
                         [--log-level info]
  --users-file       SCRAM-SHA-512 users, ACLs and super users (JSON, mode 600); every client must log in
  --allow-anonymous  no authentication, every client may do everything (local experiments only)`;

runServerCommand('kafka broker', async () => {
  const command = new ServerCommand(
    USAGE,
    ['port', 'host', 'advertised-host', 'data-dir', 'partitions', 'rebalance-delay-ms', 'users-file'],
    ['allow-anonymous'],
  );
  const { values } = command;
  const usersFile = values['users-file'];
  // An open broker must be asked for: the default is one that every client has to log in to.
  if (usersFile === undefined && !command.flag('allow-anonymous')) command.fail('--users-file is required (or --allow-anonymous)');
  if (usersFile !== undefined && command.flag('allow-anonymous')) command.fail('--users-file and --allow-anonymous exclude each other');
  const security = usersFile === undefined ? 'anonymous' : readUsersFile(resolve(usersFile));
  const host = values.host ?? '127.0.0.1';
  const broker = await KafkaBroker.start({
    host,
    port: command.integer('port', 9092, 65535),
    advertisedHost: values['advertised-host'] ?? (host === '0.0.0.0' ? '127.0.0.1' : host),
    dataDir: resolve(values['data-dir'] ?? '.flywheel/kafka'),
    defaultPartitions: command.integer('partitions', 1) || 1,
    initialRebalanceDelayMs: command.integer('rebalance-delay-ms', 3000),
    security,
    logger: jsonLogger(command.logLevel(), 'kafka-broker'),
  });
  const mode = security === 'anonymous' ? 'anonymous, no authentication' : `SASL/SCRAM-SHA-512, ${security.users.length} users`;
  process.stdout.write(`Kafka broker ready at ${broker.bootstrapAddress} (${mode}; data in ${broker.config.dataDir})\n`);
  command.stopOnSignals('broker', broker);
});
