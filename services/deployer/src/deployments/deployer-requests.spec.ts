import { InvalidArgumentException, isStringCursor, readPage } from '@flywheel/platform';
import { newDeployment } from '../rollout/rollout-transitions';
import { FakeDeploymentRepository } from '../testing/fakes';
import { parseGetDeployment, parseRollback, parseRolloutStatus } from './deployer-requests';
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
});
