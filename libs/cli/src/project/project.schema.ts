import { z } from 'zod';
import { DURATION_PATTERN } from '../durations';

// The project file `flywheel plan` and `flywheel apply` read. Field names follow the gRPC
// contracts' JSON names (camelCase), so what a project says and what `--json` prints line up.
// The JSON Schema editors use is generated from this one (project-json-schema.ts).

const objectName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a name is lowercase letters, digits, - and _, starting with a letter, at most 63 characters');
const columnName = z.string().min(1).max(128);
const featureName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a feature name is lowercase letters, digits and _, starting with a letter');
const description = z.string().max(2000);
const duration = z.string().regex(DURATION_PATTERN, 'a duration is whole seconds or units such as 90s, 30m, 2h, 7d, 1h30m');
const share = z.number().min(0).max(1);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const int32 = z.number().int().min(0).max(2_147_483_647);

export const COLUMN_TYPES = ['double', 'integer', 'string', 'boolean', 'timestamp'] as const;

const column = z
  .strictObject({
    name: columnName,
    type: z.enum(COLUMN_TYPES),
    required: z.boolean().optional().describe('a record without a value is quarantined'),
    min: z.number().optional(),
    max: z.number().optional(),
    allowedValues: z.array(z.string()).max(10_000).optional(),
    description: description.optional(),
  })
  .describe('A column of the data contract.');

const dataset = z
  .strictObject({
    name: objectName.describe('also names the ingest topic flywheel.ingest.<name>'),
    description: description.optional(),
    contract: z.strictObject({
      columns: z.array(column).min(1).max(1000),
      uniqueKey: z.array(columnName).max(16).optional().describe('columns whose values together identify a record'),
      eventTimeColumn: columnName.optional().describe('timestamp column giving each record its event time'),
      maxRecordBytes: int32.optional(),
      maxValueBytes: int32.optional(),
    }),
    commitPolicy: z
      .strictObject({
        maxRows: count.optional().describe('commit once this many records are pending'),
        maxInterval: duration.optional().describe('commit pending records at least this often'),
      })
      .optional(),
  })
  .describe(
    'A dataset and its data contract. A registered contract may only be relaxed (wider bounds, more allowed values, optional or new optional columns at the end, larger limits); anything else is refused.',
  );

const feature = z
  .strictObject({
    name: featureName,
    column: columnName.optional().describe("a column of the view's dataset, taken as is"),
    expression: z.string().min(1).max(1000).optional().describe('e.g. log1p(amount / income)'),
    type: z.enum(COLUMN_TYPES),
    description: description.optional(),
  })
  .refine((f) => (f.column === undefined) !== (f.expression === undefined), {
    message: 'a feature is computed from either a column or an expression (one of them)',
  });

const featureView = z
  .strictObject({
    name: objectName,
    dataset: objectName,
    entityKey: columnName,
    eventTimeColumn: columnName,
    features: z.array(feature).min(1).max(1000),
    onlineTtl: duration.optional().describe('online values older than this read as expired; unset: they never expire'),
    description: description.optional(),
  })
  .describe('A feature view; a changed definition becomes a new revision.');

const parameterValue = z.union([z.number(), z.string().max(200), z.boolean()]);

const parameterDomain = z.union([
  z.array(parameterValue).min(1).max(100).describe('candidates'),
  z.strictObject({ min: z.number(), max: z.number(), log: z.boolean().optional(), integer: z.boolean().optional() }).describe('a range'),
]);

