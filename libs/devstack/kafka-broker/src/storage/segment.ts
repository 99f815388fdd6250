import * as fs from 'node:fs';
import * as path from 'node:path';
import { openPrivate, readFully, unlinkIfExists, writeFileAtomic, writeFully } from './fs-util';
import { BATCH_HEADER_SIZE, BatchField, batchSizeAt, batchCrcMatches, batchFramingProblem, readInt64, writeInt64 } from './record-batch';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';

/** Kafka's naming: the base offset, zero-padded to 20 digits, so names sort in offset order. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Index entry on disk: offset relative to the segment (u32), position (u32), running max timestamp (i64). */
const INDEX_ENTRY_SIZE = 16;
/** In memory: absolute offset, position, running max timestamp. */
const ENTRY_STRIDE = 3;
const RECOVERY_CHUNK = 1 << 20;
const NO_TIMESTAMP = -1;

/** Header walks never keep the buffer between calls, so one scratch buffer serves them all. */
const walkScratch = Buffer.allocUnsafe(64 << 10);

/** Called per batch with the buffer holding it at `off`; return false to stop at that batch. */
type BatchVisitor = (buf: Buffer, off: number, position: number, size: number) => boolean;

/**
 * Walks the batches of `[from, to)` in a file. Stops at the first batch that is torn, malformed,
 * fails its CRC (when `verify`) or is refused by `visit`, and returns its position; otherwise
 * returns `to`. Reads in chunks so that a walk costs few system calls.
 */
function walkBatches(fd: number, from: number, to: number, verify: boolean, visit: BatchVisitor): number {
  let buf = verify ? Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(to - from, BATCH_HEADER_SIZE))) : walkScratch;
  let bufStart = from;
  let bufLength = 0;
  let pos = from;
  while (pos < to) {
    if (pos + BATCH_HEADER_SIZE > bufStart + bufLength) {
      bufStart = pos;
      bufLength = readFully(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    }
    let off = pos - bufStart;
    if (batchFramingProblem(buf, off, to - pos) !== null) return pos;
    const size = batchSizeAt(buf, off);
    if (verify) {
      if (pos + size > bufStart + bufLength) {
        if (size > buf.length) buf = Buffer.allocUnsafe(size);
        bufStart = pos;
        bufLength = readFully(fd, buf, 0, Math.min(buf.length, to - pos), pos);
        off = 0;
      }
      if (!batchCrcMatches(buf, off, size)) return pos;
    }
    if (!visit(buf, off, pos, size)) return pos;
    pos += size;
  }
  return pos;
}

export interface BatchLocation {
  position: number;
  size: number;
}

export interface TimestampMatch extends BatchLocation {
  baseOffset: number;
  maxTimestamp: number;
}

/**
 * One log segment: a file of batches starting at `baseOffset` plus a sparse in-memory index
 * (an entry every `indexIntervalBytes`) mapping offsets to positions, with the running maximum
 * timestamp so that lookups by time are binary searches too. The index is written to disk when
 * the segment is sealed; the active segment's index is rebuilt by recovery.
 */
export class Segment {
  size = 0;
  nextOffset: number;
  maxTimestamp = NO_TIMESTAMP;
  private fd = -1;
  private index = new Float64Array(ENTRY_STRIDE * 16);
  private entries = 0;
  private lastIndexedPosition = 0;

  private constructor(
    readonly baseOffset: number,
    private readonly logPath: string,
    private readonly indexPath: string,
    private readonly indexIntervalBytes: number,
    /** Broker time of the first append, for segment.ms rolling. */
    private startedAt: number,
  ) {
    this.nextOffset = baseOffset;
  }

