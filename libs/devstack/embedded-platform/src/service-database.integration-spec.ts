import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startTestPostgres, type TestPostgres } from '@flywheel/testing';
import { provisionServiceDatabase, type ServiceDatabase } from './service-database';

jest.setTimeout(120_000);

const password = () => randomBytes(18).toString('base64url');

async function query<R extends Record<string, unknown>>(url: string, sql: string): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a connection (and a first query) fails with, or 'connected'. */
async function connectOutcome(url: string): Promise<string> {
  try {
    await query(url, 'SELECT 1');
    return 'connected';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}

describe('each service its own PostgreSQL role', () => {
  let server: TestPostgres;
  const ensure = (spec: ServiceDatabase) => provisionServiceDatabase(server.serverUrl, spec);
  const superuserUrl = (database: string) => Object.assign(new URL(server.serverUrl), { pathname: `/${database}` }).toString();
  const ingestion: ServiceDatabase = { database: 'flywheel_ingestion', role: 'flywheel_ingestion', password: password() };
  const registry: ServiceDatabase = { database: 'flywheel_registry', role: 'flywheel_registry', password: password() };
  let ingestionUrl: string;
  let registryUrl: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    ingestionUrl = await ensure(ingestion);
    registryUrl = await ensure(registry);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('connects as a role that is no superuser and can create neither databases nor roles', async () => {
    expect(new URL(ingestionUrl).username).toBe('flywheel_ingestion');
    const [me] = await query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; owner: string }>(
      ingestionUrl,
      `SELECT rolsuper, rolcreatedb, rolcreaterole,
              (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS owner
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(me).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, owner: 'flywheel_ingestion' });
  });

  it("cannot connect to another service's database", async () => {
    const intoRegistry = new URL(ingestionUrl);
    intoRegistry.pathname = '/flywheel_registry';
    // 42501: insufficient privilege ("permission denied for database").
    expect(await connectOutcome(intoRegistry.toString())).toBe('42501');
    const intoIngestion = new URL(registryUrl);
    intoIngestion.pathname = '/flywheel_ingestion';
    expect(await connectOutcome(intoIngestion.toString())).toBe('42501');
    expect(await connectOutcome(registryUrl)).toBe('connected');
  });

  it('runs what migrations do as the owning role: schemas, tables, functions and triggers', async () => {
    await query(
      ingestionUrl,
      `CREATE SCHEMA staging;
       CREATE TABLE events (id bigserial PRIMARY KEY, body text);
       CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('events', ''); RETURN NULL; END $$;
       CREATE TRIGGER events_touch AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION touch();
       INSERT INTO events (body) VALUES ('one');`,
    );
    expect(await query(ingestionUrl, 'SELECT body FROM events')).toEqual([{ body: 'one' }]);
  });

  it('takes a database the superuser created and filled (before roles) over, objects and all', async () => {
    const legacy: ServiceDatabase = { database: 'flywheel_monitor', role: 'flywheel_monitor', password: password() };
    await query(server.serverUrl, 'CREATE DATABASE flywheel_monitor');
    await query(
      superuserUrl('flywheel_monitor'),
      `CREATE TYPE severity AS ENUM ('low', 'high');
       CREATE TABLE alerts (id serial PRIMARY KEY, level severity NOT NULL);
       CREATE SEQUENCE report_numbers;
       CREATE FUNCTION notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;`,
    );
    const url = await ensure(legacy);
    await query(
      url,
      `ALTER TABLE alerts ADD COLUMN note text;
       INSERT INTO alerts (level, note) VALUES ('high', 'x');
       SELECT nextval('report_numbers');
       ALTER TYPE severity ADD VALUE 'critical';
       CREATE OR REPLACE FUNCTION notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;`,
    );
    expect(await query(url, 'SELECT id, level, note FROM alerts')).toEqual([{ id: 1, level: 'high', note: 'x' }]);
  });

  it('puts the password the launcher keeps back on a role whose password was changed', async () => {
    await query(server.serverUrl, `ALTER ROLE flywheel_registry PASSWORD 'changed-behind-our-back'`);
    expect(await connectOutcome(registryUrl)).toBe('28P01');
    await ensure(registry);
    expect(await connectOutcome(registryUrl)).toBe('connected');
  });

  it('refuses names and passwords that are not what the launcher generates', async () => {
    await expect(ensure({ ...registry, role: 'x; DROP ROLE postgres' })).rejects.toThrow(/invalid role name/);
    await expect(ensure({ ...registry, database: 'Bad-Name' })).rejects.toThrow(/invalid database name/);
    await expect(ensure({ ...registry, password: "a' SUPERUSER --aaaaaaaa" })).rejects.toThrow(
      /password of role flywheel_registry must be/,
    );
    const [role] = await query<{ rolsuper: boolean }>(
      server.serverUrl,
      `SELECT rolsuper FROM pg_roles WHERE rolname = 'flywheel_registry'`,
    );
    expect(role).toEqual({ rolsuper: false });
  });
});
