/**
 * One `EventType` per event or command message, and the topic each travels on. Producers pass
 * these to `encodeEvent`; consumers register them (see `consumed-events.ts`).
 */
import { type EventType, eventType } from './envelope';
import { Topics } from './topics';
import * as deployer from './generated/flywheel/deployer/v1/deployer';
import * as featurestore from './generated/flywheel/featurestore/v1/featurestore';
import * as ingestion from './generated/flywheel/ingestion/v1/ingestion';
import * as monitor from './generated/flywheel/monitor/v1/monitor';
import * as registry from './generated/flywheel/registry/v1/registry';
import * as trainer from './generated/flywheel/trainer/v1/trainer';

export const DatasetRegisteredEvent: EventType<ingestion.DatasetRegistered> = eventType(ingestion.DatasetRegistered);
export const DatasetUpdatedEvent: EventType<ingestion.DatasetUpdated> = eventType(ingestion.DatasetUpdated);
export const DatasetVersionCommittedEvent: EventType<ingestion.DatasetVersionCommitted> = eventType(ingestion.DatasetVersionCommitted);
export const RecordsQuarantinedEvent: EventType<ingestion.RecordsQuarantined> = eventType(ingestion.RecordsQuarantined);

export const FeatureViewAppliedEvent: EventType<featurestore.FeatureViewApplied> = eventType(featurestore.FeatureViewApplied);
export const FeaturesMaterialisedEvent: EventType<featurestore.FeaturesMaterialised> = eventType(featurestore.FeaturesMaterialised);

export const TrainModelCommand: EventType<trainer.TrainModel> = eventType(trainer.TrainModel);
export const RunCompletedEvent: EventType<trainer.RunCompleted> = eventType(trainer.RunCompleted);
export const RunFailedEvent: EventType<trainer.RunFailed> = eventType(trainer.RunFailed);
export const RetrainingDecidedEvent: EventType<trainer.RetrainingDecided> = eventType(trainer.RetrainingDecided);

export const ModelVersionRegisteredEvent: EventType<registry.ModelVersionRegistered> = eventType(registry.ModelVersionRegistered);
export const AliasMovedEvent: EventType<registry.AliasMoved> = eventType(registry.AliasMoved);
export const PromotionRefusedEvent: EventType<registry.PromotionRefused> = eventType(registry.PromotionRefused);

export const DeploymentChangedEvent: EventType<deployer.DeploymentChanged> = eventType(deployer.DeploymentChanged);
export const PredictionLoggedEvent: EventType<deployer.PredictionLogged> = eventType(deployer.PredictionLogged);

export const FeedbackEvent: EventType<monitor.Feedback> = eventType(monitor.Feedback);
export const DriftDetectedEvent: EventType<monitor.DriftDetected> = eventType(monitor.DriftDetected);
export const PerformanceDegradedEvent: EventType<monitor.PerformanceDegraded> = eventType(monitor.PerformanceDegraded);

/** Each event type with the one topic it is published on. */
const EVENT_TOPICS: ReadonlyArray<readonly [EventType<unknown>, string]> = [
  [DatasetRegisteredEvent, Topics.ingestionEvents],
  [DatasetUpdatedEvent, Topics.ingestionEvents],
  [DatasetVersionCommittedEvent, Topics.ingestionEvents],
  [RecordsQuarantinedEvent, Topics.ingestionEvents],
  [FeatureViewAppliedEvent, Topics.featureStoreEvents],
  [FeaturesMaterialisedEvent, Topics.featureStoreEvents],
  [TrainModelCommand, Topics.trainerCommands],
  [RunCompletedEvent, Topics.trainerEvents],
  [RunFailedEvent, Topics.trainerEvents],
  [RetrainingDecidedEvent, Topics.trainerEvents],
  [ModelVersionRegisteredEvent, Topics.registryEvents],
  [AliasMovedEvent, Topics.registryEvents],
  [PromotionRefusedEvent, Topics.registryEvents],
  [DeploymentChangedEvent, Topics.deployerEvents],
  [PredictionLoggedEvent, Topics.predictions],
  [FeedbackEvent, Topics.feedback],
  [DriftDetectedEvent, Topics.monitorEvents],
  [PerformanceDegradedEvent, Topics.monitorEvents],
];

const topicByType = new Map(EVENT_TOPICS.map(([type, topic]) => [type.typeName, topic]));

/** Every event and command type Flywheel defines. */
export const ALL_EVENT_TYPES: readonly EventType<unknown>[] = EVENT_TOPICS.map(([type]) => type);

/** The topic an event type is published on; throws for a type that is not one of ours. */
/** The view a FeaturesMaterialised or FeatureViewApplied is about: what caches of that view must forget. */
export function changedFeatureView(data: featurestore.FeaturesMaterialised | featurestore.FeatureViewApplied): string | undefined {
  return typeof data.featureView === 'string' ? data.featureView : data.featureView?.name;
}

export function topicFor(type: EventType<unknown> | string): string {
  const typeName = typeof type === 'string' ? type : type.typeName;
  const topic = topicByType.get(typeName);
  if (topic === undefined) {
    throw new Error(`${typeName} is not a Flywheel event type`);
  }
  return topic;
}
