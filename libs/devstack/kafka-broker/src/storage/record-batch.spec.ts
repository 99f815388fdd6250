import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { crc32c } from './crc32c';
import {
  BATCH_HEADER_SIZE,
  BatchField,
  buildRecordBatch,
  CRC_START,
  parseBatchHeader,
  readRecords,
  splitRecordBatches,
  writeInt64,
} from './record-batch';

// kafkajs' own codec, to prove that real clients and this module agree byte for byte.
/* eslint-disable @typescript-eslint/no-require-imports */
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: object) => Promise<{ buffer: Buffer }>;
};
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: object) => unknown;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{
  firstOffset: string;
  records: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }>;
}>;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as { Types: { GZIP: number } };
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

function protocolError(fn: () => unknown): KafkaProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaProtocolError) return err;
    throw err;
  }
  throw new Error('expected a KafkaProtocolError');
}

/** Rewrites a CRC-covered field and fixes the CRC, so only the field itself is wrong. */
function tamper(batch: Buffer, edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(batch);
  edit(copy);
  copy.writeUInt32BE(crc32c(copy, CRC_START), BatchField.crc);
  return copy;
}

const T0 = 1_700_000_000_000;

describe('buildRecordBatch / parseBatchHeader / readRecords', () => {
  it('round-trips keys, values, nulls, headers and timestamps', () => {
    const batch = buildRecordBatch(
      [
        {
          key: 'k1',
          value: 'v1',
          timestamp: T0,
          headers: [
            { key: 'ce_type', value: 'x.y' },
            { key: 'empty', value: null },
          ],
        },
        { key: null, value: Buffer.from([0, 1, 2]), timestamp: T0 - 5 },
        { value: null, timestamp: T0 + 1234 },
      ],
      { baseOffset: 42 },
    );
    const header = parseBatchHeader(batch);
    expect(header).toMatchObject({
      baseOffset: 42,
      batchLength: batch.length - 12,
      magic: 2,
      attributes: 0,
      lastOffsetDelta: 2,
      baseTimestamp: T0,
      maxTimestamp: T0 + 1234,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordsCount: 3,
    });
    expect(header.crc).toBe(crc32c(batch, CRC_START));

    const records = readRecords(batch);
    expect(records.map((r) => r.offset)).toEqual([42, 43, 44]);
    expect(records.map((r) => r.timestamp)).toEqual([T0, T0 - 5, T0 + 1234]);
    expect(records[0].key?.toString()).toBe('k1');
    expect(records[0].value?.toString()).toBe('v1');
    expect(records[0].headers).toEqual([
      { key: 'ce_type', value: Buffer.from('x.y') },
      { key: 'empty', value: null },
    ]);
    expect(records[1].key).toBeNull();
    expect(records[1].value).toEqual(Buffer.from([0, 1, 2]));
    expect(records[2].value).toBeNull();
  });

  it('carries idempotence fields', () => {
    const batch = buildRecordBatch([{ value: 'a' }, { value: 'b' }], { producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 99 });
    expect(parseBatchHeader(batch)).toMatchObject({ producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 99 });
  });

  it('produces batches that the kafkajs decoder reads back', async () => {
    const batch = buildRecordBatch(
      [
        { key: 'a', value: 'first', timestamp: T0, headers: [{ key: 'h', value: 'v' }] },
        { key: 'b', value: 'second', timestamp: T0 + 10 },
      ],
      { baseOffset: 7 },
    );
    const decoded = await kafkajsDecodeBatch(new KafkajsDecoder(batch));
    expect(decoded.firstOffset).toBe('7');
    expect(decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()])).toEqual([
      ['7', String(T0), 'a', 'first'],
      ['8', String(T0 + 10), 'b', 'second'],
    ]);
    expect(decoded.records[0].headers.h.toString()).toBe('v');
  });

  it('reads batches encoded by kafkajs', async () => {
    const records = [
      kafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: 'b' } }),
      kafkajsRecord({ offsetDelta: 1, timestampDelta: 3, key: null, value: Buffer.from('w') }),
    ];
    const encoded = await kafkajsRecordBatch({ records, firstTimestamp: T0, maxTimestamp: T0 + 3, lastOffsetDelta: 1 });
    const [batch] = splitRecordBatches(encoded.buffer);
    expect(readRecords(batch).map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0, T0, 'k', 'v'],
      [1, T0 + 3, null, 'w'],
    ]);
  });

  it('refuses to decode compressed batches (they are stored as they come)', async () => {
    const records = [kafkajsRecord({ offsetDelta: 0, key: null, value: Buffer.alloc(1000, 'z') })];
    const encoded = await kafkajsRecordBatch({ records, compression: Compression.GZIP, firstOffset: Long.fromNumber(0) });
    const [batch] = splitRecordBatches(encoded.buffer);
    expect(parseBatchHeader(batch).attributes & 0x07).toBe(Compression.GZIP);
    expect(protocolError(() => readRecords(batch)).code).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  });
});

