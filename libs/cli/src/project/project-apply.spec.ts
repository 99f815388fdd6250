import { EXIT_NOT_DONE, runCli } from '../cli';
import { type CommandGroup } from '../command';
import { NotDoneError } from '../errors';
import { applyPlan, PartlyAppliedError } from './project-apply';
import { planProject } from './project-plan';
import { applyShownPlan } from './project.commands';
import { projectFromText } from './testing/project-from-text';
import { RecordedPlatform } from './testing/recorded-platform';

const SMALL = `
datasets:
  - name: churn
    contract:
      columns:
        - { name: customer_id, type: string }
        - { name: tenure, type: double }
        - { name: event_time, type: timestamp }
featureViews:
  - name: churn_features
    dataset: churn
    entityKey: customer_id
    eventTimeColumn: event_time
    features: [{ name: tenure, column: tenure, type: double }]
models:
  - name: churn
    promotion: { minAbsoluteImprovement: 0.02 }
`;

const planSmall = (platform: RecordedPlatform) => planProject(projectFromText(SMALL), platform);

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected the apply to fail');
    },
    (error: unknown) => error,
  );
}

describe('applyPlan', () => {
  it('applies every create and change in the plan’s order', async () => {
    const platform = new RecordedPlatform();
    const seen: string[] = [];
    const { applied } = await applyPlan(await planSmall(platform), platform, {
      onApplied: (label, action) => seen.push(`${action} ${label}`),
    });
    const all = ['dataset churn', 'feature view churn_features', 'model churn', 'promotion policy churn'];
    expect(applied).toEqual(all);
    expect(seen).toEqual(all.map((label) => `create ${label}`));
    expect(platform.writes).toEqual(['dataset churn', 'view churn_features', 'model churn', 'promotion churn']);
  });

  it('stops at the first failure, keeps what came before and names both sides', async () => {
    const platform = new RecordedPlatform();
    platform.failWrite(2);
    const error = await failure(applyPlan(await planSmall(platform), platform));

    expect([...platform.datasets.keys()]).toEqual(['churn']);
    expect(platform.views.size).toBe(0);
    expect(platform.models.size).toBe(0);
    expect(platform.promotion.size).toBe(0);
    expect(error).toBeInstanceOf(NotDoneError);
    expect(error).toBeInstanceOf(PartlyAppliedError);
    expect(error).toMatchObject({
      applied: ['dataset churn'],
      failed: 'feature view churn_features',
      notApplied: ['model churn', 'promotion policy churn'],
      message:
        'feature view churn_features failed: view churn_features: service unavailable; applied: dataset churn; ' +
        'not applied: feature view churn_features, model churn, promotion policy churn',
    });
  });

  it('says “applied: nothing” when the first object fails', async () => {
    const platform = new RecordedPlatform();
    platform.failWrite(1);
    const error = await failure(applyPlan(await planSmall(platform), platform));
    expect((error as Error).message).toContain('; applied: nothing; not applied: dataset churn, feature view churn_features');
  });
});

describe('flywheel apply failing part way', () => {
  const applying = (platform: RecordedPlatform): CommandGroup => ({
    kind: 'group',
    name: 'flywheel',
    summary: 'The tool.',
    children: [
      {
        kind: 'command',
        name: 'apply',
        summary: 'Applies the small project.',
        usage: '[--json]',
        options: { json: { type: 'boolean', description: 'print one JSON document' } },
        run: async (options, io) => applyShownPlan(await planSmall(platform), platform, options.flag('json'), io),
      },
    ],
  });

  async function run(platform: RecordedPlatform, ...argv: string[]) {
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    const code = await runCli(applying(platform), ['apply', ...argv], io);
    return { code, out, err };
  }

  it('exits 3 after saying what was applied and what was not', async () => {
    const platform = new RecordedPlatform();
    platform.failWrite(2);
    const { code, out, err } = await run(platform);
    expect(code).toBe(EXIT_NOT_DONE);
    expect(out).toContain('+ create feature view churn_features');
    expect(out).not.toContain('Applied:');
    expect(err).toBe(
      'created dataset churn\n' +
        'flywheel: apply: feature view churn_features failed: view churn_features: service unavailable; applied: dataset churn; ' +
        'not applied: feature view churn_features, model churn, promotion policy churn\n',
    );
  });

  it('prints one JSON document with the applied, failed and not applied objects under --json', async () => {
    const platform = new RecordedPlatform();
    platform.failWrite(3);
    const { code, out } = await run(platform, '--json');
    expect(code).toBe(EXIT_NOT_DONE);
    expect(JSON.parse(out)).toMatchObject({
      applied: ['dataset churn', 'feature view churn_features'],
      failed: 'model churn',
      notApplied: ['promotion policy churn'],
    });
  });

  it('applies everything and counts it when nothing fails', async () => {
    const { code, out, err } = await run(new RecordedPlatform());
    expect(code).toBe(0);
    expect(out).toMatch(/Applied: 4 objects\.\n$/);
    expect(err).toBe('created dataset churn\ncreated feature view churn_features\ncreated model churn\ncreated promotion policy churn\n');
  });
});
