/**
 * What each service consumes, as fresh registries for `decodeEvent`: the documentation of the
 * flows, and what tests decode with. The consumers of `@flywheel/messaging` validate every
 * record against all of the platform's types: a valid event of a type a group does not handle
 * (a `RunFailed` on the trainer topic, for the registry) is acknowledged and skipped, and only
 * an invalid record or an unknown type is a dead letter.
 */
import { EventTypeRegistry } from './envelope';
import {
  ALL_EVENT_TYPES,
  AliasMovedEvent,
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  DriftDetectedEvent,
  FeaturesMaterialisedEvent,
  FeatureViewAppliedEvent,
  FeedbackEvent,
  ModelVersionRegisteredEvent,
  PerformanceDegradedEvent,
  PredictionLoggedEvent,
  RunCompletedEvent,
  TrainModelCommand,
} from './events';

export const ConsumedEvents = {
  /** Ingestion reads raw JSON from `flywheel.ingest.<dataset>`, no enveloped events. */
  ingestion: (): EventTypeRegistry => new EventTypeRegistry(),
  /**
   * New versions to materialise; registrations and updates to know datasets and their columns before their first version; its
   * own materialisations and applies, which invalidate its online cache.
   */
  featureStore: (): EventTypeRegistry =>
    new EventTypeRegistry().register(
      DatasetRegisteredEvent,
      DatasetUpdatedEvent,
      DatasetVersionCommittedEvent,
      FeaturesMaterialisedEvent,
      FeatureViewAppliedEvent,
    ),
  /** Train commands, the triggers of the retraining policy, and new data for its minimum. */
  trainer: (): EventTypeRegistry =>
    new EventTypeRegistry().register(TrainModelCommand, DriftDetectedEvent, PerformanceDegradedEvent, DatasetVersionCommittedEvent),
  /** Completed runs become versions. */
  registry: (): EventTypeRegistry => new EventTypeRegistry().register(RunCompletedEvent),
  /** Alias moves start canaries; labels judge a canary's accuracy; the feature store's changes invalidate its online cache. */
  deployer: (): EventTypeRegistry =>
    new EventTypeRegistry().register(AliasMovedEvent, FeedbackEvent, FeaturesMaterialisedEvent, FeatureViewAppliedEvent),
  /** Predictions and labels fill windows; deployment and alias changes switch the reference. */
  monitor: (): EventTypeRegistry =>
    new EventTypeRegistry().register(
      PredictionLoggedEvent,
      FeedbackEvent,
      DeploymentChangedEvent,
      AliasMovedEvent,
      ModelVersionRegisteredEvent,
    ),
  /** Everything, for tools that tail any topic (the CLI, tests). */
  all: (): EventTypeRegistry => new EventTypeRegistry().register(...ALL_EVENT_TYPES),
} as const;
