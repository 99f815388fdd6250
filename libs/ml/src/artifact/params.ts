import { DEFAULT_ARTIFACT_LIMITS, MAX_TREE_LEAVES } from './limits';

export type Algorithm = 'logreg' | 'linear' | 'gbdt' | 'random_forest';
export const ALGORITHMS: readonly Algorithm[] = ['logreg', 'linear', 'gbdt', 'random_forest'];

/** A parameter as given (the CLI passes strings from `--param k=v`) or resolved. */
export type RawParamValue = string | number | boolean | null;
export type ResolvedParams = Readonly<Record<string, number | string | boolean | null>>;

type ParamSpec =
  | {
      readonly kind: 'number';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      readonly exclusiveMin?: boolean;
      readonly exclusiveMax?: boolean;
    }
  | { readonly kind: 'integer'; readonly default: number | null; readonly min: number; readonly max?: number; readonly nullable?: boolean }
  | { readonly kind: 'boolean'; readonly default: boolean }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] }
  | { readonly kind: 'auto-boolean'; readonly default: 'auto' | boolean }
  | { readonly kind: 'max-features'; readonly default: 'auto' };

/**
 * `max_features` values besides numbers: `auto` is scikit-learn's default per task (`sqrt` for
 * classification, every feature for regression), settled when the task is.
 */
const MAX_FEATURES_NAMES = ['auto', 'sqrt', 'log2'] as const;

/** Parameters every algorithm takes: the hold-out share behind the reported validation metrics. */
const COMMON: Record<string, ParamSpec> = {
  holdout: { kind: 'number', default: 0.2, min: 0, max: 1, exclusiveMax: true },
};

const LINEAR_PREPROCESSING: Record<string, ParamSpec> = {
  impute: { kind: 'enum', default: 'mean', values: ['mean', 'median', 'most_frequent'] },
  scale: { kind: 'boolean', default: true },
  unknownCategories: { kind: 'enum', default: 'accept', values: ['accept', 'error'] },
};

/** Parameters of every tree model. */
const TREES: Record<string, ParamSpec> = {
  task: { kind: 'enum', default: 'auto', values: ['auto', 'classification', 'regression'] },
  unknownCategories: { kind: 'enum', default: 'accept', values: ['accept', 'error'] },
};

/**
 * Defaults follow scikit-learn 1.2 (LogisticRegression, Ridge, HistGradientBoosting*,
 * RandomForest*), except the tighter logistic tolerance.
 */
