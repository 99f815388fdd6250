import { type GbdtLoss } from '../models/hist-gradient-boosting';
import { type PreprocessorState } from '../preprocessing/preprocessor';
import { type DataProfile, PROFILE_VERSION } from '../profile';
import { type ModelSignature } from '../preprocessing/signature';
import { type ArtifactLimits, checkLimit, DEFAULT_ARTIFACT_LIMITS } from './limits';
import { type Algorithm, type ResolvedParams } from './params';

/** Bumped whenever the artifact layout changes incompatibly; loaders reject other versions. */
export const FORMAT_VERSION = 1;

export type Task = 'regression' | 'binary' | 'multiclass';

export interface LabelInfo {
  readonly name: string;
  /** Classes in the model's order (sorted, as sklearn's `classes_`); absent for regression. */
  readonly classes?: readonly (number | string)[];
}

/** A tree as JSON: depth-first nodes, `feature` -1 for leaves, `threshold` null for +∞ (values vs missing). */
export interface SerializedTree {
  readonly feature: readonly number[];
  readonly threshold: readonly (number | null)[];
  readonly missingLeft: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly value: readonly number[];
}

export type ModelState =
  | { readonly kind: 'linear'; readonly coef: readonly number[]; readonly intercept: number }
  | { readonly kind: 'logistic'; readonly coef: readonly (readonly number[])[]; readonly intercept: readonly number[] }
  | { readonly kind: 'gbdt'; readonly loss: GbdtLoss; readonly baseline: number; readonly trees: readonly SerializedTree[] }
  /** Predicts the mean of its trees' leaves: the class-1 probability (binary) or the value (regression). */
  | { readonly kind: 'random_forest'; readonly trees: readonly SerializedTree[] };

export interface TrainingInfo {
  readonly rows: number;
  readonly trainRows: number;
  readonly validationRows: number;
  /** Optimiser iterations, boosting rounds or forest trees. */
  readonly iterations: number;
  /** Why the optimiser stopped (`gradient`, `precision`, `iterations`, `early-stopping`, `max-iter`); absent for closed forms. */
  readonly stop?: string;
  /** Names of the model inputs after preprocessing (e.g. one-hot columns). */
  readonly inputNames: readonly string[];
}

export interface ModelArtifact {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly algorithm: Algorithm;
  readonly task: Task;
  readonly label: LabelInfo;
  readonly parameters: ResolvedParams;
  readonly preprocessing: PreprocessorState;
  readonly signature: ModelSignature;
  readonly model: ModelState;
  readonly metrics: { readonly train: Readonly<Record<string, number>>; readonly validation: Readonly<Record<string, number>> | null };
  readonly training: TrainingInfo;
  /** Profile of the features on the training rows: the monitor's drift reference. */
  readonly profile: DataProfile;
  readonly seed: number;
  readonly createdAt: string;
}

/** A malformed artifact; `path` locates the bad field (e.g. `model.trees[3].left[5]`). */
export class ArtifactError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`invalid model artifact: ${path}: ${message}`);
    this.name = 'ArtifactError';
  }
}

type Json = unknown;

function fail(path: string, message: string): never {
  throw new ArtifactError(message, path);
}

function object(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, Json>;
}

function array(v: Json, path: string, length?: number): Json[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  if (length !== undefined && v.length !== length) fail(path, `must have ${length} entries, has ${v.length}`);
  return v;
}

function finite(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a finite number');
  return v;
}

