import { checkKustomizeService } from '@flywheel/testing';
import { trainerConfigSchema } from './trainer.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs trainer from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('trainer', trainerConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
