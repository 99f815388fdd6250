import { Client } from 'pg';

/** One service's database and the role it connects as (no superuser, owner of that database only). */
export interface ServiceDatabase {
  database: string;
  role: string;
  password: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** Generated passwords only (launcher-secrets.ts): they go into a SQL literal and a URL. */
const PASSWORD = /^[A-Za-z0-9_-]{16,128}$/;

/** What a service's role may not do: it owns its database and nothing else. */
const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';

/**
 * Creates the service's role and database, or brings existing ones back to what they must be:
 * the role's attributes and password as the launcher keeps them, the database owned by the
 * role, and CONNECT taken from PUBLIC so that no other service's role can open it.
 * `adminUrl` connects as a superuser to a maintenance database. Returns the URL the service
 * connects with: the same server, as its role, to its database.
 */
export async function provisionServiceDatabase(adminUrl: string, spec: ServiceDatabase): Promise<string> {
  for (const [what, value] of [
    ['database', spec.database],
    ['role', spec.role],
  ]) {
    if (!IDENTIFIER.test(value)) throw new Error(`invalid ${what} name "${value}"`);
  }
  if (!PASSWORD.test(spec.password)) throw new Error(`the password of role ${spec.role} must be 16 to 128 characters of A-Z a-z 0-9 _ -`);
  const { database, role } = spec;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const roleExists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = roleExists.rowCount === 0 ? 'CREATE ROLE' : 'ALTER ROLE';
    await admin.query(`${verb} ${role} WITH ${ROLE_ATTRIBUTES} PASSWORD ${admin.escapeLiteral(spec.password)}`);
    const owner = await admin.query<{ owner: string }>('SELECT datdba::regrole::text AS owner FROM pg_database WHERE datname = $1', [
      database,
    ]);
    if (owner.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    } else if (owner.rows[0]!.owner !== role) {
      await admin.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
    }
    await admin.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
  } finally {
    await admin.end();
  }
  // Every start, not only when the owner changed: a hand-over cut short is finished next time.
  await handOverObjects(adminUrl, spec);
  return databaseUrl(adminUrl, spec);
}

function databaseUrl(serverUrl: string, { database, role, password }: Partial<ServiceDatabase>): string {
  const url = new URL(serverUrl);
  if (role !== undefined) url.username = encodeURIComponent(role);
  if (password !== undefined) url.password = encodeURIComponent(password);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A database from before per-service roles holds tables, sequences, functions and types that
 * the superuser created while running the service's migrations: they become the role's, so
 * that its next migration can alter them.
 */
async function handOverObjects(adminUrl: string, { database, role }: ServiceDatabase): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(adminUrl, { database }) });
  await client.connect();
  try {
    // `me`: the superuser that ran the migrations; `n`: schemas that are not PostgreSQL's own.
    const statements = await client.query<{ sql: string }>(
      `WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user),
            n AS (SELECT oid, nspname, nspowner FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema')
       SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, $1::text) AS sql FROM n, me WHERE n.nspowner = me.oid
       UNION ALL
       -- Tables, views, materialised views; a table's own sequences (serial, identity) follow it.
       SELECT format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, $1::text)
         FROM pg_class c JOIN n ON n.oid = c.relnamespace, me WHERE c.relowner = me.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       UNION ALL
       SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', n.nspname, c.relname, $1::text)
         FROM pg_class c JOIN n ON n.oid = c.relnamespace, me WHERE c.relowner = me.oid AND c.relkind = 'S'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
       UNION ALL
       SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $1::text)
         FROM pg_proc p JOIN n ON n.oid = p.pronamespace, me WHERE p.proowner = me.oid AND p.prokind <> 'a'
       UNION ALL
       -- Enums, domains and ranges; a table's row type and an array type follow what they belong to.
       SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, $1::text)
         FROM pg_type t JOIN n ON n.oid = t.typnamespace, me WHERE t.typowner = me.oid AND t.typtype IN ('e', 'd', 'r')`,
      [role],
    );
    for (const { sql } of statements.rows) await client.query(sql);
  } finally {
    await client.end();
  }
}