function integer(v: Json, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer in ${min}..${max}`);
  return v;
}

function string(v: Json, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

function oneOf<T extends string>(v: Json, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) fail(path, `must be one of ${values.join(', ')}`);
  return v as T;
}

function finiteArray(v: Json, path: string, length?: number): number[] {
  return array(v, path, length).map((x, i) => finite(x, `${path}[${i}]`));
}

function uniqueStrings(v: Json, path: string): string[] {
  const out = array(v, path).map((x, i) => string(x, `${path}[${i}]`));
  if (new Set(out).size !== out.length) fail(path, 'has duplicates');
  return out;
}

/**
 * Checks the structure of a parsed artifact and returns it typed. Only data is read — nothing is
 * evaluated — and every index a prediction will follow is range-checked, so a loaded model
 * cannot read outside its arrays or loop. Sizes are checked against `limits` before the arrays
 * they count are walked (ArtifactLimitError).
 */
export function validateArtifact(input: Json, limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS): ModelArtifact {
  const a = object(input, '$');
  if (a.formatVersion !== FORMAT_VERSION)
    fail('formatVersion', `unsupported version ${JSON.stringify(a.formatVersion)} (this library reads ${FORMAT_VERSION})`);
  const algorithm = oneOf(a.algorithm, 'algorithm', ['logreg', 'linear', 'gbdt', 'random_forest'] as const);
  const task = oneOf(a.task, 'task', ['regression', 'binary', 'multiclass'] as const);
  const label = validateLabel(a.label, task, limits);
  const parameters = object(a.parameters, 'parameters');
  for (const [k, v] of Object.entries(parameters)) {
    if (!(v === null || typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))))
      fail(`parameters.${k}`, 'must be a number, string, boolean or null');
  }
  const preprocessing = validatePreprocessing(a.preprocessing, limits);
  const signature = validateSignature(a.signature, preprocessing);
  const inputWidth = preprocessing.steps.reduce(
    (w, s) => w + (s.type === 'categorical' && s.encoding === 'onehot' ? s.categories.length + 1 : 1),
    0,
  );
  const nClasses = label.classes?.length ?? 0;
  const model = validateModel(a.model, { algorithm, task, width: inputWidth, nClasses, limits });
  const metrics = object(a.metrics, 'metrics');
  const metricRecord = (v: Json, path: string): Record<string, number> => {
    const o = object(v, path);
    for (const [k, x] of Object.entries(o)) finite(x, `${path}.${k}`);
    return o as Record<string, number>;
  };
  const training = object(a.training, 'training');
  integer(training.rows, 'training.rows', 0);
  integer(training.trainRows, 'training.trainRows', 0);
  integer(training.validationRows, 'training.validationRows', 0);
  integer(training.iterations, 'training.iterations', 0);
  if (training.stop !== undefined) string(training.stop, 'training.stop');
  const inputNames = array(training.inputNames, 'training.inputNames', inputWidth).map((x, i) => string(x, `training.inputNames[${i}]`));
  const profile = validateProfile(a.profile, signature);
  const createdAt = string(a.createdAt, 'createdAt');
  if (Number.isNaN(Date.parse(createdAt))) fail('createdAt', 'must be an ISO date');
  return {
    formatVersion: FORMAT_VERSION,
    algorithm,
    task,
    label,
    parameters: parameters as ResolvedParams,
    preprocessing,
    signature,
    model,
    metrics: {
      train: metricRecord(metrics.train, 'metrics.train'),
      validation: metrics.validation === null ? null : metricRecord(metrics.validation, 'metrics.validation'),
    },
    training: {
      rows: training.rows as number,
      trainRows: training.trainRows as number,
      validationRows: training.validationRows as number,
      iterations: training.iterations as number,
      ...(training.stop === undefined ? {} : { stop: training.stop as string }),
      inputNames,
    },
    profile,
    seed: finite(a.seed, 'seed'),
    createdAt,
  };
}

/** The profile's own layout belongs to the profile module; here it must be its version and describe the model's features. */
function validateProfile(v: Json, signature: ModelSignature): DataProfile {
  const p = object(v, 'profile');
  if (p.version !== PROFILE_VERSION)
    fail('profile.version', `unsupported version ${JSON.stringify(p.version)} (this library reads ${PROFILE_VERSION})`);
  integer(p.rows, 'profile.rows', 0);
  const features = array(p.features, 'profile.features', signature.features.length);
  features.forEach((fv, i) => {
    const f = object(fv, `profile.features[${i}]`);
    const expected = signature.features[i];
    if (f.name !== expected.name || f.type !== expected.type)
      fail(`profile.features[${i}]`, `must profile ${expected.type} feature "${expected.name}"`);
  });
  return p as unknown as DataProfile;
}

function validateLabel(v: Json, task: Task, limits: ArtifactLimits): LabelInfo {
  const l = object(v, 'label');
  const name = string(l.name, 'label.name');
  if (task === 'regression') {
    if (l.classes !== undefined) fail('label.classes', 'must be absent for regression');
    return { name };
  }
  const given = array(l.classes, 'label.classes');
  checkLimit(limits, 'maxClasses', given.length, 'label.classes');
  const classes = given.map((c, i) => (typeof c === 'number' ? finite(c, `label.classes[${i}]`) : string(c, `label.classes[${i}]`)));
  if (new Set(classes.map(String)).size !== classes.length) fail('label.classes', 'has duplicates');
  if (task === 'binary' && classes.length !== 2) fail('label.classes', 'a binary model needs exactly 2 classes');
  if (task === 'multiclass' && classes.length < 3) fail('label.classes', 'a multiclass model needs at least 3 classes');
  return { name, classes };
}

function validatePreprocessing(v: Json, limits: ArtifactLimits): PreprocessorState {
  const p = object(v, 'preprocessing');
  const unknownCategories = oneOf(p.unknownCategories, 'preprocessing.unknownCategories', ['accept', 'error'] as const);
  const names = new Set<string>();
  const given = array(p.steps, 'preprocessing.steps');
  checkLimit(limits, 'maxFeatures', given.length, 'preprocessing.steps');
  let categoryCount = 0;
  const steps = given.map((sv, i) => {
    const path = `preprocessing.steps[${i}]`;
    const s = object(sv, path);
    const name = string(s.name, `${path}.name`);
    if (names.has(name)) fail(`${path}.name`, `duplicate feature "${name}"`);
    names.add(name);
    const type = oneOf(s.type, `${path}.type`, ['numeric', 'categorical'] as const);
    if (type === 'numeric') {
      const fill = s.fill === null ? null : finite(s.fill, `${path}.fill`);
      const scale = finite(s.scale, `${path}.scale`);
      if (scale <= 0) fail(`${path}.scale`, 'must be > 0');
      return { name, type, fill, center: finite(s.center, `${path}.center`), scale };
    }
    categoryCount += array(s.categories, `${path}.categories`).length;
    checkLimit(limits, 'maxCategories', categoryCount, `${path}.categories`);
    const categories = uniqueStrings(s.categories, `${path}.categories`);
    return {
      name,
      type,
      categories,
      fill: integer(s.fill, `${path}.fill`, -1, categories.length - 1),
      encoding: oneOf(s.encoding, `${path}.encoding`, ['onehot', 'ordinal'] as const),
    };
  });
  return { steps, unknownCategories };
}

function validateSignature(v: Json, preprocessing: PreprocessorState): ModelSignature {
  const s = object(v, 'signature');
  const unknownCategories = oneOf(s.unknownCategories, 'signature.unknownCategories', ['accept', 'error'] as const);
  if (unknownCategories !== preprocessing.unknownCategories) fail('signature.unknownCategories', 'disagrees with preprocessing');
  const features = array(s.features, 'signature.features', preprocessing.steps.length).map((fv, i) => {
    const path = `signature.features[${i}]`;
    const f = object(fv, path);
    const step = preprocessing.steps[i];
    if (f.name !== step.name || f.type !== step.type) fail(path, `disagrees with preprocessing step "${step.name}"`);
    if (step.type === 'numeric') return { name: step.name, type: 'numeric' as const };
    const categories = uniqueStrings(f.categories, `${path}.categories`);
    if (categories.length !== step.categories.length || categories.some((c, k) => c !== step.categories[k]))
      fail(`${path}.categories`, 'disagree with preprocessing');
    return { name: step.name, type: 'categorical' as const, categories };
  });
  return { features, unknownCategories };
}

interface ModelShape {
  readonly algorithm: Algorithm;
  readonly task: Task;
  /** Model inputs after preprocessing. */
  readonly width: number;
  readonly nClasses: number;
  readonly limits: ArtifactLimits;
}

function validateModel(v: Json, { algorithm, task, width, nClasses, limits }: ModelShape): ModelState {
  const m = object(v, 'model');
  if (algorithm === 'linear') {
    if (m.kind !== 'linear' || task !== 'regression') fail('model.kind', 'a linear model must be kind "linear" with task regression');
    checkLimit(limits, 'maxCoefficients', width, 'model.coef');
    return { kind: 'linear', coef: finiteArray(m.coef, 'model.coef', width), intercept: finite(m.intercept, 'model.intercept') };
  }
  if (algorithm === 'logreg') {
    if (m.kind !== 'logistic' || task === 'regression')
      fail('model.kind', 'a logreg model must be kind "logistic" with a classification task');
    const rows = nClasses === 2 ? 1 : nClasses;
    checkLimit(limits, 'maxCoefficients', rows * width, 'model.coef');
    const coef = array(m.coef, 'model.coef', rows).map((r, k) => finiteArray(r, `model.coef[${k}]`, width));
    return { kind: 'logistic', coef, intercept: finiteArray(m.intercept, 'model.intercept', rows) };
  }
  if (algorithm === 'random_forest') {
    if (m.kind !== 'random_forest') fail('model.kind', 'a random_forest model must be kind "random_forest"');
    if (task === 'multiclass') fail('task', 'random_forest models are binary or regression');
    const trees = validateTrees(m.trees, width, limits);
    if (trees.length === 0) fail('model.trees', 'a forest needs at least one tree');
    if (task === 'binary')
      trees.forEach((tree, t) =>
        tree.value.forEach((p, i) => {
          if (p < 0 || p > 1) fail(`model.trees[${t}].value[${i}]`, 'must be a probability in 0..1');
        }),
      );
    return { kind: 'random_forest', trees };
  }
  if (m.kind !== 'gbdt') fail('model.kind', 'a gbdt model must be kind "gbdt"');
  if (task === 'multiclass') fail('task', 'gbdt models are binary or regression');
  const loss = oneOf(m.loss, 'model.loss', ['squared_error', 'log_loss'] as const);
  if ((loss === 'log_loss') !== (task === 'binary')) fail('model.loss', `does not fit task ${task}`);
  const trees = validateTrees(m.trees, width, limits);
  return { kind: 'gbdt', loss, baseline: finite(m.baseline, 'model.baseline'), trees };
}

/** `model.trees`, counted against the limits before and while each tree is read. */
function validateTrees(v: Json, width: number, limits: ArtifactLimits): SerializedTree[] {
  const given = array(v, 'model.trees');
  checkLimit(limits, 'maxTrees', given.length, 'model.trees');
  let nodes = 0;
  return given.map((tv, t) => {
    const tree = validateTree(tv, `model.trees[${t}]`, width, limits);
    nodes += tree.feature.length;
    checkLimit(limits, 'maxTotalNodes', nodes, `model.trees[${t}]`);
    return tree;
  });
}

function validateTree(v: Json, path: string, width: number, limits: ArtifactLimits): SerializedTree {
  const t = object(v, path);
  const feature = array(t.feature, `${path}.feature`);
  const m = feature.length;
  if (m === 0) fail(`${path}.feature`, 'a tree needs at least one node');
  checkLimit(limits, 'maxNodesPerTree', m, `${path}.feature`);
  const tree: SerializedTree = {
    feature: feature.map((f, i) => integer(f, `${path}.feature[${i}]`, -1, width - 1)),
    threshold: array(t.threshold, `${path}.threshold`, m).map((x, i) => (x === null ? null : finite(x, `${path}.threshold[${i}]`))),
    missingLeft: array(t.missingLeft, `${path}.missingLeft`, m).map((x, i) => integer(x, `${path}.missingLeft[${i}]`, 0, 1)),
    left: array(t.left, `${path}.left`, m).map((x, i) => integer(x, `${path}.left[${i}]`, -1, m - 1)),
    right: array(t.right, `${path}.right`, m).map((x, i) => integer(x, `${path}.right[${i}]`, -1, m - 1)),
    value: finiteArray(t.value, `${path}.value`, m),
  };
  for (let i = 0; i < m; i++) {
    if (tree.feature[i] === -1) {
      if (tree.left[i] !== -1 || tree.right[i] !== -1) fail(`${path}.left[${i}]`, 'a leaf has no children (-1)');
      continue;
    }
    // Children after their parent: traversal always moves forward, so it ends.
    if (tree.left[i] <= i) fail(`${path}.left[${i}]`, `must point past node ${i}`);
    if (tree.right[i] <= i) fail(`${path}.right[${i}]`, `must point past node ${i}`);
  }
  checkLimit(limits, 'maxTreeDepth', treeDepth(tree), path);
  return tree;
}

/**
 * Edges on the longest path from the root, without recursion: children always follow their
 * parent, so one forward pass has settled every parent's depth before it reaches the child.
 */
function treeDepth(tree: SerializedTree): number {
  const depth = new Int32Array(tree.feature.length);
  let deepest = 0;
  for (let i = 0; i < depth.length; i++) {
    if (tree.feature[i] === -1) continue;
    const below = depth[i] + 1;
    if (below > deepest) deepest = below;
    if (below > depth[tree.left[i]]) depth[tree.left[i]] = below;
    if (below > depth[tree.right[i]]) depth[tree.right[i]] = below;
  }
  return deepest;
}
