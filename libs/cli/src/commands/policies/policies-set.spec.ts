import { EXIT_USAGE, runCli } from '../../cli';
import { NotDoneError, UsageError } from '../../errors';
import { applyPlan } from '../../project/project-apply';
import { ProjectError } from '../../project/project-file';
import { planProject } from '../../project/project-plan';
import { CHURN, projectFromText } from '../../project/testing/project-from-text';
import { RecordedPlatform } from '../../project/testing/recorded-platform';
import { flywheel } from '..';
import { parseSettings, setPolicies, settingsProject } from './policies-set';

/** A platform with `text` applied; by default CHURN, a model with a training spec and all three policies. */
async function platformWith(text = CHURN): Promise<RecordedPlatform> {
  const platform = new RecordedPlatform();
  await applyPlan(await planProject(projectFromText(text), platform), platform);
  platform.writes.length = 0;
  return platform;
}

function problemsOf(work: () => unknown): Promise<readonly string[]> {
  return Promise.resolve()
    .then(work)
    .then(
      () => {
        throw new Error('expected problems');
      },
      (error: unknown) => {
        if (!(error instanceof ProjectError)) throw error;
        return error.problems;
      },
    );
}

const projectProblems = (platform: RecordedPlatform, sets: string[]) =>
  problemsOf(() => settingsProject('churn', parseSettings(sets), platform));

async function set(platform: RecordedPlatform, sets: string[], options = { dryRun: false, json: false }) {
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
  await setPolicies('churn', parseSettings(sets), platform, options, io);
  return { out, err };
}

describe('policies set: --set flags read as a project', () => {
  it('reads each value as YAML reads it in a project file', () => {
    const settings = parseSettings([
      'promotion.minAbsoluteImprovement=0.01',
      'retraining.enabled=false',
      'retraining.cooldown=1h',
      'training.features=[amount, tenure]',
      'monitoring.featureTests[tenure].test=psi',
      'promotion.metric=a=b',
    ]);
    expect(settings.map((s) => [s.flag, s.section, s.path, s.value])).toEqual([
      ['--set promotion.minAbsoluteImprovement', 'promotion', ['minAbsoluteImprovement'], 0.01],
      ['--set retraining.enabled', 'retraining', ['enabled'], false],
      ['--set retraining.cooldown', 'retraining', ['cooldown'], '1h'],
      ['--set training.features', 'training', ['features'], ['amount', 'tenure']],
      ['--set monitoring.featureTests[tenure].test', 'monitoring', ['featureTests', { key: 'tenure', keyField: 'feature' }, 'test'], 'psi'],
      ['--set promotion.metric', 'promotion', ['metric'], 'a=b'],
    ]);
  });

  it('names every malformed --set at once', async () => {
    const problems = await problemsOf(() =>
      parseSettings([
        'promotion.metric',
        'promotions.metric=f1',
        'promotion=f1',
        'retraining.cooldown=',
        'monitoring.windowSize=[1',
        'training.features[amount]=x',
        'promotion..metric=f1',
        'retraining.dailyBudget=1',
        'retraining.dailyBudget=2',
        'training.search.strategy=grid',
        'training.search={strategy: random}',
      ]),
    );
    expect(problems).toEqual([
      '--set promotion.metric: expected <section>.<field>=<value>, e.g. promotion.metric=f1',
      '--set promotions.metric: unknown section "promotions"; the sections are training, promotion, retraining, monitoring',
      '--set promotion: name a field of the section, promotion.<field>=<value>',
      '--set retraining.cooldown: no value after "="',
      '--set monitoring.windowSize: Flow sequence must end with a ]',
      '--set training.features[amount]: training.features is not a list of named entries',
      '--set promotion..metric: expected <section>.<field>, with dots between nested fields',
      '--set retraining.dailyBudget: given twice',
      '--set training.search: overlaps --set training.search.strategy',
    ]);
  });

  it('names the --set behind each problem the project schema finds', async () => {
    const platform = await platformWith();
    const problems = await projectProblems(platform, [
      'promotion.metrc=f1',
      'promotion.minHoldoutRows=many',
      'retraining.cooldown=soon',
      'monitoring.featureTests[tenure].test=t',
      'monitoring.features=[amount, tenure]',
      'training.metric.name=f1',
    ]);
    expect(problems).toEqual([
      '--set training.metric.name: training.metric: Invalid option: expected one of "accuracy"|"precision"|"recall"|"f1"|"roc_auc"|"log_loss"|"rmse"|"mae"|"r2"',
      '--set promotion.minHoldoutRows: Invalid input: expected number, received string',
      '--set promotion.metrc: unknown field',
      '--set retraining.cooldown: a duration is whole seconds or units such as 90s, 30m, 2h, 7d, 1h30m',
      '--set monitoring.featureTests[tenure].test: Invalid option: expected one of "ks"|"chi_square"|"psi"|"wasserstein"|"jensen_shannon"|"z"',
      '--set monitoring.features: unknown field',
    ]);
  });

  it('asks for the training fields a model without a training spec lacks', async () => {
    const platform = await platformWith('models: [{ name: churn }]');
    const problems = await projectProblems(platform, ['training.label=churned']);
    expect(problems).toEqual([
      'training.featureView: required; give it with --set training.featureView=<value>',
      'training.algorithm: required; give it with --set training.algorithm=<value>',
    ]);
    const enabling = await projectProblems(platform, ['retraining.enabled=true']);
    expect(enabling).toEqual(['--set retraining.enabled: retraining.enabled needs the model’s training spec (training:)']);
  });

  it('refuses a model the registry does not know instead of creating it', async () => {
    const platform = new RecordedPlatform();
    await expect(settingsProject('fraud', parseSettings(['promotion.metric=f1']), platform)).rejects.toThrow(
      new UsageError('model "fraud" is not registered; create it with flywheel apply'),
    );
    expect(platform.writes).toEqual([]);
  });

  it('rejects a malformed --set with exit 2 before reaching any service', async () => {
    let err = '';
    const io = { stdout: () => undefined, stderr: (t: string) => void (err += t) };
    const code = await runCli(flywheel, ['policies', 'set', 'churn', '--set', 'promotion.metric', '--set', 'x.y=1'], io);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toBe(
      '--set promotion.metric: expected <section>.<field>=<value>, e.g. promotion.metric=f1\n' +
        '--set x.y: unknown section "x"; the sections are training, promotion, retraining, monitoring\n' +
        'flywheel: policies set: 2 problems in the --set values, each on a line above\n',
    );
  });
});

