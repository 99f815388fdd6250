import { checkComposeService } from '@flywheel/testing';
import { monitorConfigSchema } from './monitor.config';

describe('docker-compose.yml', () => {
  it('runs monitor from its Dockerfile with exactly the variables it reads', () => {
    expect(checkComposeService('monitor', monitorConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
