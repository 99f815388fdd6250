import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { datasetOfIngestTopic, dlqTopic, Topics } from '@flywheel/contracts';
import {
  BatchConsumerGroup,
  buildDeadLetter,
  type ConsumedBatch,
  NonRetriableError,
  DEFAULT_RETRY_POLICY,
  ensureTopics,
  KAFKA_CLIENT,
  KafkaDeadLetterSink,
  MESSAGING_DEFAULTS,
  platformMetricsSink,
} from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import { Clock, FLYWHEEL_METRICS, InjectConfig, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { type Admin, type Kafka } from 'kafkajs';
import { type Counter } from 'prom-client';
import { type IngestionConfig } from '../ingestion.config';
import { DatasetsException, DatasetsExceptionCode } from './datasets.exception';
import { DatasetsRepository } from './datasets.repository';
import { DatasetsService } from './datasets.service';

/** Records handed to one transaction at most: a fetch of small records is applied in slices of this size. */
const MAX_RECORDS_PER_BATCH = 5_000;
/** Bytes fetched per partition and request: room for a few thousand typical records, and for the largest allowed one. */
const FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024;

/** Consumer group of one dataset's raw topic. */
export function rawGroupOf(dataset: string): string {
  return `ingestion.raw.${dataset}`;
}

/**
 * One Kafka consumer per registered dataset, on `flywheel.ingest.<dataset>`.
 *
 * Why not one `@ConsumeRaw` on INGEST_TOPIC_PATTERN: the messaging runtime subscribes once at
 * boot and a pattern only matches the topics existing then, so a dataset registered later
 * would wait for a restart. Instead a consumer is started for a dataset when it is registered
 * (after its topic is created), at boot for every dataset in the table, and on a periodic
 * reconciliation that picks up datasets registered through another replica. Each consumer hands
 * whole fetched batches to DatasetsService.ingestKafkaBatch (one transaction per batch, the
 * partition's offset stored with it); data the contract refuses is quarantined there, and only
 * what the platform itself cannot apply reaches `<topic>.dlq`. Starting one dataset's consumer
 * never pauses another's.
 *
 * An ingest topic that receives records while no dataset owns it (a typo'd name, or a producer
 * ahead of its registration) is found by the same reconciliation: a consumer in the dataset's
 * own group sends its records to `<topic>.dlq` with the reason, counts them (metric and table,
 * shown by `flywheel datasets`), and gives way to the dataset's consumer once it is registered,
 * which goes on after them.
 */
@Injectable()
export class IngestTopicConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly groups = new Map<string, BatchConsumerGroup>();
  /** Consumers of ingest topics no registered dataset owns, by the dataset name they carry. */
  private readonly unregistered = new Map<string, BatchConsumerGroup>();
  private deadLetters: KafkaDeadLetterSink | undefined;
  private admin: Admin | undefined;
  private unregisteredRecords: Counter<'topic'> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Starts are serialised so that two registrations of one dataset start one consumer. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(DatasetsRepository) private readonly repository: DatasetsRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(PlatformMetrics) private readonly metrics: PlatformMetrics,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: IngestionConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.deadLetters = new KafkaDeadLetterSink(this.kafka, (topic) => ({ topic, partitions: MESSAGING_DEFAULTS.dlqPartitions }));
    await this.deadLetters.connect();
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.unregisteredRecords = this.metrics.counterOf(FLYWHEEL_METRICS.ingestUnregisteredRecords);
    await this.reconcile();
    this.timer = setInterval(() => {
      this.reconcile().catch((error: Error) =>
        this.logger.entry('error', 'raw-topic consumers could not be reconciled', { error: error.message }),
      );
    }, this.config.INGEST_DATASET_SYNC_MS);
    this.timer.unref();
  }

  /** Datasets whose raw topic is being consumed here. */
  consumedDatasets(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** Creates the dataset's raw topic (and its DLQ) if needed and starts consuming it. */
  ensure(dataset: string): Promise<void> {
    return this.serialised(() => this.start(dataset));
  }

  private async reconcile(): Promise<void> {
    const names = await this.transactions.run((manager) => this.repository.datasetNames(manager));
    for (const name of names) if (!this.groups.has(name)) await this.ensure(name);
    const registered = new Set(names);
    for (const topic of (await this.admin?.listTopics()) ?? []) {
      const name = datasetOfIngestTopic(topic);
      if (name && !registered.has(name) && !this.unregistered.has(name)) await this.serialised(() => this.startUnregistered(name));
    }
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Dead-letters what arrives on the raw topic of a dataset that is not registered, until it is. */
  private async startUnregistered(dataset: string): Promise<void> {
    if (this.stopping || this.groups.has(dataset) || this.unregistered.has(dataset)) return;
    // Registered meanwhile (by this replica or another): its own consumer takes the topic.
    if (await this.transactions.run((manager) => this.repository.findDataset(manager, dataset))) return;
    const topic = Topics.ingestTopic(dataset);
    const group = rawGroupOf(dataset);
    const deadLetters = this.deadLetters!;
    const consumer = this.consumerOf(dataset, async (batch: ConsumedBatch) => {
      const reason = new NonRetriableError(
        `no dataset "${dataset}" is registered: the record waits in ${dlqTopic(topic)} (register the dataset, then replay it)`,
      );
      const failedAt = this.clock.now();
      await deadLetters.sendAll(
        topic,
        batch.records.map((record) => buildDeadLetter(record, { error: reason, consumer: group, attempts: 1, failedAt })),
      );
      await this.datasets.recordUnregistered(topic, batch.records.length);
      this.unregisteredRecords?.inc({ topic }, batch.records.length);
      this.logger.entry('warn', 'records on an ingest topic with no dataset were dead-lettered', { topic, records: batch.records.length });
    });
    await consumer.start();
    this.unregistered.set(dataset, consumer);
    this.logger.entry('warn', 'an ingest topic receives records but no dataset is registered for it', { topic, dlq: dlqTopic(topic) });
  }

  private async start(dataset: string): Promise<void> {
    if (this.stopping || this.groups.has(dataset)) return;
    const topic = Topics.ingestTopic(dataset);
    try {
      await ensureTopics(this.kafka, [
        { topic, partitions: this.config.INGEST_TOPIC_PARTITIONS },
        { topic: dlqTopic(topic), partitions: MESSAGING_DEFAULTS.dlqPartitions },
      ]);
    } catch (error) {
      throw new DatasetsException(
        `the raw topic ${topic} could not be created; registering again retries it`,
        DatasetsExceptionCode.INGEST_TOPIC_UNAVAILABLE,
        { topic, error: (error as Error).message },
      );
    }
    this.deadLetters?.markEnsured([dlqTopic(topic)]);
    // The topic's records were dead-lettered until now; the dataset's consumer goes on after them.
    const waiting = this.unregistered.get(dataset);
    if (waiting) {
      await waiting.stop();
      this.unregistered.delete(dataset);
    }
    const consumer = this.consumerOf(dataset, (batch) => this.datasets.ingestKafkaBatch(batch));
    await consumer.start();
    this.groups.set(dataset, consumer);
    this.logger.entry('info', 'consuming raw records', { dataset, topic, group: rawGroupOf(dataset) });
  }

  private consumerOf(dataset: string, handle: (batch: ConsumedBatch) => Promise<void>): BatchConsumerGroup {
    const deadLetters = this.deadLetters!;
    return new BatchConsumerGroup({
      kafka: this.kafka,
      group: rawGroupOf(dataset),
      topics: [Topics.ingestTopic(dataset)],
      handle,
      retry: DEFAULT_RETRY_POLICY,
      deadLetter: (source, letter) => deadLetters.send(source, letter),
      metrics: platformMetricsSink(this.metrics),
      logger: this.logger,
      clock: () => this.clock.now(),
      partitionsConsumedConcurrently: MESSAGING_DEFAULTS.partitionsConsumedConcurrently,
      sessionTimeoutMs: MESSAGING_DEFAULTS.sessionTimeoutMs,
      maxWaitTimeMs: MESSAGING_DEFAULTS.maxWaitTimeMs,
      maxRecordsPerBatch: MAX_RECORDS_PER_BATCH,
      maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    });
  }

  /** Stops fetching, lets records in hand finish and commits their offsets. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      await this.queue;
      await Promise.all(
        [...this.groups.values(), ...this.unregistered.values()].map((g) =>
          g.stop().catch((error: Error) => this.logger.entry('error', 'raw consumer stop failed', { error: error.message })),
        ),
      );
      this.groups.clear();
      this.unregistered.clear();
      await this.deadLetters?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
    })();
    return this.stopping;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
