import { commonV1, type ingestionV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { contractToProto, parseRegistration, sameDefinition } from './dataset-contract';

const { ColumnType } = commonV1;
const defaults = { maxRows: 10_000, maxIntervalMs: 60_000 };

function request(overrides: Partial<ingestionV1.RegisterDatasetRequest> = {}): ingestionV1.RegisterDatasetRequest {
  return {
    name: 'claims',
    description: 'insurance claims',
    contract: {
      columns: [
        { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: '' },
        { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: 10, allowedValues: [], description: '' },
        { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, allowedValues: [], description: '' },
      ],
      uniqueKey: ['id'],
      eventTimeColumn: 'at',
      maxRecordBytes: 0,
      maxValueBytes: 0,
    },
    commitPolicy: undefined,
    ...overrides,
  };
}

function violations(value: ingestionV1.RegisterDatasetRequest): string[] {
  try {
    parseRegistration(value, defaults);
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

describe('dataset registration', () => {
  it('fills the server defaults and keeps the policy a caller set', () => {
    expect(parseRegistration(request(), defaults)).toMatchObject({ name: 'claims', maxRows: 10_000, maxIntervalMs: 60_000 });
    expect(
      parseRegistration(request({ commitPolicy: { maxRows: 5, maxInterval: { seconds: 2, nanos: 500_000_000 } } }), defaults),
    ).toMatchObject({
      maxRows: 5,
      maxIntervalMs: 2_500,
    });
  });

  it('names every bad field the way the proto spells it', () => {
    const bad = request({
      name: '9lives',
      contract: {
        columns: [
          { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: ['a', 'a'], description: '' },
          { name: 'id', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: true, min: 1, allowedValues: ['x'], description: '' },
          { name: 'n', type: ColumnType.COLUMN_TYPE_INTEGER, required: true, min: 5, max: 1, allowedValues: [], description: '' },
        ],
        uniqueKey: ['id', 'nope'],
        eventTimeColumn: 'n',
        maxRecordBytes: 32 * 1024 * 1024,
        maxValueBytes: 64 * 1024 * 1024,
      },
      commitPolicy: { maxRows: 2_000_000, maxInterval: { seconds: 0, nanos: 1 } },
    });
    expect(violations(bad)).toEqual([
      'name: must match ^[a-z][a-z0-9_-]{0,62}$',
      'contract.columns[0].allowed_values: must not repeat a value',
      'contract.columns[1].min: applies to DOUBLE and INTEGER columns only',
      'contract.columns[1].allowed_values: applies to STRING columns only',
      'contract.columns[1].name: duplicates column "id"',
      'contract.columns[2].min: must not exceed max (5 > 1)',
      'contract.unique_key[1]: names no column ("nope")',
      'contract.max_record_bytes: must be between 0 (default 1048576) and 16777216',
      'contract.max_value_bytes: must be between 0 (default 65536) and max_record_bytes (33554432)',
      'contract.event_time_column: column "n" must be of type COLUMN_TYPE_TIMESTAMP',
      'commit_policy.max_rows: must be between 0 (server default) and 1000000',
      'commit_policy.max_interval: must be between 100 ms and 7 days',
    ]);
  });

  it('requires a contract with columns and unique-key columns that are required', () => {
    expect(violations(request({ contract: undefined }))).toEqual(['contract: is required']);
    expect(
      violations(request({ contract: { columns: [], uniqueKey: [], eventTimeColumn: '', maxRecordBytes: 0, maxValueBytes: 0 } })),
    ).toEqual(['contract.columns: must list at least one column']);
    const optionalKey = request();
    optionalKey.contract!.columns[0]!.required = false;
    expect(violations(optionalKey)).toEqual(['contract.unique_key[0]: column "id" must be required to be part of the unique key']);
  });

  it('tells an identical registration from a conflicting one and round-trips the contract', () => {
    const a = parseRegistration(request(), defaults);
    expect(sameDefinition(a, parseRegistration(request(), defaults))).toBe(true);
    expect(sameDefinition(a, parseRegistration(request({ description: 'other' }), defaults))).toBe(false);
    expect(parseRegistration(request({ contract: contractToProto(a.contract) }), defaults)).toEqual(a);
  });
});
