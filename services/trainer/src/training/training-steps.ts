import { type commonV1, trainerV1 } from '@flywheel/contracts';
import {
  type Algorithm,
  categoricalColumn,
  type Column,
  evaluateModel,
  fitModel,
  getColumn,
  hasColumn,
  loadModel,
  makeTable,
  MISSING_CODE,
  type ModelArtifact,
  parseCsv,
  type Table,
  tableToCsv,
  takeRows,
} from '@flywheel/ml';
import { type CheckedSpec, contractMetrics, type RawParam } from '../runs/model-spec';

// The CPU-bound steps of a training, as pure functions of their inputs: the training threads
// (training-steps.worker.ts) run them, so the service's event loop never does. Each refusal is
// a TrainingFailure with the contract's failure class.

/** Fewer labelled rows than this on either side of the holdout split is not a model worth recording. */
export const MIN_TRAINING_ROWS = 20;
export const MIN_HOLDOUT_ROWS = 5;

/** A run that cannot succeed, with the contract's failure class and a message for people. */
export class TrainingFailure extends Error {
  constructor(
    readonly code: trainerV1.FailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingFailure';
  }
}

/**
 * A training stopped from outside — its run cancelled, or the trainer shutting down — rather than
 * failed: nothing is recorded for it (a cancelled run is already failed; an interrupted one is
 * tried again when its claim lapses).
 */
export class TrainingInterrupted extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TrainingInterrupted';
  }
}

export interface PrepareInput {
  readonly checked: CheckedSpec;
  /** The training set as the feature store wrote it: CSV, entity key and event time first. */
  readonly csv: Uint8Array;
  /** Its object key, for messages. */
  readonly source: string;
  /** The columns the feature store says it wrote. */
  readonly columns: readonly string[];
}

export interface PreparedData {
  /** The model's features and its label, the training rows only. */
  readonly train: Table;
  /** Entity key, features and label of the holdout rows, oldest first. */
  readonly holdout: Table;
  /** Each holdout row's event time, epoch ms. */
  readonly holdoutTimes: readonly number[];
  readonly features: readonly string[];
  readonly entityColumn: string;
  readonly timeColumn: string;
}

/** The training set parsed, checked against the spec and split: the training rows and a holdout of the most recent labelled ones. */
export function prepareTrainingData({ checked, csv, source, columns }: PrepareInput): PreparedData {
  const { spec } = checked;
  const [entityColumn, timeColumn] = columns as [string, string];
  let table: Table;
  try {
    // Keys and instants are text whatever they look like; the rest is inferred.
    table = parseCsv(Buffer.from(csv.buffer, csv.byteOffset, csv.byteLength), {
      schema: { [entityColumn]: 'categorical', [timeColumn]: 'categorical' },
    });
  } catch (error) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_FEATURES_UNAVAILABLE,
      `training set of feature view "${spec.featureView}": ${source} is not readable CSV: ${(error as Error).message}`,
    );
  }
  const label = spec.label;
  if (!hasColumn(table, label)) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      `label column "${label}" is not in the training set of feature view "${spec.featureView}" (columns: ${table.columns.map((c) => c.name).join(', ')})`,
    );
  }
  const reserved = new Set([entityColumn, timeColumn, label]);
  const features = spec.features.length > 0 ? spec.features : columns.slice(2).filter((name) => !reserved.has(name));
  const missing = features.filter((name) => !hasColumn(table, name) || reserved.has(name));
  if (missing.length > 0) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      `feature${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')} not in the training set of feature view "${spec.featureView}"`,
    );
  }
  if (features.length === 0)
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      `feature view "${spec.featureView}" gave no feature columns`,
    );

  const times = eventTimes(getColumn(table, timeColumn));
  const labelled = labelledRowsByTime(table, label, times);
  const split = splitHoldout(labelled, times, checked.holdout);
  if (split.train.length < MIN_TRAINING_ROWS || split.holdout.length < MIN_HOLDOUT_ROWS) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      `${labelled.length} labelled rows give ${split.train.length} to train on and ${split.holdout.length} in the holdout; ` +
        `at least ${MIN_TRAINING_ROWS} and ${MIN_HOLDOUT_ROWS} are needed`,
    );
  }
  const train = takeRows(selectColumns(table, [...features, label]), Int32Array.from(split.train));
  checkLabel(checked, getColumn(train, label));
  return {
    train,
    holdout: takeRows(selectColumns(table, [entityColumn, ...features, label]), Int32Array.from(split.holdout)),
    holdoutTimes: split.holdout.map((row) => times[row]!),
    features,
    entityColumn,
    timeColumn,
  };
}

export interface FitInput {
  readonly train: Table;
  readonly label: string;
  readonly algorithm: Algorithm;
  readonly params: Readonly<Record<string, RawParam>>;
  readonly seed: number;
  readonly features: readonly string[];
  readonly now: Date;
  /** Set for a search trial: the spec's metric, read on fitModel's own validation split. */
  readonly metric?: string;
  /** Threads a gradient-boosted fit builds histograms and scores its rows on (fitModel's `threads`). */
  readonly threads?: number;
}

export interface Fitted {
  readonly artifact: ModelArtifact;
  /** The trial's validation score, when a metric was asked for. */
  readonly score?: number;
}

