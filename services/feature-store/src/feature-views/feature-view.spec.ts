import { commonV1, featureStoreV1, ingestionV1 } from '@flywheel/contracts';
import { GrpcStatus, InvalidArgumentException, parseRequest } from '@flywheel/platform';
import {
  applyFeatureViewSchema,
  compileFeatureView,
  type DatasetSchema,
  datasetSchemaOf,
  definitionHash,
  selectFeatures,
  validateFeatureView,
} from './feature-view';

const { ColumnType } = commonV1;

const dataset = datasetSchemaOf(
  'claims',
  ingestionV1.DataContract.fromPartial({
    columns: [
      { name: 'customer_id', type: ColumnType.COLUMN_TYPE_STRING },
      { name: 'event_time', type: ColumnType.COLUMN_TYPE_TIMESTAMP },
      { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE },
      { name: 'visits', type: ColumnType.COLUMN_TYPE_INTEGER },
      { name: 'region', type: ColumnType.COLUMN_TYPE_STRING },
      { name: 'score', type: ColumnType.COLUMN_TYPE_DOUBLE },
    ],
    eventTimeColumn: 'event_time',
  }),
);

function request(overrides: Partial<featureStoreV1.ApplyFeatureViewRequest> = {}): featureStoreV1.ApplyFeatureViewRequest {
  return featureStoreV1.ApplyFeatureViewRequest.fromPartial({
    name: 'claim-features',
    dataset: 'claims',
    entityKey: 'customer_id',
    eventTimeColumn: 'event_time',
    features: [
      { name: 'amount', column: 'amount' },
      { name: 'ratio', expression: 'amount / visits', type: ColumnType.COLUMN_TYPE_DOUBLE },
    ],
    ...overrides,
  });
}

/** What applying a request does: its shape parsed, then the draft checked against the dataset. */
function validate(request: featureStoreV1.ApplyFeatureViewRequest, schema: DatasetSchema) {
  return validateFeatureView(parseRequest(applyFeatureViewSchema, request), schema);
}

