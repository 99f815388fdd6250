import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { commonV1, featureStoreV1, GRPC_LOADER_OPTIONS, GrpcServices, protoRoot } from '@flywheel/contracts';
import { type FeatureDefinition } from '../feature-views/feature-view';
import { encodeOnlineFeaturesResponse, toOnlineFeaturesResponse } from './online-features.mapper';
import { type OnlineFeatureValues } from './online-features.service';

const { ColumnType } = commonV1;

/** proto-loader's codec of the method, as NestJS would use it and clients read with it: the reference. */
function protoLoaderCodec(): { serialize(m: unknown): Buffer; deserialize(b: Buffer): unknown } {
  const contract = GrpcServices.featureStore;
  const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const method = (definition[`${contract.packageName}.${contract.serviceName}`] as unknown as Record<string, Record<string, never>>)
    .GetOnlineFeatures as unknown as { responseSerialize(m: unknown): Buffer; responseDeserialize(b: Buffer): unknown };
  return { serialize: (m) => method.responseSerialize(m), deserialize: (b) => method.responseDeserialize(b) };
}

const feature = (name: string, type: commonV1.ColumnType): FeatureDefinition =>
  ({ name, type, description: '', source: { column: name } }) as unknown as FeatureDefinition;

describe('online features answer', () => {
  const features = [
    feature('amount', ColumnType.COLUMN_TYPE_DOUBLE),
    feature('claims', ColumnType.COLUMN_TYPE_INTEGER),
    feature('region', ColumnType.COLUMN_TYPE_STRING),
    feature('flagged', ColumnType.COLUMN_TYPE_BOOLEAN),
    feature('seen', ColumnType.COLUMN_TYPE_TIMESTAMP),
    feature('note', ColumnType.COLUMN_TYPE_STRING),
  ];
  const found: OnlineFeatureValues = {
    revision: 3,
    features,
    results: [
      {
        entityKey: 'alice',
        state: 'present',
        eventTime: new Date('2025-03-01T10:00:00.123Z'),
        expireTime: new Date('2025-03-02T10:00:00.123Z'),
        values: { amount: -120.25, claims: 2 ** 40, region: 'nörth "east"', flagged: false, seen: '1969-12-31T23:59:59.999Z', note: null },
      },
      { entityKey: 'bob', state: 'missing' },
      { entityKey: 'carol', state: 'expired' },
      { entityKey: '', state: 'present', eventTime: new Date(0), expireTime: null, values: {} },
    ],
  };

  it('reads back, as a client reads it, as the answer proto-loader would have written', () => {
    const response = toOnlineFeaturesResponse(found);
    const codec = protoLoaderCodec();
    const ours = encodeOnlineFeaturesResponse(response);
    const theirs = codec.serialize(response);
    expect(codec.deserialize(ours)).toEqual(codec.deserialize(theirs));
    // proto-loader also writes fields at their default (a zero, an empty key); ts-proto leaves them out.
    expect(ours.length).toBeLessThan(theirs.length);
    const read = codec.deserialize(ours) as featureStoreV1.GetOnlineFeaturesResponse;
    expect(read.featureViewRevision).toBe(3);
    expect(read.results.map((r) => [r.entityKey, r.status])).toEqual([
      ['alice', featureStoreV1.OnlineStatus.ONLINE_STATUS_PRESENT],
      ['bob', featureStoreV1.OnlineStatus.ONLINE_STATUS_MISSING],
      ['carol', featureStoreV1.OnlineStatus.ONLINE_STATUS_EXPIRED],
      ['', featureStoreV1.OnlineStatus.ONLINE_STATUS_PRESENT],
    ]);
    expect(read.results[0].values!.values).toMatchObject({
      amount: { numberValue: -120.25 },
      claims: { numberValue: 2 ** 40 },
      region: { stringValue: 'nörth "east"' },
      flagged: { boolValue: false },
      seen: { timestampValue: new Date('1969-12-31T23:59:59.999Z') },
    });
    expect(read.results[0].eventTime).toEqual(new Date('2025-03-01T10:00:00.123Z'));
    expect(read.results[0].expireTime).toEqual(new Date('2025-03-02T10:00:00.123Z'));
  });

  it('reads back alike for many entities of random values', () => {
    const codec = protoLoaderCodec();
    const many: OnlineFeatureValues = {
      ...found,
      results: Array.from({ length: 200 }, (_, i) => ({
        entityKey: `e${i}`,
        state: 'present' as const,
        eventTime: new Date(1_700_000_000_000 + i * 1_013),
        expireTime: i % 3 ? null : new Date(1_800_000_000_000 - i),
        values: {
          amount: Math.random() * 1e6 - 5e5,
          claims: i,
          region: `r${i % 7}`,
          flagged: i % 2 === 0,
          seen: null,
          note: 'x'.repeat(i),
        },
      })),
    };
    const response = toOnlineFeaturesResponse(many);
    expect(codec.deserialize(encodeOnlineFeaturesResponse(response))).toEqual(codec.deserialize(codec.serialize(response)));
  });
});
