/**
 * Kafka topic names. Services never spell a topic as a string literal: they use these
 * constants, so a rename is one edit and a typo is a compile error.
 *
 * Rules: `flywheel.<area>.events` / `flywheel.<area>.commands` carry protobuf events in the
 * envelope of `envelope.ts`; `flywheel.ingest.<dataset>` carries raw JSON records from any
 * producer; `flywheel.feedback` carries ground-truth labels; `flywheel.predictions` carries the
 * prediction log; `<topic>.dlq` holds what a consumer of `<topic>` gave up on.
 */

/** What a dataset name must look like; it becomes part of topic names, object keys and URLs. */
export const DATASET_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** What every raw-records topic starts with (a prefix ACL grants all of them). */
export const INGEST_TOPIC_PREFIX = 'flywheel.ingest.';
export const DLQ_SUFFIX = '.dlq';

/** Every raw-records topic, for a pattern subscription that picks up datasets registered later. */
export const INGEST_TOPIC_PATTERN = /^flywheel\.ingest\.[a-z][a-z0-9_-]{0,62}$/;

// Kafka's own limits on topic names (kafka.common.internals.Topic).
const KAFKA_TOPIC_PATTERN = /^[a-zA-Z0-9._-]+$/;
const KAFKA_TOPIC_MAX_LENGTH = 249;

export class InvalidTopicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTopicError';
  }
}

/** `flywheel.ingest.<dataset>`; throws if the dataset name would not make a safe topic. */
export function ingestTopic(dataset: string): string {
  if (!DATASET_NAME_PATTERN.test(dataset)) {
    throw new InvalidTopicError(`dataset: must match ${DATASET_NAME_PATTERN.source}, got ${JSON.stringify(dataset)}`);
  }
  return INGEST_TOPIC_PREFIX + dataset;
}

/** The dataset a raw-records topic belongs to, or null when the topic is not one. */
export function datasetOfIngestTopic(topic: string): string | null {
  return INGEST_TOPIC_PATTERN.test(topic) ? topic.slice(INGEST_TOPIC_PREFIX.length) : null;
}

/**
 * `<topic>.dlq`. A dead-letter topic has no dead-letter topic of its own: a message that
 * cannot even be parked is an operator's problem, not something to nest forever.
 */
export function dlqTopic(topic: string): string {
  if (!KAFKA_TOPIC_PATTERN.test(topic) || topic === '.' || topic === '..') {
    throw new InvalidTopicError(`topic: not a valid Kafka topic name: ${JSON.stringify(topic)}`);
  }
  if (topic.endsWith(DLQ_SUFFIX)) {
    throw new InvalidTopicError(`topic: ${topic} is already a dead-letter topic`);
  }
  const dlq = topic + DLQ_SUFFIX;
  if (dlq.length > KAFKA_TOPIC_MAX_LENGTH) {
    throw new InvalidTopicError(`topic: ${dlq} is longer than Kafka's ${KAFKA_TOPIC_MAX_LENGTH} characters`);
  }
  return dlq;
}

/** Whether a topic is a dead-letter topic. */
export function isDlqTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}

export const Topics = {
  /** DatasetRegistered, DatasetVersionCommitted, RecordsQuarantined (flywheel.ingestion.v1). */
  ingestionEvents: 'flywheel.ingestion.events',
  /** FeatureViewApplied, FeaturesMaterialised (flywheel.featurestore.v1). */
  featureStoreEvents: 'flywheel.featurestore.events',
  /** RunCompleted, RunFailed, RetrainingDecided (flywheel.trainer.v1). */
  trainerEvents: 'flywheel.trainer.events',
  /** TrainModel (flywheel.trainer.v1): what the trainer is asked to do. */
  trainerCommands: 'flywheel.trainer.commands',
  /** ModelVersionRegistered, AliasMoved, PromotionRefused (flywheel.registry.v1). */
  registryEvents: 'flywheel.registry.events',
  /** DeploymentChanged (flywheel.deployer.v1). */
  deployerEvents: 'flywheel.deployer.events',
  /**
   * PredictionLogged (flywheel.deployer.v1). Kept apart from `deployerEvents` because it is
   * orders of magnitude busier and wants its own retention and partition count; keyed by
   * request id, as `feedback` is, so a prediction and its label share a partition number.
   */
  predictions: 'flywheel.predictions',
  /** Feedback (flywheel.monitor.v1): ground-truth labels joined to predictions by request id. */
  feedback: 'flywheel.feedback',
  /** DriftDetected, PerformanceDegraded (flywheel.monitor.v1). */
  monitorEvents: 'flywheel.monitor.events',
  ingestTopic,
  dlqTopic,
} as const;

/** The fixed topic names (not the per-dataset or dead-letter ones). */
export type FixedTopic = Exclude<(typeof Topics)[keyof typeof Topics], typeof ingestTopic | typeof dlqTopic>;

/** Every fixed topic, e.g. for creating them at boot. */
export const FIXED_TOPICS: readonly FixedTopic[] = [
  Topics.ingestionEvents,
  Topics.featureStoreEvents,
  Topics.trainerEvents,
  Topics.trainerCommands,
  Topics.registryEvents,
  Topics.deployerEvents,
  Topics.predictions,
  Topics.feedback,
  Topics.monitorEvents,
];
