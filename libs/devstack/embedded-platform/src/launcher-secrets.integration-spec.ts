import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecrets } from './launcher-secrets';
import { SERVICES } from './service-catalog';

describe('launcher secrets', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-secrets-'));
    file = join(dir, 'secrets.json');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("generates a password for each service's role, keeps them (0600) and finds them again", () => {
    const first = loadOrCreateSecrets(file);
    expect(Object.keys(first.databasePasswords)).toEqual([...SERVICES]);
    expect(new Set(Object.values(first.databasePasswords)).size).toBe(SERVICES.length);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(file)).toEqual(first);
  });

  it('completes a file from before per-service roles, keeping the credentials that unlock existing data', () => {
    const old = { postgresPassword: 'p'.repeat(32), s3AccessKey: 'FW0123456789ABCDEF01', s3SecretKey: 's'.repeat(40) };
    writeFileSync(file, JSON.stringify(old), { mode: 0o600 });
    const secrets = loadOrCreateSecrets(file);
    expect(secrets).toMatchObject(old);
    expect(Object.keys(secrets.databasePasswords)).toEqual([...SERVICES]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(secrets);
  });

  it.each([
    ['not JSON', '{"postgresPassword": ', /is not JSON/],
    ['an array', '[]', /must hold a JSON object/],
    [
      'a password that would break out of a SQL literal',
      JSON.stringify({ postgresPassword: "x' SUPERUSER --aaaaaaaaa" }),
      /postgresPassword must be/,
    ],
    ['a role password of the wrong type', JSON.stringify({ databasePasswords: { trainer: 42 } }), /databasePasswords.trainer must be/],
    ['megabytes', JSON.stringify({ padding: 'x'.repeat(100_000) }), /more than a secrets file can be/],
  ])('refuses a secrets file holding %s', (_what, content, error) => {
    writeFileSync(file, content, { mode: 0o600 });
    expect(() => loadOrCreateSecrets(file)).toThrow(error);
  });
});
