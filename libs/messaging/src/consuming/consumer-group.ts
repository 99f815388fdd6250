import { type LoggerService } from '@nestjs/common';
import { type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import { type MessagingMetricsSink } from '../metrics/messaging-metrics';
import { consumedRecord } from './consumed-record';
import { type MessageProcessor } from './message-processor';

export interface ConsumerGroupSettings {
  kafka: Kafka;
  group: string;
  topics: ReadonlyArray<string | RegExp>;
  processor: MessageProcessor;
  metrics: MessagingMetricsSink;
  logger: LoggerService;
  /** Partitions handled at once; each uses one database connection while it works. */
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  /** Upper bound of a fetch long-poll, hence of how long a stop waits for an idle fetch. */
  maxWaitTimeMs: number;
}

/**
 * One kafkajs consumer for one group. Records of a partition are processed strictly one after
 * another and an offset is resolved only once its record is done (applied, a duplicate,
 * ignored, or parked), so a commit never passes an unfinished record.
 */
export class ConsumerGroup {
  private consumer: Consumer | undefined;
  private readonly stopController = new AbortController();

  constructor(private readonly settings: ConsumerGroupSettings) {}

  async start(): Promise<void> {
    const { kafka, group, topics, sessionTimeoutMs, maxWaitTimeMs, partitionsConsumedConcurrently } = this.settings;
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: sessionTimeoutMs,
      // kafkajs heartbeats after a fetch once this much time has passed. A third of the session
      // (Kafka's own rule) keeps the membership safe; a tenth made every idle long-poll (5 s) be
      // followed by a heartbeat, doubling what an idle group asks the broker. A rebalance is
      // still noticed within about this long.
      heartbeatInterval: Math.max(1_000, Math.floor(sessionTimeoutMs / 3)),
      maxWaitTimeInMs: maxWaitTimeMs,
      // Topics are created at boot with their configured partitions, never implicitly.
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    // A new group reads the topic from its start: events written before a service's first
    // deployment still reach it.
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the record in hand finish, commits resolved offsets and leaves the group. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { processor, metrics, group } = this.settings;
    const control = { heartbeat, signal: this.stopController.signal };
    let next: bigint | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopController.signal.aborted) break;
      const result = await processor.process(consumedRecord(batch.topic, batch.partition, message), control);
      if (result === 'interrupted') break;
      resolveOffset(message.offset);
      next = BigInt(message.offset) + 1n;
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    if (next !== undefined) {
      const lag = BigInt(batch.highWatermark) - next;
      metrics.setConsumerLag(group, batch.topic, batch.partition, Number(lag > 0n ? lag : 0n));
    }
  }
}