  private static at(dir: string, baseOffset: number, indexIntervalBytes: number, startedAt: number): Segment {
    return new Segment(
      baseOffset,
      path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX)),
      path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)),
      indexIntervalBytes,
      startedAt,
    );
  }

  static create(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    const segment = Segment.at(dir, baseOffset, indexIntervalBytes, NaN);
    segment.fd = openPrivate(segment.logPath, 'w+');
    return segment;
  }

  /**
   * Opens the tail segment after any shutdown: validates every batch (framing, CRC, offsets
   * continuing from the base), truncates whatever follows the last good one, and rebuilds the
   * index. `onBatch` sees each surviving batch, to rebuild producer state.
   */
  static recover(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    now: number,
    onBatch: (buf: Buffer, off: number) => void,
  ): Segment {
    const logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const stat = fs.statSync(logPath);
    // The file's creation approximates its first append; birthtime is 0 where the file system does not record it.
    const startedAt = stat.birthtimeMs > 0 ? Math.min(stat.birthtimeMs, now) : now;
    const segment = Segment.at(dir, baseOffset, indexIntervalBytes, startedAt);
    segment.fd = openPrivate(logPath, 'r+');
    const validEnd = walkBatches(segment.fd, 0, stat.size, true, (buf, off, position, size) => {
      if (readInt64(buf, off) !== segment.nextOffset) return false;
      segment.trackBatch(buf, off, position, size);
      onBatch(buf, off);
      return true;
    });
    if (validEnd < stat.size) fs.ftruncateSync(segment.fd, validEnd);
    return segment;
  }

  /**
   * Opens a sealed segment: trusts its index file where it is consistent, and walks the batch
   * headers after the last entry (or all of them, without an index) to learn its end.
   */
  static load(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    const segment = Segment.at(dir, baseOffset, indexIntervalBytes, NaN);
    const fd = segment.handle();
    const fileSize = fs.fstatSync(fd).size;
    segment.loadIndexFile(fileSize);
    const trusted = segment.entries;
    const from = trusted > 0 ? segment.lastIndexedPosition : 0;
    segment.size = walkBatches(fd, from, fileSize, false, (buf, off, position, size) => {
      segment.trackBatch(buf, off, position, size);
      return true;
    });
    // A missing, damaged or short index is persisted once rebuilt, not rebuilt on every open.
    if (segment.entries !== trusted || trusted === 0) segment.writeIndexFile(false);
    segment.releaseHandle();
    return segment;
  }

  private loadIndexFile(logSize: number): void {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.indexPath);
    } catch {
      return;
    }
    const count = Math.floor(data.length / INDEX_ENTRY_SIZE);
    let previousPosition = -1;
    let previousOffset = -1;
    for (let i = 0; i < count; i++) {
      const offset = this.baseOffset + data.readUInt32BE(i * INDEX_ENTRY_SIZE);
      const position = data.readUInt32BE(i * INDEX_ENTRY_SIZE + 4);
      const runningMax = readInt64(data, i * INDEX_ENTRY_SIZE + 8);
      const consistent = i === 0 ? offset === this.baseOffset && position === 0 : offset > previousOffset && position > previousPosition;
      if (!consistent || position >= logSize) {
        // A damaged index is rebuilt from the log rather than half trusted.
        this.entries = 0;
        this.maxTimestamp = NO_TIMESTAMP;
        return;
      }
      this.addEntry(offset, position, runningMax);
      this.maxTimestamp = runningMax;
      this.nextOffset = offset;
      previousOffset = offset;
      previousPosition = position;
    }
  }

  private trackBatch(buf: Buffer, off: number, position: number, size: number): void {
    this.track(
      readInt64(buf, off),
      buf.readInt32BE(off + BatchField.lastOffsetDelta),
      readInt64(buf, off + BatchField.maxTimestamp),
      position,
      size,
    );
  }

  private track(baseOffset: number, lastOffsetDelta: number, maxTimestamp: number, position: number, size: number): void {
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
    if (this.entries === 0 || position - this.lastIndexedPosition >= this.indexIntervalBytes) {
      this.addEntry(baseOffset, position, this.maxTimestamp);
    }
    this.size = position + size;
    this.nextOffset = baseOffset + lastOffsetDelta + 1;
  }

  private addEntry(offset: number, position: number, runningMax: number): void {
    const at = this.entries * ENTRY_STRIDE;
    if (at + ENTRY_STRIDE > this.index.length) {
      const grown = new Float64Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    this.index[at] = offset;
    this.index[at + 1] = position;
    this.index[at + 2] = runningMax;
    this.entries++;
    this.lastIndexedPosition = position;
  }

  /** How long appends have been going into this segment (0 while it is empty). */
  age(now: number): number {
    return this.size === 0 ? 0 : now - this.startedAt;
  }

  /** Writes a batch whose header already carries `baseOffset` (and `maxTimestamp`). */
  append(batch: Buffer, baseOffset: number, lastOffsetDelta: number, maxTimestamp: number, now: number, fsync: boolean): void {
    const fd = this.handle();
    writeFully(fd, batch, this.size);
    if (fsync) fs.fdatasyncSync(fd);
    if (this.size === 0) this.startedAt = now;
    this.track(baseOffset, lastOffsetDelta, maxTimestamp, this.size, batch.length);
  }

  /** The batch containing `offset`, or null when this segment does not hold it. */
  locate(offset: number): BatchLocation | null {
    if (offset < this.baseOffset || offset >= this.nextOffset) return null;
    // Largest entry whose offset is <= the target.
    let lo = 0;
    let hi = this.entries - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.index[mid * ENTRY_STRIDE] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const from = this.entries > 0 ? this.index[lo * ENTRY_STRIDE + 1] : 0;
    let found: BatchLocation | null = null;
    walkBatches(this.handle(), from, this.size, false, (buf, off, position, size) => {
      if (readInt64(buf, off) + buf.readInt32BE(off + BatchField.lastOffsetDelta) < offset) return true;
      found = { position, size };
      return false;
    });
    return found;
  }

  /** The first batch whose max timestamp is >= `timestamp`, or null. */
  findByTimestamp(timestamp: number): TimestampMatch | null {
    if (this.maxTimestamp < timestamp || this.entries === 0) return null;
    // Smallest entry whose running max reaches the target: every batch before the previous
    // entry is older, so the match lies between that previous entry and this one.
    let lo = 0;
    let hi = this.entries;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.index[mid * ENTRY_STRIDE + 2] >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    const from = lo === 0 ? 0 : this.index[(lo - 1) * ENTRY_STRIDE + 1];
    let match: TimestampMatch | null = null;
    walkBatches(this.handle(), from, this.size, false, (buf, off, position, size) => {
      const maxTimestamp = readInt64(buf, off + BatchField.maxTimestamp);
      if (maxTimestamp < timestamp) return true;
      match = { position, size, baseOffset: readInt64(buf, off), maxTimestamp };
      return false;
    });
    return match;
  }

  /** Visits every batch header, for replaying producer state from sealed segments. */
  forEachBatch(visit: (buf: Buffer, off: number) => void): void {
    walkBatches(this.handle(), 0, this.size, false, (buf, off) => {
      visit(buf, off);
      return true;
    });
    this.releaseHandle();
  }

  /** Reads `length` bytes at `position` into `buf` at `bufOffset`; returns the count read. */
  read(buf: Buffer, bufOffset: number, position: number, length: number): number {
    return readFully(this.handle(), buf, bufOffset, length, position);
  }

  /** Called when a newer segment takes over appends: persists the index for the next open. */
  seal(fsync: boolean): void {
    if (fsync && this.fd >= 0) fs.fsyncSync(this.fd);
    this.writeIndexFile(fsync);
    // Sealed segments are read rarely; their descriptor is reopened on demand.
    this.releaseHandle();
  }

  private writeIndexFile(fsync: boolean): void {
    const data = Buffer.allocUnsafe(this.entries * INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.entries; i++) {
      data.writeUInt32BE(this.index[i * ENTRY_STRIDE] - this.baseOffset, i * INDEX_ENTRY_SIZE);
      data.writeUInt32BE(this.index[i * ENTRY_STRIDE + 1], i * INDEX_ENTRY_SIZE + 4);
      writeInt64(data, i * INDEX_ENTRY_SIZE + 8, this.index[i * ENTRY_STRIDE + 2]);
    }
    writeFileAtomic(this.indexPath, data, fsync);
  }

  private handle(): number {
    if (this.fd < 0) this.fd = openPrivate(this.logPath, 'r+');
    return this.fd;
  }

  private releaseHandle(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  close(): void {
    this.releaseHandle();
  }

  deleteFiles(): void {
    this.releaseHandle();
    unlinkIfExists(this.logPath);
    unlinkIfExists(this.indexPath);
  }
}
