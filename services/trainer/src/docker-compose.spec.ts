import { checkComposeService } from '@flywheel/testing';
import { trainerConfigSchema } from './trainer.config';

describe('docker-compose.yml', () => {
  it('runs trainer from its Dockerfile with exactly the variables it reads', () => {
    expect(checkComposeService('trainer', trainerConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
