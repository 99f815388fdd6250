import {
  type BatchPrediction,
  checkTable,
  getColumn,
  type InputRow,
  type ModelSignature,
  type RowPrediction,
  SignatureError,
  type Table,
  type Task,
} from '@flywheel/ml';
import { type InspectOptions, inspectOnnx, type OnnxInputBinding, type OnnxModelDescription } from '../import/inspect-onnx';
import { type OnnxRuntime, type OnnxSession } from './onnx-runtime';
import { type TensorData } from './onnx-runtime.types';

/** Most rows of single predictions scored in one run; more wait for the next. */
const MAX_ROWS_PER_RUN = 1024;

/** A feature's values for a batch, column by column: numbers (NaN missing) or strings (null missing). */
type FeatureColumn =
  { readonly kind: 'numeric'; readonly values: Float64Array } | { readonly kind: 'text'; readonly values: (string | null)[] };

/**
 * An imported ONNX graph, served like a native model: the same signature checks (a bad field is
 * a SignatureError naming it), the same predictions (classes in the graph's probability order).
 * Scoring runs on the runtime's thread, so it is asynchronous.
 */
export class OnnxModel {
  readonly task: Task;
  readonly classes: readonly (number | string)[];
  readonly signature: ModelSignature;
  /** Single rows checked and waiting for the next run. */
  private readonly waiting: { values: (number | string | null)[]; resolve(p: RowPrediction): void; reject(e: unknown): void }[] = [];
  private running = false;
  private scheduled = false;
  private integerFeatures: boolean[] | undefined;

  private constructor(
    private readonly runtime: OnnxRuntime,
    private readonly session: OnnxSession,
    readonly description: OnnxModelDescription,
  ) {
    this.task = description.task;
    this.classes = description.classes ?? [];
    this.signature = description.signature;
  }

  /** Inspects a graph (an import's file, or a stored graph that describes itself) and loads it. */
  static async load(runtime: OnnxRuntime, bytes: Uint8Array, options: InspectOptions = {}): Promise<OnnxModel> {
    const inspected = inspectOnnx(bytes, options);
    const session = await runtime.load(inspected.bytes);
    return new OnnxModel(runtime, session, inspected.description);
  }

  /** The graph as served (ZipMap removed, description in its metadata): what an import stores. */
  get bytes(): Uint8Array {
    return this.session.bytes;
  }

  release(): Promise<void> {
    return this.runtime.release(this.session);
  }

