import { commonV1, featureStoreV1, trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException, JsonLogger } from '@flywheel/platform';
import { FeatureStoreError, FeatureStorePort } from '../training/feature-store.port';
import { SpecAdmission } from './spec-admission';

const { COLUMN_TYPE_STRING, COLUMN_TYPE_DOUBLE, COLUMN_TYPE_BOOLEAN, COLUMN_TYPE_TIMESTAMP } = commonV1.ColumnType;

const VIEW = featureStoreV1.FeatureView.fromPartial({
  name: 'churn-features',
  dataset: 'churn',
  features: [
    { name: 'tenure', column: 'tenure' },
    { name: 'log_spend', expression: 'log1p(spend)' },
  ],
  datasetColumns: [
    { name: 'customer_id', type: COLUMN_TYPE_STRING },
    { name: 'tenure', type: COLUMN_TYPE_DOUBLE },
    { name: 'churned', type: COLUMN_TYPE_BOOLEAN },
    { name: 'event_time', type: COLUMN_TYPE_TIMESTAMP },
  ],
});

class OneView extends FeatureStorePort {
  constructor(private readonly answer: featureStoreV1.FeatureView | undefined | Error) {
    super();
  }
  getHistoricalFeatures(): never {
    throw new Error('not used');
  }
  async getFeatureView(name: string) {
    if (this.answer instanceof Error) throw this.answer;
    return this.answer?.name === name ? this.answer : undefined;
  }
}

const silent = new JsonLogger({ service: 'trainer', level: 'fatal', write: () => undefined });
const spec = (partial: Partial<trainerV1.ModelSpec>) =>
  trainerV1.ModelSpec.fromPartial({ modelName: 'churn', featureView: 'churn-features', label: 'churned', algorithm: 1, ...partial });

async function violations(admission: SpecAdmission, checked: trainerV1.ModelSpec, root = 'spec'): Promise<string[]> {
  try {
    await admission.check(checked, root);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidArgumentException)) throw error;
    return error.violations.map((v) => `${v.field}: ${v.reason}`);
  }
}

describe('a spec checked against the feature store at the door', () => {
  const admission = new SpecAdmission(new OneView(VIEW), silent);

  it('accepts a spec the view and its dataset can train', async () => {
    expect(await violations(admission, spec({ features: ['tenure'] }))).toEqual([]);
    expect(await violations(admission, spec({ label: 'tenure', algorithm: 2 }))).toEqual([]);
  });

  it('names the view, features and label the caller got wrong, under the root it is given', async () => {
    expect(await violations(admission, spec({ featureView: 'churn-featurs' }), 'policy.spec')).toEqual([
      'policy.spec.feature_view: no feature view "churn-featurs"',
    ]);
    expect(await violations(admission, spec({ label: 'chruned', features: ['tenure', 'age'] }))).toEqual([
      'spec.features[1]: feature view "churn-features" has no feature "age"',
      'spec.label: dataset "churn" of feature view "churn-features" has no column "chruned" (columns: customer_id, tenure, churned, event_time)',
    ]);
    expect(await violations(admission, spec({ algorithm: 2 }))).toEqual([
      'spec.label: regression needs a numeric label; "churned" is boolean',
    ]);
    expect(await violations(admission, spec({ algorithm: 3, task: 2, label: 'customer_id' }))).toEqual([
      'spec.label: regression needs a numeric label; "customer_id" is string',
    ]);
    expect(await violations(admission, spec({ label: 'event_time' }))).toEqual([
      'spec.label: "event_time" is a timestamp column, which no model predicts',
    ]);
  });

  it('checks no label against a dataset whose columns the feature store does not know', async () => {
    const unknown = new SpecAdmission(new OneView({ ...VIEW, datasetColumns: [] }), silent);
    expect(await violations(unknown, spec({ label: 'anything' }))).toEqual([]);
  });

  it('accepts the spec unchecked when the feature store cannot be asked, and passes on what it refused', async () => {
    const down = new SpecAdmission(new OneView(new FeatureStoreError('feature store: UNAVAILABLE: connect ECONNREFUSED', false)), silent);
    expect(await violations(down, spec({ label: 'chruned' }))).toEqual([]);
    const refusing = new SpecAdmission(
      new OneView(new FeatureStoreError('feature store: INVALID_ARGUMENT: name: must match', true)),
      silent,
    );
    await expect(refusing.check(spec({}), 'spec')).rejects.toThrow('feature store: INVALID_ARGUMENT: name: must match');
  });
});
