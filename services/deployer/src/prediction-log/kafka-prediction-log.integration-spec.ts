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

interface RunningLog {
  readonly broker: TestBroker;
  readonly kafka: Kafka;
  readonly log: KafkaPredictionLog;
  readonly metrics: PlatformMetrics;
}

/** A broker taking batches of up to `maxBytes`, the predictions topic, and a log started against them. */
async function startLog(settings: { partitions: number; maxBytes: number; buffer: number; batch: number }): Promise<RunningLog> {
  const broker = await startTestBroker({ messageMaxBytes: settings.maxBytes });
  const kafka = new Kafka({ clientId: 'prediction-log-test', brokers: [broker.address], logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, [{ topic: Topics.predictions, partitions: settings.partitions }]);
  const metrics = new PlatformMetrics({ defaultMetrics: false });
  const config = {
    PREDICTION_LOG_BUFFER: settings.buffer,
    PREDICTION_LOG_BATCH: settings.batch,
    PREDICTION_LOG_LINGER_MS: 5,
    KAFKA_MAX_MESSAGE_BYTES: settings.maxBytes,
  } as DeployerConfig;
  const logger = new JsonLogger({ service: 'deployer', level: 'fatal', write: () => undefined });
  const log = new KafkaPredictionLog(kafka, config, logger, new HealthRegistry(), metrics);
  log.onModuleInit();
  await log.onApplicationBootstrap();
  return { broker, kafka, log, metrics };
}

describe('KafkaPredictionLog (Kafka broker)', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let log: KafkaPredictionLog;
  let metrics: PlatformMetrics;

  beforeAll(async () => {
    ({ broker, kafka, log, metrics } = await startLog({ partitions: 3, maxBytes: 1024 * 1024, buffer: BUFFER, batch: 20 }));
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

  it('drops a record it cannot encode alone, counting it, and publishes the ones around it', async () => {
    const published = await countRecords(kafka, Topics.predictions);
    const dropped = await counter('flywheel_deployer_prediction_log_dropped_total');
    log.append(prediction('before-unencodable'), null);
    // An event's time must be a valid instant: this record cannot become an event.
    log.append({ ...prediction('unencodable'), predictTime: new Date(Number.NaN) }, null);
    log.append(prediction('after-unencodable'), null);
    await waitFor(
      async () => (await countRecords(kafka, Topics.predictions)) === published + 2,
      20_000,
      'the two encodable records published',
    );
    expect(await counter('flywheel_deployer_prediction_log_dropped_total')).toBe(dropped + 1);

    const registry = new EventTypeRegistry().register(PredictionLoggedEvent);
    const ids = (await readRecords(kafka, Topics.predictions, published + 2)).map(
      (r) => (decodeEvent(r, registry).data as deployerV1.PredictionLogged).requestId,
    );
    expect(ids.filter((id) => id.includes('unencodable')).sort()).toEqual(['after-unencodable', 'before-unencodable']);
  });
});

describe('KafkaPredictionLog against a broker taking at most 4 KiB a batch', () => {
  const MAX_BYTES = 4096;
  let broker: TestBroker;
  let kafka: Kafka;
  let log: KafkaPredictionLog;
  let metrics: PlatformMetrics;

  beforeAll(async () => {
    // One partition: every record of a send goes into one batch, which the broker measures.
    ({ broker, kafka, log, metrics } = await startLog({ partitions: 1, maxBytes: MAX_BYTES, buffer: 1000, batch: 500 }));
  });

  afterAll(async () => {
    await log?.beforeApplicationShutdown();
    await broker?.stop();
  });

  /** A prediction whose inputs carry `bytes` characters of text. */
  const predictionOf = (requestId: string, bytes: number) =>
    deployerV1.PredictionLogged.fromPartial({
      requestId,
      deployment: 'fraud',
      modelName: 'fraud',
      modelVersion: 1,
      inputs: { values: { note: { stringValue: 'x'.repeat(bytes) } } },
      predictTime: new Date(),
    });

  it('sends in batches the broker accepts, and drops a record larger than any, counting it', async () => {
    // Appended in one tick: 30 records of about 800 bytes wait together, 24 KB in all.
    for (let i = 0; i < 15; i++) log.append(predictionOf(`small-${i}`, 500), null);
    log.append(predictionOf('too-large', 2 * MAX_BYTES), null);
    for (let i = 15; i < 30; i++) log.append(predictionOf(`small-${i}`, 500), null);
    const dropped = await metrics.registry.getSingleMetric('flywheel_deployer_prediction_log_dropped_total')?.get();
    expect(dropped?.values[0]?.value).toBe(1);

    await waitFor(async () => (await countRecords(kafka, Topics.predictions)) === 30, 20_000, 'the 30 small records published');
    const registry = new EventTypeRegistry().register(PredictionLoggedEvent);
    const ids = (await readRecords(kafka, Topics.predictions, 30)).map(
      (r) => (decodeEvent(r, registry).data as deployerV1.PredictionLogged).requestId,
    );
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => `small-${i}`));
  });
});
