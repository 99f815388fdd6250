import { checkKustomizeService } from '@flywheel/testing';
import { deployerConfigSchema } from './deployer.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs deployer from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('deployer', deployerConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
