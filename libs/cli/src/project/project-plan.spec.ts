import { formatPlan } from './plan-format';
import { planIsApplicable, planProject, type ProjectPlan } from './project-plan';
import { applyPlan as apply } from './project-apply';
import { CHURN, projectFromText as project } from './testing/project-from-text';
import { DEFAULT_CANARY, RecordedPlatform } from './testing/recorded-platform';

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
    const judged: string[] = [];
    platform.refuseDatasetUpdate = (request) => {
      judged.push(`${request.name} validateOnly=${request.validateOnly}`);
      return 'dataset "churn": contract.columns[1].type: column "tenure" cannot change type (is COLUMN_TYPE_DOUBLE)';
    };
    const plan = await planProject(project(edited), platform);
    expect(planIsApplicable(plan)).toBe(false);
    // The ingestion service's own rules judge the change; the plan only asks.
    expect(judged).toEqual(['churn validateOnly=false']);
    const refused = plan.objects.filter((o) => o.action === 'refused');
    expect(refused.map((o) => [o.kind, o.changes, o.reason])).toEqual([
      [
        'dataset',
        [{ field: 'contract.columns[tenure].type', from: 'double', to: 'integer' }],
        expect.stringContaining('cannot change type'),
      ],
      ['model', [{ field: 'description', from: '"Who leaves next month"', to: '"Who leaves"' }], expect.stringContaining('as created')],
    ]);
    expect(refused[0]!.apply).toBeUndefined();
  });

  it('relaxes a registered contract in place: the update carries what the project writes and the platform’s values of the rest', async () => {
    const platform = new RecordedPlatform();
    await apply(await planProject(project(CHURN), platform), platform);
    platform.datasets.get('churn')!.description = 'kept by the platform';
    const relaxed = CHURN.replace('{ name: tenure, type: double, min: 0 }', '{ name: tenure, type: double, min: -1 }').replace(
      '        - { name: event_time, type: timestamp }\n',
      '        - { name: event_time, type: timestamp }\n        - { name: region, type: string }\n',
    );
    const plan = await planProject(project(relaxed), platform);
    const dataset = plan.objects.find((o) => o.kind === 'dataset')!;
    expect([dataset.action, dataset.changes]).toEqual([
      'change',
      [
        {
          field: 'contract.columns',
          from: 'customer_id, tenure, churned, event_time',
          to: 'customer_id, tenure, churned, event_time, region',
        },
        { field: 'contract.columns[tenure].min', from: '0', to: '-1' },
        { field: 'contract.columns[region].type', from: undefined, to: 'string' },
      ],
    ]);
    platform.writes.length = 0;
    await apply(plan, platform);
    expect(platform.writes).toEqual(['dataset churn']);
    const updated = platform.datasets.get('churn')!;
    expect(updated.description).toBe('kept by the platform');
    expect(updated.commitPolicy).toEqual({ maxRows: 10_000, maxInterval: { seconds: 5, nanos: 0 } });
    expect(updated.contract!.columns.map((c) => c.name)).toEqual(['customer_id', 'tenure', 'churned', 'event_time', 'region']);
    expect((await planProject(project(relaxed), platform)).objects.find((o) => o.kind === 'dataset')!.action).toBe('unchanged');
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
