import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ALL_EVENT_TYPES, dlqTopic, EventTypeRegistry, Topics } from '@flywheel/contracts';
import {
  ConsumerGroup,
  DEFAULT_RETRY_POLICY,
  DeliveryPlanner,
  ensureTopics,
  KAFKA_CLIENT,
  KafkaDeadLetterSink,
  MESSAGING_DEFAULTS,
  MessageProcessor,
  platformMetricsSink,
  platformTraceContext,
  type RawHandlerBinding,
} from '@flywheel/messaging';
import { claimProcessedEvent, TransactionRunner } from '@flywheel/persistence';
import { Clock, InjectConfig, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { type Kafka } from 'kafkajs';
import { type IngestionConfig } from '../ingestion.config';
import { DatasetsException, DatasetsExceptionCode } from './datasets.exception';
import { DatasetsRepository } from './datasets.repository';
import { DatasetsService } from './datasets.service';

/** Consumer group of one dataset's raw topic; also its name in processed_events. */
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
 * reconciliation that picks up datasets registered through another replica. Each consumer is
 * built from the messaging library's own parts (MessageProcessor, ConsumerGroup, dead-letter
 * sink), so it has exactly the semantics of `@ConsumeRaw`: the handler's writes and the
 * processed-events row (topic/partition/offset) in one transaction, retries with backoff, and
 * `<topic>.dlq` for what cannot be applied. Starting one dataset's consumer never pauses
 * another's.
 */
@Injectable()
export class IngestTopicConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly groups = new Map<string, ConsumerGroup>();
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
    const binding: RawHandlerBinding = {
      kind: 'raw',
      name: 'DatasetsService.ingestRawRecord',
      topic,
      handle: (record, manager) => this.datasets.ingestRawRecord(record, manager),
    };
    const metrics = platformMetricsSink(this.metrics);
    const deadLetters = this.deadLetters!;
    const processor = new MessageProcessor(
      group,
      new DeliveryPlanner([binding], new EventTypeRegistry().register(...ALL_EVENT_TYPES)),
      DEFAULT_RETRY_POLICY,
      {
        transaction: (work) => this.transactions.run(work),
        claim: claimProcessedEvent,
        deadLetter: (source, letter) => deadLetters.send(source, letter),
        traceContext: platformTraceContext,
        metrics,
        logger: this.logger,
        clock: () => this.clock.now(),
      },
    );
    const consumer = new ConsumerGroup({
      kafka: this.kafka,
      group,
      topics: [topic],
      processor,
      metrics,
      logger: this.logger,
      partitionsConsumedConcurrently: MESSAGING_DEFAULTS.partitionsConsumedConcurrently,
      sessionTimeoutMs: MESSAGING_DEFAULTS.sessionTimeoutMs,
      maxWaitTimeMs: MESSAGING_DEFAULTS.maxWaitTimeMs,
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
