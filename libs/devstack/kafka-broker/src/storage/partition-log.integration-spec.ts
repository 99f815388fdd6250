import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode } from '../protocol/error-codes';
import { PartitionLog, type PartitionLogOptions } from './partition-log';
import { buildRecordBatch, parseBatchHeader, readRecords, type RecordInput, splitRecordBatches } from './record-batch';
import { errorCodeOf } from '../testing/error-code-of';

const T0 = 1_700_000_000_000;
const REPO_ROOT = path.resolve(__dirname, '../../../../..');

let dir: string;
const logs: PartitionLog[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partition-log-'));
});

afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(options: PartitionLogOptions = {}): PartitionLog {
  const log = PartitionLog.open(dir, options);
  logs.push(log);
  return log;
}

function reopen(log: PartitionLog, options: PartitionLogOptions = {}): PartitionLog {
  log.close();
  return open(options);
}

/** A batch of `count` records whose values name their position, e.g. `r5`. */
function batch(first: number, count = 1, timestamp = T0 + first, extra: Partial<RecordInput> = {}): Buffer {
  return buildRecordBatch(Array.from({ length: count }, (_, i) => ({ value: `r${first + i}`, timestamp, ...extra })));
}

function idempotentBatch(producerId: number, epoch: number, seq: number, count = 1): Buffer {
  return buildRecordBatch(
    Array.from({ length: count }, (_, i) => ({ value: `p${producerId}-s${seq + i}` })),
    { producerId, producerEpoch: epoch, baseSequence: seq, timestamp: T0 },
  );
}

/** Every record value from `from` to the end, read in fetches of `maxBytes`. */
function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 1 << 20): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let next = from;
  while (next < log.logEndOffset) {
    const data = log.read(next, maxBytes);
    for (const b of splitRecordBatches(data)) {
      for (const r of readRecords(b)) {
        if (r.offset >= next) out.push([r.offset, r.value?.toString() ?? '']);
      }
    }
    next = out[out.length - 1][0] + 1;
  }
  return out;
}

function segmentFiles(suffix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort();
}

