import { commonV1, durationToMillis, trainerV1 } from '@flywheel/contracts';
import { type Algorithm, paramNames, type ParamDistribution, type ParamRange, type RawParamValue, resolveParams } from '@flywheel/ml';
import { type FieldViolation, InvalidArgumentException } from '@flywheel/platform';

export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const FEATURE_VIEW_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const FEATURE_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const COLUMN_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export type Task = 'binary' | 'regression';

/** The metrics a spec may rank by, per task, and whether smaller is better. */
const METRICS: Record<Task, Record<string, { lowerIsBetter: boolean }>> = {
  binary: {
    accuracy: { lowerIsBetter: false },
    precision: { lowerIsBetter: false },
    recall: { lowerIsBetter: false },
    f1: { lowerIsBetter: false },
    roc_auc: { lowerIsBetter: false },
    log_loss: { lowerIsBetter: true },
  },
  regression: {
    rmse: { lowerIsBetter: true },
    mae: { lowerIsBetter: true },
    r2: { lowerIsBetter: false },
  },
};

const DEFAULT_METRIC: Record<Task, string> = { binary: 'accuracy', regression: 'rmse' };
/** The share of the most recent labelled rows held out when the spec names no evaluation window. */
export const DEFAULT_HOLDOUT_FRACTION = 0.2;
/** Trials of a search when `max_trials` is 0, and points per range of a grid when `grid_points` is 0. */
export const DEFAULT_MAX_TRIALS = 20;
export const DEFAULT_GRID_POINTS = 5;

const ALGORITHMS: Partial<Record<commonV1.Algorithm, Algorithm>> = {
  [commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION]: 'logreg',
  [commonV1.Algorithm.ALGORITHM_LINEAR_REGRESSION]: 'linear',
  [commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES]: 'gbdt',
  [commonV1.Algorithm.ALGORITHM_RANDOM_FOREST]: 'random_forest',
};

/** A parameter value as `@flywheel/ml` takes it. */
export type RawParam = RawParamValue;

/** A spec that passed {@link validateSpec}, with what it implies spelled out. */
export interface CheckedSpec {
  /** The spec with its defaults filled in (task, metric): what the run records. */
  readonly spec: trainerV1.ModelSpec;
  readonly algorithm: Algorithm;
  readonly task: Task;
  /** Fixed parameters, as given. */
  readonly params: Readonly<Record<string, RawParam>>;
  readonly search: SearchPlan | null;
  readonly holdout: { readonly recentMs: number } | { readonly fraction: number };
  readonly lowerIsBetter: boolean;
}

export type SearchPlan =
  | { readonly strategy: 'grid'; readonly grid: Readonly<Record<string, readonly (number | string | boolean)[]>> }
  | {
      /** `halving`: the samples race by successive halving over the training rows. */
      readonly strategy: 'random' | 'halving';
      readonly space: Readonly<Record<string, ParamDistribution>>;
      readonly trials: number;
    };

/** Canonical form of a spec however it arrived (a gRPC request, a decoded event, a stored row). */
export function normaliseSpec(spec: unknown): trainerV1.ModelSpec {
  return trainerV1.ModelSpec.fromPartial((spec ?? {}) as trainerV1.ModelSpec);
}

/**
 * Checks everything about a spec that can be checked without data, naming each bad field from
 * `root` (e.g. `spec.params.learning_rate: ...`); throws InvalidArgumentException. Whether the
 * label and features exist is only known once the feature store answers, so a run fails then.
 */
