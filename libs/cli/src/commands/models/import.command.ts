import { open, stat } from 'node:fs/promises';
import { IMPORT_CHUNK_BYTES, type registryV1 } from '@flywheel/contracts';
import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { formatBytes } from '../../grpc/download';
import { formatValue, table, toJson } from '../../output';
import { CONNECTION_DETAILS, connectionOptions, withRegistry } from './registry-connection';

/** A file to send: its size now, read piece by piece only as the call sends it. */
async function sizeOf(path: string, option: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${option} ${path}: not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `${option} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

async function* pieces(
  path: string,
  size: number,
  part: 'onnxChunk' | 'holdoutChunk',
): AsyncGenerator<registryV1.ImportModelVersionRequest> {
  const file = await open(path, 'r');
  try {
    for (let at = 0; at < size;) {
      const buffer = Buffer.alloc(Math.min(IMPORT_CHUNK_BYTES, size - at));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw new UsageError(`${path} became shorter while it was sent`);
      at += bytesRead;
      yield { [part]: buffer.subarray(0, bytesRead) };
    }
  } finally {
    await file.close();
  }
}

export const importCommand: Command = {
  kind: 'command',
  name: 'import',
  summary: 'Register a version from an ONNX graph trained elsewhere (scikit-learn, XGBoost, LightGBM), scored on a holdout.',
  usage:
    '<model> --onnx <model.onnx> --holdout <holdout.csv> --label <column> [--features a,b,…] [--metric <name>] ' +
    '[--feature-view <view>] [--dataset <dataset>] [--address <host:port>] [--json]',
  positionals: [{ name: 'model', required: true, description: 'the model the version is added to (created if absent)' }],
  options: {
    onnx: { type: 'string', required: true, value: 'model.onnx', description: 'the ONNX file (skl2onnx, onnxmltools, …)' },
    holdout: { type: 'string', required: true, value: 'holdout.csv', description: 'labelled rows the version is scored and judged on' },
    label: { type: 'string', required: true, value: 'column', description: "the holdout's label column" },
    features: { type: 'string', value: 'a,b,…', description: "names of the graph's input columns, in order (default: the input names)" },
    metric: { type: 'string', value: 'name', description: 'the metric it is judged by (default roc_auc, or rmse for regressors)' },
    'feature-view': {
      type: 'string',
      value: 'view',
      description: 'the feature view its features come from (entity_key predictions, retraining)',
    },
    dataset: { type: 'string', value: 'dataset', description: 'the dataset it was trained on' },
    ...connectionOptions,
  },
  details:
    'The registry checks the graph (operators, inputs, outputs; a ZipMap at the end is removed), loads it in ' +
    'onnxruntime, scores it on the holdout and registers it; the promotion policy judges it against the champion ' +
    'as it judges a trained version, and the holdout profile becomes its drift reference. One input of N columns ' +
    'needs --features; one input per column is named after its inputs. A dataset version as the holdout: ' +
    '`flywheel features historical <view> --columns <label> --from-version <n> --to-version <n> --out holdout.csv`. ' +
    CONNECTION_DETAILS,
  async run(options, io) {
    const modelName = options.positional('model');
    const onnxPath = options.required('onnx');
    const holdoutPath = options.required('holdout');
    const [onnxSize, holdoutSize] = await Promise.all([sizeOf(onnxPath, '--onnx'), sizeOf(holdoutPath, '--holdout')]);
    if (onnxSize === 0) throw new UsageError(`--onnx ${onnxPath}: the file is empty`);
    const header: registryV1.ImportModelVersionHeader = {
      modelName,
      features: options.list('features') ?? [],
      label: options.required('label'),
      metric: options.string('metric') ?? '',
      featureView: options.string('feature-view') ?? '',
      dataset: options.string('dataset') ?? '',
      onnxSizeBytes: onnxSize,
      holdoutSizeBytes: holdoutSize,
    };
    // The header first: a file the registry will not take is refused before any of it is read.
    async function* requests(): AsyncGenerator<registryV1.ImportModelVersionRequest> {
      yield { header };
      yield* pieces(onnxPath, onnxSize, 'onnxChunk');
      yield* pieces(holdoutPath, holdoutSize, 'holdoutChunk');
    }
    if (onnxSize > 4 * IMPORT_CHUNK_BYTES)
      io.stderr(`sending ${formatBytes(onnxSize)} of ONNX and ${formatBytes(holdoutSize)} of holdout\n`);
    const response = await withRegistry(options, (client) =>
      client.sendStream<registryV1.ImportModelVersionRequest, registryV1.ImportModelVersionResponse>('importModelVersion', requests(), {
        deadlineMs: 600_000,
      }),
    );
    const version = response.version!;
    if (options.flag('json')) return io.stdout(toJson(response));
    // Metrics are reported under camelCase keys (roc_auc → rocAuc).
    const metric = version.metrics[version.metric.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
    io.stdout(
      `${table(
        ['model', 'version', 'features', 'holdout rows', version.metric, 'promotion'],
        [
          [
            version.modelName,
            version.version,
            version.lineage?.features.join(',') ?? '',
            version.holdout?.rowCount ?? 0,
            metric === undefined ? '-' : formatValue(metric),
            response.promotion,
          ],
        ],
      )}\n`,
    );
  },
};
