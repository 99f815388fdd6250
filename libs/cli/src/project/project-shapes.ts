import {
  type commonV1,
  type deployerV1,
  type featureStoreV1,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import { durationSeconds, formatDuration } from '../durations';
import {
  COLUMN_TYPES,
  DRIFT_TESTS,
  type DatasetDefinition,
  type DeploymentDefinition,
  type FeatureViewDefinition,
  type ModelDefinition,
  type TrainingDefinition,
} from './project.schema';

// Two directions between a project's definitions and the contracts' messages:
// - definition → request: what `apply` sends;
// - message → shape: a message written back in the project's own terms, so that what the
//   platform has and what the project asks for are compared field by field (`plan`).
// Enum numbers are the contracts' (stable by the rules of proto evolution).

type Duration = { seconds: number; nanos: number };
type Shape = Record<string, unknown>;

const ALGORITHMS = { logreg: 1, linear: 2, gbdt: 3, random_forest: 4 } as const;
const TASKS = { binary: 1, regression: 2 } as const;
const STRATEGIES = { grid: 1, random: 2, halving: 3 } as const;

const columnTypeOf = (name: (typeof COLUMN_TYPES)[number]) => COLUMN_TYPES.indexOf(name) + 1;
const columnTypeName = (type: number) => COLUMN_TYPES[type - 1];
const driftTestOf = (name: (typeof DRIFT_TESTS)[number]) => DRIFT_TESTS.indexOf(name) + 1;
const nameOf = <K extends string>(names: Record<K, number>, value: number): K | undefined =>
  (Object.keys(names) as K[]).find((k) => names[k] === value);

function durationOf(text: string | undefined): Duration | undefined {
  const seconds = text === undefined ? undefined : durationSeconds(text);
  return seconds === undefined ? undefined : { seconds, nanos: 0 };
}
const durationText = (d: Duration | undefined | null) => (d ? formatDuration(d.seconds + d.nanos / 1e9) : undefined);
const text = (value: string | undefined | null) => (value ? value : undefined);
const list = <T>(values: readonly T[] | undefined | null) => (values && values.length > 0 ? values : undefined);
const record = <T>(values: Record<string, T> | undefined | null) => (values && Object.keys(values).length > 0 ? values : undefined);

function valueOf(value: number | string | boolean): commonV1.Value {
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { stringValue: value };
}
const plainValue = (value: commonV1.Value | undefined) => value?.numberValue ?? value?.stringValue ?? value?.boolValue;

// Datasets

export function registerDatasetRequest(d: DatasetDefinition): ingestionV1.RegisterDatasetRequest {
  return {
    name: d.name,
    description: d.description ?? '',
    contract: {
      columns: d.contract.columns.map((c) => ({
        name: c.name,
        type: columnTypeOf(c.type),
        required: c.required ?? false,
        min: c.min,
        max: c.max,
        allowedValues: c.allowedValues ?? [],
        description: c.description ?? '',
      })),
      uniqueKey: d.contract.uniqueKey ?? [],
      eventTimeColumn: d.contract.eventTimeColumn ?? '',
      maxRecordBytes: d.contract.maxRecordBytes ?? 0,
      maxValueBytes: d.contract.maxValueBytes ?? 0,
    },
    commitPolicy: { maxRows: d.commitPolicy?.maxRows ?? 0, maxInterval: durationOf(d.commitPolicy?.maxInterval) },
  };
}

/**
 * The whole new definition of a registered dataset: what the project writes, and the platform's
 * values where it writes nothing (the description, the commit policy or its fields, a column's
 * rules, the size limits), so that an update changes only what the plan showed.
 */
export function updateDatasetRequest(d: DatasetDefinition, current: ingestionV1.Dataset): ingestionV1.UpdateDatasetRequest {
  const written = registerDatasetRequest(d);
  const was = current.contract;
  const columnWas = new Map(was?.columns.map((c) => [c.name, c]));
  return {
    name: d.name,
    description: d.description ?? current.description,
    contract: {
      ...written.contract!,
      columns: d.contract.columns.map((c, i) => {
        const previous = columnWas.get(c.name);
        const column = written.contract!.columns[i]!;
        if (!previous) return column;
        return {
          ...column,
          required: c.required ?? previous.required,
          min: c.min ?? previous.min,
          max: c.max ?? previous.max,
          allowedValues: c.allowedValues ?? previous.allowedValues,
          description: c.description ?? previous.description,
        };
      }),
      uniqueKey: d.contract.uniqueKey ?? was?.uniqueKey ?? [],
      eventTimeColumn: d.contract.eventTimeColumn ?? was?.eventTimeColumn ?? '',
      maxRecordBytes: d.contract.maxRecordBytes ?? was?.maxRecordBytes ?? 0,
      maxValueBytes: d.contract.maxValueBytes ?? was?.maxValueBytes ?? 0,
    },
    commitPolicy: {
      maxRows: d.commitPolicy?.maxRows ?? current.commitPolicy?.maxRows ?? 0,
      maxInterval: d.commitPolicy?.maxInterval !== undefined ? durationOf(d.commitPolicy.maxInterval) : current.commitPolicy?.maxInterval,
    },
    validateOnly: false,
  };
}

export function datasetShape(d: ingestionV1.RegisterDatasetRequest | ingestionV1.Dataset): Shape {
  return {
    name: d.name,
    description: text(d.description),
    contract: {
      columns: d.contract?.columns.map((c) => ({
        name: c.name,
        type: columnTypeName(c.type),
        required: c.required,
        min: c.min ?? undefined,
        max: c.max ?? undefined,
        allowedValues: list(c.allowedValues),
        description: text(c.description),
      })),
      uniqueKey: list(d.contract?.uniqueKey),
      eventTimeColumn: text(d.contract?.eventTimeColumn),
      maxRecordBytes: d.contract?.maxRecordBytes,
      maxValueBytes: d.contract?.maxValueBytes,
    },
    commitPolicy: { maxRows: d.commitPolicy?.maxRows, maxInterval: durationText(d.commitPolicy?.maxInterval) },
  };
}

// Feature views

export function applyFeatureViewRequest(v: FeatureViewDefinition): featureStoreV1.ApplyFeatureViewRequest {
  return {
    name: v.name,
    dataset: v.dataset,
    entityKey: v.entityKey,
    eventTimeColumn: v.eventTimeColumn,
    features: v.features.map((f) => ({
      name: f.name,
      ...(f.expression !== undefined ? { expression: f.expression } : { column: f.column }),
      type: columnTypeOf(f.type),
      description: f.description ?? '',
    })),
    onlineTtl: durationOf(v.onlineTtl),
    description: v.description ?? '',
  };
}

export function featureViewShape(v: featureStoreV1.ApplyFeatureViewRequest | featureStoreV1.FeatureView): Shape {
  return {
    name: v.name,
    dataset: v.dataset,
    entityKey: v.entityKey,
    eventTimeColumn: v.eventTimeColumn,
    features: v.features.map((f) => ({
      name: f.name,
      column: text(f.column),
      expression: text(f.expression),
      type: columnTypeName(f.type),
      description: text(f.description),
    })),
    onlineTtl: durationText(v.onlineTtl),
    description: text(v.description),
  };
}

// Models

export function createModelRequest(m: ModelDefinition): registryV1.CreateModelRequest {
  return { name: m.name, description: m.description ?? '', tags: m.tags ?? {} };
}

export const modelShape = (m: registryV1.CreateModelRequest | registryV1.Model): Shape => ({
  name: m.name,
  description: text(m.description),
  tags: record(m.tags),
});

export function promotionPolicy(model: string, p: NonNullable<ModelDefinition['promotion']>): Partial<registryV1.PromotionPolicy> {
  return { modelName: model, ...p };
}

export const promotionShape = (p: registryV1.PromotionPolicy): Shape => ({
  autoPromote: p.autoPromote,
  alias: text(p.alias) ?? 'production',
  metric: text(p.metric),
  minAbsoluteImprovement: p.minAbsoluteImprovement,
  minRelativeImprovement: p.minRelativeImprovement,
  minHoldoutRows: p.minHoldoutRows,
  autoDeploy: p.autoDeploy ?? true,
});

export function modelSpec(model: string, t: TrainingDefinition): trainerV1.ModelSpec {
  return {
    modelName: model,
    featureView: t.featureView,
    features: t.features ?? [],
    label: t.label,
    task: t.task ? TASKS[t.task] : 0,
    algorithm: ALGORITHMS[t.algorithm],
    params: Object.fromEntries(Object.entries(t.params ?? {}).map(([k, v]) => [k, valueOf(v)])),
    searchSpace: t.search && {
      parameters: Object.entries(t.search.parameters).map(([name, domain]) =>
        Array.isArray(domain)
          ? { name, choices: { values: domain.map(valueOf) } }
          : { name, range: { min: domain.min, max: domain.max, logScale: domain.log ?? false, integer: domain.integer ?? false } },
      ),
      strategy: t.search.strategy ? STRATEGIES[t.search.strategy] : 0,
      maxTrials: t.search.maxTrials ?? 0,
      gridPoints: t.search.gridPoints ?? 0,
    },
    metric: t.metric ?? '',
    evaluation: t.holdoutFraction === undefined ? undefined : { recentFraction: t.holdoutFraction },
    seed: t.seed ?? 0,
    trainingWindow: durationOf(t.trainingWindow),
  };
}

/** The task an algorithm implies, and each task's default metric: the trainer records a spec with them filled in. */
const IMPLIED_TASKS: Record<number, keyof typeof TASKS> = { [ALGORITHMS.logreg]: 'binary', [ALGORITHMS.linear]: 'regression' };
const DEFAULT_METRICS: Record<keyof typeof TASKS, string> = { binary: 'accuracy', regression: 'rmse' };

export function trainingShape(s: trainerV1.ModelSpec): Shape {
  const space = s.searchSpace;
  const task = nameOf(TASKS, s.task) ?? IMPLIED_TASKS[s.algorithm];
  return {
    featureView: s.featureView,
    label: s.label,
    features: list(s.features),
    task,
    algorithm: nameOf(ALGORITHMS, s.algorithm),
    params: record(Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, plainValue(v)]))),
    search: space && {
      parameters: Object.fromEntries(
        space.parameters.map((p) => [
          p.name,
          p.choices
            ? p.choices.values.map(plainValue)
            : { min: p.range?.min, max: p.range?.max, log: p.range?.logScale || undefined, integer: p.range?.integer || undefined },
        ]),
      ),
      strategy: nameOf(STRATEGIES, space.strategy),
      maxTrials: space.maxTrials || undefined,
      gridPoints: space.gridPoints || undefined,
    },
    metric: text(s.metric) ?? (task && DEFAULT_METRICS[task]),
    holdoutFraction: s.evaluation?.recentFraction ?? undefined,
    seed: s.seed || undefined,
    trainingWindow: durationText(s.trainingWindow),
  };
}

