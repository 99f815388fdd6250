import {
  type deployerV1,
  type featureStoreV1,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import { formatPlan } from './plan-format';
import { definitionsOf, type LoadedProject, parseProjectText } from './project-file';
import { planIsApplicable, planProject, type ProjectPlan } from './project-plan';
import { type PlatformState } from './platform-state';

/**
 * The platform as its Get calls answer, kept in maps: Set and Create write what a service would
 * then answer (with the defaults a service fills in), so that a plan after an apply sees the
 * apply's result. Only the project logic is under test here; the services' own behaviour is the
 * project-apply e2e test's.
 */
class RecordedPlatform implements PlatformState {
  readonly datasets = new Map<string, ingestionV1.Dataset>();
  readonly views = new Map<string, featureStoreV1.FeatureView>();
  readonly models = new Map<string, registryV1.Model>();
  readonly promotion = new Map<string, registryV1.PromotionPolicy>();
  readonly retraining = new Map<string, trainerV1.RetrainingPolicy>();
  readonly monitoring = new Map<string, monitorV1.MonitoringPolicy>();
  readonly deployments = new Map<string, deployerV1.Deployment>();
  readonly writes: string[] = [];

  dataset = async (name: string) => this.datasets.get(name);
  featureView = async (name: string) => this.views.get(name);
  model = async (name: string) => this.models.get(name);
  promotionPolicy = async (model: string) =>
    this.models.has(model)
      ? (this.promotion.get(model) ?? {
          modelName: model,
          autoPromote: true,
          alias: 'production',
          metric: '',
          minAbsoluteImprovement: 0,
          minRelativeImprovement: 0.01,
          minHoldoutRows: 100,
        })
      : undefined;
  retrainingPolicy = async (model: string) =>
    this.retraining.get(model) ?? {
      modelName: model,
      enabled: false,
      cooldown: { seconds: 3600, nanos: 0 },
      dailyBudget: 3,
      minNewRows: 0,
      spec: undefined,
      onDrift: true,
      onPerformanceDegraded: true,
    };
  monitoringPolicy = async (model: string) =>
    this.monitoring.get(model) ?? {
      modelName: model,
      windowSize: 500,
      windowDuration: { seconds: 3600, nanos: 0 },
      minWindowSize: 100,
      featureTests: [],
      driftShareThreshold: 0.5,
      correctForMultipleTests: false,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
    };
  deployment = async (name: string) => this.deployments.get(name);

  async registerDataset(r: ingestionV1.RegisterDatasetRequest) {
    this.writes.push(`dataset ${r.name}`);
    // The service keeps its defaults in place of zeros.
    const commitPolicy = {
      maxRows: r.commitPolicy?.maxRows || 10_000,
      maxInterval: r.commitPolicy?.maxInterval ?? { seconds: 60, nanos: 0 },
    };
    this.datasets.set(r.name, { ...r, commitPolicy, ownerTeam: 'growth', createTime: new Date(), latestVersion: 0, ingestTopic: '' });
  }
  async applyFeatureView(r: featureStoreV1.ApplyFeatureViewRequest) {
    this.writes.push(`view ${r.name}`);
    const revision = (this.views.get(r.name)?.revision ?? 0) + 1;
    this.views.set(r.name, { ...r, revision, applyTime: new Date(), materialisedDatasetVersion: 0, datasetColumns: [] });
  }
  async createModel(r: registryV1.CreateModelRequest) {
    this.writes.push(`model ${r.name}`);
    this.models.set(r.name, { ...r, ownerTeam: 'growth', createTime: new Date(), aliases: {}, latestVersion: 0 });
  }
  async setPromotionPolicy(p: registryV1.PromotionPolicy) {
    this.writes.push(`promotion ${p.modelName}`);
    this.promotion.set(p.modelName, p);
  }
  async setRetrainingPolicy(p: trainerV1.RetrainingPolicy) {
    this.writes.push(`retraining ${p.modelName}`);
    this.retraining.set(p.modelName, p);
  }
  async setMonitoringPolicy(p: monitorV1.MonitoringPolicy) {
    this.writes.push(`monitoring ${p.modelName}`);
    this.monitoring.set(p.modelName, p);
  }
  async deploy(r: deployerV1.DeployRequest) {
    this.writes.push(`deployment ${r.name}`);
    const previous = this.deployments.get(r.name)?.canaryPolicy;
    const policy = { ...(previous ?? DEFAULT_CANARY) };
    for (const field of r.canaryPolicyFields) {
      const key = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof deployerV1.CanaryPolicy;
      (policy as Record<string, unknown>)[key] = r.canaryPolicy![key];
    }
    this.deployments.set(r.name, {
      name: r.name,
      modelName: r.modelName,
      alias: r.version !== undefined ? '' : (r.alias ?? 'production'),
      state: 1,
      stableVersion: r.version ?? 0,
      canaryVersion: 0,
      canaryTrafficShare: 0,
      canaryPolicy: policy,
      featureView: '',
      canaryStartTime: undefined,
      updateTime: new Date(),
    });
  }
}

const DEFAULT_CANARY: deployerV1.CanaryPolicy = {
  trafficShare: 0.1,
  minRequests: 200,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 1.5,
  maxAccuracyDrop: 0.02,
  minLabelled: 50,
  maxDuration: { seconds: 3600, nanos: 0 },
};

const CHURN = `
datasets:
  - name: churn
    contract:
      columns:
        - { name: customer_id, type: string, required: true }
        - { name: tenure, type: double, min: 0 }
        - { name: churned, type: boolean }
        - { name: event_time, type: timestamp }
      eventTimeColumn: event_time
    commitPolicy: { maxInterval: 5s }
featureViews:
  - name: churn_features
    dataset: churn
    entityKey: customer_id
    eventTimeColumn: event_time
    onlineTtl: 7d
    features:
      - { name: tenure, column: tenure, type: double }
      - { name: log_tenure, expression: "log1p(tenure)", type: double }
models:
  - name: churn
    description: Who leaves next month
    training:
      featureView: churn_features
      label: churned
      algorithm: gbdt
      task: binary
      search: { parameters: { learning_rate: [0.05, 0.1], max_depth: { min: 2, max: 6, integer: true } }, strategy: random }
    promotion: { minAbsoluteImprovement: 0.01, autoDeploy: false }
    retraining: { enabled: true, cooldown: 2h }
    monitoring: { windowSize: 200, featureTests: [{ feature: tenure, test: ks }] }
deployments:
  - name: churn
    canary: { trafficShare: 0.2, maxDuration: 30m }
`;

function project(text: string, file = 'project.yaml'): LoadedProject {
  const parsed = parseProjectText(file, text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('\n'));
  return { files: [file], ...definitionsOf(parsed) };
}

async function apply(plan: ProjectPlan, platform: PlatformState): Promise<void> {
  for (const object of plan.objects) await object.apply?.(platform);
}

const actions = (plan: ProjectPlan) => plan.objects.map((o) => `${o.action} ${o.kind} ${o.name}`);

describe('flywheel plan and apply: what a project changes', () => {
  it('creates everything on an empty platform, in dependency order, then finds nothing to change', async () => {
    const platform = new RecordedPlatform();
    const first = await planProject(project(CHURN), platform);
    expect(actions(first)).toEqual([
      'create dataset churn',
      'create feature view churn_features',
      'create model churn',
      'create training spec churn',
      'create promotion policy churn',
      'create retraining policy churn',
      'create monitoring policy churn',
      'create deployment churn',
    ]);
    expect(first.problems).toEqual([]);
    await apply(first, platform);
    expect(platform.writes).toEqual([
      'dataset churn',
      'view churn_features',
      'model churn',
      'retraining churn',
      'promotion churn',
      'retraining churn',
      'monitoring churn',
      'deployment churn',
    ]);
    const second = await planProject(project(CHURN), platform);
    expect(second.objects.every((o) => o.action === 'unchanged')).toBe(true);
    expect(formatPlan(second)).toBe('No changes: the platform matches the project (8 objects).\n');
  });

  it('writes the fields a project gives and keeps the platform’s values of the others', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    expect(platform.promotion.get('churn')).toMatchObject({
      autoPromote: true,
      minAbsoluteImprovement: 0.01,
      minRelativeImprovement: 0.01,
      autoDeploy: false,
    });
    expect(platform.retraining.get('churn')).toMatchObject({
      enabled: true,
      cooldown: { seconds: 7200, nanos: 0 },
      dailyBudget: 3,
      onDrift: true,
      spec: { featureView: 'churn_features', label: 'churned', algorithm: 3, task: 1 },
    });
    expect(platform.retraining.get('churn')!.spec!.searchSpace).toEqual({
      parameters: [
        { name: 'learning_rate', choices: { values: [{ numberValue: 0.05 }, { numberValue: 0.1 }] } },
        { name: 'max_depth', range: { min: 2, max: 6, logScale: false, integer: true } },
      ],
      strategy: 2,
      maxTrials: 0,
      gridPoints: 0,
    });
    expect(platform.deployments.get('churn')!.canaryPolicy).toEqual({
      ...DEFAULT_CANARY,
      trafficShare: 0.2,
      maxDuration: { seconds: 1800, nanos: 0 },
    });
    // The dataset's commit policy: the interval written, the service's default row count kept.
    expect(platform.datasets.get('churn')!.commitPolicy).toEqual({ maxRows: 10_000, maxInterval: { seconds: 5, nanos: 0 } });
  });

  it('shows each changed field with its old and new value, and applies only what changed', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    platform.writes.length = 0;
    const edited = CHURN.replace('onlineTtl: 7d', 'onlineTtl: 1d').replace('windowSize: 200', 'windowSize: 300');
    const plan = await planProject(project(edited), platform);
    expect(plan.objects.filter((o) => o.action !== 'unchanged').map((o) => [o.kind, o.changes])).toEqual([
      ['feature view', [{ field: 'onlineTtl', from: '7d', to: '1d' }]],
      ['monitoring policy', [{ field: 'windowSize', from: '200', to: '300' }]],
    ]);
    expect(formatPlan(plan)).toContain('~ change monitoring policy churn  (project.yaml:32:17)\n    windowSize: 200 → 300\n');
    await apply(plan, platform);
    expect(platform.writes).toEqual(['view churn_features', 'monitoring churn']);
    expect(platform.views.get('churn_features')!.revision).toBe(2);
  });

  it('compares a feature view whole: a feature or a TTL the project drops is a change', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    const dropped = CHURN.replace('    onlineTtl: 7d\n', '').replace(
      '      - { name: log_tenure, expression: "log1p(tenure)", type: double }\n',
      '',
    );
    const view = (await planProject(project(dropped), platform)).objects.find((o) => o.kind === 'feature view')!;
    expect(view.action).toBe('change');
    expect(view.changes).toEqual([
      { field: 'features', from: 'tenure, log_tenure', to: 'tenure' },
      { field: 'features[log_tenure].expression', from: '"log1p(tenure)"', to: undefined },
      { field: 'features[log_tenure].type', from: 'double', to: undefined },
      { field: 'onlineTtl', from: '7d', to: undefined },
    ]);
  });

  it('refuses a changed dataset contract, and a changed model description, before anything is applied', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    const edited = CHURN.replace('name: tenure, type: double', 'name: tenure, type: integer')
      .replace('Who leaves next month', 'Who leaves')
      .replace('onlineTtl: 7d', 'onlineTtl: 1d');
    const plan = await planProject(project(edited), platform);
    expect(planIsApplicable(plan)).toBe(false);
    const refused = plan.objects.filter((o) => o.action === 'refused');
    expect(refused.map((o) => [o.kind, o.changes, o.reason])).toEqual([
      [
        'dataset',
        [{ field: 'contract.columns[tenure].type', from: 'double', to: 'integer' }],
        expect.stringContaining('a registered dataset cannot change'),
      ],
      ['model', [{ field: 'description', from: '"Who leaves next month"', to: '"Who leaves"' }], expect.stringContaining('as created')],
    ]);
    expect(refused[0]!.apply).toBeUndefined();
  });

  it('claims a model registered from runs before anyone created it', async () => {
    const platform = new RecordedPlatform();
    platform.models.set('churn', {
      name: 'churn',
      description: '',
      tags: {},
      ownerTeam: '',
      createTime: new Date(),
      aliases: {},
      latestVersion: 2,
    });
    const model = (await planProject(project(CHURN), platform)).objects.find((o) => o.kind === 'model')!;
    expect([model.action, model.changes]).toEqual(['change', [{ field: 'description', from: undefined, to: '"Who leaves next month"' }]]);
  });

  it('refuses to move a deployment to another model', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    const other = `${CHURN.replace('  - name: churn\n    canary', '  - name: churn\n    model: fraud\n    canary')}`;
    const plan = await planProject(
      project(other.replace(/models:[\s\S]*deployments:/, 'models:\n  - name: fraud\ndeployments:')),
      platform,
    );
    const deployment = plan.objects.find((o) => o.kind === 'deployment')!;
    expect([deployment.action, deployment.changes]).toEqual(['refused', [{ field: 'model', from: 'churn', to: 'fraud' }]]);
  });

  it('names every reference that neither the project nor the platform has, with its place', async () => {
    const broken = CHURN.replace('dataset: churn', 'dataset: chrun').replace(
      '  - name: churn\n    canary',
      '  - name: churn\n    model: fraud\n    canary',
    );
    const plan = await planProject(project(broken), new RecordedPlatform());
    expect(plan.problems).toEqual([
      'project.yaml:14:14: feature view "churn_features": dataset "chrun" is neither in the project nor registered',
      'project.yaml:35:12: deployment "churn": model "fraud" is neither in the project nor registered',
    ]);
    expect(planIsApplicable(plan)).toBe(false);
  });

  it('checks columns, features and the label against the dataset the view reads', async () => {
    const broken = CHURN.replace('entityKey: customer_id', 'entityKey: customer')
      .replace('label: churned', 'label: tenure')
      .replace('task: binary', 'task: binary\n      features: [tenure, age]')
      .replace('{ name: tenure, column: tenure, type: double }', '{ name: tenure, column: tenur, type: double }');
    const plan = await planProject(project(broken), new RecordedPlatform());
    expect(plan.problems).toEqual([
      'project.yaml:15:16: feature view "churn_features": entityKey: dataset "churn" has no column "customer"',
      'project.yaml:19:7: feature view "churn_features": features[tenure].column: dataset "churn" has no column "tenur"',
      'project.yaml:25:7: model "churn": training.features: view "churn_features" has no feature "age"',
    ]);
    const regression = CHURN.replace('task: binary', 'task: regression');
    expect((await planProject(project(regression), new RecordedPlatform())).problems).toEqual([
      'project.yaml:25:7: model "churn": training.label: a boolean label cannot train a regression',
    ]);
  });

  it('checks references against what the platform has when the project does not define them', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    const onlyModel = CHURN.slice(CHURN.indexOf('models:'));
    expect((await planProject(project(onlyModel), platform)).problems).toEqual([]);
    const wrongLabel = onlyModel.replace('label: churned', 'label: churn');
    expect((await planProject(project(wrongLabel), platform)).problems).toEqual([
      'project.yaml:5:7: model "churn": training.label: dataset "churn" has no column "churn"',
    ]);
  });
});
