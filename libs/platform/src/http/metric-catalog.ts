/**
 * One definition of a Prometheus metric: its name, help, type, label names and, for a
 * histogram, its buckets. Services register a metric through PlatformMetrics with its
 * definition from FLYWHEEL_METRICS, so the dashboards in deploy/grafana and the alert rules in
 * deploy/prometheus can be checked against the one list of names (observability-names.spec.ts).
 */
export interface MetricDefinition<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly L[];
  readonly buckets?: readonly number[];
}

function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): MetricDefinition<L> {
  return { name, help, type: 'counter', labelNames };
}

function gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): MetricDefinition<L> {
  return { name, help, type: 'gauge', labelNames };
}

function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: readonly number[],
): MetricDefinition<L> {
  return { name, help, type: 'histogram', labelNames, buckets };
}

/** Latency buckets (seconds) for calls from sub-millisecond reads to multi-second training submits. */
const GRPC_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Prediction latency buckets (seconds): sub-millisecond native models to multi-second ONNX graphs behind a feature lookup. */
const PREDICTION_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The platform's metrics that dashboards and alert rules name. Label sets are bounded:
 * `deployment` and `model` by what is deployed and registered, `version` by the versions a
 * deployment serves now (the deployer drops a version's series once it stops serving it),
 * `feature` by the model's signature, `dataset` by registered datasets, `group`/`topic` by the
 * services' consumers.
 */
export const FLYWHEEL_METRICS = {
  // every service: its gRPC calls
  grpcRequests: counter('flywheel_grpc_requests_total', 'gRPC calls handled, by service, method and status code.', [
    'service',
    'method',
    'code',
  ]),
  grpcDuration: histogram(
    'flywheel_grpc_request_duration_seconds',
    'Time from receiving a gRPC call to sending its status.',
    ['service', 'method', 'code'],
    GRPC_DURATION_BUCKETS,
  ),
  // messaging: every service with an outbox or consumers
  kafkaConsumerLag: gauge('flywheel_kafka_consumer_lag', 'Messages not yet consumed, by group, topic and partition.', [
    'group',
    'topic',
    'partition',
  ]),
  outboxBacklog: gauge('flywheel_outbox_backlog', 'Outbox events written but not yet published.', []),
  outboxOldestAge: gauge('flywheel_outbox_oldest_age_seconds', 'Age of the oldest outbox event not yet published (0 when none waits).', []),
  outboxParked: gauge(
    'flywheel_outbox_parked',
    'Outbox events given up on (too large, or refused after every retry); they need a person.',
    [],
  ),
  outboxPublished: counter('flywheel_outbox_published_total', 'Outbox rows published to Kafka.', []),
  kafkaDeadLettered: counter(
    'flywheel_kafka_dead_lettered_total',
    'Consumed records parked in their topic’s dead-letter topic (<topic>.dlq), by consumer group and source topic.',
    ['group', 'topic'],
  ),
  kafkaConsumed: histogram(
    'flywheel_kafka_consumed_seconds',
    'Time to process one consumed record, by group, topic and outcome (applied, duplicate, ignored, dead-lettered).',
    ['group', 'topic', 'outcome'],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  ),
  kafkaBatchRecords: counter(
    'flywheel_kafka_batch_records_total',
    'Records applied by batch consumers, by group, topic and outcome (applied, dead-lettered).',
    ['group', 'topic', 'outcome'],
  ),
  kafkaBatchDuration: histogram(
    'flywheel_kafka_batch_seconds',
    'Time to apply one batch of consumed records, by group and topic.',
    ['group', 'topic'],
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  ),
  // ingestion
  ingestUnregisteredRecords: counter(
    'flywheel_ingest_unregistered_records_total',
    'Records on ingest topics that no registered dataset owns, sent to the topic’s DLQ.',
    ['topic'],
  ),
  datasetRowsCommitted: counter('flywheel_dataset_rows_committed_total', 'Rows committed into dataset versions, by dataset.', ['dataset']),
  datasetRowsQuarantined: counter(
    'flywheel_dataset_rows_quarantined_total',
    'Records quarantined (contract violations, conflicting keys), by dataset; a replayed record quarantined again counts again.',
    ['dataset'],
  ),
  // deployer
  predictions: counter(
    'flywheel_predictions_total',
    'Predictions asked of a served version (answered or failed), by deployment, model, version and whether it was the canary.',
    ['deployment', 'model', 'version', 'canary'],
  ),
  predictionErrors: counter(
    'flywheel_prediction_errors_total',
    'Predictions a served version failed (not the caller’s fault), by deployment, model, version and canary.',
    ['deployment', 'model', 'version', 'canary'],
  ),
  predictionLatency: histogram(
    'flywheel_prediction_latency_seconds',
    'Time to answer a prediction (feature lookup included), by deployment, model and the version that answered.',
    ['deployment', 'model', 'version'],
    PREDICTION_LATENCY_BUCKETS,
  ),
  liveAccuracy: gauge(
    'flywheel_live_accuracy',
    'Accuracy of the labelled predictions this replica served in the deployment’s current phase (classification).',
    ['deployment', 'model', 'version'],
  ),
  liveRmse: gauge(
    'flywheel_live_rmse',
    'RMSE of the labelled predictions this replica served in the deployment’s current phase (regression).',
    ['deployment', 'model', 'version'],
  ),
  liveLabelled: gauge('flywheel_live_labelled', 'Predictions this replica served in the deployment’s current phase whose label arrived.', [
    'deployment',
    'model',
    'version',
  ]),
  predictionLogDropped: counter(
    'flywheel_deployer_prediction_log_dropped_total',
    'Prediction log records dropped because the buffer was full or the process was stopping.',
    [],
  ),
  predictionLogPublished: counter('flywheel_deployer_prediction_log_published_total', 'Prediction log records acknowledged by Kafka.', []),
  predictionLogBuffered: gauge('flywheel_deployer_prediction_log_buffered', 'Prediction log records waiting in memory for Kafka.', []),
  deployerFeedbackUnmatched: counter(
    'flywheel_deployer_feedback_unmatched_total',
    'Feedback labels skipped because this process has no recent prediction with their request id.',
    [],
  ),
  canaryConclusions: counter(
    'flywheel_canary_conclusions_total',
    'Canaries concluded by the deployer’s judge, by deployment, model and decision (promote, rollback).',
    ['deployment', 'model', 'decision'],
  ),
  // monitor
  monitorFeedbackUnmatched: counter(
    'flywheel_monitor_feedback_unmatched_total',
    'Feedback labels dropped because no prediction with their request id arrived while they could wait (MONITOR_LABEL_WAIT_MS, MONITOR_LABEL_WAIT_MAX_ROWS).',
    [],
  ),
  driftReports: counter(
    'flywheel_drift_reports_total',
    'Drift reports of closed monitoring windows, by model and whether the dataset drifted (true, false).',
    ['model', 'dataset_drift'],
  ),
  driftShare: gauge('flywheel_drift_share', 'Share of drifted features in the model’s latest drift report.', ['model']),
  driftShareThreshold: gauge(
    'flywheel_drift_share_threshold',
    'The drift share at or above which the model’s latest report found dataset drift (its policy’s).',
    ['model'],
  ),
  featureDriftStatistic: gauge(
    'flywheel_feature_drift_statistic',
    'Drift test statistic of each feature in the model’s latest drift report.',
    ['model', 'feature'],
  ),
  featureDriftPValue: gauge(
    'flywheel_feature_drift_p_value',
    'Drift test p-value of each feature in the model’s latest drift report (only tests that give one).',
    ['model', 'feature'],
  ),
  modelPerformance: gauge(
    'flywheel_model_performance',
    'Live performance in the model’s latest judged window (metric: accuracy or rmse), from joined feedback labels.',
    ['model', 'metric'],
  ),
  modelPerformanceReference: gauge(
    'flywheel_model_performance_reference',
    'The holdout value the latest judged window was compared with (metric: accuracy or rmse).',
    ['model', 'metric'],
  ),
  modelPerformanceDegraded: gauge(
    'flywheel_model_performance_degraded',
    '1 when the model’s latest judged window found performance degraded beyond its policy, else 0.',
    ['model'],
  ),
} as const satisfies Record<string, MetricDefinition>;

export type FlywheelMetricKey = keyof typeof FLYWHEEL_METRICS;