describe('policies set: planned and applied as flywheel apply does', () => {
  it('changes only the fields set and keeps the platform’s values of the others', async () => {
    const platform = await platformWith();
    const before = { ...platform.promotion.get('churn')! };
    const { out, err } = await set(platform, [
      'promotion.minRelativeImprovement=0.05',
      'retraining.enabled=false',
      'monitoring.featureTests[tenure].threshold=0.1',
    ]);
    expect(out).toBe(
      [
        '~ change promotion policy churn  (--set promotion.minRelativeImprovement)',
        '    minRelativeImprovement: 0.01 → 0.05',
        '~ change retraining policy churn  (--set retraining.enabled)',
        '    enabled: true → false',
        '~ change monitoring policy churn  (--set monitoring.featureTests[tenure].threshold)',
        '    featureTests[tenure].threshold: 0 → 0.1',
        'Plan: 0 to create, 3 to change, 0 unchanged.',
        'Applied: 3 objects.',
        '',
      ].join('\n'),
    );
    expect(err).toBe('changed promotion policy churn\nchanged retraining policy churn\nchanged monitoring policy churn\n');
    expect(platform.writes).toEqual(['promotion churn', 'retraining churn', 'monitoring churn']);
    expect(platform.promotion.get('churn')).toEqual({ ...before, minRelativeImprovement: 0.05 });
    expect(platform.retraining.get('churn')).toMatchObject({ enabled: false, cooldown: { seconds: 7200, nanos: 0 }, dailyBudget: 3 });
    expect(platform.retraining.get('churn')!.spec).toMatchObject({ featureView: 'churn_features', label: 'churned' });
    expect(platform.monitoring.get('churn')).toMatchObject({
      windowSize: 200,
      featureTests: [{ feature: 'tenure', test: 1, threshold: 0.1 }],
    });
  });

  it('changes one field of the training spec and keeps the applied spec’s others', async () => {
    const platform = await platformWith();
    const spec = platform.retraining.get('churn')!.spec!;
    const { out } = await set(platform, ['training.seed=7']);
    expect(out).toContain('~ change training spec churn  (--set training.seed)\n    seed: (unset) → 7\n');
    expect(platform.retraining.get('churn')!.spec).toEqual({ ...spec, seed: 7, metric: 'accuracy' });
  });

  it('enables retraining with the applied training spec', async () => {
    const platform = await platformWith();
    await set(platform, ['retraining.enabled=false']);
    platform.writes.length = 0;
    await set(platform, ['retraining.enabled=true']);
    expect(platform.writes).toEqual(['retraining churn']);
    expect(platform.retraining.get('churn')).toMatchObject({ enabled: true, spec: { label: 'churned' } });
  });

  it('shows the plan and writes nothing with --dry-run; says so when nothing differs', async () => {
    const platform = await platformWith();
    const dry = await set(platform, ['promotion.autoDeploy=true'], { dryRun: true, json: false });
    expect(dry.out).toBe(
      '~ change promotion policy churn  (--set promotion.autoDeploy)\n    autoDeploy: false → true\nPlan: 0 to create, 1 to change, 0 unchanged.\n',
    );
    expect(platform.writes).toEqual([]);
    const same = await set(platform, ['promotion.autoDeploy=false']);
    expect(same.out).toBe('No changes: the platform matches the project (1 objects).\n');
    expect(platform.writes).toEqual([]);
  });

  it('prints one JSON document of the plan and what was applied under --json', async () => {
    const platform = await platformWith();
    const { out } = await set(platform, ['monitoring.windowSize=300'], { dryRun: false, json: true });
    expect(JSON.parse(out)).toEqual({
      objects: [
        {
          kind: 'monitoring policy',
          name: 'churn',
          source: '--set monitoring.windowSize',
          action: 'change',
          changes: [{ field: 'windowSize', from: '200', to: '300' }],
        },
      ],
      problems: [],
      applied: ['monitoring policy churn'],
      failed: null,
      notApplied: [],
    });
  });

  it('names the reference the platform cannot satisfy by its --set', async () => {
    const platform = await platformWith();
    await expect(set(platform, ['training.label=churn'])).rejects.toThrow(
      new UsageError('nothing applied: --set training.label: model "churn": training.label: dataset "churn" has no column "churn"'),
    );
    expect(platform.writes).toEqual([]);
  });

  it('reports a write that fails part way as not done', async () => {
    const platform = await platformWith();
    platform.failWrite(2);
    const error = await set(platform, ['promotion.metric=f1', 'retraining.dailyBudget=5']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotDoneError);
    expect((error as Error).message).toBe(
      'retraining policy churn failed: retraining churn: service unavailable; applied: promotion policy churn; not applied: retraining policy churn',
    );
    expect(platform.promotion.get('churn')!.metric).toBe('f1');
    expect(platform.retraining.get('churn')!.dailyBudget).toBe(3);
  });
});
