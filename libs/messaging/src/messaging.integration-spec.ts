import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Global, Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  decodeEvent,
  dlqTopic,
  encodeEvent,
  type EventEnvelope,
  EventTypeRegistry,
  ingestTopic,
  INGEST_TOPIC_PATTERN,
  ModelVersionRegisteredEvent,
  registryV1,
  RunCompletedEvent,
  RunFailedEvent,
  Topics,
  trainerV1,
} from '@flywheel/contracts';
import { createDataSourceOptions, openDataSource, outboxBacklog, PersistenceModule, TransactionRunner } from '@flywheel/persistence';
import { HealthRegistry } from '@flywheel/platform';
import { countRecords, readRecords, startTestPostgres, type TestPostgres, waitFor } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type DataSource, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { ConsumeEvent, ConsumeRaw } from './consuming/consume.decorators';
import { type ConsumedRecord } from './consuming/consumed-record';
import { DeadLetterHeaders } from './consuming/dead-letter';
import { NonRetriableError } from './consuming/retry-policy';
import { ensureTopics } from './kafka/topic-admin';
import { type ConsumeOutcome, type MessagingMetricsSink } from './metrics/messaging-metrics';
import { MessagingModule } from './messaging.module';
import { EventPublisher } from './publishing/event-publisher';
import { TRACE_CONTEXT } from './messaging-options';
import { AsyncLocalTraceContext, type TraceContext, traceIdOf } from './trace/trace-context';

const REPO_ROOT = resolve(__dirname, '../../..');
const GROUP = 'registry.run-completed';
const RAW_GROUP = 'ingestion.raw-records';
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

class CreateRegistryTables1770000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // No unique constraint on purpose: a second application of an event would show as a second row.
    await queryRunner.query(`CREATE TABLE registered_versions (id bigserial PRIMARY KEY, run_id text NOT NULL, event_id text NOT NULL)`);
    await queryRunner.query(`CREATE TABLE raw_rows (id bigserial PRIMARY KEY, topic text NOT NULL, body jsonb NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE raw_rows`);
    await queryRunner.query(`DROP TABLE registered_versions`);
  }
}
const MIGRATIONS = [CreateRegistryTables1770000000000];

/** A registry-like consumer: a completed run becomes a version, and a ModelVersionRegistered follows. */
@Injectable()
class RunCompletedProjector {
  failuresBeforeSuccess = 0;
  alwaysFail = false;
  delayMs = 0;
  calls = 0;
  started = 0;
  traceparents: Array<string | null> = [];

  constructor(
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(TRACE_CONTEXT) private readonly traces: TraceContext,
  ) {}

  @ConsumeEvent({ topic: Topics.trainerEvents, types: [RunCompletedEvent], group: GROUP })
  async onRunCompleted(event: EventEnvelope<trainerV1.RunCompleted>, manager: EntityManager): Promise<void> {
    this.calls++;
    this.started++;
    this.traceparents.push(this.traces.current());
    if (this.alwaysFail) throw new Error(`model registry rejected ${event.data.runId}`);
    if (this.failuresBeforeSuccess-- > 0) throw new Error('could not serialize access');
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    await manager.query(`INSERT INTO registered_versions (run_id, event_id) VALUES ($1, $2)`, [event.data.runId, event.id]);
    await this.publisher.publish(
      manager,
      ModelVersionRegisteredEvent,
      registryV1.ModelVersionRegistered.fromPartial({ version: { modelName: event.data.modelName } }),
      { key: event.data.modelName },
    );
  }
}

/** What one replica keeps in memory of the runs it heard of (as a cache would): every replica hears every event. */
@Injectable()
class RunWatcher {
  readonly runs: string[] = [];

  @ConsumeEvent({ topic: Topics.trainerEvents, types: [RunCompletedEvent], group: 'registry.run-watch', replicas: 'each' })
  async onRunCompleted(event: EventEnvelope<trainerV1.RunCompleted>, _manager: EntityManager): Promise<void> {
    this.runs.push(event.data.runId);
  }
}

