import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type Contract } from './dataset-contract';
import { contentHash, rawText, uniqueKeyOf, validateIncoming, validateRecord } from './record-validation';

const { ColumnType } = commonV1;
const { ViolationCode } = ingestionV1;

const contract: Contract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: 100, allowedValues: [], description: '' },
    { name: 'items', type: ColumnType.COLUMN_TYPE_INTEGER, required: false, min: 1, max: null, allowedValues: [], description: '' },
    {
      name: 'channel',
      type: ColumnType.COLUMN_TYPE_STRING,
      required: false,
      min: null,
      max: null,
      allowedValues: ['web', 'phone'],
      description: '',
    },
    { name: 'fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, min: null, max: null, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, min: null, max: null, allowedValues: [], description: '' },
  ],
  uniqueKey: ['id'],
  eventTimeColumn: 'at',
};

const good = { id: 'a', amount: 12.5, items: 2, channel: 'web', fraud: false, at: '2025-03-01T10:00:00+02:00' };

describe('record validation', () => {
  it('accepts a valid record, normalising the event time to UTC and filling absent optional columns with null', () => {
    const result = validateRecord(contract, { id: 'a', amount: 1, at: '2025-03-01T10:00:00+02:00' });
    expect(result).toEqual({
      ok: true,
      values: { id: 'a', amount: 1, items: null, channel: null, fraud: null, at: '2025-03-01T08:00:00.000Z' },
      eventTime: new Date('2025-03-01T08:00:00.000Z'),
    });
  });

  it('reports every broken rule with its field, code and a reason people can read', () => {
    const result = validateRecord(contract, { amount: 250, items: 1.5, channel: 'fax', fraud: 'yes', at: 'yesterday', extra: 1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.violations).toEqual([
      { field: 'extra', code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN, message: 'extra: is not a column of the contract' },
      { field: 'id', code: ViolationCode.VIOLATION_CODE_MISSING_REQUIRED, message: 'id: is required' },
      { field: 'amount', code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message: 'amount: 250 is above max 100' },
      { field: 'items', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'items: 1.5 is not an integer' },
      { field: 'channel', code: ViolationCode.VIOLATION_CODE_NOT_ALLOWED, message: 'channel: "fax" is not one of "web", "phone"' },
      { field: 'fraud', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'fraud: "yes" is not a boolean' },
      { field: 'at', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'at: "yesterday" is not an RFC 3339 timestamp' },
    ]);
  });

  it('checks the lower bound and treats an explicit null as missing', () => {
    const result = validateRecord(contract, { ...good, amount: -1, items: 0, id: null });
    expect(!result.ok && result.violations.map((v) => [v.field, v.code])).toEqual([
      ['id', ViolationCode.VIOLATION_CODE_MISSING_REQUIRED],
      ['amount', ViolationCode.VIOLATION_CODE_OUT_OF_RANGE],
      ['items', ViolationCode.VIOLATION_CODE_OUT_OF_RANGE],
    ]);
  });

  it.each([
    ['{"id": ', 'not valid JSON'],
    ['[1, 2]', 'must be a JSON object, got an array'],
    ['null', 'must be a JSON object, got null'],
    ['"text"', 'must be a JSON object, got string'],
  ])('quarantines %s as MALFORMED', (text, reason) => {
    const result = validateIncoming(contract, { kind: 'json', text });
    expect(!result.ok && result.violations).toEqual([
      { field: '', code: ViolationCode.VIOLATION_CODE_MALFORMED, message: expect.stringContaining(reason) },
    ]);
  });

  it('reads gRPC rows, including timestamps and explicit nulls, and renders them as JSON for the quarantine', () => {
    const row: commonV1.Row = {
      values: {
        id: { stringValue: 'a' },
        amount: { numberValue: 3 },
        at: { timestampValue: new Date('2025-01-01T00:00:00Z') },
        channel: {},
      },
    };
    expect(validateIncoming(contract, { kind: 'row', row })).toMatchObject({
      ok: true,
      values: { id: 'a', amount: 3, channel: null, at: '2025-01-01T00:00:00.000Z' },
    });
    expect(JSON.parse(rawText({ kind: 'row', row }))).toEqual({ id: 'a', amount: 3, at: '2025-01-01T00:00:00.000Z', channel: null });
  });

  it('keys records by their unique key and hashes their content so a redelivery is told from a conflict', () => {
    const a = validateRecord(contract, good);
    const b = validateRecord(contract, { ...good, amount: 13 });
    if (!a.ok || !b.ok) throw new Error('expected valid records');
    expect(uniqueKeyOf(contract, a.values)).toBe('["a"]');
    expect(uniqueKeyOf({ ...contract, uniqueKey: [] }, a.values)).toBeNull();
    expect(contentHash(contract, a.values)).toBe(contentHash(contract, { ...a.values }));
    expect(contentHash(contract, a.values)).not.toBe(contentHash(contract, b.values));
  });
});
