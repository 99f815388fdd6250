import { type BrokerConfig } from './broker-config';
import { ErrorCode, KafkaProtocolError } from './protocol/error-codes';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
} from './protocol/messages';
import { splitRecordBatches, type PartitionLog, type TopicStore } from './storage';

const VALID_ACKS = new Set([0, 1, -1]);

/**
 * Produce, Fetch and ListOffsets: the record path. A Fetch that finds less than its min_bytes
 * waits for an append to one of its topics (or its max_wait_ms), holding only its own request.
 */
export class DataPlane {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicStore,
  ) {}

  produce(req: ProduceRequest): ProduceResponse | null {
    const now = Date.now();
    const touched = new Set<string>();
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ProducePartitionResponse => {
        const result = { index: p.index, errorCode: ErrorCode.NONE, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
        if (!VALID_ACKS.has(req.acks)) return { ...result, errorCode: ErrorCode.INVALID_REQUIRED_ACKS };
        const log = this.topics.partition(t.name, p.index);
        if (!log) return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        try {
          const appended = this.append(t.name, log, p.records, now);
          touched.add(t.name);
          return { ...result, ...appended, logStartOffset: log.logStartOffset };
        } catch (error) {
          if (!(error instanceof KafkaProtocolError)) throw error;
          this.config.logger.debug('produce rejected', { topic: t.name, partition: p.index, error: error.message });
          return { ...result, errorCode: error.code, logStartOffset: log.logStartOffset };
        }
      }),
    }));
    for (const topic of touched) this.wake(topic);
    // acks=0: the client expects no answer at all.
    return req.acks === 0 ? null : { topics };
  }

  private append(topic: string, log: PartitionLog, records: Buffer | null, now: number) {
    if (records === null || records.length === 0) {
      throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'produce carried no record batch');
    }
    const batches = splitRecordBatches(records);
    const maxBytes = this.maxMessageBytes(topic);
    for (const batch of batches) {
      if (batch.length > maxBytes) {
        throw new KafkaProtocolError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${batch.length} bytes exceeds ${maxBytes}`);
      }
    }
    const logAppendTime = this.topics.get(topic)?.configs['message.timestamp.type'] === 'LogAppendTime';
    let baseOffset = -1;
    for (const batch of batches) {
      const appended = log.append(batch, now);
      if (baseOffset < 0) baseOffset = appended.baseOffset;
    }
    return { baseOffset, logAppendTimeMs: logAppendTime ? now : -1 };
  }

  private maxMessageBytes(topic: string): number {
    const configured = this.topics.get(topic)?.configs['max.message.bytes'];
    return configured ? Number(configured) : this.config.messageMaxBytes;
  }

  async fetch(req: FetchRequest): Promise<FetchResponse> {
    const deadline = Date.now() + req.maxWaitMs;
    for (;;) {
      const { response, bytes, failed } = this.readFetch(req);
      const remaining = deadline - Date.now();
      if (bytes >= req.minBytes || failed || remaining <= 0 || this.closed) return response;
      await this.waitForAppend(
        req.topics.map((t) => t.topic),
        remaining,
      );
    }
  }

  private readFetch(req: FetchRequest): { response: FetchResponse; bytes: number; failed: boolean } {
    let budget = req.maxBytes;
    let bytes = 0;
    let failed = false;
    const topics = req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p): FetchPartitionResponse => {
        const log = this.topics.partition(t.topic, p.partition);
        const none = { partitionIndex: p.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };
        if (!log) {
          failed = true;
          return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        }
        const position = {
          partitionIndex: p.partition,
          highWatermark: log.logEndOffset,
          lastStableOffset: log.logEndOffset,
          logStartOffset: log.logStartOffset,
        };
        if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.logEndOffset) {
          failed = true;
          return { ...position, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
        }
        if (p.fetchOffset === log.logEndOffset || (budget <= 0 && bytes > 0)) {
          return { ...position, errorCode: ErrorCode.NONE, records: Buffer.alloc(0) };
        }
        // The first batch of the response always comes whole, whatever the limits: a client
        // that cannot get the batch at its position would ask for it forever. Past that, a
        // partition whose next batch does not fit in what is left waits for the next fetch.
        const first = bytes === 0;
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        let records = log.read(p.fetchOffset, limit);
        if (!first && records.length > budget) records = Buffer.alloc(0);
        bytes += records.length;
        budget -= records.length;
        return { ...position, errorCode: ErrorCode.NONE, records };
      }),
    }));
    return { response: { topics }, bytes, failed };
  }

  listOffsets(req: ListOffsetsRequest): ListOffsetsResponse {
    return {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const log = this.topics.partition(t.name, p.partitionIndex);
          if (!log) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1 };
          const answer = (offset: number, timestamp = -1) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            timestamp,
            offset,
          });
          if (p.timestamp === LATEST_TIMESTAMP) return answer(log.logEndOffset);
          if (p.timestamp === EARLIEST_TIMESTAMP) return answer(log.logStartOffset);
          const found = log.offsetForTimestamp(p.timestamp);
          return found ? answer(found.offset, found.timestamp) : answer(-1);
        }),
      })),
    };
  }

  private waitForAppend(topics: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const topic of topics) this.waiters.get(topic)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const topic of topics) {
        let set = this.waiters.get(topic);
        if (!set) this.waiters.set(topic, (set = new Set()));
        set.add(done);
      }
    });
  }

  private wake(topic: string): void {
    const set = this.waiters.get(topic);
    if (!set) return;
    for (const waiter of [...set]) waiter();
  }

  /** Answers every waiting Fetch now, so that shutdown does not wait out their max_wait_ms. */
  close(): void {
    this.closed = true;
    for (const topic of [...this.waiters.keys()]) this.wake(topic);
  }
}