/** An ingestion-like consumer of raw JSON records on every `flywheel.ingest.<dataset>` topic. */
@Injectable()
class RawRecordSink {
  @ConsumeRaw({ topic: INGEST_TOPIC_PATTERN, group: RAW_GROUP, retry: { maxAttempts: 2 } })
  async onRecord(record: ConsumedRecord, manager: EntityManager): Promise<void> {
    const body = JSON.parse(record.value?.toString('utf8') ?? 'null');
    if (body?.reject) throw new NonRetriableError(`record ${body.id} breaks the data contract`);
    await manager.query(`INSERT INTO raw_rows (topic, body) VALUES ($1, $2)`, [record.topic, body]);
  }
}

class RecordingMetrics implements MessagingMetricsSink {
  outcomes: ConsumeOutcome[] = [];
  lag = new Map<string, number>();
  setOutboxBacklog(): void {}
  recordOutboxPublished(): void {}
  setConsumerLag(group: string, topic: string, partition: number, lag: number): void {
    this.lag.set(`${group} ${topic}[${partition}]`, lag);
  }
  recordConsumed(_group: string, _topic: string, outcome: ConsumeOutcome): void {
    this.outcomes.push(outcome);
  }
  recordBatchConsumed(): void {}
  count(outcome: ConsumeOutcome): number {
    return this.outcomes.filter((o) => o === outcome).length;
  }
}

jest.setTimeout(60_000);

