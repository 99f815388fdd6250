import { checkKustomizeService } from '@flywheel/testing';
import { monitorConfigSchema } from './monitor.config';

describe('deploy/kustomize (production overlay)', () => {
  it('runs monitor from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('monitor', monitorConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
