import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';

/** An appended idempotent batch, remembered so that a retry of it can be answered. */
export interface AppendedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  timestamp: number;
}

interface ProducerEntry {
  epoch: number;
  /** Oldest first. */
  batches: AppendedBatch[];
  lastTimestamp: number;
}

/**
 * Clients keep up to five requests in flight per connection; after a reconnect they resend
 * all of them, so the last five batches must be recognisable as duplicates (as in Kafka).
 */
const REMEMBERED_BATCHES = 5;
const SEQUENCE_MODULUS = 2 ** 31;

function addSequence(seq: number, delta: number): number {
  return (seq + delta) % SEQUENCE_MODULUS;
}

type SnapshotEntry = [producerId: number, epoch: number, lastTimestamp: number, batches: Array<[number, number, number, number]>];

/** Per-producer sequence state of one partition, for idempotent produce. */
export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /**
   * Validates an idempotent batch before it is appended. Returns the earlier append when the
   * batch is a retry of one already in the log; throws on a fenced epoch or a sequence gap.
   */
  check(producerId: number, epoch: number, firstSeq: number, lastOffsetDelta: number): AppendedBatch | undefined {
    const entry = this.producers.get(producerId);
    // An unknown producer (new, or whose state expired) may start at any sequence, as in Kafka.
    if (!entry) return undefined;
    if (epoch < entry.epoch) {
      throw new KafkaProtocolError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}`,
      );
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) {
        throw new KafkaProtocolError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${producerId} starts epoch ${epoch} at sequence ${firstSeq}, expected 0`,
        );
      }
      return undefined;
    }
    const lastSeq = addSequence(firstSeq, lastOffsetDelta);
    for (const batch of entry.batches) {
      if (batch.firstSeq === firstSeq && batch.lastSeq === lastSeq) return batch;
    }
    const newest = entry.batches[entry.batches.length - 1];
    const expected = newest ? addSequence(newest.lastSeq, 1) : 0;
    if (firstSeq !== expected) {
      throw new KafkaProtocolError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${producerId} sent sequence ${firstSeq}, expected ${expected}`,
      );
    }
    return undefined;
  }

  /** Records an appended batch (also used to replay the log on open, without checks). */
  record(producerId: number, epoch: number, firstSeq: number, lastOffsetDelta: number, baseOffset: number, timestamp: number): void {
    let entry = this.producers.get(producerId);
    if (!entry || epoch !== entry.epoch) {
      entry = { epoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({ firstSeq, lastSeq: addSequence(firstSeq, lastOffsetDelta), baseOffset, timestamp });
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
  }

  /** Forgets producers idle for longer than `maxIdleMs` (Kafka's producer.id.expiration.ms). */
  expire(now: number, maxIdleMs: number): void {
    for (const [producerId, entry] of this.producers) {
      if (now - entry.lastTimestamp > maxIdleMs) this.producers.delete(producerId);
    }
  }

  get size(): number {
    return this.producers.size;
  }

  serialize(): string {
    const entries: SnapshotEntry[] = [];
    for (const [producerId, entry] of this.producers) {
      entries.push([
        producerId,
        entry.epoch,
        entry.lastTimestamp,
        entry.batches.map((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.timestamp]),
      ]);
    }
    return JSON.stringify(entries);
  }

  static deserialize(text: string): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const [producerId, epoch, lastTimestamp, batches] of JSON.parse(text) as SnapshotEntry[]) {
      table.producers.set(producerId, {
        epoch,
        lastTimestamp,
        batches: batches.map(([firstSeq, lastSeq, baseOffset, timestamp]) => ({ firstSeq, lastSeq, baseOffset, timestamp })),
      });
    }
    return table;
  }
}
