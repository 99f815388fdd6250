import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrokerSecurity } from '@flywheel/contracts';
import { type BrokerConfig } from '../broker-config';
import { startTestBroker, type TestBroker } from '../testing';
import { type Credential } from './kafkajs-helpers';

/**
 * The one user of the protocol conformance suites. Every real client logs in to Flywheel's
 * Kafka, so the suites do too; it is a super user so that their assertions stay about the
 * protocol, not about ACLs (secure-broker.ts covers the refusals).
 */
export const CONFORMANCE_CREDENTIAL: Credential = { username: 'conformance', password: 'conformance-secret-7' };

export const CONFORMANCE_SECURITY: BrokerSecurity = {
  users: [{ name: CONFORMANCE_CREDENTIAL.username, password: CONFORMANCE_CREDENTIAL.password }],
  acls: [],
  superUsers: [`User:${CONFORMANCE_CREDENTIAL.username}`],
};

export interface ConformanceBroker extends TestBroker {
  /** What every client of the suite logs in with (SASL/SCRAM-SHA-512). */
  credential: Credential;
}

/** An in-process broker on a free loopback port that requires CONFORMANCE_CREDENTIAL. */
export async function startConformanceBroker(options: Omit<Partial<BrokerConfig>, 'security'> = {}): Promise<ConformanceBroker> {
  const broker = await startTestBroker({ ...options, security: CONFORMANCE_SECURITY });
  return { ...broker, credential: CONFORMANCE_CREDENTIAL };
}

/** Writes CONFORMANCE_SECURITY as `npm run broker -- --users-file` reads it (mode 600) into `dir`; returns its path. */
export function writeConformanceUsersFile(dir: string): string {
  const path = join(dir, 'conformance-users.json');
  writeFileSync(path, JSON.stringify(CONFORMANCE_SECURITY), { mode: 0o600 });
  // writeFileSync's mode is filtered by the umask and ignored for an existing file.
  chmodSync(path, 0o600);
  return path;
}