const SPECS: Record<Algorithm, Record<string, ParamSpec>> = {
  logreg: {
    ...COMMON,
    ...LINEAR_PREPROCESSING,
    C: { kind: 'number', default: 1, min: 0, exclusiveMin: true },
    maxIter: { kind: 'integer', default: 1000, min: 1 },
    tol: { kind: 'number', default: 1e-10, min: 0, exclusiveMin: true },
  },
  linear: {
    ...COMMON,
    ...LINEAR_PREPROCESSING,
    alpha: { kind: 'number', default: 0, min: 0 },
  },
  gbdt: {
    ...COMMON,
    ...TREES,
    learningRate: { kind: 'number', default: 0.1, min: 0, exclusiveMin: true },
    // Bounded so that every model fits what the deployer loads (limits.ts); none means up to the bound.
    maxIter: { kind: 'integer', default: 100, min: 1, max: DEFAULT_ARTIFACT_LIMITS.maxTrees },
    maxLeafNodes: { kind: 'integer', default: 31, min: 2, max: MAX_TREE_LEAVES, nullable: true },
    maxDepth: { kind: 'integer', default: null, min: 1, max: DEFAULT_ARTIFACT_LIMITS.maxTreeDepth, nullable: true },
    minSamplesLeaf: { kind: 'integer', default: 20, min: 1 },
    l2Regularization: { kind: 'number', default: 0, min: 0 },
    maxBins: { kind: 'integer', default: 255, min: 2, max: 255 },
    earlyStopping: { kind: 'auto-boolean', default: 'auto' },
    validationFraction: { kind: 'number', default: 0.1, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
    nIterNoChange: { kind: 'integer', default: 10, min: 1 },
    tol: { kind: 'number', default: 1e-7, min: 0 },
  },
  random_forest: {
    ...COMMON,
    ...TREES,
    nEstimators: { kind: 'integer', default: 100, min: 1, max: DEFAULT_ARTIFACT_LIMITS.maxTrees },
    // None grows until the leaves are pure, up to the depth every loader accepts (limits.ts).
    maxDepth: { kind: 'integer', default: null, min: 1, max: DEFAULT_ARTIFACT_LIMITS.maxTreeDepth, nullable: true },
    minSamplesLeaf: { kind: 'integer', default: 1, min: 1 },
    maxFeatures: { kind: 'max-features', default: 'auto' },
    bootstrap: { kind: 'boolean', default: true },
  },
};

/** `learning_rate` → `learningRate`, so scikit-learn spellings work too. */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Resolves user parameters against the algorithm's table: fills defaults, converts strings,
 * checks ranges, and rejects unknown names, each with an error naming the parameter.
 */
export function resolveParams(algorithm: Algorithm, given: Readonly<Record<string, RawParamValue>> = {}): ResolvedParams {
  const specs = SPECS[algorithm];
  if (!specs) throw new Error(`unknown algorithm "${algorithm}" (expected one of ${ALGORITHMS.join(', ')})`);
  const out: Record<string, number | string | boolean | null> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.default;
  for (const [rawName, value] of Object.entries(given)) {
    const name = camel(rawName);
    const spec = specs[name];
    if (!spec) throw new Error(`unknown parameter "${rawName}" for ${algorithm} (known: ${Object.keys(specs).join(', ')})`);
    out[name] = coerce(name, spec, value);
  }
  return out;
}

function coerce(name: string, spec: ParamSpec, value: RawParamValue): number | string | boolean | null {
  const bad = (expected: string): Error => new Error(`parameter "${name}": expected ${expected}, got ${JSON.stringify(value)}`);
  switch (spec.kind) {
    case 'boolean':
    case 'auto-boolean': {
      if (spec.kind === 'auto-boolean' && value === 'auto') return 'auto';
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw bad(spec.kind === 'boolean' ? 'true or false' : 'auto, true or false');
    }
    case 'enum': {
      if (typeof value === 'string' && spec.values.includes(value)) return value;
      throw bad(`one of ${spec.values.join(', ')}`);
    }
    case 'max-features': {
      if (typeof value === 'string' && (MAX_FEATURES_NAMES as readonly string[]).includes(value)) return value;
      if (value === null || value === 'none' || value === 'null') return null;
      const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      // 1 is the fraction 1.0 (every feature): a JSON or protobuf number does not tell 1 from 1.0.
      if ((x > 0 && x <= 1) || (Number.isInteger(x) && x >= 2 && x <= DEFAULT_ARTIFACT_LIMITS.maxFeatures)) return x;
      throw bad(
        `auto, sqrt, log2, none (every feature), a fraction in (0, 1] or a whole number of features from 2 to ${DEFAULT_ARTIFACT_LIMITS.maxFeatures}`,
      );
    }
    case 'integer':
    case 'number': {
      const nullable = spec.kind === 'integer' && spec.nullable === true;
      if (nullable && (value === null || value === 'none' || value === 'null')) return null;
      const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      const lo = spec.min === undefined ? '' : `${spec.kind === 'number' && spec.exclusiveMin ? '>' : '≥'} ${spec.min}`;
      const hi = spec.max === undefined ? '' : `${spec.kind === 'number' && spec.exclusiveMax ? '<' : '≤'} ${spec.max}`;
      const range = [lo, hi].filter(Boolean).join(' and ');
      const what = `${spec.kind === 'integer' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}${nullable ? ' or none' : ''}`;
      if (!Number.isFinite(x) || (spec.kind === 'integer' && !Number.isInteger(x))) throw bad(what);
      const lowOk = spec.min === undefined || (spec.kind === 'number' && spec.exclusiveMin ? x > spec.min : x >= spec.min);
      const highOk = spec.max === undefined || (spec.kind === 'number' && spec.exclusiveMax ? x < spec.max : x <= spec.max);
      if (!lowOk || !highOk) throw bad(what);
      return x;
    }
  }
}

/** Names of the parameters an algorithm accepts. */
export function paramNames(algorithm: Algorithm): string[] {
  return Object.keys(SPECS[algorithm]);
}
