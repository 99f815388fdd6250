import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { fsyncDir, mkdirPrivate, TEMP_SUFFIX, unlinkIfExists, writeFileAtomic } from './fs-util';
import { ProducerStateTable } from './producer-state';
import {
  Attribute,
  BATCH_HEADER_SIZE,
  BatchField,
  batchSizeAt,
  crc32c,
  CRC_START,
  LOG_OVERHEAD,
  readInt64,
  readRecords,
  writeInt64,
} from './record-batch';
import { INDEX_SUFFIX, Segment, segmentFileName, type TimestampMatch } from './segment';

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface PartitionLogOptions {
  /** Roll to a new segment before one would exceed this size (Kafka: segment.bytes). */
  segmentBytes?: number;
  /** Roll a segment older than this, so time retention can act on quiet logs (segment.ms). */
  segmentMs?: number;
  /** -1 = unlimited (retention.bytes). */
  retentionBytes?: number;
  /** -1 = unlimited (retention.ms). */
  retentionMs?: number;
  /** LogAppendTime stamps each batch with the broker's time (message.timestamp.type). */
  timestampType?: TimestampType;
  /** Bytes between sparse index entries (index.interval.bytes). */
  indexIntervalBytes?: number;
  /** Idle producers' dedupe state is dropped after this (producer.id.expiration.ms). */
  producerIdExpirationMs?: number;
  /** fsync every append; without it, writes are durable against a process kill, not power loss. */
  fsync?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  logAppendTime: number;
  /** The batch repeated an idempotent batch already in the log; nothing was written. */
  duplicate: boolean;
}

export const PARTITION_LOG_DEFAULTS: Required<PartitionLogOptions> = {
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  retentionBytes: -1,
  retentionMs: 604800000,
  timestampType: 'CreateTime',
  indexIntervalBytes: 4096,
  producerIdExpirationMs: 86400000,
  fsync: false,
};

const SNAPSHOT_SUFFIX = '.snapshot';
/** The newest snapshot serves the tail; one older covers a crash in the middle of a roll. */
const KEPT_SNAPSHOTS = 2;
/** A single-node broker is leader of every partition in epoch 0 forever. */
const LEADER_EPOCH = 0;
const FILE_PATTERN = /^(\d{20})\.(log|index|snapshot)$/;
const EMPTY = Buffer.alloc(0);

function replayProducerBatch(producers: ProducerStateTable, buf: Buffer, off: number): void {
  const producerId = readInt64(buf, off + BatchField.producerId);
  const firstSeq = buf.readInt32BE(off + BatchField.baseSequence);
  if (producerId < 0 || firstSeq < 0) return;
  producers.record(
    producerId,
    buf.readInt16BE(off + BatchField.producerEpoch),
    firstSeq,
    buf.readInt32BE(off + BatchField.lastOffsetDelta),
    readInt64(buf, off),
    readInt64(buf, off + BatchField.maxTimestamp),
  );
}

/**
 * One partition's append-only log: segments named by base offset, each with a sparse offset
 * and time index, plus producer-state snapshots taken at every roll so that idempotence
 * survives restarts without rereading the whole log.
 */
