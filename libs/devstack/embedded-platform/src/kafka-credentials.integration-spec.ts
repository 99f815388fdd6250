import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allServiceAcls, Topics } from '@flywheel/contracts';
import { grantTeamProducer, kafkaAccessFileBeside } from '@flywheel/platform';
import { embeddedKafkaAuth } from './kafka-credentials';
import { loadOrCreateSecrets } from './launcher-secrets';
import { SERVICES } from './service-catalog';

let dir: string;
let secretsFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-credentials-'));
  secretsFile = join(dir, 'secrets.json');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the launcher's Kafka passwords", () => {
  it('keeps one per service and the admin in its secrets (0600), the same on every start', () => {
    const passwords = loadOrCreateSecrets(secretsFile).kafkaPasswords;
    expect(Object.keys(passwords).sort()).toEqual(['admin', ...SERVICES].sort());
    expect(new Set(Object.values(passwords)).size).toBe(SERVICES.length + 1);
    expect(Object.values(passwords).every((p) => p.length >= 40)).toBe(true);

    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(secretsFile).kafkaPasswords).toEqual(passwords);
    expect(JSON.parse(readFileSync(secretsFile, 'utf8')).kafkaPasswords).toEqual(passwords);
  });
});

describe('embeddedKafkaAuth', () => {
  it("gives the broker the services', the admin's and the teams' users and ACLs, and each service its own", () => {
    const passwords = loadOrCreateSecrets(secretsFile).kafkaPasswords;
    const accessFile = kafkaAccessFileBeside(join(dir, 'auth', 'tokens.json'));
    const { grant } = grantTeamProducer(accessFile, { team: 'fraud', produce: [Topics.ingestTopic('claims')] });

    const auth = embeddedKafkaAuth(passwords, accessFile);
    expect(auth.security.superUsers).toEqual(['User:admin']);
    expect(auth.security.users).toEqual([
      { name: 'admin', password: passwords.admin },
      ...SERVICES.map((service) => ({ name: service, password: passwords[service] })),
      { name: 'fraud-producer', password: grant.password },
    ]);
    expect(auth.security.acls).toEqual([...allServiceAcls(), ...grant.acls]);
    expect(auth.serviceEnv('feature-store')).toEqual({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'feature-store',
      KAFKA_SASL_PASSWORD: passwords['feature-store'],
    });
  });

  it('starts with the services alone when no team has a producer yet', () => {
    const auth = embeddedKafkaAuth(loadOrCreateSecrets(secretsFile).kafkaPasswords, join(dir, 'none', 'kafka-access.json'));
    expect(auth.security.users.map((u) => u.name)).toEqual(['admin', ...SERVICES]);
    expect(auth.security.acls).toEqual(allServiceAcls());
  });
});
