import { Inject, Injectable } from '@nestjs/common';
import { featureStoreV1 } from '@flywheel/contracts';
import { invalidArgument, Clock } from '@flywheel/platform';
import { toProtoValue } from '../feature-views/feature-values';
import { selectFeatures } from '../feature-views/feature-view';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { FeatureStoresRepository } from '../materialisation/feature-stores.repository';

export const MAX_ONLINE_ENTITY_KEYS = 1000;
const { OnlineStatus } = featureStoreV1;

/**
 * Latest values per entity from the online store. The TTL is enforced here, at read time: a
 * value older than the TTL is reported EXPIRED and not returned, so a model never scores on
 * stale features without knowing it.
 */
@Injectable()
export class OnlineFeaturesService {
  constructor(
    @Inject(FeatureViewsService) private readonly featureViews: FeatureViewsService,
    @Inject(FeatureStoresRepository) private readonly stores: FeatureStoresRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async get(request: featureStoreV1.GetOnlineFeaturesRequest): Promise<featureStoreV1.GetOnlineFeaturesResponse> {
    const keys = request.entityKeys ?? [];
    if (keys.length === 0) throw invalidArgument('entityKeys', 'must list at least one entity key');
    if (keys.length > MAX_ONLINE_ENTITY_KEYS) throw invalidArgument('entityKeys', `must list at most ${MAX_ONLINE_ENTITY_KEYS} entity keys, got ${keys.length}`);
    const emptyAt = keys.findIndex((key) => !key);
    if (emptyAt >= 0) throw invalidArgument(`entityKeys[${emptyAt}]`, 'must not be empty');
    const view = await this.featureViews.require(request.featureView, 0, { name: 'featureView', revision: 'featureView' });
    const features = selectFeatures(view, request.features);
    const stored = await this.stores.readOnline(view.name, view.revision, keys);
    const now = this.clock.now().getTime();
    const results = keys.map((entityKey): featureStoreV1.OnlineFeatures => {
      const record = stored.get(entityKey);
      if (!record) return { entityKey, status: OnlineStatus.ONLINE_STATUS_MISSING, values: undefined, eventTime: undefined };
      if (view.onlineTtlMs !== null && now - record.eventTime.getTime() > view.onlineTtlMs) {
        return { entityKey, status: OnlineStatus.ONLINE_STATUS_EXPIRED, values: undefined, eventTime: undefined };
      }
      const values = Object.fromEntries(features.map((f) => [f.name, toProtoValue(record.values[f.name], f.type)]));
      return { entityKey, status: OnlineStatus.ONLINE_STATUS_PRESENT, values: { values }, eventTime: record.eventTime };
    });
    return { results, featureViewRevision: view.revision };
  }
}
