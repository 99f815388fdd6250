import { addWeightedColumns } from '../models/column-kernels';
import { type Forest, forestColumns, forestRow, flattenForest } from '../models/forest';
import { ForestThreads } from '../models/forest-threads';
import { sigmoid, softmaxColumns } from '../models/logistic-regression';
import { Preprocessor, type PreprocessorState } from '../preprocessing/preprocessor';
import { type InputRow, type ModelSignature } from '../preprocessing/signature';
import { type Table } from '../table/table';
import { ArtifactError, type LabelInfo, type ModelArtifact, type Task, validateArtifact } from './format';
import { checkJsonBounds, maxJsonMembers } from './json-bounds';
import { type ArtifactLimits, DEFAULT_ARTIFACT_LIMITS } from './limits';

/** Rows encoded and scored together by {@link CompactModel.predictTable}: 20 inputs of them fill 640 KiB. */
export const BATCH_BLOCK_ROWS = 4096;

/** How a batch is scored. */
export interface BatchOptions {
  /**
   * Threads scoring a trees batch (boosted or a forest), this one included, as scikit-learn's predictions use
   * every core; 1 by default. The scores are the same on any number of threads.
   */
  readonly threads?: number;
}

/** One row's prediction. */
export interface RowPrediction {
  /** The predicted value (regression) or class label. */
  readonly prediction: number | string;
  /** Probability of the predicted class (classifiers). */
  readonly probability?: number;
  /** Probability per class, in `classes` order (classifiers). */
  readonly probabilities?: Float64Array;
}

export type BatchPrediction =
  | { readonly task: 'regression'; readonly values: Float64Array }
  | {
      readonly task: 'binary' | 'multiclass';
      /** Predicted class per row, as an index into `classes`. */
      readonly classIndex: Int32Array;
      /** One array per class: its probability for every row. */
      readonly probabilities: Float64Array[];
      readonly classes: readonly (number | string)[];
    };

/**
 * Loads a model from its JSON text or parsed object. The artifact is validated as data (see
 * {@link validateArtifact}); nothing in it is executed.
 */
export function loadModel(json: string | unknown, limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS): LoadedModel {
  return new LoadedModel(validateArtifact(typeof json === 'string' ? parseJson(json) : json, limits));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`model artifact is not valid JSON: ${(e as Error).message}`);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An artifact's bytes (as stored) to the parts of a {@link CompactModel}: bounded (see
 * {@link checkJsonBounds}), decoded, parsed, validated within `limits` and flattened. The costly
 * half of loading, in one call a worker thread can make; the parts' arrays transfer back
 * ({@link transferablesOf}).
 */
export function compactModelFromBytes(
  bytes: Uint8Array,
  limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS,
  /** Most heap parsing may take: a thread's heap limit with room for what is built after. */
  maxParsedBytes?: number,
): CompactModelParts {
  checkJsonBounds(bytes, maxJsonMembers(limits), { maxParsedBytes });
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ArtifactError('is not UTF-8 text', '$');
  }
  return compactPartsOf(validateArtifact(parseJson(text), limits));
}

