import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, durationToMillis, featureStoreV1, trainerV1 } from '@flywheel/contracts';
import {
  categoricalColumn,
  type Column,
  evaluateModel,
  fitModel,
  getColumn,
  gridSearch,
  hasColumn,
  loadModel,
  makeTable,
  MISSING_CODE,
  type ModelArtifact,
  type Params,
  parseCsv,
  randomSearch,
  type Table,
  tableToCsv,
  takeRows,
} from '@flywheel/ml';
import { InvalidArgumentException, Clock } from '@flywheel/platform';
import { modelArtifactKey, ObjectStore, parseObjectKey } from '@flywheel/storage';
import { type CheckedSpec, contractMetrics, type RawParam, validateSpec } from '../runs/model-spec';
import { type TrialRecord } from '../runs/run-record';
import { FeatureStoreError, FeatureStorePort } from './feature-store.port';

/** Nest token of the code version string runs record. */
export const CODE_VERSION = Symbol('CODE_VERSION');

/** Fewer labelled rows than this on either side of the holdout split is not a model worth recording. */
export const MIN_TRAINING_ROWS = 20;
export const MIN_HOLDOUT_ROWS = 5;

const CSV_CONTENT_TYPE = 'text/csv';
const JSON_CONTENT_TYPE = 'application/json';

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

export interface TrainingInput {
  readonly runId: string;
  readonly spec: trainerV1.ModelSpec;
  readonly seed: number;
}

export interface TrainingResult {
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trials: readonly TrialRecord[];
  readonly artifact: commonV1.ObjectRef;
  readonly lineage: commonV1.TrainingLineage;
  readonly holdout: commonV1.Holdout;
}

interface TrainingSet {
  readonly response: featureStoreV1.GetHistoricalFeaturesResponse;
  readonly table: Table;
  readonly entityColumn: string;
  readonly timeColumn: string;
  readonly features: readonly string[];
}

/**
 * One training, start to finish: the training set from the feature store, a holdout of the most
 * recent labelled rows (by event time), the fit (with a search when the spec has one), the
 * holdout metrics, and the artifact and holdout written to the object store with their hashes.
 * It writes no database rows; the worker records the outcome.
 */
@Injectable()
export class TrainingPipeline {
  constructor(
    @Inject(FeatureStorePort) private readonly featureStore: FeatureStorePort,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(CODE_VERSION) private readonly codeVersion: string,
  ) {}

  async train(input: TrainingInput): Promise<TrainingResult> {
    const checked = check(input.spec);
    const { spec } = checked;
    const trainingSet = await this.fetchTrainingSet(checked);
    const { table, timeColumn, features } = trainingSet;
    const label = spec.label;

    const times = eventTimes(getColumn(table, timeColumn));
    const labelled = labelledRowsByTime(table, label, times);
    const { train, holdout } = splitHoldout(labelled, times, checked.holdout);
    if (train.length < MIN_TRAINING_ROWS || holdout.length < MIN_HOLDOUT_ROWS) {
      throw new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
        `${labelled.length} labelled rows give ${train.length} to train on and ${holdout.length} in the holdout; ` +
          `at least ${MIN_TRAINING_ROWS} and ${MIN_HOLDOUT_ROWS} are needed`,
      );
    }
    const trainTable = takeRows(selectColumns(table, [...features, label]), Int32Array.from(train));
    checkLabel(checked, getColumn(trainTable, label));