describe('messaging (PostgreSQL + Kafka broker)', () => {
  let pg: TestPostgres;
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: Producer;
  let url: string;
  const apps: INestApplicationContext[] = [];
  const dataSources: DataSource[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  });

  beforeEach(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ clientId: 'messaging-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    url = await pg.createDatabase();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await Promise.all(dataSources.splice(0).map((d) => d.destroy()));
    await producer.disconnect();
    await broker.stop();
  });

  afterAll(async () => {
    await pg?.stop();
  });

  /** One replica of a registry-like service; named replicas also run a RunWatcher. */
  async function startService(
    metrics = new RecordingMetrics(),
    retry = { maxAttempts: 3, backoff: { baseDelayMs: 20, factor: 2, maxDelayMs: 100, jitter: 0 } },
    instance?: string,
  ) {
    const traceContext = new AsyncLocalTraceContext();
    @Module({
      imports: [
        PersistenceModule.forService({ url, entities: [], migrations: MIGRATIONS, poolSize: 5 }),
        MessagingModule.forRoot({
          service: 'registry',
          brokers: broker.address,
          instance,
          topics: [Topics.registryEvents],
          retry,
          consumer: { maxWaitTimeMs: 100, partitionsConsumedConcurrently: 2 },
          relay: { pollIntervalMs: 100 },
          metrics,
          traceContext,
          logger: silent,
        }),
      ],
      providers: [RunCompletedProjector, RawRecordSink, ...(instance ? [RunWatcher] : [])],
    })
    class TestServiceModule {}
    const app = await NestFactory.createApplicationContext(TestServiceModule, { logger: false });
    apps.push(app);
    await app.init();
    return {
      app,
      metrics,
      projector: app.get(RunCompletedProjector),
      watcher: instance ? app.get(RunWatcher) : undefined,
      dataSource: app.get(TransactionRunner),
    };
  }

  async function database(): Promise<DataSource> {
    const dataSource = await openDataSource(createDataSourceOptions({ url, entities: [], migrations: MIGRATIONS }));
    dataSources.push(dataSource);
    return dataSource;
  }

  async function rows(table: 'registered_versions' | 'raw_rows'): Promise<number> {
    const dataSource = dataSources[0] ?? (await database());
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
    return row.n;
  }

  function runCompleted(runId: string, id = randomUUID()) {
    return encodeEvent(RunCompletedEvent, {
      id,
      source: 'flywheel/trainer',
      time: new Date(),
      key: 'fraud',
      causationId: null,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      data: trainerV1.RunCompleted.fromPartial({ runId, modelName: 'fraud' }),
    });
  }

  const send = (topic: string, record: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }) =>
    producer.send({ topic, acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] });

  it('publishes a state change’s event through the outbox; the consumer applies it and names it as the cause of its own event', async () => {
    const trainerDb = await database();
    const trainer = new EventPublisher({ service: 'trainer', traceContext: new AsyncLocalTraceContext() });
    let rootId = '';
    await trainerDb.transaction(async (manager) => {
      await manager.query(`INSERT INTO raw_rows (topic, body) VALUES ('state', '{"run":"run-1"}')`);
      rootId = (
        await trainer.publish(manager, RunCompletedEvent, trainerV1.RunCompleted.fromPartial({ runId: 'run-1', modelName: 'fraud' }), {
          key: 'run-1',
        })
      ).id;
    });
    await expect(
      trainerDb.transaction(async (manager) => {
        await trainer.publish(
          manager,
          RunCompletedEvent,
          trainerV1.RunCompleted.fromPartial({ runId: 'rolled-back', modelName: 'fraud' }),
          { key: 'x' },
        );
        throw new Error('use case failed');
      }),
    ).rejects.toThrow('use case failed');

    const { projector } = await startService();
    await waitFor(async () => (await rows('registered_versions')) === 1, 15_000, 'event applied');
    await waitFor(async () => (await countRecords(kafka, Topics.registryEvents)) === 1, 15_000, 'consequence published');
    expect(await countRecords(kafka, Topics.trainerEvents)).toBe(1);
    expect(projector.calls).toBe(1);

    const [consequence] = await readRecords(kafka, Topics.registryEvents, 1);
    const event = decodeEvent(consequence, new EventTypeRegistry().register(ModelVersionRegisteredEvent));
    expect(event).toMatchObject({ source: 'flywheel/registry', key: 'fraud', causationId: rootId });
    // The handler ran in the trace of the event it handled, and its own event continues it.
    const [trainerRecord] = await readRecords(kafka, Topics.trainerEvents, 1);
    expect(projector.traceparents).toEqual([trainerRecord.headers.traceparent]);
    expect(traceIdOf(event.traceparent)).toBe(traceIdOf(trainerRecord.headers.traceparent));
  });

  it('parks an event larger than the broker accepts: health is degraded with the reason, and the events behind it go on', async () => {
    const health = new HealthRegistry();
    @Global()
    @Module({ providers: [{ provide: HealthRegistry, useValue: health }], exports: [HealthRegistry] })
    class HealthModule {}
    @Module({
      imports: [
        HealthModule,
        PersistenceModule.forService({ url, entities: [], migrations: MIGRATIONS, poolSize: 5 }),
        MessagingModule.forRoot({
          service: 'trainer',
          brokers: broker.address,
          topics: [Topics.trainerEvents],
          relay: { pollIntervalMs: 100 },
          maxMessageBytes: 64 * 1024,
          logger: silent,
        }),
      ],
    })
    class PublishingModule {}
    const app = await NestFactory.createApplicationContext(PublishingModule, { logger: false });
    apps.push(app);
    await app.init();
    const publisher = app.get(EventPublisher);
    const transactions = app.get(TransactionRunner);
    expect(await health.run()).toMatchObject({ status: 'ok', checks: { outbox: { status: 'up' } } });

    await transactions.run(async (manager) => {
      const run = (runId: string, modelName = 'fraud') => trainerV1.RunCompleted.fromPartial({ runId, modelName });
      await publisher.publish(manager, RunCompletedEvent, run('before'), { key: 'fraud' });
      await publisher.publish(manager, RunCompletedEvent, run('oversized', 'x'.repeat(100_000)), { key: 'fraud' });
      await publisher.publish(manager, RunCompletedEvent, run('after'), { key: 'fraud' });
    });

    await waitFor(
      async () => (await countRecords(kafka, Topics.trainerEvents)) === 2,
      15_000,
      'the events around the oversized one published',
    );
    const published = await readRecords(kafka, Topics.trainerEvents, 2);
    const registry = new EventTypeRegistry().register(RunCompletedEvent);
    expect(published.map((record) => (decodeEvent(record, registry).data as trainerV1.RunCompleted).runId)).toEqual(['before', 'after']);
    const report = await health.run();
    expect(report.status).toBe('degraded');
    expect(report.checks.outbox).toMatchObject({ status: 'degraded', info: { parked: 1 } });
    expect(report.checks.outbox.reason).toMatch(
      /1 event\(s\) parked, not published; latest: event of \d+ bytes exceeds the largest message the broker accepts \(65536 bytes\)/,
    );
    const db = await database();
    const [parked] = await db.query(`SELECT parked_reason FROM outbox WHERE parked_at IS NOT NULL`);
    expect(parked.parked_reason).toContain('exceeds the largest message the broker accepts');
    expect((await outboxBacklog(db.manager)).rows).toBe(0);
  });

  it('survives a relay crash between publish and mark: the record is sent again and applied once', async () => {
    const trainerDb = await database();
    const trainer = new EventPublisher({ service: 'trainer', traceContext: new AsyncLocalTraceContext() });
    await new TransactionRunner(trainerDb).run((manager) =>
      trainer.publish(manager, RunCompletedEvent, trainerV1.RunCompleted.fromPartial({ runId: 'run-crash', modelName: 'fraud' }), {
        key: 'run-crash',
      }),
    );

    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/messaging/src/testing/crashing-relay.ts', url, broker.address],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exit = await new Promise<string | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
    expect({ exit, output: output.trim() }).toEqual({ exit: 'SIGKILL', output: 'published 1' });
    expect(await countRecords(kafka, Topics.trainerEvents)).toBe(1);
    expect((await outboxBacklog(trainerDb.manager)).rows).toBe(1);

    const { metrics } = await startService();
    await waitFor(async () => (await outboxBacklog(trainerDb.manager)).rows === 0, 15_000, 'row republished and marked');
    await waitFor(() => metrics.count('duplicate') === 1, 15_000, 'second copy seen as a duplicate');
    expect(await countRecords(kafka, Topics.trainerEvents)).toBe(2);
    expect(await rows('registered_versions')).toBe(1);
    expect(metrics.count('applied')).toBe(1);
  });

  it("splits a shared group's events between two replicas, while each replica hears every event of a replicas: 'each' group from its start on", async () => {
    // Before either replica is there: the shared group applies it (a new group reads from the
    // topic's start); the replicas' memories, which begin empty, have nothing to do with it.
    await send(Topics.trainerEvents, runCompleted('run-before'));
    const first = await startService(undefined, undefined, 'registry-1');
    const second = await startService(undefined, undefined, 'registry-2');
    await waitFor(async () => (await rows('registered_versions')) === 1, 15_000, 'the earlier event applied');

    const runIds = Array.from({ length: 12 }, (_, i) => `run-${i}`);
    for (const runId of runIds) await send(Topics.trainerEvents, runCompleted(runId));
    await waitFor(async () => (await rows('registered_versions')) === 13, 15_000, 'the shared group applied every event');
    await waitFor(() => first.watcher!.runs.length === 12 && second.watcher!.runs.length === 12, 15_000, 'both replicas heard every event');
    expect([...first.watcher!.runs].sort()).toEqual([...runIds].sort());
    expect([...second.watcher!.runs].sort()).toEqual([...runIds].sort());
    // Once each: the shared group's applications across both replicas add up to the events.
    expect(first.projector.calls + second.projector.calls).toBe(13);
    const groups = await dataSources[0].query(`SELECT DISTINCT consumer FROM processed_events ORDER BY consumer`);
    expect(groups.map((g: { consumer: string }) => g.consumer)).toEqual([
      GROUP,
      'registry.run-watch.registry-1',
      'registry.run-watch.registry-2',
    ]);
  });

  it('gives an event delivered twice one effect', async () => {
    const { metrics, projector } = await startService();
    const record = runCompleted('run-twice');
    await send(Topics.trainerEvents, record);
    await send(Topics.trainerEvents, record);
    await waitFor(() => metrics.outcomes.length === 2, 15_000, 'both deliveries processed');
    expect(metrics.outcomes.sort()).toEqual(['applied', 'duplicate']);
    expect(await rows('registered_versions')).toBe(1);
    expect(projector.calls).toBe(1);
    const [processed] = await dataSources[0].query(`SELECT consumer, event_id FROM processed_events`);
    expect(processed).toEqual({ consumer: GROUP, event_id: record.headers.ce_id });
  });

  it('parks poison records in the DLQ with their error, and the partition moves on', async () => {
    const { metrics } = await startService();
    const good = runCompleted('run-poison-1');
    const { ce_type: _type, ...noType } = good.headers;
    await send(Topics.trainerEvents, { ...good, headers: noType });
    await send(Topics.trainerEvents, { ...runCompleted('x'), headers: { ...good.headers, ce_type: 'flywheel.trainer.v1.NoSuchEvent' } });
    await send(Topics.trainerEvents, { ...good, value: Buffer.from([0xff, 0xff, 0xff, 0xff]) });
    const next = runCompleted('run-after-poison');
    await send(Topics.trainerEvents, next);

    await waitFor(async () => (await rows('registered_versions')) === 1, 15_000, 'the good event after the poison applied');
    const letters = await readRecords(kafka, dlqTopic(Topics.trainerEvents), 3);
    const [original] = await readRecords(kafka, Topics.trainerEvents, 1);
    expect(letters.map((l) => l.headers[DeadLetterHeaders.error])).toEqual([
      'ce_type: header is missing',
      expect.stringMatching(/^ce_type: unknown event type "flywheel\.trainer\.v1\.NoSuchEvent"/),
      expect.stringMatching(/^value: not a valid flywheel\.trainer\.v1\.RunCompleted/),
    ]);
    for (const [i, letter] of letters.entries()) {
      expect(letter.headers).toMatchObject({
        [DeadLetterHeaders.errorClass]: 'EventDecodeError',
        [DeadLetterHeaders.consumer]: GROUP,
        [DeadLetterHeaders.originalTopic]: Topics.trainerEvents,
        [DeadLetterHeaders.originalPartition]: String(original.partition),
        [DeadLetterHeaders.originalOffset]: String(i),
        [DeadLetterHeaders.attempts]: '1',
      });
      expect(letter.key?.toString()).toBe('fraud');
      expect(new Date(letter.headers[DeadLetterHeaders.failedAt]).getTime()).not.toBeNaN();
    }
    expect(letters[2].value).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(letters[0].headers.ce_id).toBe(good.headers.ce_id);
    expect(metrics.count('dead-lettered')).toBe(3);
  });

  it('acknowledges a valid event of a type the group does not handle', async () => {
    const { metrics, projector } = await startService();
    const failed = encodeEvent(RunFailedEvent, {
      id: randomUUID(),
      source: 'flywheel/trainer',
      time: new Date(),
      key: 'fraud',
      causationId: null,
      traceparent: null,
      data: trainerV1.RunFailed.fromPartial({ runId: 'run-failed', modelName: 'fraud', error: 'diverged' }),
    });
    await send(Topics.trainerEvents, failed);
    await waitFor(() => metrics.count('ignored') === 1, 15_000, 'unhandled event acknowledged');
    expect(projector.calls).toBe(0);
    expect(await countRecords(kafka, dlqTopic(Topics.trainerEvents))).toBe(0);
  });

  it('retries a failing handler and applies the event once when it succeeds', async () => {
    const { metrics, projector } = await startService();
    projector.failuresBeforeSuccess = 2;
    await send(Topics.trainerEvents, runCompleted('run-flaky'));
    await waitFor(() => metrics.count('applied') === 1, 15_000, 'applied after retries');
    expect(projector.calls).toBe(3);
    expect(await rows('registered_versions')).toBe(1);
    expect(await countRecords(kafka, dlqTopic(Topics.trainerEvents))).toBe(0);
  });

  it('parks an event whose handler always fails after the configured attempts, then applies the next', async () => {
    const { metrics, projector } = await startService();
    projector.alwaysFail = true;
    const doomed = runCompleted('run-doomed');
    await send(Topics.trainerEvents, doomed);
    await waitFor(() => metrics.count('dead-lettered') === 1, 15_000, 'parked');
    expect(projector.calls).toBe(3);
    const [letter] = await readRecords(kafka, dlqTopic(Topics.trainerEvents), 1);
    expect(letter.headers).toMatchObject({
      [DeadLetterHeaders.error]: 'model registry rejected run-doomed',
      [DeadLetterHeaders.errorClass]: 'Error',
      [DeadLetterHeaders.attempts]: '3',
      ce_id: doomed.headers.ce_id,
    });
    expect(letter.value).toEqual(doomed.value);

    projector.alwaysFail = false;
    await send(Topics.trainerEvents, runCompleted('run-next'));
    await waitFor(async () => (await rows('registered_versions')) === 1, 15_000, 'next event applied');
  });

  it('handles raw records on pattern topics with dedupe by position and a dead-letter topic per topic', async () => {
    const claims = ingestTopic('claims');
    await ensureTopics(kafka, [{ topic: claims, partitions: 1 }]);
    let service = await startService();
    const json = (body: object) => ({ key: Buffer.from('c1'), value: Buffer.from(JSON.stringify(body)), headers: {} });
    await send(claims, json({ id: 1, amount: 10 }));
    await send(claims, json({ id: 2, reject: true }));
    await send(claims, json({ id: 3, amount: 30 }));
    await waitFor(() => service.metrics.outcomes.length === 3, 15_000, 'three records processed');
    expect(service.metrics.outcomes).toEqual(['applied', 'dead-lettered', 'applied']);
    const [letter] = await readRecords(kafka, dlqTopic(claims), 1);
    expect(letter.headers).toMatchObject({ [DeadLetterHeaders.errorClass]: 'NonRetriableError', [DeadLetterHeaders.originalOffset]: '1' });

    // Replay the topic from the start (an operator's offset reset): nothing is applied twice.
    await apps.pop()!.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: RAW_GROUP, topic: claims, partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();
    service = await startService();
    await waitFor(() => service.metrics.count('duplicate') === 2, 15_000, 'replayed records skipped');
    expect(await rows('raw_rows')).toBe(2);
  });

  it('on shutdown finishes the record in hand and commits it, so a restart does not see it again', async () => {
    const first = await startService();
    first.projector.delayMs = 700;
    await send(Topics.trainerEvents, runCompleted('run-in-flight'));
    await waitFor(() => first.projector.started === 1, 15_000, 'handler started');
    await apps.pop()!.close();
    expect(await rows('registered_versions')).toBe(1);
    expect(first.metrics.count('applied')).toBe(1);

    const second = await startService();
    await send(Topics.trainerEvents, runCompleted('run-after-restart'));
    await waitFor(async () => (await rows('registered_versions')) === 2, 15_000, 'next event applied');
    expect(second.metrics.outcomes).toEqual(['applied']);
    expect([...second.metrics.lag.values()].every((lag) => lag === 0)).toBe(true);
  });
});
