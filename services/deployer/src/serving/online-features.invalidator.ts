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
import { CachedOnlineFeatures } from './online-features';

export const ONLINE_FEATURES_GROUP = 'deployer.online-features';

/** The feature store's events, as what they say changed: the cached online features of that view go. */
@Injectable()
export class OnlineFeaturesInvalidator {
  constructor(@Inject(CachedOnlineFeatures) private readonly online: CachedOnlineFeatures) {}

  // Nothing to write: the cache is this process's memory, so the handler's transaction is unused.
  @ConsumeEvent({
    topic: Topics.featureStoreEvents,
    types: [FeaturesMaterialisedEvent, FeatureViewAppliedEvent],
    group: ONLINE_FEATURES_GROUP,
    // Each replica has a cache of its own, so each hears every change.
    replicas: 'each',
  })
  async onViewChanged(
    event: EventEnvelope<featureStoreV1.FeaturesMaterialised | featureStoreV1.FeatureViewApplied>,
    _manager: EntityManager,
  ): Promise<void> {
    const name = changedFeatureView(event.data);
    if (name) this.online.invalidate(name);
  }
}
