import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, SERVICES, serviceEntryPoint } from './service-catalog';

describe('serviceEntryPoint', () => {
  it("finds each service's entry point through its own package in this checkout", () => {
    for (const service of SERVICES) {
      const entryPoint = serviceEntryPoint(service);
      expect(relative(REPO_ROOT, entryPoint)).toBe(join('services', service, 'src', 'main.ts'));
      expect(existsSync(entryPoint)).toBe(true);
    }
  });
});
