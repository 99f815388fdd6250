import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@flywheel/platform';
import { type StoredValues } from '../feature-views/feature-values';
import { type FeatureDefinition, selectFeatures } from '../feature-views/feature-view';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { FeatureStoresRepository } from '../materialisation/feature-stores.repository';
import { OnlineCache } from './online-cache';

/** One entity's online values: present, never written, or older than the view's TTL. */
export type OnlineLookup =
  | { readonly entityKey: string; readonly state: 'missing' | 'expired' }
  | {
      readonly entityKey: string;
      readonly state: 'present';
      readonly eventTime: Date;
      /** When the values pass the view's TTL; null when they never expire. */
      readonly expireTime: Date | null;
      readonly values: StoredValues;
    };

export interface OnlineFeatureValues {
  readonly revision: number;
  /** The features asked for, in the order they are returned. */
  readonly features: readonly FeatureDefinition[];
  /** One per requested entity key, in request order. */
  readonly results: readonly OnlineLookup[];
}

/**
 * Latest values per entity from the online store, through its cache. The TTL is enforced here,
 * at read time: a value older than the TTL is reported EXPIRED and not returned, so a model
 * never scores on stale features without knowing it.
 */
@Injectable()
export class OnlineFeaturesService {
  constructor(
    @Inject(FeatureViewsService) private readonly featureViews: FeatureViewsService,
    @Inject(FeatureStoresRepository) private readonly stores: FeatureStoresRepository,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(OnlineCache) private readonly cache: OnlineCache,
  ) {}

  async get(featureView: string, entityKeys: readonly string[], requestedFeatures: readonly string[]): Promise<OnlineFeatureValues> {
    const view = await this.cache.view(featureView, () => this.featureViews.require(featureView));
    const features = selectFeatures(view, requestedFeatures);
    const stored = await this.cache.read(view, entityKeys, (missing) => this.stores.readOnline(view.name, view.revision, missing));
    const now = this.clock.now().getTime();
    const results = entityKeys.map((entityKey): OnlineLookup => {
      const record = stored.get(entityKey);
      if (!record) return { entityKey, state: 'missing' };
      if (view.onlineTtlMs !== null && now - record.eventTime.getTime() > view.onlineTtlMs) return { entityKey, state: 'expired' };
      const expireTime = view.onlineTtlMs === null ? null : new Date(record.eventTime.getTime() + view.onlineTtlMs);
      return { entityKey, state: 'present', eventTime: record.eventTime, expireTime, values: record.values };
    });
    return { revision: view.revision, features, results };
  }
}
