import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { dlqTopic, encodeEvent, type EventEnvelope, RunCompletedEvent, RunFailedEvent, Topics, trainerV1 } from '@flywheel/contracts';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { PersistenceModule } from '@flywheel/persistence';
import { readRecords, startTestPostgres, type TestPostgres, waitFor } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { DataSource, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { MessagingModule } from '../messaging.module';
import { ConsumeEventBatch } from './consume.decorators';
import { DeadLetterHeaders } from './dead-letter';
import { NonRetriableError } from './retry-policy';

const GROUP = 'registry.run-batches';
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

class CreateAppliedRuns1770000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // No unique constraint on purpose: an event applied twice would show as a second row.
    await queryRunner.query(`CREATE TABLE applied_runs (id bigserial PRIMARY KEY, run_id text NOT NULL, event_id text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE applied_runs`);
  }
}

@Injectable()
class RunBatchProjector {
  readonly batchSizes: number[] = [];

  @ConsumeEventBatch({ topic: Topics.trainerEvents, types: [RunCompletedEvent], group: GROUP, maxBatch: 50 })
  async onRuns(events: ReadonlyArray<EventEnvelope<trainerV1.RunCompleted>>, manager: EntityManager): Promise<void> {
    this.batchSizes.push(events.length);
    for (const event of events) {
      if (event.data.runId.startsWith('refused')) throw new NonRetriableError(`RunCompleted.run_id: ${event.data.runId} is refused`);
    }
    await manager.query(`INSERT INTO applied_runs (run_id, event_id) SELECT * FROM unnest($1::text[], $2::text[])`, [
      events.map((e) => e.data.runId),
      events.map((e) => e.id),
    ]);
  }
}

/** The same handler with fetches that wait for data: events trickling in arrive in few batches. */
@Injectable()
class PatientRunBatchProjector {
  readonly batchSizes: number[] = [];

  @ConsumeEventBatch({
    topic: Topics.registryEvents,
    types: [RunCompletedEvent],
    group: 'registry.patient-batches',
    fetch: { minBytes: 1024 * 1024, maxWaitMs: 400 },
  })
  async onRuns(events: ReadonlyArray<EventEnvelope<trainerV1.RunCompleted>>, _manager: EntityManager): Promise<void> {
    this.batchSizes.push(events.length);
  }
}

jest.setTimeout(60_000);

describe('@ConsumeEventBatch (PostgreSQL + Kafka broker)', () => {
  let pg: TestPostgres;
  let broker: TestBroker;
  let producer: Producer;
  let kafka: Kafka;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    pg = await startTestPostgres();
  });

  beforeEach(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ clientId: 'event-batch-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await producer.disconnect();
    await broker.stop();
  });

  afterAll(async () => {
    await pg?.stop();
  });

  async function startService(): Promise<{
    projector: RunBatchProjector;
    patient: PatientRunBatchProjector;
    applied: () => Promise<Array<{ run_id: string; n: number }>>;
  }> {
    const url = await pg.createDatabase();
    @Module({
      imports: [
        PersistenceModule.forService({ url, entities: [], migrations: [CreateAppliedRuns1770000000001], poolSize: 5 }),
        MessagingModule.forRoot({
          service: 'registry',
          brokers: broker.address,
          retry: { maxAttempts: 2, backoff: { baseDelayMs: 20, factor: 2, maxDelayMs: 50, jitter: 0 } },
          consumer: { maxWaitTimeMs: 100 },
          relay: false,
          logger: silent,
        }),
      ],
      providers: [RunBatchProjector, PatientRunBatchProjector],
    })
    class BatchServiceModule {}
    app = await NestFactory.createApplicationContext(BatchServiceModule, { logger: false });
    await app.init();
    const db = app.get(DataSource);
    return {
      projector: app.get(RunBatchProjector),
      patient: app.get(PatientRunBatchProjector),
      applied: () => db.query(`SELECT run_id, count(*)::int AS n FROM applied_runs GROUP BY run_id ORDER BY run_id`),
    };
  }

  const envelope = { source: 'flywheel/trainer', key: 'fraud', causationId: null, traceparent: null };
  const event = (runId: string) =>
    encodeEvent(RunCompletedEvent, {
      ...envelope,
      id: randomUUID(),
      time: new Date(),
      data: trainerV1.RunCompleted.fromPartial({ runId, modelName: 'fraud' }),
    });

  it('hands the handler whole batches, and an event delivered twice (in one batch or later) is applied once', async () => {
    // Produced before the consumer starts: its first fetches hold many events each.
    const records = Array.from({ length: 200 }, (_, i) => event(`run-${String(i).padStart(3, '0')}`));
    const messages = (rs: typeof records) => rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers }));
    await producer.send({ topic: Topics.trainerEvents, acks: -1, messages: messages([...records, records[0]!]) });
    const { projector, applied } = await startService();
    await waitFor(async () => (await applied()).length === 200, 20_000, 'every run applied');
    await producer.send({ topic: Topics.trainerEvents, acks: -1, messages: messages([records[1]!]) });
    const marker = event('run-marker');
    await producer.send({ topic: Topics.trainerEvents, acks: -1, messages: messages([marker]) });
    await waitFor(async () => (await applied()).length === 201, 20_000, 'the marker applied');

    expect((await applied()).every((r) => r.n === 1)).toBe(true);
    // 202 records, the handler saw each new event once: far fewer calls than events.
    expect(projector.batchSizes.reduce((a, b) => a + b, 0)).toBe(201);
    expect(Math.max(...projector.batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...projector.batchSizes)).toBeLessThanOrEqual(50);
  });

  it('parks only the record that is no valid event or that the handler refuses; the rest of its batch is applied', async () => {
    const before = event('run-before');
    const poison = { ...event('run-poison'), value: Buffer.from([0xff, 0xff, 0xff]) };
    const refused = event('refused-1');
    const otherType = encodeEvent(RunFailedEvent, {
      ...envelope,
      id: randomUUID(),
      time: new Date(),
      data: trainerV1.RunFailed.fromPartial({ runId: 'run-failed', modelName: 'fraud', error: 'diverged' }),
    });
    const after = event('run-after');
    await producer.send({
      topic: Topics.trainerEvents,
      acks: -1,
      messages: [before, poison, refused, otherType, after].map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    });
    const { applied } = await startService();
    await waitFor(async () => (await applied()).length === 2, 20_000, 'the good events applied');
    const letters = await readRecords(kafka, dlqTopic(Topics.trainerEvents), 2);

    expect((await applied()).map((r) => r.run_id)).toEqual(['run-after', 'run-before']);
    expect(letters.map((l) => [l.headers[DeadLetterHeaders.originalOffset], l.headers[DeadLetterHeaders.errorClass]])).toEqual([
      ['1', 'EventDecodeError'],
      ['2', 'NonRetriableError'],
    ]);
    expect(letters[1]!.headers[DeadLetterHeaders.error]).toBe('RunCompleted.run_id: refused-1 is refused');
  });

  it('with a minimum fetch size, waits for events to gather: a trickle arrives in a few batches, none lost', async () => {
    const { patient } = await startService();
    // One event every 20 ms for about a second: a fetch that answered at once would take each alone.
    for (let i = 0; i < 50; i++) {
      const record = event(`run-trickle-${i}`);
      await producer.send({
        topic: Topics.registryEvents,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => patient.batchSizes.reduce((a, b) => a + b, 0) === 50, 20_000, 'every event handled');
    expect(patient.batchSizes.length).toBeLessThan(15);
  });
});
