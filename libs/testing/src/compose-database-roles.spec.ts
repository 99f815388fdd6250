import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const REPO_ROOT = resolve(__dirname, '../../..');
const SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'];

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string> }>;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const initScript = readFileSync(join(REPO_ROOT, 'deploy/postgres/create-databases.sql'), 'utf8');

describe("docker-compose.yml's PostgreSQL roles", () => {
  it.each(SERVICES)('%s connects as its own role to its own database, with a password of its own', (service) => {
    const role = `flywheel_${service.replace(/-/g, '_')}`;
    const variable = `${service.toUpperCase().replace(/-/g, '_')}_DATABASE_PASSWORD`;
    expect(compose.services[service]!.environment!.DATABASE_URL).toBe(`postgres://${role}:\${${variable}}@postgres:5432/${role}`);
    // The postgres container hands the same password to the init script, which creates the role with it.
    expect(compose.services.postgres!.environment![variable]).toBe(`\${${variable}:?set ${variable}}`);
    const psqlVariable = new RegExp(`^\\\\getenv (\\w+) ${variable}$`, 'm').exec(initScript)?.[1];
    expect(psqlVariable).toBeDefined();
    expect(initScript).toContain(`('${role}', :'${psqlVariable}')`);
  });

  it('gives the superuser password to no service', () => {
    const users = Object.entries(compose.services)
      .filter(([, entry]) => entry.environment?.DATABASE_URL)
      .map(([name, entry]) => [name, new URL(entry.environment!.DATABASE_URL!.replace(/\$\{\w+\}/, 'secret')).username]);
    expect(users.filter(([, user]) => user === compose.services.postgres!.environment!.POSTGRES_USER)).toEqual([]);
    expect(Object.values(compose.services).filter((entry) => entry.environment?.DATABASE_URL?.includes('POSTGRES_PASSWORD'))).toEqual([]);
  });
});
