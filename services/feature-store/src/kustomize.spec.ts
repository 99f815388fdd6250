import { checkKustomizeService } from '@flywheel/testing';
import { featureStoreConfigSchema } from './feature-store.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs feature-store from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('feature-store', featureStoreConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