  /**
   * One row's prediction. Rows are checked here, one by one (a bad field fails its own call),
   * then scored together: while a run is in the runtime's process, the rows that arrive wait and
   * go in the next run as one batch, so under load a request pays a share of one round trip to
   * the process, not a queue of them.
   */
  predictRow(row: InputRow): Promise<RowPrediction> {
    let values: (number | string | null)[];
    try {
      values = this.checkRow(row);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ values, resolve, reject });
      this.scoreSoon();
    });
  }

  /** The row's values in signature order, each checked as the graph's input will take it. */
  private checkRow(row: InputRow): (number | string | null)[] {
    return this.signature.features.map((feature, j) => {
      const v = row[feature.name];
      if (v === undefined) throw new SignatureError(`field "${feature.name}" is missing`, feature.name);
      if (feature.type === 'categorical') {
        if (v !== null && typeof v !== 'string')
          throw new SignatureError(`field "${feature.name}" must be a string or null, got ${typeof v}`, feature.name);
        return v;
      }
      if (v !== null && typeof v !== 'number')
        throw new SignatureError(`field "${feature.name}" must be a number or null, got ${typeof v}`, feature.name);
      if (typeof v === 'number' && !Number.isNaN(v) && !Number.isFinite(v))
        throw new SignatureError(`field "${feature.name}" must be finite, got ${v}`, feature.name);
      if (this.integerFeature[j] && (v === null || !Number.isInteger(v)))
        throw new SignatureError(`field "${feature.name}" must be a whole number, got ${v}`, feature.name);
      return v;
    });
  }

  /** Whether each feature goes into an integer input (which has no missing value). */
  private get integerFeature(): readonly boolean[] {
    this.integerFeatures ??= this.signature.features.map((f) =>
      this.description.inputs.some((i) => (i.type === 'int32' || i.type === 'int64') && i.features.includes(f.name)),
    );
    return this.integerFeatures;
  }

  /** Starts a run of the rows waiting, unless one is running (its end starts the next). */
  private scoreSoon(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // After the rows of this turn of the event loop have joined.
    setImmediate(() => {
      this.scheduled = false;
      void this.scoreWaiting();
    });
  }

  private async scoreWaiting(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_ROWS_PER_RUN);
    if (batch.length === 0) return;
    this.running = true;
    try {
      const columns = new Map<string, FeatureColumn>();
      this.signature.features.forEach((feature, j) => {
        columns.set(
          feature.name,
          feature.type === 'numeric'
            ? { kind: 'numeric', values: Float64Array.from(batch, (r) => (r.values[j] as number | null) ?? Number.NaN) }
            : { kind: 'text', values: batch.map((r) => r.values[j] as string | null) },
        );
      });
      const scored = await this.score(columns, batch.length);
      batch.forEach((waiting, i) => {
        if (scored.task === 'regression') return waiting.resolve({ prediction: scored.values[i] });
        const probabilities = Float64Array.from(scored.probabilities, (p) => p[i]);
        const k = scored.classIndex[i];
        waiting.resolve({ prediction: this.classes[k], probability: probabilities[k], probabilities });
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.running = false;
      if (this.waiting.length > 0) this.scoreSoon();
    }
  }

  /** Predictions for every row of a table (extra columns ignored). */
  async predictTable(table: Table): Promise<BatchPrediction> {
    checkTable(this.signature, table);
    const columns = new Map<string, FeatureColumn>();
    for (const feature of this.signature.features) {
      const col = getColumn(table, feature.name);
      columns.set(
        feature.name,
        col.type === 'numeric'
          ? { kind: 'numeric', values: col.values }
          : { kind: 'text', values: Array.from(col.codes, (c) => (c < 0 ? null : col.dictionary[c])) },
      );
    }
    return this.score(columns, table.nRows);
  }

  private async score(columns: ReadonlyMap<string, FeatureColumn>, n: number): Promise<BatchPrediction> {
    const feeds: Record<string, TensorData> = {};
    for (const input of this.description.inputs) feeds[input.name] = tensorFor(input, columns, n);
    const outputs = await this.runtime.run(this.session, feeds);
    const { value, probabilities, label } = this.description.outputs;
    if (this.task === 'regression') return { task: 'regression', values: numbers(outputs[value!], n, 1, value!) };
    const k = this.classes.length;
    const flat = numbers(outputs[probabilities!], n, k, probabilities!);
    const perClass = Array.from({ length: k }, (_, c) => Float64Array.from({ length: n }, (_, i) => flat[i * k + c]));
    const classIndex = new Int32Array(n);
    const labels = label ? outputs[label] : undefined;
    const index = new Map(this.classes.map((c, i) => [String(c), i]));
    for (let i = 0; i < n; i++) {
      // The graph's own label when it answers one (its tie-breaking is the library's), else the most probable class.
      const found = labels ? index.get(String(labels.data[i])) : undefined;
      classIndex[i] = found ?? argmax(flat, i * k, k);
    }
    return { task: this.task, classIndex, probabilities: perClass, classes: this.classes };
  }
}

function argmax(values: Float64Array, at: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[at + c] > values[at + best]) best = c;
  return best;
}

/** An output as doubles, checked to hold `n` rows of `width` values. */
function numbers(t: TensorData | undefined, n: number, width: number, name: string): Float64Array {
  if (!t) throw new Error(`the graph answered no output "${name}"`);
  if (t.type !== 'float32' && t.type !== 'float64') throw new Error(`output "${name}" is ${t.type}, not a float tensor`);
  if (t.data.length !== n * width) throw new Error(`output "${name}" has ${t.data.length} values, expected ${n} × ${width}`);
  return Float64Array.from(t.data);
}

/** One input's tensor: its features side by side, row-major, in the input's element type. */
function tensorFor(input: OnnxInputBinding, columns: ReadonlyMap<string, FeatureColumn>, n: number): TensorData {
  const width = input.features.length;
  const dims = input.rank === 1 ? [n] : [n, width];
  const cols = input.features.map((f) => columns.get(f)!);
  if (input.type === 'string') {
    const data: string[] = new Array(n * width);
    cols.forEach((col, j) => {
      for (let i = 0; i < n; i++) {
        const v = col.values[i];
        data[i * width + j] = typeof v === 'string' ? v : '';
      }
    });
    return { type: 'string', data, dims };
  }
  const make = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: Float64Array }[input.type];
  const data = new make(n * width);
  cols.forEach((col, j) => {
    const name = input.features[j];
    if (col.kind !== 'numeric') throw new SignatureError(`field "${name}" must be numeric`, name);
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      if ((input.type === 'int32' || input.type === 'int64') && !Number.isInteger(v))
        throw new SignatureError(`field "${name}" must be a whole number, got ${v}`, name);
      data[i * width + j] = v;
    }
  });
  if (input.type === 'int64') return { type: 'int64', data: BigInt64Array.from(data as Float64Array, (v) => BigInt(v)), dims };
  return { type: input.type, data, dims } as TensorData;
}
