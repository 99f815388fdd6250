import { commonV1 } from '@flywheel/contracts';
import { type FeatureViewRevision } from './feature-view';
import { toProtoFeatureView } from './feature-view.mapper';

const view: FeatureViewRevision = {
  name: 'claim-features',
  dataset: 'claims',
  entityKey: 'customer_id',
  eventTimeColumn: 'event_time',
  features: [
    { name: 'amount', source: { column: 'amount' }, type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE, description: 'as claimed' },
    { name: 'big', source: { expression: 'amount > 1000' }, type: commonV1.ColumnType.COLUMN_TYPE_BOOLEAN, description: '' },
  ],
  onlineTtlMs: 60_500,
  description: 'claims by customer',
  revision: 2,
  definitionHash: 'h',
  applyTime: new Date('2025-06-01T00:00:00Z'),
  materialisedDatasetVersion: 4,
};

describe('feature view mapper', () => {
  it('gives each feature its one source and the TTL as a duration', () => {
    expect(toProtoFeatureView(view)).toEqual({
      name: 'claim-features',
      dataset: 'claims',
      entityKey: 'customer_id',
      eventTimeColumn: 'event_time',
      features: [
        { name: 'amount', column: 'amount', type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE, description: 'as claimed' },
        { name: 'big', expression: 'amount > 1000', type: commonV1.ColumnType.COLUMN_TYPE_BOOLEAN, description: '' },
      ],
      onlineTtl: { seconds: 60, nanos: 500_000_000 },
      revision: 2,
      description: 'claims by customer',
      applyTime: new Date('2025-06-01T00:00:00Z'),
      materialisedDatasetVersion: 4,
      datasetColumns: [],
    });
  });

  it('carries the source dataset’s columns where the caller looked them up (GetFeatureView)', () => {
    const columns = [{ name: 'amount', type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE }];
    expect(toProtoFeatureView(view, columns).datasetColumns).toEqual(columns);
  });

  it('leaves the TTL unset for values that never expire', () => {
    expect(toProtoFeatureView({ ...view, onlineTtlMs: null }).onlineTtl).toBeUndefined();
  });
});
