import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { datasetToProto, decodeSummary, encodeSummary, quarantineToProto, versionToProto } from './datasets.mapper';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';

const { ColumnType } = commonV1;
const createdAt = new Date('2025-01-01T00:00:00Z');

const dataset: DatasetEntity = {
  name: 'claims',
  description: 'insurance claims',
  contract: {
    columns: [
      { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: null, allowedValues: [], description: '' },
    ],
    uniqueKey: [],
    eventTimeColumn: '',
  },
  maxRows: 100,
  maxIntervalMs: 2_500,
  ownerTeam: 'risk',
  createdAt,
  latestVersion: 3,
  cumulativeRows: 300,
};

const version: DatasetVersionEntity = {
  dataset: 'claims',
  version: 3,
  rowCount: 100,
  cumulativeRows: 300,
  objectKey: 'datasets/claims/v3/data.csv',
  sha256: 'ab'.repeat(32),
  sizeBytes: 4096,
  contentType: 'text/csv',
  profile: { rowCount: 100, columns: [] },
  eventTimeStart: null,
  eventTimeEnd: null,
  trigger: ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_ROWS,
  committedAt: createdAt,
  quarantinedCount: 2,
};

describe('datasets mapper', () => {
  it('maps a dataset with its commit policy as a Duration and its raw topic', () => {
    expect(datasetToProto(dataset)).toEqual({
      name: 'claims',
      description: 'insurance claims',
      contract: {
        columns: [{ name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, allowedValues: [], description: '' }],
        uniqueKey: [],
        eventTimeColumn: '',
        // Contracts stored before the limits existed show the defaults.
        maxRecordBytes: 1024 * 1024,
        maxValueBytes: 64 * 1024,
      },
      commitPolicy: { maxRows: 100, maxInterval: { seconds: 2, nanos: 500_000_000 } },
      ownerTeam: 'risk',
      createTime: createdAt,
      latestVersion: 3,
      ingestTopic: 'flywheel.ingest.claims',
    });
  });

  it('maps a version, with an event-time range only when both ends are stored', () => {
    expect(versionToProto(version)).toMatchObject({
      version: 3,
      cumulativeRowCount: 300,
      object: { key: 'datasets/claims/v3/data.csv', sha256: 'ab'.repeat(32), sizeBytes: 4096, contentType: 'text/csv' },
      eventTimeRange: undefined,
      quarantinedCount: 2,
    });
    const end = new Date('2025-01-02T00:00:00Z');
    expect(versionToProto({ ...version, eventTimeStart: createdAt, eventTimeEnd: end }).eventTimeRange).toEqual({ start: createdAt, end });
  });

  it('maps a quarantined record and round-trips a stored summary', () => {
    const record: QuarantinedRecordEntity = {
      seq: '12',
      id: '00000000-0000-4000-8000-000000000001',
      dataset: 'claims',
      raw: '{"amount":-1}',
      violations: [{ field: 'amount', code: ingestionV1.ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message: 'amount: -1 is below min 0' }],
      origin: 'grpc:b/0',
      quarantinedAt: createdAt,
      rawSizeBytes: 13,
      rawSha256: 'cd'.repeat(32),
      version: null,
      replayedAt: null,
      replayOutcome: 0,
    };
    const proto = quarantineToProto(record, 4096);
    expect(proto).toEqual({
      id: record.id,
      dataset: 'claims',
      raw: record.raw,
      rawTruncated: false,
      rawSizeBytes: 13,
      rawSha256: 'cd'.repeat(32),
      violations: record.violations,
      origin: 'grpc:b/0',
      quarantineTime: createdAt,
      replayTime: undefined,
      replayOutcome: ingestionV1.ReplayOutcome.REPLAY_OUTCOME_UNSPECIFIED,
    });
    const replayed = new Date('2025-01-03T00:00:00Z');
    expect(
      quarantineToProto({ ...record, replayedAt: replayed, replayOutcome: ingestionV1.ReplayOutcome.REPLAY_OUTCOME_ACCEPTED }, 4096),
    ).toMatchObject({ replayTime: replayed, replayOutcome: ingestionV1.ReplayOutcome.REPLAY_OUTCOME_ACCEPTED });
    // A sample cut on a character boundary: 'é' is two bytes and is not split.
    expect(quarantineToProto({ ...record, raw: 'aé'.repeat(10) }, 4)).toMatchObject({ raw: 'aéa', rawTruncated: true });
    const summary: ingestionV1.IngestSummary = {
      accepted: 2,
      quarantined: 1,
      duplicates: 0,
      rejections: [{ index: 1, record: proto }],
      committedVersion: versionToProto(version),
    };
    expect(decodeSummary(encodeSummary(summary))).toEqual(summary);
  });
});
