import { CompressionTypes, type Kafka, type Message, type Producer, Partitioners } from 'kafkajs';
import { type PendingOutboxRecord } from './outbox-record';

/** Where the relay sends outbox rows. Resolves only when every record is acknowledged. */
export interface OutboxTransport {
  connect(): Promise<void>;
  publish(records: readonly PendingOutboxRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Publishes through an idempotent kafkajs producer (acks from all in-sync replicas, one request
 * in flight per broker), so the broker drops the producer's own retried duplicates and records
 * keep their order within a partition.
 */
export function kafkaOutboxTransport(kafka: Kafka): OutboxTransport {
  let producer: Producer | undefined;
  return {
    async connect() {
      producer ??= kafka.producer({
        // Murmur2, as the Java client: a key lands on the same partition whoever produces it.
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
        // Finite: a send that cannot succeed must give the relay its transaction back; the relay
        // retries the same rows with its own backoff, and consumers dedupe.
        retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      await producer.connect();
    },
    async publish(records) {
      if (!producer) throw new Error('outbox transport is not connected');
      // Rows are grouped by topic in their original order, so per-key order survives.
      const byTopic = new Map<string, Message[]>();
      for (const record of records) {
        const messages = byTopic.get(record.topic) ?? [];
        messages.push({ key: record.key, value: record.value, headers: record.headers });
        byTopic.set(record.topic, messages);
      }
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    async disconnect() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
