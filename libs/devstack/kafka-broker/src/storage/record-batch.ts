import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { crc32c } from './crc32c';
import { VarintReader, varintSize, writeVarint } from './varint';

export { crc32c } from './crc32c';

/** Byte positions of the RecordBatch v2 header fields. */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const;

export const BATCH_HEADER_SIZE = 61;
/** baseOffset and batchLength precede the bytes that batchLength counts. */
export const LOG_OVERHEAD = 12;
/** The CRC covers everything from the attributes to the end of the batch. */
export const CRC_START = BatchField.attributes;

export const Attribute = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

const TWO_POW_32 = 4294967296;

/** Reads a big-endian int64 as a number (exact for every value Kafka puts in a safe-integer range). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_POW_32, pos + 4);
}

/** Total bytes of the batch starting at `pos` (its batchLength plus the 12 bytes before it). */
export function batchSizeAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BatchField.batchLength) + LOG_OVERHEAD;
}

export function parseBatchHeader(buf: Buffer, offset = 0): BatchHeader {
  if (buf.length - offset < BATCH_HEADER_SIZE) {
    throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'record batch header is truncated');
  }
  return {
    baseOffset: readInt64(buf, offset + BatchField.baseOffset),
    batchLength: buf.readInt32BE(offset + BatchField.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(offset + BatchField.partitionLeaderEpoch),
    magic: buf.readInt8(offset + BatchField.magic),
    crc: buf.readUInt32BE(offset + BatchField.crc),
    attributes: buf.readInt16BE(offset + BatchField.attributes),
    lastOffsetDelta: buf.readInt32BE(offset + BatchField.lastOffsetDelta),
    baseTimestamp: readInt64(buf, offset + BatchField.baseTimestamp),
    maxTimestamp: readInt64(buf, offset + BatchField.maxTimestamp),
    producerId: readInt64(buf, offset + BatchField.producerId),
    producerEpoch: buf.readInt16BE(offset + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(offset + BatchField.baseSequence),
    recordsCount: buf.readInt32BE(offset + BatchField.recordsCount),
  };
}

/**
 * Why the batch at `pos` (with `available` bytes from there) is not a well-formed v2 batch, or
 * null when it is. Checks the framing and counts only; the CRC is the caller's choice.
 */
export function batchFramingProblem(buf: Buffer, pos: number, available: number): string | null {
  if (available < BATCH_HEADER_SIZE) return 'record batch header is truncated';
  if (buf[pos + BatchField.magic] !== 2) return `unexpected magic ${buf.readInt8(pos + BatchField.magic)}`;
  const size = batchSizeAt(buf, pos);
  if (size < BATCH_HEADER_SIZE) return `batchLength ${size - LOG_OVERHEAD} is shorter than a batch header`;
  if (size > available) return `batchLength ${size - LOG_OVERHEAD} runs past the end of the records`;
  const count = buf.readInt32BE(pos + BatchField.recordsCount);
  const lastOffsetDelta = buf.readInt32BE(pos + BatchField.lastOffsetDelta);
  if (count <= 0 || lastOffsetDelta + 1 !== count) {
    return `recordsCount ${count} does not match lastOffsetDelta ${lastOffsetDelta}`;
  }
  return null;
}

export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return crc32c(buf, pos + CRC_START, pos + size) === buf.readUInt32BE(pos + BatchField.crc);
}

/**
 * Splits a Produce request's `records` bytes into its batches (views, not copies), validating
 * each one: magic 2, a batchLength that fits, record counts that agree, and the CRC.
 */
export function splitRecordBatches(records: Buffer): Buffer[] {
  if (records.length === 0) {
    throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'the record set holds no batch');
  }
  const batches: Buffer[] = [];
  let pos = 0;
  while (pos < records.length) {
    const available = records.length - pos;
    // Legacy message sets (magic 0 and 1) keep their magic byte at the same position.
    if (available > BatchField.magic) {
      const magic = records.readInt8(pos + BatchField.magic);
      if (magic === 0 || magic === 1) {
        throw new KafkaProtocolError(
          ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
          `message format v${magic} is not supported; use record batches (magic 2)`,
        );
      }
    }
    const problem = batchFramingProblem(records, pos, available);
    if (problem) throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, problem);
    const size = batchSizeAt(records, pos);
    if (!batchCrcMatches(records, pos, size)) {
      throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC does not match its contents');
    }
    batches.push(records.subarray(pos, pos + size));
    pos += size;
  }
  return batches;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Array<{ key: string; value: Buffer | string | null }>;
  /** Create time in ms; defaults to the batch's `timestamp` option. */
  timestamp?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  /** Create time for records that carry none; defaults to `Date.now()`. */
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
}

function toBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function bytesFieldSize(value: Buffer | null): number {
  return value === null ? varintSize(-1) : varintSize(value.length) + value.length;
}

