import { Inject, Injectable } from '@nestjs/common';
import { commonV1, type featureStoreV1, type trainerV1 } from '@flywheel/contracts';
import { type FieldViolation, InvalidArgumentException, JsonLogger } from '@flywheel/platform';
import { FeatureStoreError, FeatureStorePort } from '../training/feature-store.port';

/**
 * A spec checked against the feature store before it is accepted (SubmitTraining, and a
 * retraining policy's spec): the view exists, has the features named, and its dataset has the
 * label with a type the task can learn. A mistake is the caller's INVALID_ARGUMENT naming their
 * own field (`spec.label`), not a run that fails later in the feature store's words. When the
 * feature store cannot be asked, the spec is accepted and the run checks it again.
 */
@Injectable()
export class SpecAdmission {
  constructor(
    @Inject(FeatureStorePort) private readonly featureStore: FeatureStorePort,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async check(spec: trainerV1.ModelSpec, root: string): Promise<void> {
    let view: featureStoreV1.FeatureView | undefined;
    try {
      view = await this.featureStore.getFeatureView(spec.featureView);
    } catch (error) {
      if (!(error instanceof FeatureStoreError) || error.invalidRequest) throw error;
      this.logger.entry('warn', 'spec accepted unchecked: the feature store did not answer', {
        featureView: spec.featureView,
        error: error.message,
      });
      return;
    }
    const violations = view
      ? specViolations(spec, view, root)
      : [{ field: `${root}.feature_view`, reason: `no feature view "${spec.featureView}"` }];
    if (violations.length > 0) throw new InvalidArgumentException(violations);
  }
}

const NUMERIC = new Set([commonV1.ColumnType.COLUMN_TYPE_DOUBLE, commonV1.ColumnType.COLUMN_TYPE_INTEGER]);

/** What the view shows to be wrong with the spec; the label is checked only where the dataset's columns are known. */
export function specViolations(spec: trainerV1.ModelSpec, view: featureStoreV1.FeatureView, root: string): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const features = new Set(view.features.map((f) => f.name));
  spec.features.forEach((feature, i) => {
    if (!features.has(feature) && feature !== spec.label)
      violations.push({ field: `${root}.features[${i}]`, reason: `feature view "${view.name}" has no feature "${feature}"` });
  });
  if (view.datasetColumns.length === 0) return violations;
  const label = view.datasetColumns.find((c) => c.name === spec.label);
  if (!label) {
    const names = view.datasetColumns.map((c) => c.name).join(', ');
    violations.push({
      field: `${root}.label`,
      reason: `dataset "${view.dataset}" of feature view "${view.name}" has no column "${spec.label}" (columns: ${names})`,
    });
  } else if (label.type === commonV1.ColumnType.COLUMN_TYPE_TIMESTAMP) {
    violations.push({ field: `${root}.label`, reason: `"${spec.label}" is a timestamp column, which no model predicts` });
  } else if (regression(spec) && !NUMERIC.has(label.type)) {
    violations.push({ field: `${root}.label`, reason: `regression needs a numeric label; "${spec.label}" is ${typeName(label.type)}` });
  }
  return violations;
}

function regression(spec: trainerV1.ModelSpec): boolean {
  return (
    spec.task === commonV1.ModelTask.MODEL_TASK_REGRESSION ||
    (spec.task === commonV1.ModelTask.MODEL_TASK_UNSPECIFIED && spec.algorithm === commonV1.Algorithm.ALGORITHM_LINEAR_REGRESSION)
  );
}

const typeName = (type: commonV1.ColumnType) => commonV1.ColumnType[type]?.replace('COLUMN_TYPE_', '').toLowerCase() ?? String(type);
