import { checkComposeService } from '@flywheel/testing';
import { ingestionConfigSchema } from './ingestion.config';

describe('docker-compose.yml', () => {
  it('runs ingestion from its Dockerfile with exactly the variables it reads', () => {
    expect(checkComposeService('ingestion', ingestionConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });
});
