import { Inject, Injectable } from '@nestjs/common';
import {
  changedFeatureView,
  type EventEnvelope,
  FeaturesMaterialisedEvent,
  type featureStoreV1,
  FeatureViewAppliedEvent,
  Topics,
} from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { OnlineCache } from './online-cache';

export const ONLINE_CACHE_GROUP = 'feature-store.online-cache';

/**
 * The feature store's own events, as what they say changed: a view materialised a version (its
 * online values moved) or was applied (its definition did). The cache forgets that view.
 */
@Injectable()
export class OnlineCacheInvalidator {
  constructor(@Inject(OnlineCache) private readonly cache: OnlineCache) {}

  @ConsumeEvent({
    topic: Topics.featureStoreEvents,
    types: [FeaturesMaterialisedEvent, FeatureViewAppliedEvent],
    group: ONLINE_CACHE_GROUP,
    // Each replica has a cache of its own, so each hears every change.
    replicas: 'each',
  })
  // Nothing to write: the cache is this process's memory, so the handler's transaction is unused.
  async onViewChanged(
    event: EventEnvelope<featureStoreV1.FeaturesMaterialised | featureStoreV1.FeatureViewApplied>,
    _manager: EntityManager,
  ): Promise<void> {
    const name = changedFeatureView(event.data);
    if (name) this.cache.invalidate(name);
  }
}