export function retrainingPolicy(model: string, r: NonNullable<ModelDefinition['retraining']>): Partial<trainerV1.RetrainingPolicy> {
  const { cooldown, ...rest } = r;
  return { modelName: model, ...rest, ...(cooldown !== undefined ? { cooldown: durationOf(cooldown) } : {}) };
}

export const retrainingShape = (p: trainerV1.RetrainingPolicy): Shape => ({
  enabled: p.enabled,
  cooldown: durationText(p.cooldown),
  dailyBudget: p.dailyBudget,
  minNewRows: p.minNewRows,
  onDrift: p.onDrift,
  onPerformanceDegraded: p.onPerformanceDegraded,
});

export function monitoringPolicy(model: string, m: NonNullable<ModelDefinition['monitoring']>): Partial<monitorV1.MonitoringPolicy> {
  const { windowDuration, featureTests, ...rest } = m;
  return {
    modelName: model,
    ...rest,
    ...(windowDuration !== undefined ? { windowDuration: durationOf(windowDuration) } : {}),
    ...(featureTests !== undefined
      ? { featureTests: featureTests.map((t) => ({ feature: t.feature, test: driftTestOf(t.test), threshold: t.threshold ?? 0 })) }
      : {}),
  };
}

export const monitoringShape = (p: monitorV1.MonitoringPolicy): Shape => ({
  windowSize: p.windowSize,
  windowDuration: durationText(p.windowDuration),
  minWindowSize: p.minWindowSize,
  featureTests: p.featureTests.map((t) => ({ feature: t.feature, test: DRIFT_TESTS[t.test - 1], threshold: t.threshold })),
  driftShareThreshold: p.driftShareThreshold,
  correctForMultipleTests: p.correctForMultipleTests,
  maxAccuracyDrop: p.maxAccuracyDrop,
  minLabelled: p.minLabelled,
});

