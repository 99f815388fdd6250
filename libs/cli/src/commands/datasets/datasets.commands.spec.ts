import { commonV1, type ingestionV1 } from '@flywheel/contracts';
import { csvRows } from './datasets.commands';

const { ColumnType } = commonV1;
const contract: ingestionV1.DataContract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: '' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, allowedValues: [], description: '' },
    { name: 'fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: false, allowedValues: [], description: '' },
  ],
  uniqueKey: [],
  eventTimeColumn: '',
  maxRecordBytes: 0,
  maxValueBytes: 0,
};

describe('datasets ingest: CSV to rows', () => {
  it('types cells by the contract, keeps quoted text, and sends empty cells as null', () => {
    const rows = csvRows('id,amount,fraud,at\r\n"a, ""b""",12.5,true,2025-01-01T00:00:00Z\nc,,false,\n', contract, ColumnType);
    expect(rows).toEqual([
      {
        values: {
          id: { stringValue: 'a, "b"' },
          amount: { numberValue: 12.5 },
          fraud: { boolValue: true },
          at: { stringValue: '2025-01-01T00:00:00Z' },
        },
      },
      { values: { id: { stringValue: 'c' }, amount: {}, fraud: { boolValue: false }, at: {} } },
    ]);
  });

  it('reads booleans as pandas, spreadsheets and bits write them, and nothing looser', () => {
    const cells = ['true', 'True', 'TRUE', '1', 'false', 'False', 'FALSE', '0', 'yes', 'tRuE', ' true', '2'];
    const rows = csvRows(`fraud\n${cells.map((c) => `"${c}"`).join('\n')}\n`, contract, ColumnType);
    expect(rows.map((row) => row.values.fraud)).toEqual([
      ...[true, true, true, true, false, false, false, false].map((boolValue) => ({ boolValue })),
      ...['yes', 'tRuE', ' true', '2'].map((stringValue) => ({ stringValue })),
    ]);
  });

  it('sends what does not fit its type as text, for the server to quarantine with a reason', () => {
    expect(csvRows('amount,fraud,extra\nlots,yes,1\n', contract, ColumnType)[0]).toEqual({
      values: { amount: { stringValue: 'lots' }, fraud: { stringValue: 'yes' }, extra: { stringValue: '1' } },
    });
  });

  it('refuses a row with the wrong number of fields or an unclosed quote', () => {
    expect(() => csvRows('id,amount\na\n', contract, ColumnType)).toThrow('line 2 has 1 fields, the header 2');
    expect(() => csvRows('id\n"a\n', contract, ColumnType)).toThrow('a quoted field is not closed');
  });
});
