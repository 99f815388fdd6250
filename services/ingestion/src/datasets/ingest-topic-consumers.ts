import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { dlqTopic, Topics } from '@flywheel/contracts';
import {
  BatchConsumerGroup,
  DEFAULT_RETRY_POLICY,
  ensureTopics,
  KAFKA_CLIENT,
  KafkaDeadLetterSink,
  MESSAGING_DEFAULTS,
  platformMetricsSink,
} from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import { Clock, InjectConfig, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { type Kafka } from 'kafkajs';
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
 */
@Injectable()
export class IngestTopicConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly groups = new Map<string, BatchConsumerGroup>();
  private deadLetters: KafkaDeadLetterSink | undefined;
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
    const next = this.queue.then(() => this.start(dataset));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reconcile(): Promise<void> {
    const names = await this.transactions.run((manager) => this.repository.datasetNames(manager));
    for (const name of names) if (!this.groups.has(name)) await this.ensure(name);
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
    const group = rawGroupOf(dataset);
    const deadLetters = this.deadLetters!;
    const consumer = new BatchConsumerGroup({
      kafka: this.kafka,
      group,
      topics: [topic],
      handle: (batch) => this.datasets.ingestKafkaBatch(batch),
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
    await consumer.start();
    this.groups.set(dataset, consumer);
    this.logger.entry('info', 'consuming raw records', { dataset, topic, group });
  }

  /** Stops fetching, lets records in hand finish and commits their offsets. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      await this.queue;
      await Promise.all(
        [...this.groups.values()].map((g) =>
          g.stop().catch((error: Error) => this.logger.entry('error', 'raw consumer stop failed', { error: error.message })),
        ),
      );
      this.groups.clear();
      await this.deadLetters?.disconnect().catch(() => undefined);
    })();
    return this.stopping;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