export function validateSpec(input: trainerV1.ModelSpec, root = 'spec'): CheckedSpec {
  const spec = normaliseSpec(input);
  const violations: FieldViolation[] = [];
  const bad = (field: string, reason: string): void => {
    violations.push({ field: `${root}.${field}`, reason });
  };

  if (!MODEL_NAME_PATTERN.test(spec.modelName)) bad('model_name', 'must match [a-z][a-z0-9_-]{0,62}');
  if (!FEATURE_VIEW_PATTERN.test(spec.featureView)) bad('feature_view', 'must match [a-z][a-z0-9_-]{0,62}');
  const seen = new Set<string>();
  spec.features.forEach((feature, i) => {
    if (!FEATURE_PATTERN.test(feature)) bad(`features[${i}]`, 'must match [a-z][a-z0-9_]{0,62}');
    else if (seen.has(feature)) bad(`features[${i}]`, `"${feature}" is listed twice`);
    seen.add(feature);
  });
  if (!COLUMN_PATTERN.test(spec.label)) bad('label', 'must be a column name ([A-Za-z_][A-Za-z0-9_]{0,62})');
  else if (seen.has(spec.label)) bad('label', `"${spec.label}" is also listed as a feature`);

  const algorithm = ALGORITHMS[spec.algorithm];
  let task: Task | null = null;
  if (!algorithm) {
    bad(
      'algorithm',
      `must be one of ${Object.keys(ALGORITHMS)
        .map((value) => commonV1.Algorithm[Number(value)])
        .join(', ')}`,
    );
  } else {
    task = decideTask(algorithm, spec.task, (reason) => bad('task', reason));
  }

  let metric = spec.metric;
  let lowerIsBetter = false;
  if (task) {
    metric ||= DEFAULT_METRIC[task];
    const known = METRICS[task][metric];
    if (!known)
      bad(
        'metric',
        `must be one of ${Object.keys(METRICS[task]).join(', ')} for ${task === 'binary' ? 'binary classification' : 'regression'}`,
      );
    else lowerIsBetter = known.lowerIsBetter;
  }

  const params: Record<string, RawParam> = {};
  for (const [name, value] of Object.entries(spec.params)) {
    const raw = valueToRaw(value);
    params[name] = raw;
    const reason = algorithm ? paramProblem(algorithm, name, raw) : null;
    if (reason) bad(`params.${name}`, reason);
  }
  // A task given in the spec is passed to the trees, which otherwise guess it from the label.
  if ((algorithm === 'gbdt' || algorithm === 'random_forest') && task) params.task = task === 'binary' ? 'classification' : 'regression';

  const search =
    algorithm && spec.searchSpace
      ? checkSearch(spec.searchSpace, algorithm, (field, reason) => bad(`search_space.${field}`, reason))
      : null;

  let holdout: CheckedSpec['holdout'] = { fraction: DEFAULT_HOLDOUT_FRACTION };
  const evaluation = spec.evaluation;
  if (evaluation?.recent !== undefined) {
    const recentMs = durationToMillis(evaluation.recent);
    if (!(recentMs > 0)) bad('evaluation.recent', 'must be a positive duration');
    holdout = { recentMs };
  } else if (evaluation?.recentFraction !== undefined) {
    const fraction = evaluation.recentFraction;
    if (!(fraction > 0 && fraction < 1)) bad('evaluation.recent_fraction', 'must be between 0 and 1 (exclusive)');
    holdout = { fraction };
  }

  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) bad('seed', 'must be a non-negative integer');
  if (spec.trainingWindow !== undefined && !(durationToMillis(spec.trainingWindow) > 0))
    bad('training_window', 'must be a positive duration');

  if (violations.length > 0 || !algorithm || !task) throw new InvalidArgumentException(violations);
  const taskEnum = task === 'binary' ? commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION : commonV1.ModelTask.MODEL_TASK_REGRESSION;
  return {
    spec: { ...spec, task: taskEnum, metric },
    algorithm,
    task,
    params,
    search,
    holdout,
    lowerIsBetter,
  };
}

function decideTask(algorithm: Algorithm, task: commonV1.ModelTask, bad: (reason: string) => void): Task | null {
  const binary = commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION;
  const regression = commonV1.ModelTask.MODEL_TASK_REGRESSION;
  const unspecified = commonV1.ModelTask.MODEL_TASK_UNSPECIFIED;
  if (task !== unspecified && task !== binary && task !== regression) {
    bad('must be MODEL_TASK_BINARY_CLASSIFICATION or MODEL_TASK_REGRESSION');
    return null;
  }
  switch (algorithm) {
    case 'logreg':
      if (task === regression) bad('logistic regression classifies; use MODEL_TASK_BINARY_CLASSIFICATION');
      return task === regression ? null : 'binary';
    case 'linear':
      if (task === binary) bad('linear regression predicts numbers; use MODEL_TASK_REGRESSION');
      return task === binary ? null : 'regression';
    case 'gbdt':
    case 'random_forest':
      if (task === unspecified)
        bad(`is required for ${algorithm === 'gbdt' ? 'gradient-boosted trees' : 'random forests'} (they classify or regress)`);
      return task === binary ? 'binary' : task === regression ? 'regression' : null;
  }
}