/** A linear layer: `bias.length` rows of weights over the model inputs, row-major. */
interface Linear {
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

/**
 * What a model needs to predict: small plain data and typed arrays, so it crosses threads
 * cheaply (the arrays transfer instead of being copied). Built from a validated artifact only.
 */
export interface CompactModelParts {
  readonly task: Task;
  readonly label: LabelInfo;
  readonly preprocessing: PreprocessorState;
  readonly signature: ModelSignature;
  readonly kernel: ({ readonly kind: 'forest'; readonly output: ForestOutput } & Forest) | ({ readonly kind: 'linear' } & Linear);
}

/**
 * What a forest's sum of leaf values is: boosted trees add log-odds or values to a baseline;
 * a random forest's sum over its trees becomes their mean (the class-1 probability or the value).
 */
export type ForestOutput = 'sum' | 'mean';

/** The parts of a validated artifact's model. */
export function compactPartsOf(artifact: ModelArtifact): CompactModelParts {
  const { task, label, preprocessing, signature, model: m } = artifact;
  if (m.kind === 'gbdt')
    return { task, label, preprocessing, signature, kernel: { kind: 'forest', output: 'sum', ...flattenForest(m.trees, m.baseline) } };
  if (m.kind === 'random_forest')
    return { task, label, preprocessing, signature, kernel: { kind: 'forest', output: 'mean', ...flattenForest(m.trees, 0) } };
  const rows = m.kind === 'linear' ? [m.coef] : m.coef;
  const width = rows[0]?.length ?? 0;
  const weights = new Float64Array(rows.length * width);
  rows.forEach((r, k) => weights.set(r, k * width));
  const bias = Float64Array.from(m.kind === 'linear' ? [m.intercept] : m.intercept);
  return { task, label, preprocessing, signature, kernel: { kind: 'linear', weights, bias } };
}

/** The buffers of `parts` to move with it to another thread (each typed array owns its buffer). */
export function transferablesOf(parts: CompactModelParts): ArrayBuffer[] {
  const k = parts.kernel;
  const arrays = k.kind === 'forest' ? [k.roots, k.links, k.threshold, k.missingRight, k.value] : [k.weights, k.bias];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/**
 * A model ready to predict, from its {@link CompactModelParts}. Buffers for one row are
 * allocated here, once, so {@link scoreRow} allocates nothing and {@link predictRow} only its
 * result.
 */
export class CompactModel {
  readonly preprocessor: Preprocessor;
  readonly task: Task;
  readonly label: LabelInfo;
  readonly classes: readonly (number | string)[];
  readonly signature: ModelSignature;
  private readonly x: Float64Array;
  private readonly proba: Float64Array;
  private readonly weights: Float64Array;
  private readonly bias: Float64Array;
  private readonly forest: Forest | null;
  private readonly baseline: number;
  /** Trees a forest's sum is divided by for their mean; 0 for a boosted sum. */
  private readonly meanOf: number;

  constructor(parts: CompactModelParts) {
    this.preprocessor = new Preprocessor(parts.preprocessing);
    this.task = parts.task;
    this.label = parts.label;
    this.classes = parts.label.classes ?? [];
    this.signature = parts.signature;
    this.x = new Float64Array(this.preprocessor.nOutputs);
    this.proba = new Float64Array(Math.max(this.classes.length, 1));
    const k = parts.kernel;
    this.forest = k.kind === 'forest' ? k : null;
    this.baseline = k.kind === 'forest' ? k.baseline : 0;
    this.meanOf = k.kind === 'forest' && k.output === 'mean' ? k.roots.length : 0;
    this.weights = k.kind === 'linear' ? k.weights : new Float64Array(0);
    this.bias = k.kind === 'linear' ? k.bias : new Float64Array(0);
  }

  /**
   * Scores one row without allocating: returns the regression value, or the predicted class
   * index with the class probabilities written to `probabilities` when given. Throws a
   * SignatureError naming the field when the row does not fit the signature.
   */
  scoreRow(row: InputRow, probabilities?: Float64Array): number {
    this.preprocessor.transformRowInto(row, this.x);
    const x = this.x;
    if (this.forest) {
      const sum = this.baseline + forestRow(this.forest, x);
      // Summed first and divided once, as sklearn averages its trees' predictions.
      const raw = this.meanOf > 0 ? sum / this.meanOf : sum;
      if (this.task === 'regression') return raw;
      const p1 = this.meanOf > 0 ? raw : sigmoid(raw);
      this.proba[0] = 1 - p1;
      this.proba[1] = p1;
    } else {
      const width = x.length;
      const nOut = this.bias.length;
      const w = this.weights;
      for (let k = 0; k < nOut; k++) {
        let s = this.bias[k];
        for (let j = 0; j < width; j++) s += w[k * width + j] * x[j];
        this.proba[k] = s;
      }
      if (this.task === 'regression') return this.proba[0];
      if (nOut === 1) {
        const p1 = sigmoid(this.proba[0]);
        this.proba[0] = 1 - p1;
        this.proba[1] = p1;
      } else softmaxInPlace(this.proba);
    }
    if (probabilities) probabilities.set(this.proba);
    return argmax(this.proba);
  }

  /** One row's prediction as a value or class label, with probabilities for classifiers. */
  predictRow(row: InputRow): RowPrediction {
    if (this.task === 'regression') return { prediction: this.scoreRow(row) };
    const probabilities = new Float64Array(this.classes.length);
    const k = this.scoreRow(row, probabilities);
    return { prediction: this.classes[k], probability: probabilities[k], probabilities };
  }

  /**
   * Predictions for every row of a table, encoded and scored in blocks of rows: the encoded
   * block stays in cache, and no encoded copy of the whole table is made. A linear model reads
   * its numeric inputs straight from the table, scaling folded into its weights
   * ({@link Preprocessor.linearScorerFor}).
   */
  predictTable(table: Table, options: BatchOptions = {}): BatchPrediction {
    const nRows = table.nRows;
    const raw = this.rawScores(nRows);
    if (!this.forest) {
      const blockRows = Math.min(nRows, BATCH_BLOCK_ROWS);
      const score = this.preprocessor.linearScorerFor(table, this.weights, this.bias.length, blockRows);
      for (let start = 0; start < nRows; start += blockRows) score(start, Math.min(nRows, start + blockRows), raw);
      return this.fromRawScores(raw, nRows);
    }
    const encode = this.preprocessor.encoderFor(table);
    const threads = this.forestThreads(nRows, options);
    const blockRows = threads?.blockRows ?? Math.min(nRows, BATCH_BLOCK_ROWS);
    const block = threads?.columns ?? Array.from({ length: this.preprocessor.nOutputs }, () => new Float64Array(blockRows));
    try {
      for (let start = 0; start < nRows; start += blockRows) {
        const end = Math.min(nRows, start + blockRows);
        const columns = end - start === blockRows ? block : block.map((c) => c.subarray(0, end - start));
        encode(start, end, columns);
        if (threads) threads.score(end - start, raw[0].subarray(start, end));
        else this.addScores(columns, raw, start, end - start);
      }
    } finally {
      threads?.close();
    }
    return this.fromRawScores(raw, nRows);
  }

  /** Predictions from already preprocessed, column-major model inputs. */
  predictColumns(columns: readonly Float64Array[], nRows: number, options: BatchOptions = {}): BatchPrediction {
    const raw = this.rawScores(nRows);
    const threads = this.forestThreads(nRows, options);
    if (!threads) this.addScores(columns, raw, 0, nRows);
    else {
      // The threads read their rows from shared memory: the inputs go there block by block.
      try {
        for (let start = 0; start < nRows; start += threads.blockRows) {
          const end = Math.min(nRows, start + threads.blockRows);
          threads.columns.forEach((c, j) => c.set(columns[j].subarray(start, end)));
          threads.score(end - start, raw[0].subarray(start, end));
        }
      } finally {
        threads.close();
      }
    }
    return this.fromRawScores(raw, nRows);
  }

  /**
   * Threads to score a forest's batch of `nRows`, or null to score it on this thread: asked
   * for one, a linear model (its batch is over before helpers would wake), or too few rows.
   */
  private forestThreads(nRows: number, { threads = 1 }: BatchOptions): ForestThreads | null {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!this.forest || threads === 1) return null;
    return ForestThreads.open(this.forest, threads, this.preprocessor.nOutputs, nRows, BATCH_BLOCK_ROWS);
  }

  /** One array of raw scores per output, each starting at the model's intercept. */
  private rawScores(nRows: number): Float64Array[] {
    if (this.forest) return [new Float64Array(nRows).fill(this.baseline)];
    return Array.from(this.bias, (b) => new Float64Array(nRows).fill(b));
  }

  /** Adds the scores of the `n` rows in `columns` to `raw` from row `offset` on. */
  private addScores(columns: readonly Float64Array[], raw: readonly Float64Array[], offset: number, n: number): void {
    if (this.forest) {
      forestColumns(this.forest, columns, raw[0].subarray(offset, offset + n));
      return;
    }
    const width = columns.length;
    raw.forEach((out, k) => addWeightedColumns(out.subarray(offset, offset + n), columns, this.weights, k * width));
  }

  private fromRawScores(raw: Float64Array[], nRows: number): BatchPrediction {
    if (this.meanOf > 0) for (let i = 0; i < nRows; i++) raw[0][i] /= this.meanOf;
    if (this.task === 'regression') return { task: 'regression', values: raw[0] };
    if (raw.length === 1) {
      const p0 = new Float64Array(nRows);
      const p1 = raw[0];
      const classIndex = new Int32Array(nRows);
      const mean = this.meanOf > 0;
      for (let i = 0; i < nRows; i++) {
        const p = mean ? p1[i] : sigmoid(p1[i]);
        p1[i] = p;
        p0[i] = 1 - p;
        // Class 1 only when strictly more probable: the first maximum wins, as below.
        classIndex[i] = p > 1 - p ? 1 : 0;
      }
      return { task: this.task, classIndex, probabilities: [p0, p1], classes: this.classes };
    }
    const probabilities = raw;
    softmaxColumns(probabilities, nRows);
    const classIndex = new Int32Array(nRows);
    for (let i = 0; i < nRows; i++) {
      // First maximum wins, as numpy's argmax in sklearn's predict.
      let best = 0;
      for (let k = 1; k < probabilities.length; k++) if (probabilities[k][i] > probabilities[best][i]) best = k;
      classIndex[i] = best;
    }
    return { task: this.task, classIndex, probabilities, classes: this.classes };
  }
}

/** A model loaded from its whole artifact, which it keeps (label, metrics, training facts). */
export class LoadedModel extends CompactModel {
  constructor(readonly artifact: ModelArtifact) {
    super(compactPartsOf(artifact));
  }
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < z.length; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp(z[k] - max);
    sum += z[k];
  }
  for (let k = 0; k < z.length; k++) z[k] /= sum;
}

function argmax(p: Float64Array): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
}