function violations(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentException);
    expect((error as InvalidArgumentException).grpcStatus()).toBe(GrpcStatus.INVALID_ARGUMENT);
    return (error as InvalidArgumentException).violations.map((v) => `${v.field}: ${v.reason}`);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('feature view definitions', () => {
  it('resolve feature types from their column or expression', () => {
    const view = validate(
      request({
        features: [
          { name: 'amount', column: 'amount', type: 0, description: '' },
          { name: 'visits', column: 'visits', type: ColumnType.COLUMN_TYPE_DOUBLE, description: 'widened' },
          { name: 'log_amount', expression: 'log1p(amount)', type: 0, description: '' },
          { name: 'big', expression: 'amount > 1000', type: 0, description: '' },
        ],
        onlineTtl: { seconds: 60, nanos: 500_000_000 },
      }),
      dataset,
    );
    expect(view.features.map((f) => f.type)).toEqual([
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_BOOLEAN,
    ]);
    expect(view.onlineTtlMs).toBe(60_500);
  });

  it('reject an expression outside the grammar with INVALID_ARGUMENT naming the feature', () => {
    expect(
      violations(() =>
        validate(request({ features: [{ name: 'evil', expression: 'require(amount)', type: 0, description: '' }] }), dataset),
      ),
    ).toEqual([
      'features[0].expression: feature "evil": unknown function "require" (allowed: log, log1p, exp, sqrt, abs, min, max) at position 1',
    ]);
    expect(
      violations(() =>
        validate(
          request({
            features: [
              { name: 'ok', column: 'amount', type: 0, description: '' },
              { name: 'text', expression: 'region * 2', type: 0, description: '' },
              { name: 'this_one', expression: 'globalThis.process', type: 0, description: '' },
            ],
          }),
          dataset,
        ),
      ),
    ).toEqual([
      'features[1].expression: feature "text": column "region" is not numeric at position 1',
      'features[2].expression: feature "this_one": unexpected character "T" at position 7',
    ]);
  });

  it('report every problem with the view at once, each naming its field', () => {
    expect(
      violations(() =>
        validate(
          request({
            entityKey: 'nobody',
            eventTimeColumn: 'amount',
            features: [
              { name: 'a', column: 'missing', type: 0, description: '' },
              { name: 'b', column: 'region', type: ColumnType.COLUMN_TYPE_DOUBLE, description: '' },
              { name: 'c', expression: 'amount > 1', type: ColumnType.COLUMN_TYPE_DOUBLE, description: '' },
            ],
          }),
          dataset,
        ),
      ),
    ).toEqual([
      'entityKey: dataset "claims" has no column "nobody"',
      'eventTimeColumn: column "amount" is not a TIMESTAMP column',
      'features[0].column: feature "a": dataset "claims" has no column "missing"',
      'features[1].type: feature "b": column "region" is COLUMN_TYPE_STRING, not COLUMN_TYPE_DOUBLE',
      'features[2].type: feature "c": the expression gives COLUMN_TYPE_BOOLEAN, not COLUMN_TYPE_DOUBLE',
    ]);
  });

  it('reject bad names, duplicates, a feature with both or neither source, and a non-positive TTL', () => {
    expect(violations(() => validate(request({ name: 'Bad Name' }), dataset))).toEqual(['name: must match [a-z][a-z0-9_-]{0,62}']);
    expect(
      violations(() =>
        validate(
          request({
            features: [
              { name: 'x', column: 'amount', type: 0, description: '' },
              { name: 'x', column: 'score', type: 0, description: '' },
            ],
          }),
          dataset,
        ),
      ),
    ).toEqual(['features[1].name: duplicate feature "x"']);
    expect(
      violations(() =>
        validate(request({ features: [{ name: 'y', column: 'amount', expression: 'amount', type: 0, description: '' }] }), dataset),
      ),
    ).toEqual(['features[0].source: set exactly one of column and expression']);
    expect(violations(() => validate(request({ features: [] }), dataset))).toEqual(['features: must list at least one feature']);
    expect(violations(() => validate(request({ onlineTtl: { seconds: 0, nanos: 0 } }), dataset))[0]).toMatch(
      /^onlineTtl: must be positive/,
    );
  });

  it('hash equal definitions equally and changed ones differently', () => {
    const a = validate(request(), dataset);
    expect(definitionHash(a)).toBe(definitionHash(validate(request(), dataset)));
    expect(definitionHash(a)).not.toBe(definitionHash(validate(request({ onlineTtl: { seconds: 1, nanos: 0 } }), dataset)));
    expect(definitionHash(a)).not.toBe(
      definitionHash(validate(request({ features: [{ name: 'amount', column: 'score', type: 0, description: '' }] }), dataset)),
    );
  });

  it('compute feature values of a record, instants as RFC 3339 and undefined results as null', () => {
    const view = compileFeatureView(
      validate(
        request({
          features: [
            { name: 'when', column: 'event_time', type: 0, description: '' },
            { name: 'region', column: 'region', type: 0, description: '' },
            { name: 'ratio', expression: 'amount / visits', type: 0, description: '' },
          ],
        }),
        dataset,
      ),
    );
    const record: Record<string, Date | number | string | null> = {
      event_time: new Date('2025-01-01T00:00:00Z'),
      region: 'north',
      amount: 10,
      visits: 0,
    };
    expect(view.compute((c) => record[c] ?? null)).toEqual({ when: '2025-01-01T00:00:00.000Z', region: 'north', ratio: null });
  });

  it('select requested features and name an unknown one', () => {
    const view = validate(request(), dataset);
    expect(selectFeatures(view, []).map((f) => f.name)).toEqual(['amount', 'ratio']);
    expect(selectFeatures(view, ['ratio']).map((f) => f.name)).toEqual(['ratio']);
    expect(violations(() => selectFeatures(view, ['ratio', 'nope']))).toEqual([
      'features[1]: feature view "claim-features" has no feature "nope"',
    ]);
  });
});