// Deployments

const CANARY_FIELDS = {
  trafficShare: 'traffic_share',
  minRequests: 'min_requests',
  maxErrorRateIncrease: 'max_error_rate_increase',
  maxLatencyRatio: 'max_latency_ratio',
  maxAccuracyDrop: 'max_accuracy_drop',
  minLabelled: 'min_labelled',
  maxDuration: 'max_duration',
} as const;

/** A Deploy that sets the canary fields written and leaves the others as they are. */
export function deployRequest(d: DeploymentDefinition, reason: string): deployerV1.DeployRequest {
  const canary = d.canary ?? {};
  const written = (Object.keys(CANARY_FIELDS) as (keyof typeof CANARY_FIELDS)[]).filter((k) => canary[k] !== undefined);
  return {
    name: d.name,
    modelName: d.model ?? d.name,
    ...(d.version !== undefined ? { version: d.version } : d.alias !== undefined ? { alias: d.alias } : {}),
    canaryPolicy:
      written.length === 0
        ? undefined
        : {
            trafficShare: canary.trafficShare ?? 0,
            minRequests: canary.minRequests ?? 0,
            maxErrorRateIncrease: canary.maxErrorRateIncrease ?? 0,
            maxLatencyRatio: canary.maxLatencyRatio ?? 0,
            maxAccuracyDrop: canary.maxAccuracyDrop ?? 0,
            minLabelled: canary.minLabelled ?? 0,
            maxDuration: durationOf(canary.maxDuration),
          },
    canaryPolicyFields: written.map((k) => CANARY_FIELDS[k]),
    reason,
  };
}

