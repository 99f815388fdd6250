import { existsSync, readFileSync } from 'node:fs';
import { hashToken, issueToken, readTokensFile, Role, writePrivateFile } from '@flywheel/platform';
import { type ServiceName } from './service-catalog';

/**
 * Each service calls the others with a token of its own (team `service-<name>`, role write),
 * so audit rows name the service that acted. The tokens file keeps only hashes; the plaintext
 * a service needs lives beside the other generated secrets (mode 0600) and is reissued if the
 * tokens file no longer knows it.
 */
export function ensureServiceTokens(
  tokensFile: string,
  secretsFile: string,
  services: readonly ServiceName[],
): Record<ServiceName, string> {
  const stored: Partial<Record<ServiceName, string>> = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
  const known = new Set(existsSync(tokensFile) ? readTokensFile(tokensFile).tokens.map((t) => t.sha256) : []);
  let changed = false;
  for (const service of services) {
    const token = stored[service];
    if (token && known.has(hashToken(token))) continue;
    stored[service] = issueToken(tokensFile, {
      team: `service-${service}`,
      roles: [Role.Write],
      description: `${service} calling other services`,
    }).token;
    changed = true;
  }
  if (changed) writePrivateFile(secretsFile, JSON.stringify(stored, null, 2));
  return stored as Record<ServiceName, string>;
}
