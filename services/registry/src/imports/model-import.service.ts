import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { commonV1, profileColumns, registryV1 } from '@flywheel/contracts';
import { type BatchPrediction, evaluateBatch, getColumn, hasColumn, parseCsv, SignatureError, type Table } from '@flywheel/ml';
import { OnnxImportError, OnnxModel } from '@flywheel/onnx';
import { TransactionRunner } from '@flywheel/persistence';
import { InjectConfig, invalidArgument } from '@flywheel/platform';
import { modelArtifactKey, ObjectStore } from '@flywheel/storage';
import { type Observable } from 'rxjs';
import { MODEL_NAME_PATTERN, NAME_RULE } from '../models/names';
import { RegistryException, RegistryExceptionCode } from '../models/registry.exception';
import { isKnownMetric } from '../promotion/metrics';
import { RunRegistrar } from '../promotion/run-registrar';
import { type RegistryConfig } from '../registry.config';
import { receiveImport } from './import-stream';
import { OnnxRuntimeHost } from './onnx-runtime.host';

const ONNX_CONTENT_TYPE = 'application/onnx';
const CSV_CONTENT_TYPE = 'text/csv';

/** What an import registered: the version's number and what the promotion policy did with it. */
export interface ImportOutcome {
  readonly modelName: string;
  readonly version: number;
  readonly promotion: 'promoted' | 'refused' | 'off';
}

/**
 * Registers versions from ONNX graphs trained elsewhere. The graph is inspected (operators,
 * inputs, outputs; a ZipMap removed), loaded by onnxruntime, and scored on the holdout the
 * caller sends, so the version has metrics measured here and a holdout the promotion policy can
 * compare a challenger and the champion on; the holdout's profile becomes its drift reference.
 * Then it is registered and judged exactly as a trained version is.
 */
@Injectable()
export class ModelImportService {
  constructor(
    @Inject(RunRegistrar) private readonly registrar: RunRegistrar,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(OnnxRuntimeHost) private readonly host: OnnxRuntimeHost,
    @InjectConfig() private readonly config: RegistryConfig,
  ) {}

  async importVersion(requests: Observable<registryV1.ImportModelVersionRequest>, actor: commonV1.Actor): Promise<ImportOutcome> {
    const received = await receiveImport(requests, {
      maxOnnxBytes: this.config.MODEL_IMPORT_MAX_BYTES,
      maxHoldoutBytes: this.config.MODEL_IMPORT_HOLDOUT_MAX_BYTES,
    });
    const header = checkHeader(received.header);
    const model = await this.loadGraph(received.onnx, header.features);
    try {
      if (model.task === 'multiclass')
        throw invalidArgument(
          'onnx',
          `the graph classifies into ${model.classes.length} classes; Flywheel serves binary classifiers and regressors`,
        );
      const holdout = readHoldout(received.holdout, header.label);
      const metrics = evaluateBatch(
        { task: model.task, label: header.label, classes: model.classes },
        holdout,
        await scoreHoldout(model, holdout),
      );
      const metric = header.metric || (model.task === 'regression' ? 'rmse' : 'roc_auc');
      const features = model.signature.features.map((f) => f.name);
      const profile = profileColumns(
        holdout.nRows,
        features.map((name) => {
          const col = getColumn(holdout, name);
          return col.type === 'numeric'
            ? { name, type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE, values: col.values }
            : {
                name,
                type: commonV1.ColumnType.COLUMN_TYPE_STRING,
                values: Array.from(col.codes, (c) => (c < 0 ? null : col.dictionary[c])),
              };
        }),
      );

      // The stored graph is the one served: rewritten at inspection, so it describes itself.
      const runId = `import-${createHash('sha256').update(model.bytes).digest('hex').slice(0, 16)}`;
      const [artifact, holdoutRef] = await Promise.all([
        this.put(header.modelName, runId, 'model.onnx', Buffer.from(model.bytes), ONNX_CONTENT_TYPE),
        this.put(header.modelName, runId, 'holdout.csv', received.holdout, CSV_CONTENT_TYPE),
      ]);
      const outcome = await this.transactions.run((manager) =>
        this.registrar.registerVersion(manager, {
          modelName: header.modelName,
          runId,
          reason: `imported from an ONNX graph${model.description.producer ? ` written by ${model.description.producer}` : ''}`,
          actor,
          build: (version, now) =>
            registryV1.ModelVersion.fromPartial({
              modelName: header.modelName,
              version,
              runId,
              artifact,
              task:
                model.task === 'regression'
                  ? commonV1.ModelTask.MODEL_TASK_REGRESSION
                  : commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
              algorithm: commonV1.Algorithm.ALGORITHM_ONNX,
              params: {},
              metrics,
              metric,
              lineage: {
                runId,
                dataset: header.dataset,
                featureView: header.featureView,
                features,
                label: header.label,
                trainingProfile: profile,
              },
              holdout: { data: holdoutRef, rowCount: holdout.nRows, labelColumn: header.label },
              aliases: [],
              createTime: now,
            }),
        }),
      );
      if (outcome.kind === 'duplicate-run')
        throw new RegistryException(
          `this graph is already version ${outcome.version} of model "${header.modelName}"`,
          RegistryExceptionCode.VERSION_ALREADY_IMPORTED,
          { name: header.modelName, version: outcome.version },
        );
      return { modelName: header.modelName, version: outcome.version, promotion: outcome.promotion };
    } finally {
      await model.release();
    }
  }

