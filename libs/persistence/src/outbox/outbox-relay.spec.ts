import { type DataSource, type EntityManager } from 'typeorm';
import { OutboxRelay } from './outbox-relay';
import { type OutboxTransport } from './outbox-transport';

/** A database with an empty outbox that counts the relay's polls. */
function emptyOutbox() {
  let polls = 0;
  const manager = {
    query: async (sql: string) => (sql.includes('pg_try_advisory_xact_lock') ? [{ locked: true }] : []),
  } as unknown as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (m: EntityManager) => Promise<T>) => {
      polls += 1;
      return work(manager);
    },
    query: async () => [],
    manager,
  } as unknown as DataSource;
  return { dataSource, polls: () => polls };
}

const transport: OutboxTransport = { connect: async () => undefined, publish: async () => undefined, disconnect: async () => undefined };
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('outbox relay options', () => {
  it('keeps its poll interval when the caller passes the option as undefined', async () => {
    const outbox = emptyOutbox();
    // What a wrapper does when its own option is unset: `{ pollIntervalMs: settings.relay?.pollIntervalMs }`.
    const relay = new OutboxRelay({
      dataSource: outbox.dataSource,
      transport,
      pollIntervalMs: undefined,
      batchSize: undefined,
      logger: quiet,
    });
    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await relay.stop();
    // With the 5 s default: the first poll only. A 1 ms interval polled hundreds of times here.
    expect(outbox.polls()).toBe(1);
  });
});
