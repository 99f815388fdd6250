import { InvalidArgumentException, isStringCursor, readPage } from '@flywheel/platform';
import { newDeployment } from '../rollout/rollout-transitions';
import { FakeDeploymentRepository } from '../testing/fakes';
import { deployerV1 } from '@flywheel/contracts';
import { parseGetDeployment, parseListDeploymentChanges, parseRollback, parseRolloutStatus } from './deployer-requests';
import { DeploymentQueryService } from './deployment-query.service';

function rejection(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentException);
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
}

describe('deployer requests', () => {
  it('read a rollback, naming every bad field as the .proto spells it', () => {
    expect(parseRollback({ deployment: 'fraud', toVersion: 0, reason: 'bad dashboard' })).toEqual({
      deployment: 'fraud',
      toVersion: 0,
      reason: 'bad dashboard',
    });
    expect(rejection(() => parseRollback({ deployment: 'Fraud!', toVersion: -1, reason: 'x'.repeat(1001) }))).toBe(
      'deployment: must match ^[a-z][a-z0-9_-]{0,62}$; to_version: must be 0 or a version number; reason: must be at most 1000 characters',
    );
  });

  it('check the deployment a read names', () => {
    expect(parseGetDeployment({ name: 'fraud' })).toBe('fraud');
    expect(rejection(() => parseGetDeployment({ name: '' }))).toBe('name: must match ^[a-z][a-z0-9_-]{0,62}$');
    expect(parseRolloutStatus({ deployment: 'fraud' })).toBe('fraud');
    expect(rejection(() => parseRolloutStatus({ deployment: 'a b' }))).toBe('deployment: must match ^[a-z][a-z0-9_-]{0,62}$');
  });
});

describe('ListDeploymentChanges requests', () => {
  it('take a deployment, a model or both, and want at least one', () => {
    expect(parseListDeploymentChanges({ deployment: 'fraud', modelName: '', page: undefined })).toEqual({
      filter: { deployment: 'fraud' },
      page: { size: 50, after: undefined },
    });
    expect(parseListDeploymentChanges({ deployment: '', modelName: 'Fraud Model', page: { pageSize: 5000, pageToken: '' } })).toEqual({
      filter: { modelName: 'Fraud Model' },
      page: { size: 1000, after: undefined },
    });
    expect(parseListDeploymentChanges({ deployment: 'fraud', modelName: 'fraud', page: undefined }).filter).toEqual({
      deployment: 'fraud',
      modelName: 'fraud',
    });
    expect(rejection(() => parseListDeploymentChanges({ deployment: '', modelName: '', page: undefined }))).toBe(
      'deployment: is required unless model_name is given',
    );
    expect(rejection(() => parseListDeploymentChanges({ deployment: 'A b', modelName: 'x'.repeat(201), page: undefined }))).toBe(
      'deployment: must match ^[a-z][a-z0-9_-]{0,62}$; model_name: must be at most 200 characters',
    );
  });

  it('refuse a page size below 0 and a token this list did not issue', () => {
    expect(rejection(() => parseListDeploymentChanges({ deployment: 'fraud', modelName: '', page: { pageSize: -1, pageToken: '' } }))).toBe(
      'page.page_size: must be 0 (the default) or more',
    );
    const foreign = Buffer.from(JSON.stringify({ after: 'fraud' })).toString('base64url');
    expect(
      rejection(() => parseListDeploymentChanges({ deployment: 'fraud', modelName: '', page: { pageSize: 0, pageToken: foreign } })),
    ).toBe('page.page_token: is not a token from a previous page of this list');
  });
});

describe('DeploymentQueryService', () => {
  it('lists deployments by name, one page at a time', async () => {
    const repository = new FakeDeploymentRepository();
    const policy = {
      trafficShare: 0.1,
      minRequests: 1,
      maxErrorRateIncrease: 0,
      maxLatencyRatio: 1.5,
      maxAccuracyDrop: 0,
      minLabelled: 1,
      maxDurationMs: 1000,
    };
    for (const name of ['c', 'a', 'b']) await repository.insert(newDeployment(name, name, 'production', policy, new Date(0)));
    const queries = new DeploymentQueryService(repository);
    const first = await queries.list(readPage({ pageSize: 2 }, isStringCursor));
    expect(first.items.map((d) => d.name)).toEqual(['a', 'b']);
    const second = await queries.list(readPage({ pageSize: 2, pageToken: first.page.nextPageToken }, isStringCursor));
    expect(second.items.map((d) => d.name)).toEqual(['c']);
    expect(second.page.nextPageToken).toBe('');
  });

  it('lists changes newest first, of a deployment or of a model, one page at a time (ties of time by id)', async () => {
    const repository = new FakeDeploymentRepository();
    const changed = (id: string, deployment: string, second: number) => ({
      id,
      change: deployerV1.DeploymentChanged.fromPartial({
        deployment,
        modelName: 'fraud',
        change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
        reason: id,
        changeTime: new Date(Date.UTC(2026, 0, 1, 0, 0, second)),
      }),
    });
    for (const [id, deployment, second] of [
      ['e1', 'fraud', 1],
      ['e2', 'fraud-eu', 2],
      ['e3', 'fraud', 3],
      ['e5', 'fraud', 3],
      ['e4', 'fraud', 4],
    ] as const) {
      await repository.appendChange(changed(id, deployment, second), 1000);
    }
    const queries = new DeploymentQueryService(repository);
    const reasons = (listed: { items: deployerV1.DeploymentChanged[] }) => listed.items.map((c) => c.reason);
    const first = await queries.listChanges(
      parseListDeploymentChanges({ deployment: 'fraud', modelName: '', page: { pageSize: 2, pageToken: '' } }),
    );
    expect(reasons(first)).toEqual(['e4', 'e5']);
    const second = await queries.listChanges(
      parseListDeploymentChanges({ deployment: 'fraud', modelName: '', page: { pageSize: 2, pageToken: first.page.nextPageToken } }),
    );
    expect(reasons(second)).toEqual(['e3', 'e1']);
    expect(second.page.nextPageToken).toBe('');
    const byModel = await queries.listChanges(parseListDeploymentChanges({ deployment: '', modelName: 'fraud', page: undefined }));
    expect(reasons(byModel)).toEqual(['e4', 'e5', 'e3', 'e2', 'e1']);
    expect(byModel.page.nextPageToken).toBe('');
  });
});
