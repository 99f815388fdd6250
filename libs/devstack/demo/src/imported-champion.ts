import { importModelVersionRequests, type registryV1 } from '@flywheel/contracts';
import { categoricalColumn, fitModel, makeTable, numericColumn, type Table, tableToCsv } from '@flywheel/ml';
import { exportModel } from '@flywheel/onnx';
import { type GrpcClient } from '@flywheel/platform';
import { type Claim, claimFeatures, ClaimsGenerator } from './claims-generator';
import { DATASET, FEATURE_VIEW, MODEL } from './scenario-options';

// v1 trained outside Flywheel: fitted in this process, written as an ONNX graph, and imported.

/** The label column, as the dataset and the trainer's spec name it. */
export const LABEL = 'is_fraud';
/** The feature view's features (see `registerClaimsData`): the graph's inputs, one per feature. */
export const FEATURES = ['amount', 'log_amount', 'claimant_age', 'policy_tenure_months', 'prior_claims', 'channel', 'region'];
/** Unshifted claims the imported version is scored on; their profile becomes its drift reference. */
export const IMPORT_HOLDOUT_CLAIMS = 1000;

/** What was sent to the registry, and its answer. */
export interface ImportedChampion {
  response: registryV1.ImportModelVersionResponse;
  trainingRows: number;
  holdoutRows: number;
  onnxBytes: number;
}

/** Claims as the feature view serves them, with their label: a training set or a holdout. */
export function claimsTable(claims: readonly Claim[]): Table {
  const rows = claims.map((c): Record<string, number | string> => ({ ...claimFeatures(c), [LABEL]: c.is_fraud }));
  return makeTable(
    [...FEATURES, LABEL].map((name) => {
      const values = rows.map((r) => r[name]!);
      return typeof values[0] === 'string' ? categoricalColumn(name, values as string[]) : numericColumn(name, values as number[]);
    }),
  );
}

/**
 * v1 as a team that trains elsewhere would bring it: a logistic regression fitted here on
 * `training` (the claims the first run would train on), exported as ONNX with `exportModel`, and
 * imported with `ImportModelVersion` with a holdout of further claims of the same (unshifted)
 * world, generated with a seed of their own so that the live traffic is the default run's.
 */
export async function importChampion(
  registry: GrpcClient<registryV1.RegistryServiceController>,
  training: readonly Claim[],
  seed: number,
): Promise<ImportedChampion> {
  const artifact = fitModel({
    table: claimsTable(training),
    label: LABEL,
    algo: 'logreg',
    params: { C: 10 },
    features: FEATURES,
    seed,
  });
  const onnx = exportModel(artifact, { modelName: MODEL });
  const elsewhere = new ClaimsGenerator(seed + 1_000_003);
  const start = Date.now() - 7_200_000;
  const holdoutClaims = Array.from({ length: IMPORT_HOLDOUT_CLAIMS }, (_, i) => elsewhere.next('before', new Date(start + i * 1000)));
  const holdout = Buffer.from(tableToCsv(claimsTable(holdoutClaims)), 'utf8');
  const response = await registry.sendStream<registryV1.ImportModelVersionRequest, registryV1.ImportModelVersionResponse>(
    'importModelVersion',
    importModelVersionRequests(
      { modelName: MODEL, features: FEATURES, label: LABEL, metric: 'accuracy', featureView: FEATURE_VIEW, dataset: DATASET },
      onnx,
      holdout,
    ),
  );
  return { response, trainingRows: training.length, holdoutRows: holdoutClaims.length, onnxBytes: onnx.length };
}
