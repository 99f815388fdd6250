import { dlqTopic } from '@flywheel/contracts';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { readRecords, waitFor } from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '../kafka/topic-admin';
import { NO_METRICS } from '../metrics/messaging-metrics';
import { BatchConsumerGroup, type ConsumedBatch } from './batch-consumer-group';
import { DeadLetterHeaders } from './dead-letter';
import { KafkaDeadLetterSink } from './kafka-dead-letter-sink';

jest.setTimeout(60_000);

const silent = { log: () => undefined, error: () => undefined, warn: () => undefined };
const TOPIC = 'batch-input';

describe('BatchConsumerGroup (Kafka broker)', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let group: BatchConsumerGroup | undefined;
  let sink: KafkaDeadLetterSink;

  beforeEach(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ clientId: 'batch-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [{ topic: TOPIC, partitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: ['r0', 'r1', 'r2', 'boom', 'r4', 'r5'].map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
    sink = new KafkaDeadLetterSink(kafka, (topic) => ({ topic, partitions: 1 }));
    await sink.connect();
  });

  afterEach(async () => {
    await group?.stop();
    await sink.disconnect();
    await broker.stop();
  });

  const start = (handle: (batch: ConsumedBatch) => Promise<void>) => {
    group = new BatchConsumerGroup({
      kafka,
      group: 'batch-group',
      topics: [TOPIC],
      handle,
      retry: { maxAttempts: 2, backoff: { baseDelayMs: 10, factor: 1, maxDelayMs: 10, jitter: 0 } },
      deadLetter: (source, letter) => sink.send(source, letter),
      metrics: NO_METRICS,
      logger: silent,
      clock: () => new Date(),
      partitionsConsumedConcurrently: 1,
      sessionTimeoutMs: 10_000,
      maxWaitTimeMs: 100,
      maxRecordsPerBatch: 100,
    });
    return group.start();
  };

  it('applies a failing batch record by record and parks only the record that still fails', async () => {
    const applied: string[] = [];
    const sizes: number[] = [];
    await start(async (batch) => {
      sizes.push(batch.records.length);
      const values = batch.records.map((r) => r.value!.toString());
      if (values.includes('boom')) throw new Error('cannot apply boom');
      applied.push(...values);
    });
    await waitFor(() => applied.length === 5, 20_000, 'the other records applied');
    expect(applied).toEqual(['r0', 'r1', 'r2', 'r4', 'r5']);
    // The whole batch twice (its attempts), then each record alone; "boom" twice on its own.
    expect(sizes.slice(0, 2)).toEqual([6, 6]);
    expect(sizes.slice(2)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const [letter] = await readRecords(kafka, dlqTopic(TOPIC), 1);
    expect(letter!.value!.toString()).toBe('boom');
    expect(letter!.headers).toMatchObject({
      [DeadLetterHeaders.error]: 'cannot apply boom',
      [DeadLetterHeaders.attempts]: '2',
      [DeadLetterHeaders.originalOffset]: '3',
      [DeadLetterHeaders.consumer]: 'batch-group',
    });
  });

  it('retries a batch whose failure passes, applying every record once', async () => {
    const applied: string[] = [];
    let failures = 1;
    await start(async (batch) => {
      if (failures-- > 0) throw new Error('database restarting');
      applied.push(...batch.records.map((r) => r.value!.toString()));
    });
    await waitFor(() => applied.length === 6, 20_000, 'all applied');
    expect(applied).toEqual(['r0', 'r1', 'r2', 'boom', 'r4', 'r5']);
  });
});
