import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type Contract } from './dataset-contract';
import { judgeRecords, KafkaRecord, packRecords, screened, stagedRecords, unpackRecord } from './record-batch';

const { ColumnType } = commonV1;
const { ViolationCode } = ingestionV1;

const contract: Contract = {
  columns: [{ name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' }],
  uniqueKey: ['id'],
  eventTimeColumn: '',
};

describe('record batches', () => {
  it('packs values end to end for another thread and unpacks each, missing and empty ones included', () => {
    const values = [Buffer.from('{"id":"a"}'), null, Buffer.alloc(0), null, Buffer.from('{"id":"ü"}')];
    const packed = packRecords(values);
    expect(packed.bytes.length).toBe(values.reduce((n, v) => n + (v?.length ?? 0), 0));
    values.forEach((value, at) => {
      const incoming = unpackRecord(packed, at);
      expect(incoming.kind === 'json' && incoming.bytes).toEqual(value);
    });
  });

  it('judges by position and attaches verdicts to their records, leaving out those before `from`', () => {
    const values = [Buffer.from('{"id":"a"}'), Buffer.from('{"id":1}'), null, Buffer.from('{"id":"b"}')];
    const packed = packRecords(values);
    const verdicts = judgeRecords(contract, values.length, (at) => unpackRecord(packed, at));
    expect([...verdicts.accepted]).toEqual([0, 3]);
    expect(verdicts.keys).toEqual(['["a"]', '["b"]']);
    expect(verdicts.rejections.map((r) => [r.at, r.violations[0]!.code])).toEqual([
      [1, ViolationCode.VIOLATION_CODE_WRONG_TYPE],
      [2, ViolationCode.VIOLATION_CODE_MALFORMED],
    ]);
    const offsets = ['40', '41', '42', '43'];
    const recordAt = (at: number) => new KafkaRecord('kafka:t/0/', offsets[at]!, unpackRecord(packed, at));
    const fromSecond = screened(verdicts, recordAt, 1);
    expect(fromSecond.kept).toEqual([1]);
    expect(fromSecond.acceptedRecord(1).origin).toBe('kafka:t/0/43');
    expect(fromSecond.rejections.map((r) => [r.record.origin, r.record.index])).toEqual([
      ['kafka:t/0/41', 41],
      ['kafka:t/0/42', 42],
    ]);
  });

  it('stages the accepted records as one JSON array: as received when unchanged, normalised otherwise, any subset', () => {
    const timed: Contract = {
      columns: [
        { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
        { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: false, min: null, max: null, allowedValues: [], description: '' },
      ],
      uniqueKey: [],
      eventTimeColumn: '',
      maxValueBytes: 200_000,
    };
    const values = [
      '{ "id" : "ä"  }',
      '{"id":"b","at":"2026-01-01T02:00:00+02:00"}',
      '[]',
      // Long enough to make the buffer grow past its first allocation.
      JSON.stringify({ id: 'ü'.repeat(70_000) }),
      '{"id":"\\u00e9"}',
    ].map((v) => Buffer.from(v));
    const verdicts = judgeRecords(timed, values.length, (at) => ({ kind: 'json', bytes: values[at]! }));
    expect(verdicts.keys).toBeNull();
    expect([...verdicts.accepted]).toEqual([0, 1, 3, 4]);
    const all = stagedRecords(verdicts, null);
    expect(all.count).toBe(4);
    const text = all.text.toString('utf8');
    // The unchanged records are there byte for byte; the shifted instant is stored in UTC.
    expect(text.startsWith('[{ "id" : "ä"  },')).toBe(true);
    expect(JSON.parse(text)).toEqual([{ id: 'ä' }, { id: 'b', at: '2026-01-01T00:00:00.000Z' }, { id: 'ü'.repeat(70_000) }, { id: 'é' }]);
    const some = stagedRecords(verdicts, [1, 3]);
    expect(some.count).toBe(2);
    expect(JSON.parse(some.text.toString('utf8'))).toEqual([{ id: 'b', at: '2026-01-01T00:00:00.000Z' }, { id: 'é' }]);
    expect(stagedRecords(verdicts, []).text.toString('utf8')).toBe('[]');
  });
});