describe('PartitionLog append and read', () => {
  it('assigns contiguous offsets and reads them back across segment rolls', () => {
    const log = open({ segmentBytes: 1000, indexIntervalBytes: 200 });
    let expected = 0;
    for (let i = 0; i < 60; i++) {
      const count = (i % 3) + 1;
      const result = log.append(batch(expected, count), T0);
      expect(result).toEqual({ baseOffset: expected, logAppendTime: T0, duplicate: false });
      expected += count;
    }
    expect(log.logStartOffset).toBe(0);
    expect(log.logEndOffset).toBe(expected);
    expect(log.segmentCount).toBeGreaterThan(3);
    expect(segmentFiles('.log')[0]).toBe('00000000000000000000.log');
    expect(log.size).toBe(segmentFiles('.log').reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0));

    const all = readAll(log);
    expect(all.map(([offset]) => offset)).toEqual(Array.from({ length: expected }, (_, i) => i));
    expect(all.every(([offset, value]) => value === `r${offset}`)).toBe(true);

    // One fetch spanning every segment returns whole, valid batches in order.
    const everything = splitRecordBatches(log.read(0, 1 << 20));
    expect(everything.map((b) => parseBatchHeader(b).baseOffset)[0]).toBe(0);
    expect(everything.reduce((n, b) => n + parseBatchHeader(b).recordsCount, 0)).toBe(expected);
  });

  it('starts a fetch at the batch that contains the offset', () => {
    const log = open({ indexIntervalBytes: 100 });
    for (let i = 0; i < 40; i++) log.append(batch(i * 5, 5), T0);
    for (const offset of [0, 3, 57, 199]) {
      const [first] = splitRecordBatches(log.read(offset, 1));
      const header = parseBatchHeader(first);
      expect(header.baseOffset).toBe(offset - (offset % 5));
      expect(header.baseOffset + header.lastOffsetDelta).toBeGreaterThanOrEqual(offset);
    }
  });

  it('always returns the whole first batch, then stops before exceeding maxBytes', () => {
    const log = open();
    const big = batch(0, 1, T0, { value: Buffer.alloc(5000, 1) });
    const size = big.length;
    log.append(big, T0);
    log.append(batch(1), T0);
    log.append(batch(2), T0);
    expect(log.read(0, 1).length).toBe(size);
    expect(log.read(0, 0).length).toBe(size);
    expect(splitRecordBatches(log.read(0, size + 10))).toHaveLength(1);
    const small = log.read(1, 1 << 20);
    expect(splitRecordBatches(small)).toHaveLength(2);
    expect(splitRecordBatches(log.read(1, small.length - 1))).toHaveLength(1);
  });

  it('answers an empty buffer at the log end and OFFSET_OUT_OF_RANGE outside the log', () => {
    const log = open();
    expect(log.read(0, 100)).toHaveLength(0);
    log.append(batch(0), T0);
    expect(log.read(1, 100)).toHaveLength(0);
    expect(errorCodeOf(() => log.read(2, 100))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(errorCodeOf(() => log.read(-1, 100))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('rewrites baseOffset and the leader epoch in place and stores the rest verbatim', () => {
    const log = open();
    log.append(batch(0, 2), T0);
    const b = batch(2);
    const original = Buffer.from(b);
    log.append(b, T0);
    const stored = log.read(2, 1000);
    expect(stored.equals(b)).toBe(true);
    expect(stored.subarray(16).equals(original.subarray(16))).toBe(true);
    expect(stored.readBigInt64BE(0)).toBe(2n);
    expect(stored.readInt32BE(12)).toBe(0);
  });

  it('stamps LogAppendTime topics with the broker time and keeps the CRC valid', () => {
    const log = open({ timestampType: 'LogAppendTime' });
    log.append(batch(0, 2, T0), T0 + 999);
    const [stored] = splitRecordBatches(log.read(0, 1000));
    expect(parseBatchHeader(stored).attributes & 0x08).toBe(0x08);
    expect(readRecords(stored).map((r) => r.timestamp)).toEqual([T0 + 999, T0 + 999]);
  });

  it('rejects a buffer that is not exactly one batch', () => {
    const log = open();
    expect(errorCodeOf(() => log.append(Buffer.concat([batch(0), batch(1)]), T0))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(errorCodeOf(() => log.append(Buffer.alloc(10), T0))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(log.logEndOffset).toBe(0);
  });
});

describe('PartitionLog.offsetForTimestamp', () => {
  it('finds the first record at or after a timestamp, across segments and index entries', () => {
    const log = open({ segmentBytes: 2000, indexIntervalBytes: 150 });
    // Batches of 3 with timestamps that sometimes go backwards (CreateTime is the client's).
    const timestamps: number[] = [];
    for (let i = 0; i < 80; i++) {
      const base = T0 + i * 100 + (i % 7 === 3 ? -450 : 0);
      const records = [0, 1, 2].map((k) => ({ value: `r${i * 3 + k}`, timestamp: base + k * 10 }));
      timestamps.push(...records.map((r) => r.timestamp));
      log.append(buildRecordBatch(records), T0);
    }
    expect(log.segmentCount).toBeGreaterThan(3);
    for (let target = T0 - 600; target <= T0 + 8100; target += 37) {
      // Kafka's answer: in the first batch whose max timestamp reaches the target, the first
      // record whose own timestamp does.
      const batchIndex = Array.from({ length: 80 }, (_, i) => i).find((i) => Math.max(...timestamps.slice(i * 3, i * 3 + 3)) >= target);
      const found = log.offsetForTimestamp(target);
      if (batchIndex === undefined) {
        expect(found).toBeNull();
        continue;
      }
      const offset = [0, 1, 2].map((k) => batchIndex * 3 + k).find((o) => timestamps[o] >= target) as number;
      expect(found).toEqual({ offset, timestamp: timestamps[offset] });
    }
  });

  it('answers null on an empty log and beyond the newest timestamp', () => {
    const log = open();
    expect(log.offsetForTimestamp(0)).toBeNull();
    log.append(batch(0, 1, T0), T0);
    expect(log.offsetForTimestamp(T0 + 1)).toBeNull();
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: T0 });
  });
});

describe('PartitionLog retention', () => {
  it('deletes whole old segments by size, never the active one', () => {
    const log = open({ segmentBytes: 500, retentionBytes: 1200 });
    for (let i = 0; i < 40; i++) log.append(batch(i), T0);
    const before = log.segmentCount;
    const deleted = log.applyRetention(T0);
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(before - deleted);
    // As in Kafka, a segment goes only when the log stays at or above retention.bytes without it.
    expect(log.size).toBeGreaterThanOrEqual(1200);
    expect(log.size).toBeLessThan(1200 + 500 + 100);
    expect(segmentFiles('.log')).toHaveLength(log.segmentCount);
    const start = log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    expect(readAll(log)[0]).toEqual([start, `r${start}`]);
    expect(errorCodeOf(() => log.read(start - 1, 100))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);

    const again = reopen(log, { segmentBytes: 500, retentionBytes: 1200 });
    expect(again.logStartOffset).toBe(start);
    expect(again.logEndOffset).toBe(40);
  });

  it('deletes segments whose newest timestamp is older than retention.ms', () => {
    const log = open({ segmentBytes: 300, retentionMs: 1000 });
    for (let i = 0; i < 20; i++) log.append(batch(i, 1, T0 + i * 100), T0);
    expect(log.applyRetention(T0 + 1000)).toBe(0);
    log.applyRetention(T0 + 1950);
    // Everything up to timestamp T0 + 950 is past retention; whole segments only.
    const start = log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(10);
    // A far future empties every segment but the active one.
    log.applyRetention(T0 + 1_000_000);
    expect(log.segmentCount).toBe(1);
    expect(log.logEndOffset).toBe(20);
  });

  it('keeps everything with unlimited retention', () => {
    const log = open({ segmentBytes: 300, retentionMs: -1, retentionBytes: -1 });
    for (let i = 0; i < 20; i++) log.append(batch(i, 1, T0), T0);
    expect(log.applyRetention(T0 + 10 ** 12)).toBe(0);
    expect(log.logStartOffset).toBe(0);
  });

  it('rolls a quiet segment after segment.ms so that time retention can act', () => {
    const log = open({ segmentMs: 1000 });
    log.append(batch(0), T0);
    log.append(batch(1), T0 + 500);
    expect(log.segmentCount).toBe(1);
    log.append(batch(2), T0 + 1000);
    expect(log.segmentCount).toBe(2);
    log.append(batch(3), T0 + 1999);
    expect(log.segmentCount).toBe(2);
  });
});

describe('PartitionLog recovery', () => {
  it('continues offsets after a clean restart, with and without rolls', () => {
    let log = open({ segmentBytes: 400 });
    for (let i = 0; i < 3; i++) log.append(batch(i), T0);
    log = reopen(log, { segmentBytes: 400 });
    expect(log.logEndOffset).toBe(3);
    expect(log.append(batch(3), T0).baseOffset).toBe(3);
    for (let i = 4; i < 30; i++) log.append(batch(i), T0);
    const segments = log.segmentCount;
    log = reopen(log, { segmentBytes: 400 });
    expect(log.segmentCount).toBe(segments);
    expect(log.logEndOffset).toBe(30);
    expect(log.append(batch(30), T0).baseOffset).toBe(30);
    expect(readAll(log).map(([, v]) => v)).toEqual(Array.from({ length: 31 }, (_, i) => `r${i}`));
  });

  it('does not reuse the offsets of an empty tail segment', () => {
    let log = open({ segmentBytes: 300 });
    for (let i = 0; i < 10; i++) log.append(batch(i), T0);
    log.close();
    // The newest segment lost all its batches (e.g. torn at its very first write).
    const tail = segmentFiles('.log').pop() as string;
    fs.truncateSync(path.join(dir, tail), 0);
    log = open({ segmentBytes: 300 });
    expect(log.logEndOffset).toBe(Number(tail.slice(0, 20)));
    expect(log.append(batch(99), T0).baseOffset).toBe(Number(tail.slice(0, 20)));
  });

  it.each([
    [
      'garbage bytes',
      (file: string) => fs.appendFileSync(file, Buffer.from('this is not a record batch at all....................................')),
    ],
    ['half a batch', (file: string) => fs.appendFileSync(file, batch(5, 3).subarray(0, 70))],
    ['a batch with a bad CRC', (file: string) => fs.appendFileSync(file, Buffer.from(batch(5)).fill(0x55, 62, 64))],
    ['a few zero bytes', (file: string) => fs.appendFileSync(file, Buffer.alloc(7))],
  ])('truncates a torn tail made of %s', (_name, damage) => {
    let log = open();
    for (let i = 0; i < 5; i++) log.append(batch(i), T0);
    const goodSize = log.size;
    log.close();
    const file = path.join(dir, '00000000000000000000.log');
    damage(file);
    log = open();
    expect(log.logEndOffset).toBe(5);
    expect(fs.statSync(file).size).toBe(goodSize);
    expect(log.append(batch(5), T0).baseOffset).toBe(5);
    expect(readAll(log).map(([, v]) => v)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('cuts the tail at the first corrupt batch, even with good ones after it', () => {
    let log = open();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      log.append(batch(i), T0);
      sizes.push(log.size);
    }
    log.close();
    const file = path.join(dir, '00000000000000000000.log');
    const bytes = fs.readFileSync(file);
    bytes[sizes[1] + 65] ^= 0xff;
    fs.writeFileSync(file, bytes);
    log = open();
    expect(log.logEndOffset).toBe(2);
    expect(log.append(batch(2), T0).baseOffset).toBe(2);
  });

  it('rebuilds missing or damaged indexes of sealed segments', () => {
    const options = { segmentBytes: 1500, indexIntervalBytes: 120 };
    let log = open(options);
    for (let i = 0; i < 60; i++) log.append(batch(i * 2, 2, T0 + i * 10), T0);
    log.close();
    const indexes = segmentFiles('.index');
    expect(indexes.length).toBeGreaterThan(2);
    fs.rmSync(path.join(dir, indexes[0]));
    fs.writeFileSync(path.join(dir, indexes[1]), Buffer.alloc(40, 0xab));
    fs.truncateSync(path.join(dir, indexes[2]), 16);
    log = open(options);
    // Rebuilt indexes are written back, whole entries of 16 bytes, several per segment.
    for (const f of indexes.slice(0, 3)) {
      const size = fs.statSync(path.join(dir, f)).size;
      expect(size % 16).toBe(0);
      expect(size).toBeGreaterThan(16);
    }
    expect(log.logEndOffset).toBe(120);
    expect(readAll(log, 0, 300).map(([o]) => o)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    for (const i of [0, 13, 31, 59]) expect(log.offsetForTimestamp(T0 + i * 10)).toEqual({ offset: i * 2, timestamp: T0 + i * 10 });
  });

  it('keeps every batch a killed writer reported (kill -9 mid-way)', async () => {
    const producerId = 7;
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', path.join(__dirname, 'fixtures/append-until-killed.ts'), dir, String(producerId)],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.split('\n').length > 400) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => reject(new Error(`writer ended before it was killed: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const reported = output
      .split('\n')
      .filter((line) => /^\d+ \d+$/.test(line))
      .map((line) => line.split(' ').map(Number));
    expect(reported.length).toBeGreaterThanOrEqual(400);
    const log = open({ segmentBytes: 16 * 1024, indexIntervalBytes: 512 });
    expect(log.segmentCount).toBeGreaterThan(3);
    const last = reported[reported.length - 1];
    expect(log.logEndOffset).toBeGreaterThanOrEqual(last[0] + 1);
    const stored = new Map(readAll(log, 0, 4096));
    for (const [offset, seq] of reported) expect(stored.get(offset)).toBe(`value-${seq}-`.padEnd(300, '.'));

    // Producer state came back too: a retry of the last reported batch is recognised.
    const retry = buildRecordBatch([{ value: 'retry' }], { producerId, producerEpoch: 0, baseSequence: last[1] });
    expect(log.append(retry, Date.now())).toMatchObject({ baseOffset: last[0], duplicate: true });
  }, 60_000);
});

describe('PartitionLog idempotent producers', () => {
  it('answers a retried batch with its original offset and writes nothing', () => {
    const log = open();
    const first = idempotentBatch(1, 0, 0, 2);
    const retry = Buffer.from(first);
    expect(log.append(first, T0)).toEqual({ baseOffset: 0, logAppendTime: T0, duplicate: false });
    expect(log.append(idempotentBatch(1, 0, 2), T0 + 1).baseOffset).toBe(2);
    const size = log.size;
    expect(log.append(retry, T0 + 5)).toEqual({ baseOffset: 0, logAppendTime: T0, duplicate: true });
    expect(log.size).toBe(size);
    expect(log.logEndOffset).toBe(3);
  });

  it('rejects sequence gaps and fenced epochs without appending', () => {
    const log = open();
    log.append(idempotentBatch(1, 2, 0), T0);
    expect(errorCodeOf(() => log.append(idempotentBatch(1, 2, 5), T0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(errorCodeOf(() => log.append(idempotentBatch(1, 1, 1), T0))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.logEndOffset).toBe(1);
  });

  it('never deduplicates non-idempotent batches (kafkajs pid -1 seq 0, librdkafka -1/-1/-1)', () => {
    const log = open();
    const kafkajsStyle = buildRecordBatch([{ value: 'x' }], { producerId: -1, producerEpoch: 0, baseSequence: 0 });
    const librdkafkaStyle = buildRecordBatch([{ value: 'y' }]);
    for (let i = 0; i < 3; i++) {
      expect(log.append(Buffer.from(kafkajsStyle), T0).duplicate).toBe(false);
      expect(log.append(Buffer.from(librdkafkaStyle), T0).duplicate).toBe(false);
    }
    expect(log.logEndOffset).toBe(6);
  });

  it('keeps producer state across restarts and many segment rolls', () => {
    const options = { segmentBytes: 600 };
    let log = open(options);
    const sent: Buffer[] = [];
    for (let seq = 0; seq < 40; seq++) {
      const b = idempotentBatch(9, 0, seq);
      sent.push(Buffer.from(b));
      log.append(b, T0);
    }
    expect(log.segmentCount).toBeGreaterThan(3);
    expect(segmentFiles('.snapshot').length).toBeLessThanOrEqual(2);
    log = reopen(log, options);
    expect(log.append(Buffer.from(sent[39]), T0)).toMatchObject({ baseOffset: 39, duplicate: true });
    expect(log.append(Buffer.from(sent[36]), T0)).toMatchObject({ baseOffset: 36, duplicate: true });
    expect(errorCodeOf(() => log.append(idempotentBatch(9, 0, 41), T0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.append(idempotentBatch(9, 0, 40), T0).baseOffset).toBe(40);

    // Without snapshots the state is rebuilt from the log itself.
    log.close();
    for (const f of segmentFiles('.snapshot')) fs.rmSync(path.join(dir, f));
    log = open(options);
    expect(log.append(Buffer.from(sent[38]), T0)).toMatchObject({ baseOffset: 38, duplicate: true });
  });
});

describe('PartitionLog.delete', () => {
  it('removes the folder', () => {
    const sub = path.join(dir, 'p0');
    const log = PartitionLog.open(sub);
    log.append(batch(0), T0);
    log.delete();
    expect(fs.existsSync(sub)).toBe(false);
  });
});
