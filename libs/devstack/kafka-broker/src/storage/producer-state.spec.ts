import { ErrorCode } from '../protocol/error-codes';
import { ProducerStateTable } from './producer-state';
import { errorCodeOf } from '../testing/error-code-of';

describe('ProducerStateTable', () => {
  let table: ProducerStateTable;
  /** Appends a batch of `count` records at sequence `seq` the way PartitionLog does. */
  const append = (seq: number, count: number, baseOffset: number, epoch = 0) => {
    expect(table.check(1, epoch, seq, count - 1)).toBeUndefined();
    table.record(1, epoch, seq, count - 1, baseOffset, 1000 + baseOffset);
  };

  beforeEach(() => {
    table = new ProducerStateTable();
  });

  it('accepts an unknown producer at any sequence, then only the next one', () => {
    append(17, 3, 0);
    append(20, 1, 3);
    expect(errorCodeOf(() => table.check(1, 0, 22, 0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(errorCodeOf(() => table.check(1, 0, 18, 0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('recognises retries of any of the last five batches', () => {
    for (let i = 0; i < 6; i++) append(i * 2, 2, i * 10);
    expect(table.check(1, 0, 10, 1)).toMatchObject({ baseOffset: 50, timestamp: 1050 });
    expect(table.check(1, 0, 2, 1)).toMatchObject({ baseOffset: 10 });
    // The first batch fell out of the window: its retry is a sequence error, as in Kafka.
    expect(errorCodeOf(() => table.check(1, 0, 0, 1))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Same first sequence but a different length is not a retry.
    expect(errorCodeOf(() => table.check(1, 0, 10, 0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('fences older epochs and makes a new epoch start at sequence 0', () => {
    append(0, 1, 0, 3);
    expect(errorCodeOf(() => table.check(1, 2, 1, 0))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(errorCodeOf(() => table.check(1, 4, 5, 0))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    append(0, 1, 1, 4);
    // The old epoch's batches are forgotten with it.
    expect(errorCodeOf(() => table.check(1, 3, 0, 0))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('wraps sequences after int32 max', () => {
    append(2 ** 31 - 2, 3, 0);
    append(1, 1, 3);
  });

  it('keeps producers apart', () => {
    append(0, 1, 0);
    expect(table.check(2, 0, 0, 0)).toBeUndefined();
  });

  it('expires idle producers and survives serialisation', () => {
    append(0, 1, 0);
    table.record(2, 5, 0, 0, 1, 999_999);
    const copy = ProducerStateTable.deserialize(table.serialize());
    expect(copy.size).toBe(2);
    expect(copy.check(1, 0, 0, 0)).toMatchObject({ baseOffset: 0 });
    copy.expire(1_000_500, 1000);
    expect(copy.size).toBe(1);
    expect(errorCodeOf(() => copy.check(2, 4, 1, 0))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});
