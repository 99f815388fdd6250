import { checkKustomizeService } from '@flywheel/testing';
import { registryConfigSchema } from './registry.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs registry from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('registry', registryConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
