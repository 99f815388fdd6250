import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type Contract } from './dataset-contract';
import { judgeRecords, KafkaRecord, packRecords, screened, unpackRecord } from './record-batch';

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
    expect(verdicts.candidates.map((c) => [c.at, c.json, c.key])).toEqual([
      [0, '{"id":"a"}', '["a"]'],
      [3, '{"id":"b"}', '["b"]'],
    ]);
    expect(verdicts.rejections.map((r) => [r.at, r.violations[0]!.code])).toEqual([
      [1, ViolationCode.VIOLATION_CODE_WRONG_TYPE],
      [2, ViolationCode.VIOLATION_CODE_MALFORMED],
    ]);
    const offsets = ['40', '41', '42', '43'];
    const recordAt = (at: number) => new KafkaRecord('kafka:t/0/', offsets[at]!, unpackRecord(packed, at));
    const fromSecond = screened(verdicts, recordAt, 1);
    expect(fromSecond.candidates.map((c) => c.record.origin)).toEqual(['kafka:t/0/43']);
    expect(fromSecond.rejections.map((r) => [r.record.origin, r.record.index])).toEqual([
      ['kafka:t/0/41', 41],
      ['kafka:t/0/42', 42],
    ]);
  });
});
