import { decodeEvent, deployerV1, EventTypeRegistry, PredictionLoggedEvent, Topics } from '@flywheel/contracts';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { ensureTopics } from '@flywheel/messaging';
import { HealthRegistry, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { countRecords, readRecords, waitFor } from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { type DeployerConfig } from '../deployer.config';
import { KafkaPredictionLog } from './kafka-prediction-log';

jest.setTimeout(60_000);

const BUFFER = 100;

describe('KafkaPredictionLog (Kafka broker)', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let log: KafkaPredictionLog;
  let metrics: PlatformMetrics;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ clientId: 'prediction-log-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [{ topic: Topics.predictions, partitions: 3 }]);
    metrics = new PlatformMetrics({ defaultMetrics: false });
    const config = { PREDICTION_LOG_BUFFER: BUFFER, PREDICTION_LOG_BATCH: 20, PREDICTION_LOG_LINGER_MS: 5 } as DeployerConfig;
    const logger = new JsonLogger({ service: 'deployer', level: 'fatal', write: () => undefined });
    log = new KafkaPredictionLog(kafka, config, logger, new HealthRegistry(), metrics);
    log.onModuleInit();
    await log.onApplicationBootstrap();
  });

  afterAll(async () => {
    await log?.beforeApplicationShutdown();
    await broker?.stop();
  });

  const prediction = (requestId: string) =>
    deployerV1.PredictionLogged.fromPartial({
      requestId,
      deployment: 'fraud',
      modelName: 'fraud',
      modelVersion: 1,
      predictTime: new Date(),
    });

  async function counter(name: string): Promise<number> {
    const metric = await metrics.registry.getSingleMetric(name)?.get();
    return metric?.values[0]?.value ?? 0;
  }

  it('loses nothing while its buffer is not full, and counts every record it drops once it is', async () => {
    // Appended as a server appends them: synchronously, while earlier batches are in flight.
    for (let i = 0; i < 80; i++) log.append(prediction(`kept-${i}`), null);
    await waitFor(async () => (await countRecords(kafka, Topics.predictions)) === 80, 20_000, 'the first 80 published');
    expect(await counter('flywheel_deployer_prediction_log_dropped_total')).toBe(0);

    // In one tick nothing is acknowledged meanwhile: the buffer holds BUFFER, the rest is dropped.
    for (let i = 0; i < BUFFER + 30; i++) log.append(prediction(`burst-${i}`), null);
    expect(await counter('flywheel_deployer_prediction_log_dropped_total')).toBe(30);
    await waitFor(async () => (await countRecords(kafka, Topics.predictions)) === 80 + BUFFER, 20_000, 'the buffered burst published');

    const records = await readRecords(kafka, Topics.predictions, 80 + BUFFER);
    const registry = new EventTypeRegistry().register(PredictionLoggedEvent);
    const ids = records.map((r) => (decodeEvent(r, registry).data as deployerV1.PredictionLogged).requestId);
    // Each once: the first 80, then the burst up to the buffer's bound, in order within a request id's partition.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('kept-')).sort()).toEqual(Array.from({ length: 80 }, (_, i) => `kept-${i}`).sort());
    expect(ids.filter((id) => id.startsWith('burst-')).sort()).toEqual(Array.from({ length: BUFFER }, (_, i) => `burst-${i}`).sort());
    expect(await counter('flywheel_deployer_prediction_log_published_total')).toBe(80 + BUFFER);
  });
});
