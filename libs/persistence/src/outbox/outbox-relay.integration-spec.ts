import { randomUUID } from 'node:crypto';
import { decodeEvent, encodeEvent, EventTypeRegistry, RunCompletedEvent, trainerV1 } from '@flywheel/contracts';
import { countRecords, readRecords, startTestPostgres, type TestPostgres, waitFor } from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { Column, type DataSource, Entity, type EntityManager, type MigrationInterface, PrimaryColumn, type QueryRunner } from 'typeorm';
import { createDataSourceOptions } from '../data-source/data-source-options';
import { openDataSource } from '../data-source/open-data-source';
import { tableChangesFor } from '../table-changes/pg-table-changes';
import { TransactionRunner } from '../transaction/transaction-runner';
import { appendToOutbox, type OutboxRecord } from './outbox-record';
import { OutboxRelay, type OutboxMetricsSink, outboxBacklog } from './outbox-relay';
import { kafkaOutboxTransport, type OutboxTransport } from './outbox-transport';

@Entity({ name: 'runs' })
class RunRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) state!: string;
}

class CreateRuns1770000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE runs (id text PRIMARY KEY, state text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE runs`);
  }
}

const registry = new EventTypeRegistry().register(RunCompletedEvent);

function runCompleted(topic: string, runId: string, key = runId): OutboxRecord {
  const record = encodeEvent(RunCompletedEvent, {
    id: randomUUID(),
    source: 'flywheel/trainer',
    time: new Date(),
    key,
    causationId: null,
    traceparent: null,
    data: trainerV1.RunCompleted.fromPartial({ runId, modelName: 'fraud' }),
  });
  return { topic, ...record };
}

/** The state change and its event in one transaction, as a service does it. */
async function completeRun(manager: EntityManager, topic: string, runId: string): Promise<void> {
  await manager.insert(RunRow, { id: runId, state: 'completed' });
  await appendToOutbox(manager, [runCompleted(topic, runId)]);
}

jest.setTimeout(60_000);

describe('outbox relay (PostgreSQL + Kafka broker)', () => {
  let pg: TestPostgres;
  let broker: TestBroker;
  let kafka: Kafka;
  const open: DataSource[] = [];
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    [pg, broker] = await Promise.all([startTestPostgres(), startTestBroker()]);
    kafka = new Kafka({ clientId: 'outbox-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await Promise.all(open.splice(0).map((d) => d.destroy()));
  });

  afterAll(async () => {
    await Promise.all([pg?.stop(), broker?.stop()]);
  });

  async function database(url?: string, schema?: string): Promise<DataSource> {
    const dataSource = await openDataSource(
      createDataSourceOptions({
        url: url ?? (await pg.createDatabase()),
        schema,
        entities: [RunRow],
        migrations: [CreateRuns1770000000000],
      }),
    );
    open.push(dataSource);
    return dataSource;
  }

  function relay(dataSource: DataSource, options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}): OutboxRelay {
    const instance = new OutboxRelay({ dataSource, transport: kafkaOutboxTransport(kafka), pollIntervalMs: 60_000, ...options });
    relays.push(instance);
    instance.start();
    return instance;
  }

  const unpublished = async (dataSource: DataSource) => (await outboxBacklog(dataSource.manager)).rows;

  it('migrates a fresh database, in its own schema when asked', async () => {
    const url = await pg.createDatabase();
    const dataSource = await database(url, 'trainer');
    const tables: Array<{ table_name: string }> = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'trainer' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['migrations', 'outbox', 'processed_events', 'runs']);
    // A second open finds nothing to migrate.
    const again = await database(url, 'trainer');
    expect(await again.showMigrations()).toBe(false);
  });

  it('publishes an event committed with its state change exactly once, and marks it', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    await new TransactionRunner(dataSource).run((manager) => completeRun(manager, topic, 'run-1'));
    relay(dataSource);

    await waitFor(async () => (await unpublished(dataSource)) === 0, 10_000, 'row published');
    const [record] = await readRecords(kafka, topic, 1);
    const event = decodeEvent({ key: record.key, value: record.value, headers: stringHeaders(record.headers) }, registry);
    expect(event).toMatchObject({ type: 'flywheel.trainer.v1.RunCompleted', key: 'run-1', data: { runId: 'run-1', modelName: 'fraud' } });

    // Later commits are published too, and the first row never again.
    await new TransactionRunner(dataSource).run((manager) => completeRun(manager, topic, 'run-2'));
    await waitFor(async () => (await countRecords(kafka, topic)) === 2, 10_000, 'second record');
    const [row] = await dataSource.query(`SELECT published_at, attempts FROM outbox ORDER BY id LIMIT 1`);
    expect(row.published_at).toBeInstanceOf(Date);
    expect(row.attempts).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await countRecords(kafka, topic)).toBe(2);
  });

  it('wakes on commit instead of waiting for its poll interval', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    relay(dataSource, { pollIntervalMs: 600_000 });
    await new Promise((r) => setTimeout(r, 300)); // let it go idle
    const committed = Date.now();
    await dataSource.transaction((manager) => completeRun(manager, topic, 'run-1'));
    await waitFor(async () => (await unpublished(dataSource)) === 0, 5_000, 'row published');
    expect(Date.now() - committed).toBeLessThan(3_000);
  });

  it('hears rows committed by another process (NOTIFY) instead of waiting for its poll, in its own schema', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const url = await pg.createDatabase();
    const [relayed, writer, otherSchema] = [
      await database(url, 'trainer'),
      await database(url, 'trainer'),
      await database(url, 'registry'),
    ];
    relay(relayed, { pollIntervalMs: 600_000, changes: tableChangesFor(relayed) });
    await new Promise((r) => setTimeout(r, 500)); // idle, listening
    // A commit in another schema of the same database is not this relay's business…
    await otherSchema.transaction((manager) => completeRun(manager, topic, 'run-elsewhere'));
    // …a commit by another process in its own schema is, although no in-process signal tells it.
    const committed = Date.now();
    await writer.transaction((manager) => completeRun(manager, topic, 'run-1'));
    await waitFor(async () => (await unpublished(relayed)) === 0, 5_000, 'row published');
    expect(Date.now() - committed).toBeLessThan(3_000);
    expect(await unpublished(otherSchema)).toBe(1);
  });

  it('publishes nothing for a transaction that rolled back', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    relay(dataSource);
    await expect(
      dataSource.transaction(async (manager) => {
        await completeRun(manager, topic, 'run-rolled-back');
        throw new Error('the use case failed after writing');
      }),
    ).rejects.toThrow('the use case failed');
    // A later commit on the same topic proves the relay ran past the rolled-back write.
    await dataSource.transaction((manager) => completeRun(manager, topic, 'run-committed'));
    await waitFor(async () => (await unpublished(dataSource)) === 0, 10_000, 'committed row published');
    const records = await readRecords(kafka, topic, 1);
    expect(records.map((r) => r.key?.toString())).toEqual(['run-committed']);
    expect(await countRecords(kafka, topic)).toBe(1);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 1 }]);
  });

  it('two relays on one database publish each row once, in table order', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const url = await pg.createDatabase();
    const [first, second] = [await database(url), await database(url)];
    const total = 300;
    await first.transaction((manager) =>
      appendToOutbox(
        manager,
        Array.from({ length: total }, (_, i) => runCompleted(topic, `run-${String(i).padStart(4, '0')}`, 'model-fraud')),
      ),
    );
    relay(first, { batchSize: 25, pollIntervalMs: 50 });
    relay(second, { batchSize: 25, pollIntervalMs: 50 });

    await waitFor(async () => (await unpublished(first)) === 0, 20_000, 'backlog published');
    const records = await readRecords(kafka, topic, total);
    const runIds = records.map(
      (r) =>
        (decodeEvent({ key: r.key, value: r.value, headers: stringHeaders(r.headers) }, registry).data as trainerV1.RunCompleted).runId,
    );
    expect(runIds).toEqual(Array.from({ length: total }, (_, i) => `run-${String(i).padStart(4, '0')}`));
    expect(await countRecords(kafka, topic)).toBe(total);
  });

  it('records a failed publication, backs off and publishes the row later', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    await dataSource.transaction((manager) => completeRun(manager, topic, 'run-1'));
    const real = kafkaOutboxTransport(kafka);
    let failures = 2;
    const flaky: OutboxTransport = {
      connect: () => real.connect(),
      disconnect: () => real.disconnect(),
      publish: async (records) => {
        if (failures-- > 0) throw new Error('broker unavailable');
        await real.publish(records);
      },
    };
    relay(dataSource, {
      transport: flaky,
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      backoff: { baseDelayMs: 50, factor: 2, maxDelayMs: 200, jitter: 0 },
    });

    await waitFor(async () => (await unpublished(dataSource)) === 0, 10_000, 'row published after failures');
    const [row] = await dataSource.query(`SELECT attempts, last_error FROM outbox`);
    expect(row).toEqual({ attempts: 2, last_error: 'Error: broker unavailable' });
    expect(await countRecords(kafka, topic)).toBe(1);
  });

  it('parks an event the broker refuses after its last attempt; the events behind it go on, in order', async () => {
    // A broker that accepts record batches of 64 KiB (Kafka's message.max.bytes), and a relay that
    // does not know it: the broker's MESSAGE_TOO_LARGE is what tells.
    const strict = await startTestBroker({ messageMaxBytes: 64 * 1024 });
    const strictKafka = new Kafka({ clientId: 'outbox-strict', brokers: [strict.address], logLevel: logLevel.NOTHING });
    try {
      const topic = `test.outbox.${randomUUID()}`;
      const dataSource = await database();
      const big = runCompleted(topic, 'big', 'fraud');
      big.value = Buffer.concat([big.value ?? Buffer.alloc(0), Buffer.alloc(100 * 1024)]);
      await dataSource.transaction((manager) =>
        appendToOutbox(manager, [runCompleted(topic, 'before', 'fraud'), big, runCompleted(topic, 'after', 'fraud')]),
      );
      const errors: string[] = [];
      relay(dataSource, {
        transport: kafkaOutboxTransport(strictKafka),
        maxAttempts: 2,
        backoff: { baseDelayMs: 20, factor: 2, maxDelayMs: 50, jitter: 0 },
        logger: { log: () => undefined, warn: () => undefined, error: (message: string) => errors.push(message) },
      });

      await waitFor(async () => (await unpublished(dataSource)) === 0, 20_000, 'every row published or parked');
      const published = await readRecords(strictKafka, topic, 2);
      expect(
        published.map(
          (record) => decodeEvent({ key: record.key, value: record.value, headers: stringHeaders(record.headers) }, registry).data,
        ),
      ).toEqual([expect.objectContaining({ runId: 'before' }), expect.objectContaining({ runId: 'after' })]);
      const rows = await dataSource.query(`SELECT attempts, parked_at IS NOT NULL AS parked, parked_reason FROM outbox ORDER BY id`);
      expect(rows.map((row: { parked: boolean }) => row.parked)).toEqual([false, true, false]);
      expect(rows[1].attempts).toBe(2);
      expect(rows[1].parked_reason).toMatch(/^not published after 2 attempts: .*larger than the max message size/);
      expect(errors.some((message) => message.includes('parked event'))).toBe(true);
    } finally {
      await strict.stop();
    }
  });

  it('cuts produce requests under the largest message the broker accepts', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    const records = Array.from({ length: 10 }, (_, i) => {
      const record = runCompleted(topic, `run-${i}`);
      record.value = Buffer.concat([record.value ?? Buffer.alloc(0), Buffer.alloc(20 * 1024)]);
      return record;
    });
    await dataSource.transaction((manager) => appendToOutbox(manager, records));
    const real = kafkaOutboxTransport(kafka);
    const requests: number[] = [];
    const counting: OutboxTransport = {
      connect: () => real.connect(),
      disconnect: () => real.disconnect(),
      publish: async (batch) => {
        requests.push(batch.reduce((bytes, record) => bytes + (record.value?.length ?? 0), 0));
        await real.publish(batch);
      },
    };
    relay(dataSource, { transport: counting, maxMessageBytes: 64 * 1024 });
    await waitFor(async () => (await unpublished(dataSource)) === 0, 10_000, 'rows published');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const bytes of requests) expect(bytes).toBeLessThan(64 * 1024);
    expect(await countRecords(kafka, topic)).toBe(10);
  });

  it('finishes the batch in flight when stopped', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    const real = kafkaOutboxTransport(kafka);
    let sending: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (sending = resolve));
    const slow: OutboxTransport = {
      connect: () => real.connect(),
      disconnect: () => real.disconnect(),
      publish: async (records) => {
        sending();
        await new Promise((r) => setTimeout(r, 500));
        await real.publish(records);
      },
    };
    const instance = relay(dataSource, { transport: slow });
    await dataSource.transaction((manager) => completeRun(manager, topic, 'run-1'));
    await started;
    await instance.stop();
    expect(await unpublished(dataSource)).toBe(0);
    expect(await countRecords(kafka, topic)).toBe(1);
  });

  it('reports its backlog to the metrics sink', async () => {
    const topic = `test.outbox.${randomUUID()}`;
    const dataSource = await database();
    await dataSource.transaction((manager) => appendToOutbox(manager, [runCompleted(topic, 'a'), runCompleted(topic, 'b')]));
    const backlog: number[] = [];
    let published = 0;
    const metrics: OutboxMetricsSink = {
      setOutboxBacklog: (rows) => backlog.push(rows),
      recordOutboxPublished: (rows) => (published += rows),
    };
    relay(dataSource, { metrics, pollIntervalMs: 100 });
    await waitFor(async () => backlog.at(-1) === 0 && published === 2, 10_000, 'backlog drained');
    expect(published).toBe(2);
  });
});

function stringHeaders(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}
