import { checkComposeService } from '@flywheel/testing';
import { registryConfigSchema } from './registry.config';

describe('docker-compose.yml', () => {
  it('runs registry from its Dockerfile with exactly the variables it reads', () => {
    expect(checkComposeService('registry', registryConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
