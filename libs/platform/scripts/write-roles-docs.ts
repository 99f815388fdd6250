// `npm run docs:roles`: rewrites the "Roles" table of every service's README from the role
// options in the .proto files, where each RPC's role is declared.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmePath, readReadme, SERVICE_CONTRACTS, withRolesSection } from '../src/auth/roles-readme';

const repoRoot = join(__dirname, '..', '..', '..');
for (const [service, contract] of Object.entries(SERVICE_CONTRACTS)) {
  const before = readReadme(repoRoot, service);
  const after = withRolesSection(before, contract);
  if (after !== before) writeFileSync(readmePath(repoRoot, service), after);
  console.log(`${service.padEnd(14)} ${after === before ? 'up to date' : 'rewritten'}`);
}
