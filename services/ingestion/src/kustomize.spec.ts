import { checkKustomizeService } from '@flywheel/testing';
import { ingestionConfigSchema } from './ingestion.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs ingestion from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('ingestion', ingestionConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
