import { type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import { type ProcessControl } from './consumer-waits';

export interface GroupConsumerSettings {
  kafka: Kafka;
  group: string;
  topics: ReadonlyArray<string | RegExp>;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  /** Upper bound of a fetch long-poll, hence of how long a stop waits for an idle fetch. */
  maxWaitTimeMs: number;
  /** Bytes fetched per partition per request (kafkajs default 1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * A fetch waits (up to maxWaitTimeMs) until this many bytes are there (default 1: answer as
   * soon as anything is): larger batches for consumers whose cost is per batch.
   */
  minBytes?: number;
  /** Where a new group starts: the topics' start (default), or their end for `replicas: 'each'` groups. */
  fromBeginning?: boolean;
}

/**
 * Connects a kafkajs consumer of `group`, subscribed (from the topics' start, unless told), that hands every
 * fetched batch to `eachBatch` and commits only the offsets it resolves. The one way both
 * consumer kinds (record by record, and whole batches) join a group.
 */
export async function startGroupConsumer(
  settings: GroupConsumerSettings,
  eachBatch: (payload: EachBatchPayload) => Promise<void>,
): Promise<Consumer> {
  const { kafka, group, topics, sessionTimeoutMs, maxWaitTimeMs, partitionsConsumedConcurrently, maxBytesPerPartition, minBytes } =
    settings;
  const fromBeginning = settings.fromBeginning ?? true;
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: sessionTimeoutMs,
    // kafkajs heartbeats after a fetch once this much time has passed. A third of the session
    // (Kafka's own rule) keeps the membership safe; a tenth made every idle long-poll (5 s) be
    // followed by a heartbeat, doubling what an idle group asks the broker. A rebalance is
    // still noticed within about this long.
    heartbeatInterval: Math.max(1_000, Math.floor(sessionTimeoutMs / 3)),
    maxWaitTimeInMs: maxWaitTimeMs,
    ...(minBytes ? { minBytes } : {}),
    ...(maxBytesPerPartition ? { maxBytesPerPartition, maxBytes: maxBytesPerPartition * Math.max(4, partitionsConsumedConcurrently) } : {}),
    // Topics are created at boot with their configured partitions, never implicitly.
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  // A new group reads the topic from its start: events written before a service's first
  // deployment still reach it.
  await consumer.subscribe({ topics: [...topics], fromBeginning });
  await consumer.run({ autoCommit: true, eachBatchAutoResolve: false, partitionsConsumedConcurrently, eachBatch });
  return consumer;
}

/**
 * What both consumer kinds share: joining the group, and stopping — fetching ends, the work in
 * hand finishes (waits in it end early through `control.signal`), resolved offsets are committed
 * and the group is left.
 */
export abstract class GroupConsumer<Settings extends GroupConsumerSettings> {
  private consumer: Consumer | undefined;
  private readonly stopController = new AbortController();

  constructor(protected readonly settings: Settings) {}

  async start(): Promise<void> {
    this.consumer = await startGroupConsumer(this.settings, (payload) => this.eachBatch(payload));
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  /** Heartbeats for long waits, and the signal that the consumer is stopping. */
  protected controlOf(payload: EachBatchPayload): ProcessControl {
    return { heartbeat: payload.heartbeat, signal: this.stopController.signal };
  }

  protected abstract eachBatch(payload: EachBatchPayload): Promise<void>;
}