export class PartitionLog {
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly options: Required<PartitionLogOptions>,
    private readonly segments: Segment[],
    private readonly producers: ProducerStateTable,
    private readonly snapshotOffsets: number[],
  ) {}

  /** Opens (creating if needed) the log in `dir`, recovering the tail after any shutdown. */
  static open(dir: string, options: PartitionLogOptions = {}): PartitionLog {
    const resolved = { ...PARTITION_LOG_DEFAULTS, ...options };
    mkdirPrivate(dir);
    const logBases: number[] = [];
    const indexBases: number[] = [];
    let snapshotBases: number[] = [];
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith(TEMP_SUFFIX)) {
        unlinkIfExists(path.join(dir, name));
        continue;
      }
      const match = FILE_PATTERN.exec(name);
      if (!match) continue;
      const base = Number(match[1]);
      if (match[2] === 'log') logBases.push(base);
      else if (match[2] === 'index') indexBases.push(base);
      else snapshotBases.push(base);
    }
    logBases.sort((a, b) => a - b);
    // Leftovers of a retention run cut short.
    for (const base of indexBases) {
      if (!logBases.includes(base)) unlinkIfExists(path.join(dir, segmentFileName(base, INDEX_SUFFIX)));
    }

    if (logBases.length === 0) {
      for (const base of snapshotBases) unlinkIfExists(path.join(dir, segmentFileName(base, SNAPSHOT_SUFFIX)));
      const first = Segment.create(dir, 0, resolved.indexIntervalBytes);
      if (resolved.fsync) {
        fsyncDir(dir);
        fsyncDir(path.dirname(dir));
      }
      return new PartitionLog(dir, resolved, [first], new ProducerStateTable(), []);
    }

    const tailBase = logBases[logBases.length - 1];
    const sealed = logBases.slice(0, -1).map((base) => Segment.load(dir, base, resolved.indexIntervalBytes));

    // A snapshot beyond the tail's base belongs to a roll that never completed.
    for (const base of snapshotBases.filter((b) => b > tailBase)) {
      unlinkIfExists(path.join(dir, segmentFileName(base, SNAPSHOT_SUFFIX)));
    }
    snapshotBases = snapshotBases.filter((b) => b <= tailBase).sort((a, b) => a - b);
    const snapshotBase = snapshotBases.length > 0 ? snapshotBases[snapshotBases.length - 1] : -1;
    const producers =
      snapshotBase >= 0
        ? ProducerStateTable.deserialize(fs.readFileSync(path.join(dir, segmentFileName(snapshotBase, SNAPSHOT_SUFFIX)), 'utf8'))
        : new ProducerStateTable();
    for (const segment of sealed) {
      if (segment.baseOffset >= snapshotBase) segment.forEachBatch((buf, off) => replayProducerBatch(producers, buf, off));
    }
    const tail = Segment.recover(dir, tailBase, resolved.indexIntervalBytes, Date.now(), (buf, off) =>
      replayProducerBatch(producers, buf, off),
    );
    return new PartitionLog(dir, resolved, [...sealed, tail], producers, snapshotBases);
  }

  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }

  /** The next offset to be written; also the high watermark (a single replica). */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Bytes of batches held. */
  get size(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Appends one validated batch (see `splitRecordBatches`; size limits are the caller's),
   * assigning its offsets by rewriting baseOffset in place. An idempotent batch that repeats one already appended is answered with
   * the original offset and not written again.
   */
  append(batch: Buffer, now: number): AppendResult {
    this.assertOpen();
    if (batch.length < BATCH_HEADER_SIZE || batchSizeAt(batch, 0) !== batch.length) {
      throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'buffer is not exactly one record batch');
    }
    const producerId = readInt64(batch, BatchField.producerId);
    const firstSeq = batch.readInt32BE(BatchField.baseSequence);
    const lastOffsetDelta = batch.readInt32BE(BatchField.lastOffsetDelta);
    const idempotent = producerId >= 0 && firstSeq >= 0;
    const epoch = batch.readInt16BE(BatchField.producerEpoch);
    if (idempotent) {
      const original = this.producers.check(producerId, epoch, firstSeq, lastOffsetDelta);
      if (original) return { baseOffset: original.baseOffset, logAppendTime: original.timestamp, duplicate: true };
    }

    let active = this.active;
    if (active.size > 0 && (active.size + batch.length > this.options.segmentBytes || active.age(now) >= this.options.segmentMs)) {
      active = this.roll(now);
    }
    const baseOffset = active.nextOffset;
    writeInt64(batch, BatchField.baseOffset, baseOffset);
    batch.writeInt32BE(LEADER_EPOCH, BatchField.partitionLeaderEpoch);
    let maxTimestamp: number;
    if (this.options.timestampType === 'LogAppendTime') {
      // Both fields are under the CRC, so stamping the broker's time means recomputing it.
      batch.writeInt16BE(batch.readInt16BE(BatchField.attributes) | Attribute.logAppendTime, BatchField.attributes);
      writeInt64(batch, BatchField.maxTimestamp, now);
      batch.writeUInt32BE(crc32c(batch, CRC_START), BatchField.crc);
      maxTimestamp = now;
    } else {
      maxTimestamp = readInt64(batch, BatchField.maxTimestamp);
    }
    active.append(batch, baseOffset, lastOffsetDelta, maxTimestamp, now, this.options.fsync);
    if (idempotent) this.producers.record(producerId, epoch, firstSeq, lastOffsetDelta, baseOffset, now);
    return { baseOffset, logAppendTime: now, duplicate: false };
  }

  private roll(now: number): Segment {
    const { fsync } = this.options;
    const previous = this.active;
    previous.seal(fsync);
    const base = previous.nextOffset;
    this.producers.expire(now, this.options.producerIdExpirationMs);
    writeFileAtomic(path.join(this.dir, segmentFileName(base, SNAPSHOT_SUFFIX)), this.producers.serialize(), fsync);
    this.snapshotOffsets.push(base);
    while (this.snapshotOffsets.length > KEPT_SNAPSHOTS) {
      unlinkIfExists(path.join(this.dir, segmentFileName(this.snapshotOffsets.shift() as number, SNAPSHOT_SUFFIX)));
    }
    const next = Segment.create(this.dir, base, this.options.indexIntervalBytes);
    if (fsync) fsyncDir(this.dir);
    this.segments.push(next);
    return next;
  }

  /**
   * Whole batches from the one containing `fetchOffset`: always that first batch, however large
   * (a client would otherwise re-fetch the same offset forever), then as many more as fit in
   * `maxBytes`. Empty at the log end; OFFSET_OUT_OF_RANGE outside the log.
   */
  read(fetchOffset: number, maxBytes: number): Buffer {
    this.assertOpen();
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      throw new KafkaProtocolError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${this.logStartOffset}, ${this.logEndOffset}]`,
      );
    }
    if (fetchOffset === this.logEndOffset) return EMPTY;
    let s = this.segmentIndexFor(fetchOffset);
    let location = this.segments[s].locate(fetchOffset);
    // Only a damaged sealed segment leaves a gap; continue with the next batch that exists.
    while (location === null && ++s < this.segments.length) {
      location = this.segments[s].locate(this.segments[s].baseOffset);
    }
    if (location === null) return EMPTY;

    const limit = Math.max(maxBytes, location.size);
    let capacity = this.segments[s].size - location.position;
    for (let i = s + 1; i < this.segments.length && capacity < limit; i++) capacity += this.segments[i].size;
    capacity = Math.min(capacity, limit);

    const buf = Buffer.allocUnsafe(capacity);
    let filled = 0;
    let position = location.position;
    for (let i = s; i < this.segments.length && filled < capacity; i++) {
      const segment = this.segments[i];
      filled += segment.read(buf, filled, position, Math.min(capacity - filled, segment.size - position));
      position = 0;
    }
    let end = 0;
    while (end + LOG_OVERHEAD <= filled) {
      const size = batchSizeAt(buf, end);
      if (size < BATCH_HEADER_SIZE || end + size > filled) break;
      end += size;
    }
    return buf.subarray(0, end);
  }

  /** Largest i with segments[i].baseOffset <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * ListOffsets by timestamp: the earliest record with a timestamp >= `timestamp`, found in the
   * first batch whose max timestamp reaches it. Compressed batches are not opened, so for them
   * the answer is the batch's base offset (a consumer then sees a few earlier records too).
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    this.assertOpen();
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const match = segment.findByTimestamp(timestamp);
      if (match) return this.recordAtOrAfter(segment, match, timestamp);
    }
    return null;
  }

  private recordAtOrAfter(segment: Segment, match: TimestampMatch, timestamp: number): { offset: number; timestamp: number } {
    const batchLevel = { offset: Math.max(match.baseOffset, this.logStartOffset), timestamp: match.maxTimestamp };
    const batch = Buffer.allocUnsafe(match.size);
    if (segment.read(batch, 0, match.position, match.size) < match.size) return batchLevel;
    if ((batch.readInt16BE(BatchField.attributes) & Attribute.compressionMask) !== 0) return batchLevel;
    const record = readRecords(batch).find((r) => r.timestamp >= timestamp);
    return record ? { offset: record.offset, timestamp: record.timestamp } : batchLevel;
  }

  /**
   * Deletes whole segments from the oldest while they are past retention.ms or the log exceeds
   * retention.bytes. The active segment always stays. Returns how many segments went.
   */
  applyRetention(now: number): number {
    this.assertOpen();
    const { retentionMs, retentionBytes } = this.options;
    let deleted = 0;
    // A segment without timestamps (-1) has no age to judge, so time retention keeps it.
    while (
      retentionMs >= 0 &&
      this.segments.length > 1 &&
      this.segments[0].maxTimestamp >= 0 &&
      this.segments[0].maxTimestamp < now - retentionMs
    ) {
      this.deleteOldestSegment();
      deleted++;
    }
    if (retentionBytes >= 0) {
      let excess = this.size - retentionBytes;
      while (this.segments.length > 1 && excess >= this.segments[0].size) {
        excess -= this.segments[0].size;
        this.deleteOldestSegment();
        deleted++;
      }
    }
    if (deleted > 0 && this.options.fsync) fsyncDir(this.dir);
    return deleted;
  }

  private deleteOldestSegment(): void {
    const segment = this.segments.shift() as Segment;
    segment.deleteFiles();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const segment of this.segments) segment.close();
  }

  /** Closes the log and removes its folder. */
  delete(): void {
    this.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`partition log ${this.dir} is closed`);
  }
}