function writeBytesField(buf: Buffer, pos: number, value: Buffer | null): number {
  if (value === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, value.length);
  value.copy(buf, pos);
  return pos + value.length;
}

/** Builds an uncompressed RecordBatch v2 with a valid CRC (non-idempotent unless told otherwise). */
export function buildRecordBatch(records: RecordInput[], options: BuildBatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('a record batch needs at least one record');
  const defaultTimestamp = options.timestamp ?? Date.now();
  const encoded = records.map((record) => ({
    timestamp: record.timestamp ?? defaultTimestamp,
    key: toBytes(record.key),
    value: toBytes(record.value),
    headers: (record.headers ?? []).map((h) => ({ key: Buffer.from(h.key), value: toBytes(h.value) })),
  }));
  const baseTimestamp = encoded[0].timestamp;
  let maxTimestamp = baseTimestamp;
  const bodySizes: number[] = [];
  let total = BATCH_HEADER_SIZE;
  encoded.forEach((record, offsetDelta) => {
    maxTimestamp = Math.max(maxTimestamp, record.timestamp);
    let size =
      1 +
      varintSize(record.timestamp - baseTimestamp) +
      varintSize(offsetDelta) +
      bytesFieldSize(record.key) +
      bytesFieldSize(record.value) +
      varintSize(record.headers.length);
    for (const header of record.headers) size += bytesFieldSize(header.key) + bytesFieldSize(header.value);
    bodySizes.push(size);
    total += varintSize(size) + size;
  });

  const buf = Buffer.alloc(total);
  writeInt64(buf, BatchField.baseOffset, options.baseOffset ?? 0);
  buf.writeInt32BE(total - LOG_OVERHEAD, BatchField.batchLength);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, BatchField.partitionLeaderEpoch);
  buf.writeInt8(2, BatchField.magic);
  buf.writeInt16BE(0, BatchField.attributes);
  buf.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  writeInt64(buf, BatchField.baseTimestamp, baseTimestamp);
  writeInt64(buf, BatchField.maxTimestamp, maxTimestamp);
  writeInt64(buf, BatchField.producerId, options.producerId ?? -1);
  buf.writeInt16BE(options.producerEpoch ?? -1, BatchField.producerEpoch);
  buf.writeInt32BE(options.baseSequence ?? -1, BatchField.baseSequence);
  buf.writeInt32BE(records.length, BatchField.recordsCount);

  let pos = BATCH_HEADER_SIZE;
  encoded.forEach((record, offsetDelta) => {
    pos = writeVarint(buf, pos, bodySizes[offsetDelta]);
    buf[pos++] = 0;
    pos = writeVarint(buf, pos, record.timestamp - baseTimestamp);
    pos = writeVarint(buf, pos, offsetDelta);
    pos = writeBytesField(buf, pos, record.key);
    pos = writeBytesField(buf, pos, record.value);
    pos = writeVarint(buf, pos, record.headers.length);
    for (const header of record.headers) {
      pos = writeBytesField(buf, pos, header.key);
      pos = writeBytesField(buf, pos, header.value);
    }
  });
  buf.writeUInt32BE(crc32c(buf, CRC_START), BatchField.crc);
  return buf;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * Decodes the records of one uncompressed batch (buffers are views into `batch`). Compressed
 * batches are refused: the broker stores them verbatim and never needs their contents.
 */
export function readRecords(batch: Buffer): DecodedRecord[] {
  const header = parseBatchHeader(batch);
  if ((header.attributes & Attribute.compressionMask) !== 0) {
    throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 'compressed batches are not decoded');
  }
  const end = header.batchLength + LOG_OVERHEAD;
  if (end > batch.length) throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'record batch is truncated');
  const logAppendTime = (header.attributes & Attribute.logAppendTime) !== 0;
  const reader = new VarintReader(batch, BATCH_HEADER_SIZE, end);
  const records: DecodedRecord[] = [];
  try {
    for (let i = 0; i < header.recordsCount; i++) {
      const length = reader.varint();
      const recordEnd = reader.pos + length;
      const fields = new VarintReader(batch, reader.pos, Math.min(recordEnd, end));
      fields.int8();
      const timestampDelta = fields.varint();
      const offsetDelta = fields.varint();
      const key = fields.bytes();
      const value = fields.bytes();
      const headerCount = fields.varint();
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const headerKey = fields.bytes();
        headers.push({ key: headerKey === null ? '' : headerKey.toString(), value: fields.bytes() });
      }
      records.push({
        offset: header.baseOffset + offsetDelta,
        timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      });
      reader.pos = recordEnd;
    }
  } catch (err) {
    if (err instanceof RangeError) throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, err.message);
    throw err;
  }
  return records;
}