  private async loadGraph(bytes: Buffer, features: readonly string[]): Promise<OnnxModel> {
    try {
      return await OnnxModel.load(this.host.runtime, bytes, {
        features: features.length > 0 ? features : undefined,
        maxBytes: this.config.MODEL_IMPORT_MAX_BYTES,
        reinspect: true,
      });
    } catch (error) {
      if (error instanceof OnnxImportError) throw invalidArgument('onnx', error.message);
      // The structure passed; onnxruntime itself refused the graph (types, shapes, attributes).
      throw invalidArgument('onnx', `onnxruntime cannot load the graph: ${(error as Error).message}`);
    }
  }

  private async put(model: string, runId: string, file: string, body: Buffer, contentType: string): Promise<commonV1.ObjectRef> {
    const key = modelArtifactKey(model, runId, file);
    const put = await this.objects.put(key, body, { contentType });
    return { key, sha256: put.sha256, sizeBytes: put.size, contentType };
  }
}

interface CheckedHeader {
  readonly modelName: string;
  readonly features: readonly string[];
  readonly label: string;
  readonly metric: string;
  readonly featureView: string;
  readonly dataset: string;
}

function checkHeader(header: registryV1.ImportModelVersionHeader): CheckedHeader {
  if (!MODEL_NAME_PATTERN.test(header.modelName)) throw invalidArgument('header.model_name', NAME_RULE);
  header.features.forEach((name, i) => {
    if (name.length === 0 || name.length > 256) throw invalidArgument(`header.features[${i}]`, 'must be 1 to 256 characters');
  });
  if (!header.label) throw invalidArgument('header.label', 'is required: the holdout column the version is scored against');
  if (header.metric && !isKnownMetric(header.metric))
    throw invalidArgument('header.metric', `"${header.metric}" is not a metric the registry compares`);
  for (const [field, value] of [
    ['header.feature_view', header.featureView],
    ['header.dataset', header.dataset],
  ] as const) {
    if (value && !MODEL_NAME_PATTERN.test(value)) throw invalidArgument(field, NAME_RULE);
  }
  return header;
}

function readHoldout(bytes: Buffer, label: string): Table {
  let table: Table;
  try {
    table = parseCsv(bytes);
  } catch (error) {
    throw invalidArgument('holdout', `not a readable CSV: ${(error as Error).message}`);
  }
  if (table.nRows === 0) throw invalidArgument('holdout', 'has no rows');
  if (!hasColumn(table, label)) throw invalidArgument('header.label', `the holdout has no column "${label}"`);
  return table;
}

async function scoreHoldout(model: OnnxModel, holdout: Table): Promise<BatchPrediction> {
  try {
    return await model.predictTable(holdout);
  } catch (error) {
    if (error instanceof SignatureError) throw invalidArgument('holdout', `${error.message} (a feature of the graph)`);
    throw invalidArgument('holdout', `the graph cannot score the holdout: ${(error as Error).message}`);
  }
}
