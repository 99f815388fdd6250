import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { startTestPostgres, type TestPostgres } from './test-postgres';

jest.setTimeout(120_000);

const SCRIPT = resolve(__dirname, '../../../deploy/postgres/create-databases.sql');
const SERVICES = ['ingestion', 'feature_store', 'trainer', 'registry', 'deployer', 'monitor'];

/** `psql -f create-databases.sql` as docker-compose's postgres image runs it, with the passwords in the environment. */
function runScript(serverUrl: string, passwords: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const service of SERVICES) if (passwords[service]) env[`${service.toUpperCase()}_DATABASE_PASSWORD`] = passwords[service];
  return spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', serverUrl, '-f', SCRIPT], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
}

function urlAs(serverUrl: string, role: string, password: string, database: string): string {
  const url = new URL(serverUrl);
  url.username = role;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

async function connectOutcome(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
      'SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user',
    );
    return rows[0]!.rolsuper || rows[0]!.rolcreatedb || rows[0]!.rolcreaterole ? 'connected with too much power' : 'connected';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('deploy/postgres/create-databases.sql', () => {
  let postgres: TestPostgres;

  beforeAll(async () => {
    postgres = await startTestPostgres();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it("creates one role per service that opens its own database and no other's", async () => {
    const passwords = Object.fromEntries(SERVICES.map((service) => [service, randomBytes(18).toString('hex')]));
    const run = runScript(postgres.serverUrl, passwords);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const service of SERVICES) {
      const role = `flywheel_${service}`;
      expect(await connectOutcome(urlAs(postgres.serverUrl, role, passwords[service]!, role))).toBe('connected');
    }
    const other = urlAs(postgres.serverUrl, 'flywheel_trainer', passwords.trainer!, 'flywheel_registry');
    // 42501: permission denied for database.
    expect(await connectOutcome(other)).toBe('42501');
    expect(await connectOutcome(urlAs(postgres.serverUrl, 'flywheel_trainer', 'not-the-password', 'flywheel_trainer'))).toBe('28P01');
  });

  it('stops at the first statement when a password is missing, creating nothing', async () => {
    const fresh = await startTestPostgres();
    try {
      const passwords = Object.fromEntries(SERVICES.filter((s) => s !== 'deployer').map((s) => [s, randomBytes(18).toString('hex')]));
      const run = runScript(fresh.serverUrl, passwords);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/syntax error at or near ":"/);
      const client = new Client({ connectionString: fresh.serverUrl });
      await client.connect();
      const roles = await client.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'flywheel\\_%'`);
      await client.end();
      expect(roles.rows).toEqual([]);
    } finally {
      await fresh.stop();
    }
  });
});