/** One fit (a run's, or one trial of its search). */
export function fitOne(input: FitInput): Fitted {
  let artifact: ModelArtifact;
  try {
    artifact = fitModel({
      table: input.train,
      label: input.label,
      algo: input.algorithm,
      params: input.params,
      seed: input.seed,
      features: input.features,
      now: input.now,
      threads: input.threads,
    });
  } catch (error) {
    throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR, `training failed: ${(error as Error).message}`);
  }
  if (input.metric === undefined) return { artifact };
  // Trials are ranked on fitModel's own seeded validation split, never on the holdout, so the
  // holdout metrics stay an unbiased estimate.
  const score = contractMetrics(artifact.metrics.validation ?? {})[input.metric];
  if (score === undefined || Number.isNaN(score)) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR,
      `${input.metric} is undefined on the validation split of trial ${JSON.stringify(input.params)}`,
    );
  }
  return { artifact, score };
}

export interface ScoreInput {
  readonly artifact: ModelArtifact;
  readonly metric: string;
  readonly holdout: Table;
  readonly holdoutTimes: readonly number[];
  readonly timeColumn: string;
  /** Threads a gradient-boosted model scores the holdout on (its scores are the same for any number). */
  readonly threads?: number;
}

export interface Scored {
  readonly metrics: Record<string, number>;
  /** The artifact as it is stored (model.json). */
  readonly artifactJson: Uint8Array;
  /** The holdout as it is stored (holdout.csv): entity key, event time, features, label. */
  readonly holdoutCsv: Uint8Array;
}

/** The model scored on the holdout, and both written out as the object store keeps them. */
export function scoreHoldout({ artifact, metric, holdout, holdoutTimes, timeColumn, threads }: ScoreInput): Scored {
  const artifactJson = JSON.stringify(artifact);
  let metrics: Record<string, number>;
  try {
    metrics = contractMetrics(evaluateModel(loadModel(artifactJson), holdout, { threads }));
  } catch (error) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      `the holdout cannot be scored: ${(error as Error).message}`,
    );
  }
  if (metrics[metric] === undefined) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      `${metric} is undefined on the holdout of ${holdout.nRows} rows (e.g. it holds a single class)`,
    );
  }
  const encoder = new TextEncoder();
  return {
    metrics,
    artifactJson: encoder.encode(artifactJson),
    holdoutCsv: encoder.encode(tableToCsv(withTimes(holdout, timeColumn, holdoutTimes))),
  };
}

/** Epoch milliseconds per row (NaN when missing or unreadable): RFC 3339 text or epoch milliseconds. */
function eventTimes(column: Column): Float64Array {
  const n = column.type === 'numeric' ? column.values.length : column.codes.length;
  const out = new Float64Array(n);
  if (column.type === 'numeric') {
    out.set(column.values);
    return out;
  }
  const parsed = column.dictionary.map((text) => {
    const ms = Date.parse(text);
    return Number.isNaN(ms) && /^\d+$/.test(text) ? Number(text) : ms;
  });
  for (let i = 0; i < n; i++) out[i] = column.codes[i] === MISSING_CODE ? Number.NaN : parsed[column.codes[i]!]!;
  return out;
}

/** Rows with a label and an event time, oldest first (ties keep their order in the file). */
function labelledRowsByTime(table: Table, label: string, times: Float64Array): number[] {
  const column = getColumn(table, label);
  const rows: number[] = [];
  for (let i = 0; i < table.nRows; i++) {
    const present = column.type === 'numeric' ? !Number.isNaN(column.values[i]) : column.codes[i] !== MISSING_CODE;
    if (present && !Number.isNaN(times[i])) rows.push(i);
  }
  return rows.sort((a, b) => times[a]! - times[b]! || a - b);
}

/** The holdout is the most recent labelled data: a span of event time before the newest row, or a share of the rows. */
export function splitHoldout(
  rowsByTime: readonly number[],
  times: Float64Array,
  holdout: CheckedSpec['holdout'],
): { train: number[]; holdout: number[] } {
  if (rowsByTime.length === 0) return { train: [], holdout: [] };
  let cut: number;
  if ('recentMs' in holdout) {
    const newest = times[rowsByTime[rowsByTime.length - 1]!]!;
    const from = newest - holdout.recentMs;
    cut = rowsByTime.findIndex((row) => times[row]! > from);
  } else {
    cut = rowsByTime.length - Math.ceil(holdout.fraction * rowsByTime.length);
  }
  return { train: rowsByTime.slice(0, cut), holdout: rowsByTime.slice(cut) };
}

function checkLabel(checked: CheckedSpec, label: Column): void {
  const name = label.name;
  if (checked.task === 'regression') {
    if (label.type !== 'numeric')
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC, `label "${name}" must be numeric for regression`);
    return;
  }
  const classes = new Set<number | string>();
  if (label.type === 'numeric') label.values.forEach((v) => classes.add(v));
  else label.codes.forEach((code) => classes.add(code));
  if (classes.size > 2) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      `label "${name}" has ${classes.size} classes; binary classification needs 2`,
    );
  }
  if (classes.size < 2) {
    throw new TrainingFailure(
      trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      `label "${name}" has a single class in the training rows`,
    );
  }
}

function selectColumns(table: Table, names: readonly string[]): Table {
  return makeTable(names.map((name) => getColumn(table, name)));
}

/** The holdout as it is stored: entity key, event time (RFC 3339), features, label. */
function withTimes(table: Table, timeColumn: string, times: readonly number[]): Table {
  const [entity, ...rest] = table.columns;
  const iso = categoricalColumn(
    timeColumn,
    times.map((ms) => new Date(ms).toISOString()),
  );
  return makeTable([entity!, iso, ...rest]);
}

/** The feature store's profile of the training set, restricted to the model's features: the monitor's drift reference. */
export function featureProfile(profile: commonV1.DataProfile | undefined, features: readonly string[]): commonV1.DataProfile | undefined {
  if (profile === undefined) return undefined;
  const wanted = new Set(features);
  return { rowCount: profile.rowCount, columns: profile.columns.filter((column) => wanted.has(column.name)) };
}
