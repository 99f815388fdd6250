import { deployerV1 } from '@flywheel/contracts';
import { aliasDivergence, deploymentLine } from './alias-divergence';

const deployment = (partial: Partial<deployerV1.Deployment>) =>
  deployerV1.Deployment.fromPartial({ name: 'churn', modelName: 'churn', alias: 'production', stableVersion: 1, ...partial });

describe('a deployment against the alias it follows', () => {
  it('agrees when it serves the alias’s version, as stable or as canary', () => {
    expect(aliasDivergence(deployment({}), { production: 1 })).toBeUndefined();
    expect(aliasDivergence(deployment({ canaryVersion: 2 }), { production: 2 })).toBeUndefined();
  });

  it('says so plainly after a rollback left the alias ahead of what is served', () => {
    expect(aliasDivergence(deployment({}), { production: 5 })).toBe('production is v5, v1 is served (rolled back)');
    expect(deploymentLine(deployment({}), { production: 5 })).toBe(
      'churn: follows production, serves v1 — production is v5, v1 is served (rolled back)',
    );
  });

  it('has nothing to compare for a pinned deployment, and says when the alias is not set', () => {
    expect(aliasDivergence(deployment({ alias: '' }), { production: 5 })).toBeUndefined();
    expect(deploymentLine(deployment({ alias: '', stableVersion: 3 }), { production: 5 })).toBe('churn: pinned, serves v3');
    expect(aliasDivergence(deployment({ stableVersion: 0 }), {})).toBe('production is not set yet');
  });
});
