// A relay process that dies (SIGKILL, no cleanup) right after Kafka acknowledged its first batch
// and before the batch is marked published: the crash the outbox must survive.
// Usage: node -r @swc-node/register crashing-relay.ts <database url> <broker address>
import { createDataSourceOptions, kafkaOutboxTransport, openDataSource, OutboxRelay, type OutboxTransport } from '@flywheel/persistence';
import { Kafka, logLevel } from 'kafkajs';

async function main(): Promise<void> {
  const [url, broker] = process.argv.slice(2);
  const dataSource = await openDataSource(createDataSourceOptions({ url, entities: [], migrations: [] }));
  const real = kafkaOutboxTransport(new Kafka({ clientId: 'crashing-relay', brokers: [broker], logLevel: logLevel.NOTHING }));
  const crashing: OutboxTransport = {
    connect: () => real.connect(),
    disconnect: () => real.disconnect(),
    publish: async (records) => {
      await real.publish(records);
      process.stdout.write(`published ${records.length}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  };
  new OutboxRelay({ dataSource, transport: crashing, pollIntervalMs: 100 }).start();
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
