import { checkComposeService, checkKustomizeService } from '@flywheel/testing';
import { consoleConfigSchema } from './console-config';

// The console's image runs with exactly what it reads, wherever it is deployed (as the services' are).
describe('docker-compose.yml', () => {
  it('runs the console from its Dockerfile with exactly the variables it reads', () => {
    expect(checkComposeService('console', consoleConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});

describe('deploy/kustomize (production overlay)', () => {
  it('runs the console from its image with exactly the variables it reads', () => {
    expect(checkKustomizeService('console', consoleConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