export function deploymentDefinitionShape(d: DeploymentDefinition): Shape {
  return {
    name: d.name,
    model: d.model ?? d.name,
    alias: d.alias,
    version: d.version,
    canary: d.canary && { ...d.canary, maxDuration: durationText(durationOf(d.canary.maxDuration)) },
  };
}

export function deploymentShape(d: deployerV1.Deployment): Shape {
  const policy = d.canaryPolicy;
  return {
    name: d.name,
    model: d.modelName,
    alias: text(d.alias),
    // A pinned deployment serves (or is rolling out) the version it was pinned to.
    version: d.alias ? undefined : d.canaryVersion || d.stableVersion || undefined,
    canary: policy && { ...policy, maxDuration: durationText(policy.maxDuration) },
  };
}

// Policies as the platform answers when none was set for a model that does not exist yet: what
// a first `apply` merges the fields it writes into.

export const EMPTY_PROMOTION_POLICY: registryV1.PromotionPolicy = {
  modelName: '',
  autoPromote: false,
  alias: '',
  metric: '',
  minAbsoluteImprovement: 0,
  minRelativeImprovement: 0,
  minHoldoutRows: 0,
};

export const EMPTY_RETRAINING_POLICY: trainerV1.RetrainingPolicy = {
  modelName: '',
  enabled: false,
  cooldown: undefined,
  dailyBudget: 0,
  minNewRows: 0,
  spec: undefined,
  onDrift: false,
  onPerformanceDegraded: false,
};

export const EMPTY_MONITORING_POLICY: monitorV1.MonitoringPolicy = {
  modelName: '',
  windowSize: 0,
  windowDuration: undefined,
  minWindowSize: 0,
  featureTests: [],
  driftShareThreshold: 0,
  correctForMultipleTests: false,
  maxAccuracyDrop: 0,
  minLabelled: 0,
};