const training = z
  .strictObject({
    featureView: objectName,
    label: columnName,
    features: z.array(featureName).max(1000).optional().describe("default: all of the view's features"),
    task: z.enum(['binary', 'regression']).optional(),
    algorithm: z.enum(['logreg', 'linear', 'gbdt', 'random_forest']),
    params: z.record(z.string().max(64), parameterValue).optional(),
    search: z
      .strictObject({
        parameters: z.record(z.string().max(64), parameterDomain),
        strategy: z.enum(['grid', 'random', 'halving']).optional(),
        maxTrials: z.number().int().min(1).max(1000).optional(),
        gridPoints: z.number().int().min(1).max(100).optional(),
      })
      .optional(),
    metric: z.enum(['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'rmse', 'mae', 'r2']).optional(),
    holdoutFraction: z.number().gt(0).lt(1).optional().describe('share of the most recent labelled rows held out'),
    seed: count.optional(),
    trainingWindow: duration.optional().describe('train only on data this recent'),
  })
  .describe('How the model is trained: what retraining submits, and what `flywheel train <model>` submits by default.');

const promotion = z.strictObject({
  autoPromote: z.boolean().optional(),
  alias: objectName.optional(),
  metric: z.string().max(64).optional(),
  minAbsoluteImprovement: z.number().min(0).optional(),
  minRelativeImprovement: z.number().min(0).optional(),
  minHoldoutRows: count.optional(),
  autoDeploy: z
    .boolean()
    .optional()
    .describe(
      'whether promoting the first version creates a deployment named after the model (default yes); deployments listed here follow the alias either way',
    ),
});

const retraining = z.strictObject({
  enabled: z.boolean().optional(),
  cooldown: duration.optional(),
  dailyBudget: int32.optional(),
  minNewRows: count.optional(),
  onDrift: z.boolean().optional(),
  onPerformanceDegraded: z.boolean().optional(),
});

export const DRIFT_TESTS = ['ks', 'chi_square', 'psi', 'wasserstein', 'jensen_shannon', 'z'] as const;

const monitoring = z.strictObject({
  windowSize: count.optional(),
  windowDuration: duration.optional(),
  minWindowSize: count.optional(),
  featureTests: z
    .array(z.strictObject({ feature: featureName, test: z.enum(DRIFT_TESTS), threshold: z.number().min(0).optional() }))
    .max(1000)
    .optional(),
  driftShareThreshold: share.optional(),
  correctForMultipleTests: z.boolean().optional(),
  maxAccuracyDrop: share.optional(),
  minLabelled: count.optional(),
});

const model = z
  .strictObject({
    name: objectName,
    description: description.optional(),
    tags: z.record(z.string().max(64), z.string().max(256)).optional(),
    training: training.optional(),
    promotion: promotion.optional().describe('which trained versions become the alias (production) and when'),
    retraining: retraining.optional().describe('when the monitor’s findings start a run of `training`'),
    monitoring: monitoring.optional().describe('how the monitor judges drift and live accuracy'),
  })
  .refine((m) => m.retraining?.enabled !== true || m.training !== undefined, {
    message: 'retraining.enabled needs the model’s training spec (training:)',
    path: ['retraining', 'enabled'],
  });

const canary = z.strictObject({
  trafficShare: share.optional(),
  minRequests: count.optional(),
  maxErrorRateIncrease: share.optional(),
  maxLatencyRatio: z.number().min(1).optional(),
  maxAccuracyDrop: share.optional(),
  minLabelled: count.optional(),
  maxDuration: duration.optional(),
});

const deployment = z
  .strictObject({
    name: objectName,
    model: objectName.optional().describe('default: the deployment name'),
    alias: objectName.optional().describe('follow this alias (default production)'),
    version: z.number().int().min(1).optional().describe('pin this version instead of following an alias'),
    canary: canary.optional(),
  })
  .refine((d) => d.alias === undefined || d.version === undefined, {
    message: 'a deployment follows an alias or pins a version, not both',
  });

export const projectSchema = z
  .strictObject({
    datasets: z.array(dataset).max(1000).optional(),
    featureViews: z.array(featureView).max(1000).optional(),
    models: z.array(model).max(1000).optional(),
    deployments: z.array(deployment).max(1000).optional(),
  })
  .describe('A Flywheel project: datasets, feature views, models and deployments, as `flywheel apply` makes them.');

export type Project = z.infer<typeof projectSchema>;
export type DatasetDefinition = z.infer<typeof dataset>;
export type FeatureViewDefinition = z.infer<typeof featureView>;
export type ModelDefinition = z.infer<typeof model>;
export type TrainingDefinition = z.infer<typeof training>;
export type DeploymentDefinition = z.infer<typeof deployment>;