    const { artifact, trials } = this.fit(checked, trainTable, features, input.seed);
    const model = loadModel(JSON.stringify(artifact));
    const holdoutTable = takeRows(selectColumns(table, [trainingSet.entityColumn, ...features, label]), Int32Array.from(holdout));
    let holdoutMetrics: Record<string, number>;
    try {
      holdoutMetrics = contractMetrics(evaluateModel(model, holdoutTable));
    } catch (error) {
      throw new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
        `the holdout cannot be scored: ${(error as Error).message}`,
      );
    }
    if (holdoutMetrics[spec.metric] === undefined) {
      throw new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
        `${spec.metric} is undefined on the holdout of ${holdout.length} rows (e.g. it holds a single class)`,
      );
    }

    const artifactRef = await this.putObject(
      spec.modelName,
      input.runId,
      'model.json',
      Buffer.from(JSON.stringify(artifact)),
      JSON_CONTENT_TYPE,
    );
    const holdoutCsv = tableToCsv(
      withTimes(
        holdoutTable,
        timeColumn,
        holdout.map((row) => times[row]!),
      ),
    );
    const holdoutRef = await this.putObject(spec.modelName, input.runId, 'holdout.csv', Buffer.from(holdoutCsv), CSV_CONTENT_TYPE);

    const holdoutTimes = holdout.map((row) => times[row]!);
    const { response } = trainingSet;
    return {
      params: { ...artifact.parameters },
      metrics: holdoutMetrics,
      trials,
      artifact: artifactRef,
      lineage: {
        runId: input.runId,
        dataset: response.dataset,
        datasetVersionFrom: response.datasetVersionFrom,
        datasetVersionTo: response.datasetVersionTo,
        featureView: spec.featureView,
        featureViewRevision: response.featureViewRevision,
        features: [...features],
        label,
        trainingSet: response.trainingSet,
        trainingProfile: featureProfile(response.profile, features),
        seed: input.seed,
        codeVersion: this.codeVersion,
      },
      holdout: {
        data: holdoutRef,
        eventTimeRange: { start: new Date(Math.min(...holdoutTimes)), end: new Date(Math.max(...holdoutTimes) + 1) },
        rowCount: holdout.length,
        labelColumn: label,
      },
    };
  }

  private async fetchTrainingSet(checked: CheckedSpec): Promise<TrainingSet> {
    const { spec } = checked;
    const now = this.clock.now();
    const window =
      spec.trainingWindow === undefined ? undefined : { start: new Date(now.getTime() - durationToMillis(spec.trainingWindow)), end: now };
    let response: featureStoreV1.GetHistoricalFeaturesResponse;
    try {
      response = await this.featureStore.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: spec.featureView,
          featureViewRevision: 0,
          features: spec.features,
          datasetSpine: { datasetVersionFrom: 0, datasetVersionTo: 0, eventTimeRange: window, extraColumns: [spec.label] },
        }),
      );
    } catch (error) {
      if (error instanceof FeatureStoreError && error.invalidRequest) {
        throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC, error.message);
      }
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_FEATURES_UNAVAILABLE, (error as Error).message);
    }
    const unavailable = (message: string): TrainingFailure =>
      new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_FEATURES_UNAVAILABLE,
        `training set of feature view "${spec.featureView}": ${message}`,
      );
    const ref = response.trainingSet;
    if (!ref?.key) throw unavailable('the feature store returned no object');
    if (ref.contentType && !ref.contentType.startsWith(CSV_CONTENT_TYPE))
      throw unavailable(`${ref.contentType} is not a format the trainer reads (CSV)`);
    if (response.columns.length < 2)
      throw unavailable(`expected the entity key and timestamp columns first, got [${response.columns.join(', ')}]`);

    let bytes: Buffer;
    try {
      bytes = await this.objects.get(parseObjectKey(ref.key), { expectedSha256: ref.sha256 });
    } catch (error) {
      throw unavailable(`reading ${ref.key}: ${(error as Error).message}`);
    }
    const [entityColumn, timeColumn] = response.columns as [string, string];
    let table: Table;
    try {
      // Keys and instants are text whatever they look like; the rest is inferred.
      table = parseCsv(bytes, { schema: { [entityColumn]: 'categorical', [timeColumn]: 'categorical' } });
    } catch (error) {
      throw unavailable(`${ref.key} is not readable CSV: ${(error as Error).message}`);
    }

    const label = spec.label;
    if (!hasColumn(table, label)) {
      throw new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
        `label column "${label}" is not in the training set of feature view "${spec.featureView}" (columns: ${table.columns.map((c) => c.name).join(', ')})`,
      );
    }
    const reserved = new Set([entityColumn, timeColumn, label]);
    const features = spec.features.length > 0 ? spec.features : response.columns.slice(2).filter((name) => !reserved.has(name));
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
    return { response, table, entityColumn, timeColumn, features };
  }

  private fit(
    checked: CheckedSpec,
    table: Table,
    features: readonly string[],
    seed: number,
  ): { artifact: ModelArtifact; trials: TrialRecord[] } {
    const { spec, algorithm, search } = checked;
    const now = this.clock.now();
    const fitWith = (params: Readonly<Record<string, RawParam>>): ModelArtifact => {
      try {
        return fitModel({ table, label: spec.label, algo: algorithm, params, seed, features, now });
      } catch (error) {
        throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR, `training failed: ${(error as Error).message}`);
      }
    };
    if (!search) return { artifact: fitWith(checked.params), trials: [] };

    // Trials are ranked on fitModel's own seeded validation split, never on the holdout, so the
    // holdout metrics stay an unbiased estimate.
    const trials: TrialRecord[] = [];
    const best: { artifact?: ModelArtifact; score: number } = { score: Number.NaN };
    const sign = checked.lowerIsBetter ? -1 : 1;
    const evaluate = (candidate: Params): number => {
      const params = { ...checked.params, ...candidate };
      const artifact = fitWith(params);
      const score = contractMetrics(artifact.metrics.validation ?? {})[spec.metric];
      if (score === undefined || Number.isNaN(score)) {
        throw new TrainingFailure(
          trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR,
          `${spec.metric} is undefined on the validation split of trial ${JSON.stringify(candidate)}`,
        );
      }
      trials.push({ params, metricValue: score });
      if (best.artifact === undefined || sign * score > sign * best.score) Object.assign(best, { artifact, score });
      return score;
    };
    const options = { maximize: !checked.lowerIsBetter };
    if (search.strategy === 'grid') gridSearch(search.grid, evaluate, options);
    else randomSearch(search.space, search.trials, seed, evaluate, options);
    return { artifact: best.artifact!, trials };
  }

  private async putObject(model: string, runId: string, file: string, body: Buffer, contentType: string): Promise<commonV1.ObjectRef> {
    const key = modelArtifactKey(model, runId, file);
    const put = await this.objects.put(key, body, { contentType });
    return { key, sha256: put.sha256, sizeBytes: put.size, contentType };
  }
}

function check(spec: trainerV1.ModelSpec): CheckedSpec {
  try {
    return validateSpec(spec);
  } catch (error) {
    if (error instanceof InvalidArgumentException)
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC, error.message);
    throw error;
  }
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
function featureProfile(profile: commonV1.DataProfile | undefined, features: readonly string[]): commonV1.DataProfile | undefined {
  if (profile === undefined) return undefined;
  const wanted = new Set(features);
  return { rowCount: profile.rowCount, columns: profile.columns.filter((column) => wanted.has(column.name)) };
}
