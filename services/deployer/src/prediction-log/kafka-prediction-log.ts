import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { type deployerV1, encodeEvent, type KafkaRecord, PredictionLoggedEvent, Topics } from '@flywheel/contracts';
import { KAFKA_CLIENT } from '@flywheel/messaging';
import { chunksUnder, fitsOneRequest, producedRecordBytes } from '@flywheel/persistence';
import { FLYWHEEL_METRICS, HealthRegistry, InjectConfig, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { type Counter } from 'prom-client';
import { type DeployerConfig } from '../deployer.config';
import { PredictionLog } from './prediction-log';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_BACKOFF_MS = 5_000;
const FAILURES_BEFORE_UNHEALTHY = 3;
const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * The prediction log through a batching kafkajs producer, not the outbox: a prediction must not
 * wait for a Postgres commit. Records wait in a bounded in-memory buffer and leave in batches
 * (by size, or after a short linger), keyed by request id. A record is encoded as it is
 * appended, so a send does not encode its whole batch while predictions wait; a record that
 * cannot be encoded, or is larger than the broker accepts (KAFKA_MAX_MESSAGE_BYTES), is dropped
 * alone (counted, and logged) instead of failing every send of its batch for good, and each send
 * is cut under that size. When Kafka is down the buffer fills and then new records are
 * dropped and counted, never blocking a prediction; records still buffered when the process
 * crashes are lost. Hence: at least once while the process lives, best effort across a crash.
 */
@Injectable()
export class KafkaPredictionLog extends PredictionLog implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly producer: Producer;
  private buffer: KafkaRecord[] = [];
  private sending = false;
  private connected = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private lastError = '';
  private readonly dropped: Counter;
  private readonly published: Counter;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @InjectConfig() private readonly config: DeployerConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(PlatformMetrics) metrics: PlatformMetrics,
  ) {
    super();
    // Idempotent: a retried batch is not written twice by the broker.
    // murmur2, the Java client's default: a prediction and its label (keyed alike) share a partition number.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.dropped = metrics.counterOf(FLYWHEEL_METRICS.predictionLogDropped);
    this.published = metrics.counterOf(FLYWHEEL_METRICS.predictionLogPublished);
    metrics.gaugeOf(FLYWHEEL_METRICS.predictionLogBuffered, (gauge) => gauge.set(this.buffer.length));
  }

  onModuleInit(): void {
    // The cluster itself is the messaging library's `kafka` check; this one is the log's producer.
    this.health.register({
      name: 'prediction-log',
      check: () => {
        if (!this.connected) throw new Error('prediction log producer is not connected');
        if (this.consecutiveFailures >= FAILURES_BEFORE_UNHEALTHY) {
          throw new Error(`prediction log: ${this.consecutiveFailures} failed sends in a row (${this.lastError})`);
        }
        return { buffered: this.buffer.length };
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
    this.schedule();
  }

  append(prediction: deployerV1.PredictionLogged, traceparent: string | null): void {
    if (this.stopping || this.buffer.length >= this.config.PREDICTION_LOG_BUFFER) {
      this.dropped.inc();
      return;
    }
    let record: KafkaRecord;
    try {
      record = toRecord(prediction, traceparent && TRACEPARENT.test(traceparent) ? traceparent : null);
    } catch (error) {
      return this.drop(prediction, `it could not be encoded: ${error instanceof Error ? error.message : String(error)}`);
    }
    const bytes = producedRecordBytes(record);
    if (!fitsOneRequest(bytes, this.config.KAFKA_MAX_MESSAGE_BYTES)) {
      return this.drop(
        prediction,
        `its ${bytes} bytes exceed the largest message the broker accepts (${this.config.KAFKA_MAX_MESSAGE_BYTES} bytes)`,
      );
    }
    this.buffer.push(record);
    if (this.buffer.length >= this.config.PREDICTION_LOG_BATCH) this.flushSoon(0);
    else this.flushSoon(this.config.PREDICTION_LOG_LINGER_MS);
  }

  /** A record the broker could never take: dropped alone, counted and told; its prediction was answered. */
  private drop(prediction: deployerV1.PredictionLogged, reason: string): void {
    this.dropped.inc();
    this.logger.entry('warn', `prediction log record dropped: ${reason}`, { requestId: prediction.requestId });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while ((this.buffer.length > 0 || this.sending) && Date.now() < deadline) {
      if (!this.sending) void this.drain();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.buffer.length > 0) {
      this.logger.entry('warn', 'prediction log records lost at shutdown: Kafka did not take them in time', {
        records: this.buffer.length,
      });
      this.dropped.inc(this.buffer.length);
      this.buffer = [];
    }
    this.connected = false;
    await this.producer.disconnect();
  }

  private flushSoon(delayMs: number): void {
    if (this.sending || !this.connected) return;
    if (delayMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.drain();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
  }

  private schedule(): void {
    if (this.buffer.length > 0)
      this.flushSoon(this.buffer.length >= this.config.PREDICTION_LOG_BATCH ? 0 : this.config.PREDICTION_LOG_LINGER_MS);
  }

  /** Sends batches until the buffer is empty; one request in flight at a time keeps the order. */
  private async drain(): Promise<void> {
    if (this.sending || !this.connected) return;
    this.sending = true;
    try {
      while (this.buffer.length > 0) {
        const [batch] = chunksUnder(this.buffer.slice(0, this.config.PREDICTION_LOG_BATCH), this.config.KAFKA_MAX_MESSAGE_BYTES);
        try {
          await this.producer.send({ topic: Topics.predictions, acks: -1, messages: batch });
          this.buffer.splice(0, batch.length);
          this.published.inc(batch.length);
          this.consecutiveFailures = 0;
        } catch (error) {
          this.consecutiveFailures++;
          this.lastError = error instanceof Error ? error.message : String(error);
          this.logger.entry('warn', 'prediction log send failed; will retry', {
            error: this.lastError,
            failures: this.consecutiveFailures,
            buffered: this.buffer.length,
          });
          if (this.stopping) return;
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** this.consecutiveFailures, MAX_BACKOFF_MS)));
        }
      }
    } finally {
      this.sending = false;
      if (!this.stopping) this.schedule();
    }
  }
}

function toRecord(prediction: deployerV1.PredictionLogged, traceparent: string | null): KafkaRecord {
  const record = encodeEvent(PredictionLoggedEvent, {
    id: randomUUID(),
    source: 'flywheel/deployer',
    time: prediction.predictTime ?? new Date(),
    key: prediction.requestId,
    causationId: null,
    traceparent,
    data: prediction,
  });
  return { key: record.key, value: record.value, headers: record.headers };
}
