/**
 * The metrics a model can be judged by, as the trainer's spec names them, with the key
 * `evaluateModel` of @flywheel/ml reports them under and the direction that is better.
 */
interface MetricInfo {
  readonly evaluationKey: string;
  readonly higherIsBetter: boolean;
}

const METRICS: Readonly<Record<string, MetricInfo>> = {
  accuracy: { evaluationKey: 'accuracy', higherIsBetter: true },
  precision: { evaluationKey: 'precision', higherIsBetter: true },
  recall: { evaluationKey: 'recall', higherIsBetter: true },
  f1: { evaluationKey: 'f1', higherIsBetter: true },
  roc_auc: { evaluationKey: 'rocAuc', higherIsBetter: true },
  log_loss: { evaluationKey: 'logLoss', higherIsBetter: false },
  brier: { evaluationKey: 'brier', higherIsBetter: false },
  rmse: { evaluationKey: 'rmse', higherIsBetter: false },
  mae: { evaluationKey: 'mae', higherIsBetter: false },
  r2: { evaluationKey: 'r2', higherIsBetter: true },
};

export const METRIC_NAMES: readonly string[] = Object.keys(METRICS);

export function isKnownMetric(name: string): boolean {
  return Object.hasOwn(METRICS, name);
}

export function higherIsBetter(metric: string): boolean {
  return metricInfo(metric).higherIsBetter;
}

/** The metric's value in what `evaluateModel` returned (it spells some names in camelCase). */
export function metricValue(metric: string, evaluation: Readonly<Record<string, number>>): number | undefined {
  const value = evaluation[metricInfo(metric).evaluationKey] ?? evaluation[metric];
  return typeof value === 'number' ? value : undefined;
}

function metricInfo(metric: string): MetricInfo {
  const info = METRICS[metric];
  if (!info) throw new Error(`unknown metric "${metric}" (known: ${METRIC_NAMES.join(', ')})`);
  return info;
}