function checkSearch(space: trainerV1.SearchSpace, algorithm: Algorithm, bad: (field: string, reason: string) => void): SearchPlan | null {
  const known = new Set(paramNames(algorithm));
  const maxTrials = space.maxTrials === 0 ? DEFAULT_MAX_TRIALS : space.maxTrials;
  const gridPoints = space.gridPoints === 0 ? DEFAULT_GRID_POINTS : space.gridPoints;
  if (space.maxTrials < 0) bad('max_trials', 'must be 0 (for 20) or positive');
  if (space.gridPoints < 0 || space.gridPoints === 1) bad('grid_points', 'must be 0 (for 5) or at least 2');
  if (space.parameters.length === 0) bad('parameters', 'must list at least one parameter');

  const domains: Record<string, ParamDistribution> = {};
  let allChoices = true;
  space.parameters.forEach((parameter, i) => {
    const name = camel(parameter.name);
    if (!known.has(name)) {
      bad(`parameters[${i}].name`, `"${parameter.name}" is not a parameter of ${algorithm} (known: ${[...known].join(', ')})`);
      return;
    }
    if (name in domains) {
      bad(`parameters[${i}].name`, `"${parameter.name}" is listed twice`);
      return;
    }
    if (parameter.range !== undefined) {
      const { min, max, logScale, integer } = parameter.range;
      if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) bad(`parameters[${i}].range`, 'needs finite min ≤ max');
      else if (logScale && !(min > 0)) bad(`parameters[${i}].range`, 'a log scale needs min > 0');
      else {
        // A range is checked at its ends, so that no trial fails on a value the parameter never takes.
        const ends = integer ? [Math.ceil(min), Math.floor(max)] : [min, max];
        const reason = ends.map((end) => paramProblem(algorithm, name, end)).find((r) => r !== null);
        if (reason) bad(`parameters[${i}].range`, reason);
      }
      allChoices = false;
      domains[name] = { min, max, log: logScale, integer };
    } else if (parameter.choices !== undefined && parameter.choices.values.length > 0) {
      domains[name] = parameter.choices.values.map((value) => valueToRaw(value)).filter((v): v is number | string | boolean => v !== null);
      parameter.choices.values.forEach((value, k) => {
        const reason = paramProblem(algorithm, name, valueToRaw(value));
        if (reason) bad(`parameters[${i}].choices[${k}]`, reason);
      });
    } else {
      bad(`parameters[${i}]`, 'needs a range or at least one choice');
    }
  });

  const strategy = searchStrategy(space.strategy, allChoices);
  if (strategy !== 'grid') return { strategy, space: domains, trials: maxTrials };

  const grid: Record<string, (number | string | boolean)[]> = {};
  for (const [name, domain] of Object.entries(domains)) grid[name] = isRange(domain) ? gridPointsOf(domain, gridPoints) : [...domain];
  const size = Object.values(grid).reduce((product, values) => product * values.length, 1);
  if (size > maxTrials)
    bad('max_trials', `the grid has ${size} combinations, more than the cap of ${maxTrials}; raise max_trials or narrow the grid`);
  return { strategy, grid };
}

/** Why `value` is no value of the parameter, or null when it is one. */
function paramProblem(algorithm: Algorithm, name: string, value: RawParam): string | null {
  try {
    resolveParams(algorithm, { [name]: value });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function searchStrategy(strategy: trainerV1.SearchStrategy, allChoices: boolean): SearchPlan['strategy'] {
  switch (strategy) {
    case trainerV1.SearchStrategy.SEARCH_STRATEGY_GRID:
      return 'grid';
    case trainerV1.SearchStrategy.SEARCH_STRATEGY_RANDOM:
      return 'random';
    case trainerV1.SearchStrategy.SEARCH_STRATEGY_HALVING:
      return 'halving';
    default:
      return allChoices ? 'grid' : 'random';
  }
}

function isRange(domain: ParamDistribution): domain is ParamRange {
  return !Array.isArray(domain);
}

/** `points` evenly spaced values of a range (log-spaced on a log scale), whole and distinct for integers. */
export function gridPointsOf(range: { min: number; max: number; log?: boolean; integer?: boolean }, points: number): number[] {
  const { min, max } = range;
  const values: number[] = [];
  for (let i = 0; i < points; i++) {
    const t = points === 1 ? 0 : i / (points - 1);
    // The bounds themselves, exactly: exp(log(x)) is not always x.
    const value =
      i === 0
        ? min
        : i === points - 1
          ? max
          : range.log
            ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min)))
            : min + t * (max - min);
    values.push(range.integer ? Math.round(value) : value);
  }
  return [...new Set(values)];
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function valueToRaw(value: commonV1.Value | undefined): RawParam {
  if (value === undefined) return null;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.timestampValue !== undefined) return new Date(value.timestampValue).toISOString();
  return null;
}

export function rawToValue(raw: RawParam): commonV1.Value {
  if (typeof raw === 'number') return { numberValue: raw };
  if (typeof raw === 'string') return { stringValue: raw };
  if (typeof raw === 'boolean') return { boolValue: raw };
  return {};
}

export function rawParamsToValues(params: Readonly<Record<string, RawParam>>): Record<string, commonV1.Value> {
  return Object.fromEntries(Object.entries(params).map(([name, raw]) => [name, rawToValue(raw)]));
}

/** `@flywheel/ml`'s metric names (`rocAuc`) as the contract spells them (`roc_auc`). */
export function contractMetrics(metrics: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

/** Whether a smaller value of the metric is better; unknown metrics count as larger-is-better. */
export function metricLowerIsBetter(metric: string): boolean {
  return METRICS.binary[metric]?.lowerIsBetter ?? METRICS.regression[metric]?.lowerIsBetter ?? false;
}
