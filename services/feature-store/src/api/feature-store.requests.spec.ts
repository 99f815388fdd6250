import { featureStoreV1 } from '@flywheel/contracts';
import { InvalidArgumentException, parseRequest } from '@flywheel/platform';
import { toHistoricalFeaturesResponse } from '../serving/historical-features.mapper';
import {
  getFeatureViewSchema,
  getHistoricalFeaturesSchema,
  getOnlineFeaturesSchema,
  listFeatureViewsSchema,
  MAX_ENTITY_ROWS,
  parseReadTrainingSet,
} from './feature-store.requests';

function violations(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentException);
    return (error as InvalidArgumentException).violations.map((v) => `${v.field}: ${v.reason}`);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const historical = (request: Partial<featureStoreV1.GetHistoricalFeaturesRequest>) =>
  parseRequest(
    getHistoricalFeaturesSchema,
    featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({ featureView: 'claim-features', ...request }),
  );

describe('feature store requests', () => {
  it('name the feature view and revision fields as the proto does', () => {
    expect(parseRequest(getFeatureViewSchema, { name: 'claim-features', revision: 2 })).toEqual({ name: 'claim-features', revision: 2 });
    expect(violations(() => parseRequest(getFeatureViewSchema, { name: 'Bad', revision: -1 }))).toEqual([
      'name: must match [a-z][a-z0-9_-]{0,62}',
      'revision: must be 0 (current) or a revision number',
    ]);
  });

  it('read an empty dataset filter as every dataset', () => {
    expect(parseRequest(listFeatureViewsSchema, { dataset: '', page: undefined })).toEqual({ dataset: undefined });
    expect(parseRequest(listFeatureViewsSchema, { dataset: 'claims', page: undefined })).toEqual({ dataset: 'claims' });
  });

  it('check online entity keys: at least one, at most the limit, none empty', () => {
    const parse = (entityKeys: string[]) =>
      parseRequest(getOnlineFeaturesSchema, { featureView: 'claim-features', entityKeys, features: [] });
    expect(parse(['alice'])).toEqual({ featureView: 'claim-features', entityKeys: ['alice'], features: [] });
    expect(violations(() => parse([]))).toEqual(['entityKeys: must list at least one entity key']);
    expect(violations(() => parse(['a', '', '']))).toEqual(['entityKeys[1]: must not be empty']);
    expect(violations(() => parse(Array.from({ length: 1001 }, (_, i) => `e${i}`)))).toEqual([
      'entityKeys: must list at most 1000 entity keys, got 1001',
    ]);
  });

  it('turn entity rows into a spine, extra values as plain values', () => {
    const time = new Date('2025-01-01T08:00:00.000Z');
    expect(
      historical({
        featureViewRevision: 3,
        features: ['amount'],
        entityRows: {
          rows: [{ entityKey: 'alice', timestamp: time, extra: { values: { label: { numberValue: 1 }, seen: { timestampValue: time } } } }],
        },
      }),
    ).toEqual({
      featureView: 'claim-features',
      revision: 3,
      features: ['amount'],
      spine: { kind: 'entities', rows: [{ entityKey: 'alice', timestamp: time, extra: { label: 1, seen: '2025-01-01T08:00:00.000Z' } }] },
    });
  });

  it('name every bad entity row, an empty or oversized spine, and a request with no spine', () => {
    expect(violations(() => historical({ entityRows: { rows: [{ entityKey: '', timestamp: undefined, extra: undefined }] } }))).toEqual([
      'entityRows.rows[0].entityKey: is required',
      'entityRows.rows[0].timestamp: is required',
    ]);
    expect(violations(() => historical({ entityRows: { rows: [] } }))).toEqual(['entityRows.rows: must list at least one row']);
    const many = Array.from({ length: MAX_ENTITY_ROWS + 1 }, () => ({ entityKey: 'a', timestamp: new Date(0), extra: undefined }));
    expect(violations(() => historical({ entityRows: { rows: many } }))).toEqual([
      `entityRows.rows: must list at most ${MAX_ENTITY_ROWS} rows (larger spines come from a dataset), got ${MAX_ENTITY_ROWS + 1}`,
    ]);
    expect(violations(() => historical({}))).toEqual(['spine: set entityRows or datasetSpine']);
  });

  it('turn a dataset spine into its version and event-time range', () => {
    const start = new Date('2025-01-01T00:00:00.000Z');
    expect(
      historical({
        datasetSpine: { datasetVersionFrom: 2, datasetVersionTo: 0, eventTimeRange: { start, end: undefined }, extraColumns: ['is_fraud'] },
      }).spine,
    ).toEqual({
      kind: 'dataset',
      versionFrom: 2,
      versionTo: 0,
      eventTimeStart: start,
      eventTimeEnd: undefined,
      extraColumns: ['is_fraud'],
    });
    expect(
      violations(() =>
        historical({ datasetSpine: { datasetVersionFrom: -1, datasetVersionTo: 0, eventTimeRange: undefined, extraColumns: [] } }),
      ),
    ).toEqual(['datasetSpine.datasetVersionFrom: must be 0 (the first) or a version number']);
  });

  it('map a training set to the wire response', () => {
    const profile = { rowCount: 1, columns: [] };
    expect(
      toHistoricalFeaturesResponse({
        object: { key: 'training-sets/v/r1-abc/training-set.csv', sha256: 'abc', sizeBytes: 10, contentType: 'text/csv' },
        rowCount: 1,
        columns: ['customer_id', 'event_time', 'amount'],
        revision: 1,
        dataset: 'claims',
        versionFrom: 1,
        versionTo: 2,
        profile,
      }),
    ).toEqual({
      trainingSet: { key: 'training-sets/v/r1-abc/training-set.csv', sha256: 'abc', sizeBytes: 10, contentType: 'text/csv' },
      rowCount: 1,
      columns: ['customer_id', 'event_time', 'amount'],
      featureViewRevision: 1,
      dataset: 'claims',
      datasetVersionFrom: 1,
      datasetVersionTo: 2,
      profile,
    });
  });

  it('reads pieces of training sets only, in ranges the contract allows', () => {
    const key = 'training-sets/claim-features/r2-0123456789abcdef/training-set.csv';
    expect(parseReadTrainingSet({ key, offset: 10, maxBytes: 0 })).toEqual({ key, offset: 10, maxBytes: 0 });
    const rule = 'key: must be a training set key, training-sets/<view>/<set>/<file>';
    for (const hostile of [
      'datasets/claims/v1/data.csv',
      'models/fraud/run-1/model.json',
      'training-sets/../../etc/passwd',
      'training-sets/a/b',
      '',
    ])
      expect(violations(() => parseReadTrainingSet({ key: hostile, offset: 0, maxBytes: 0 }))).toEqual([rule]);
    expect(violations(() => parseReadTrainingSet({ key, offset: -1, maxBytes: 5 * 1024 * 1024 }))).toEqual([
      'offset: must be 0 or more',
      'max_bytes: must be at most 4194304 (4 MiB)',
    ]);
  });
});