describe('splitRecordBatches', () => {
  const a = buildRecordBatch([{ value: 'one' }]);
  const b = buildRecordBatch([{ value: 'two' }, { value: 'three' }]);

  it('splits concatenated batches into views of the request buffer', () => {
    const records = Buffer.concat([a, b]);
    const batches = splitRecordBatches(records);
    expect(batches).toHaveLength(2);
    expect(batches[0].equals(a)).toBe(true);
    expect(batches[1].equals(b)).toBe(true);
    expect(batches[1].buffer).toBe(records.buffer);
  });

  it.each<[string, () => Buffer, ErrorCode]>([
    ['an empty record set', () => Buffer.alloc(0), ErrorCode.CORRUPT_MESSAGE],
    ['a flipped payload byte', () => Buffer.from(a).fill(0x41, a.length - 2, a.length - 1), ErrorCode.CORRUPT_MESSAGE],
    ['a flipped CRC', () => Buffer.from(a).fill(0, BatchField.crc, BatchField.crc + 4), ErrorCode.CORRUPT_MESSAGE],
    ['a truncated header', () => a.subarray(0, 40), ErrorCode.CORRUPT_MESSAGE],
    ['a truncated body', () => a.subarray(0, a.length - 1), ErrorCode.CORRUPT_MESSAGE],
    ['a half second batch', () => Buffer.concat([a, b.subarray(0, 30)]), ErrorCode.CORRUPT_MESSAGE],
    [
      'a batchLength beyond the buffer',
      () => Buffer.from(a).fill(0x7f, BatchField.batchLength, BatchField.batchLength + 1),
      ErrorCode.CORRUPT_MESSAGE,
    ],
    [
      'a batchLength shorter than a header',
      () => {
        const c = Buffer.from(a);
        c.writeInt32BE(10, BatchField.batchLength);
        return c;
      },
      ErrorCode.CORRUPT_MESSAGE,
    ],
    [
      'recordsCount disagreeing with lastOffsetDelta',
      () => tamper(a, (c) => c.writeInt32BE(2, BatchField.recordsCount)),
      ErrorCode.CORRUPT_MESSAGE,
    ],
    [
      'zero records',
      () =>
        tamper(a, (c) => {
          c.writeInt32BE(0, BatchField.recordsCount);
          c.writeInt32BE(-1, BatchField.lastOffsetDelta);
        }),
      ErrorCode.CORRUPT_MESSAGE,
    ],
    ['magic 3', () => Buffer.from(a).fill(3, BatchField.magic, BatchField.magic + 1), ErrorCode.CORRUPT_MESSAGE],
    [
      'a legacy v1 message set',
      () => Buffer.from(a).fill(1, BatchField.magic, BatchField.magic + 1),
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
    ],
    [
      'a legacy v0 message set',
      () => Buffer.from(a).fill(0, BatchField.magic, BatchField.magic + 1),
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
    ],
  ])('rejects %s', (_name, input, code) => {
    expect(protocolError(() => splitRecordBatches(input())).code).toBe(code);
  });

  it('ignores the fields a broker rewrites (baseOffset, partitionLeaderEpoch) when checking the CRC', () => {
    const c = Buffer.from(a);
    writeInt64(c, BatchField.baseOffset, 123456);
    c.writeInt32BE(9, BatchField.partitionLeaderEpoch);
    expect(splitRecordBatches(c)).toHaveLength(1);
  });

  it('only ever throws KafkaProtocolError on garbage', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const valid = Buffer.concat([a, b]);
    for (let i = 0; i < 2000; i++) {
      const input = Buffer.from(valid.subarray(0, Math.floor(random() * (valid.length + 1))));
      for (let flips = Math.floor(random() * 4); flips > 0 && input.length > 0; flips--) {
        input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      }
      try {
        splitRecordBatches(input);
      } catch (err) {
        expect(err).toBeInstanceOf(KafkaProtocolError);
      }
    }
  });
});

describe('writeInt64', () => {
  it('stores negative and large offsets as int64', () => {
    const buf = Buffer.alloc(BATCH_HEADER_SIZE);
    for (const value of [-1, 0, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      writeInt64(buf, 0, value);
      expect(buf.readBigInt64BE(0)).toBe(BigInt(value));
    }
  });
});
