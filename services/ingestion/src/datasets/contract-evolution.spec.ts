import { commonV1 } from '@flywheel/contracts';
import { contractChangeProblems } from './contract-evolution';
import { type ColumnRule, type Contract } from './dataset-contract';

const { ColumnType } = commonV1;

const column = (name: string, type: commonV1.ColumnType, rest: Partial<ColumnRule> = {}): ColumnRule => ({
  name,
  type,
  required: false,
  min: null,
  max: null,
  allowedValues: [],
  description: '',
  ...rest,
});

const registered: Contract = {
  columns: [
    column('id', ColumnType.COLUMN_TYPE_STRING, { required: true }),
    column('amount', ColumnType.COLUMN_TYPE_DOUBLE, { required: true, min: 0, max: 100 }),
    column('channel', ColumnType.COLUMN_TYPE_STRING, { allowedValues: ['web', 'phone'] }),
    column('at', ColumnType.COLUMN_TYPE_TIMESTAMP, { required: true }),
  ],
  uniqueKey: ['id'],
  eventTimeColumn: 'at',
  maxRecordBytes: 1024 * 1024,
  maxValueBytes: 64 * 1024,
};

const withColumn = (i: number, change: Partial<ColumnRule>): Contract => ({
  ...registered,
  columns: registered.columns.map((c, j) => (j === i ? { ...c, ...change } : c)),
});

describe('contract evolution', () => {
  it('accepts what every accepted record still satisfies: wider bounds, more values, optional columns, new optional columns, bigger limits', () => {
    const relaxed: Contract = {
      ...registered,
      columns: [
        registered.columns[0]!,
        { ...registered.columns[1]!, required: false, min: -10, max: null, description: 'now documented' },
        { ...registered.columns[2]!, allowedValues: ['web', 'phone', 'branch'] },
        registered.columns[3]!,
        column('region', ColumnType.COLUMN_TYPE_STRING),
      ],
      maxRecordBytes: 2 * 1024 * 1024,
    };
    expect(contractChangeProblems(registered, relaxed)).toEqual([]);
    expect(contractChangeProblems(registered, withColumn(2, { allowedValues: [] }))).toEqual([]);
    expect(contractChangeProblems(registered, registered)).toEqual([]);
  });

  it('refuses what committed records might break, naming each field as the proto spells it', () => {
    expect(contractChangeProblems(registered, withColumn(1, { type: ColumnType.COLUMN_TYPE_INTEGER }))).toEqual([
      'contract.columns[1].type: column "amount" cannot change type (is COLUMN_TYPE_DOUBLE): committed versions hold its values',
    ]);
    expect(contractChangeProblems(registered, withColumn(2, { required: true }))).toEqual([
      'contract.columns[2].required: column "channel" cannot become required: committed records may lack it',
    ]);
    expect(contractChangeProblems(registered, withColumn(1, { min: 1, max: 50 }))).toEqual([
      'contract.columns[1].min: can only be lowered or removed (is 0)',
      'contract.columns[1].max: can only be raised or removed (is 100)',
    ]);
    expect(contractChangeProblems(registered, withColumn(2, { allowedValues: ['web'] }))).toEqual([
      'contract.columns[2].allowed_values: "phone" cannot be taken away: accepted records hold them',
    ]);
    expect(contractChangeProblems(registered, withColumn(0, { allowedValues: ['a'] }))).toEqual([
      'contract.columns[0].allowed_values: column "id" allows any value and cannot be narrowed',
    ]);
  });

  it('refuses removed, moved and new required columns, and a changed key, event time or smaller limits', () => {
    const [id, amount, channel, at] = registered.columns;
    expect(contractChangeProblems(registered, { ...registered, columns: [id!, amount!, at!] })).toEqual([
      'contract.columns[2]: column "channel" cannot be removed: committed versions hold it',
      'contract.columns[3]: column "at" cannot move (to position 2): columns keep their order',
    ]);
    expect(
      contractChangeProblems(registered, {
        ...registered,
        columns: [id!, amount!, channel!, at!, column('score', ColumnType.COLUMN_TYPE_DOUBLE, { required: true })],
        uniqueKey: ['id', 'at'],
        eventTimeColumn: '',
        maxRecordBytes: 4096,
        maxValueBytes: 1024,
      }),
    ).toEqual([
      'contract.columns[4].required: new column "score" must be optional: committed versions have no value for it',
      'contract.unique_key: cannot change (is [id]): accepted records are deduplicated by it',
      'contract.event_time_column: cannot change (is "at"): versions record its range',
      'contract.max_record_bytes: can only grow (is 1048576): accepted records may be that large',
      'contract.max_value_bytes: can only grow (is 65536): accepted values may be that large',
    ]);
  });
});
