import { commonV1, featureStoreV1 } from '@flywheel/contracts';
import { InvalidArgumentException, ManualClock } from '@flywheel/platform';
import { type FeatureViewRevision } from '../feature-views/feature-view';
import { type FeatureViewsService } from '../feature-views/feature-views.service';
import { type FeatureStoresRepository, type OnlineRecord } from '../materialisation/feature-stores.repository';
import { FeatureStoreGrpcController } from '../api/feature-store.grpc-controller';
import { type HistoricalFeaturesService } from './historical-features.service';
import { OnlineCache } from './online-cache';
import { OnlineFeaturesService } from './online-features.service';

const { OnlineStatus } = featureStoreV1;
const HOUR = 3600_000;

const view: FeatureViewRevision = {
  name: 'claim-features',
  dataset: 'claims',
  entityKey: 'customer_id',
  eventTimeColumn: 'event_time',
  features: [
    { name: 'amount', source: { column: 'amount' }, type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE, description: '' },
    { name: 'seen', source: { column: 'seen' }, type: commonV1.ColumnType.COLUMN_TYPE_TIMESTAMP, description: '' },
  ],
  onlineTtlMs: HOUR,
  description: '',
  revision: 3,
  definitionHash: 'h',
  applyTime: new Date(0),
  materialisedDatasetVersion: 1,
};

function service(records: OnlineRecord[], now: Date, ttlMs: number | null = HOUR) {
  const views = { require: async () => ({ ...view, onlineTtlMs: ttlMs }) } as unknown as FeatureViewsService;
  const stores = {
    readOnline: async (_view: string, revision: number, keys: readonly string[]) => {
      expect(revision).toBe(3);
      return new Map(records.filter((r) => keys.includes(r.entityKey)).map((r) => [r.entityKey, r]));
    },
  } as unknown as FeatureStoresRepository;
  // Through the controller: request validation and the wire response are part of what is tested.
  return new FeatureStoreGrpcController(
    views,
    new OnlineFeaturesService(views, stores, new ManualClock(now), new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 })),
    {} as HistoricalFeaturesService,
  );
}

const written = new Date('2025-06-01T12:00:00.000Z');
const alice: OnlineRecord = { entityKey: 'alice', eventTime: written, values: { amount: 12.5, seen: '2025-05-01T00:00:00.000Z' } };

describe('online features', () => {
  it('return values within the TTL, typed by feature, in request order, with MISSING for unknown entities', async () => {
    const response = await service([alice], new Date(written.getTime() + HOUR)).getOnlineFeatures({
      featureView: 'claim-features',
      entityKeys: ['bob', 'alice'],
      features: [],
    });
    expect(response).toEqual({
      featureViewRevision: 3,
      results: [
        { entityKey: 'bob', status: OnlineStatus.ONLINE_STATUS_MISSING, values: undefined, eventTime: undefined },
        {
          entityKey: 'alice',
          status: OnlineStatus.ONLINE_STATUS_PRESENT,
          values: { values: { amount: { numberValue: 12.5 }, seen: { timestampValue: new Date('2025-05-01T00:00:00.000Z') } } },
          eventTime: written,
          // A caller that caches the values may serve them until then.
          expireTime: new Date(written.getTime() + HOUR),
        },
      ],
    });
  });

  it('report EXPIRED, without the stale values, once the TTL has passed since the event time', async () => {
    const response = await service([alice], new Date(written.getTime() + HOUR + 1)).getOnlineFeatures({
      featureView: 'claim-features',
      entityKeys: ['alice'],
      features: ['amount'],
    });
    expect(response.results).toEqual([
      { entityKey: 'alice', status: OnlineStatus.ONLINE_STATUS_EXPIRED, values: undefined, eventTime: undefined },
    ]);
  });

  it('never expire values of a view without a TTL', async () => {
    const response = await service([alice], new Date(written.getTime() + 1000 * HOUR), null).getOnlineFeatures({
      featureView: 'claim-features',
      entityKeys: ['alice'],
      features: ['amount'],
    });
    expect(response.results[0]).toMatchObject({
      status: OnlineStatus.ONLINE_STATUS_PRESENT,
      values: { values: { amount: { numberValue: 12.5 } } },
    });
  });

  it('validate the entity keys', async () => {
    const online = service([], written);
    await expect(online.getOnlineFeatures({ featureView: 'claim-features', entityKeys: [], features: [] })).rejects.toThrow(
      'entityKeys: must list at least one entity key',
    );
    await expect(online.getOnlineFeatures({ featureView: 'claim-features', entityKeys: ['a', ''], features: [] })).rejects.toThrow(
      'entityKeys[1]: must not be empty',
    );
    const tooMany = Array.from({ length: 1001 }, (_, i) => `e${i}`);
    await expect(online.getOnlineFeatures({ featureView: 'claim-features', entityKeys: tooMany, features: [] })).rejects.toBeInstanceOf(
      InvalidArgumentException,
    );
  });
});
