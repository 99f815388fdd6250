import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The six services, in the order their default ports are assigned (DESIGN.md, "Running it"). */
export const SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'] as const;
export type ServiceName = (typeof SERVICES)[number];

// Below Linux's ephemeral range (32768–60999, ip_local_port_range): a port in it may be taken,
// at any moment, by the local end of an outgoing connection, and a restarted service then fails
// with EADDRINUSE. default-ports.spec.ts keeps every default out of it.
export const DEFAULT_GRPC_BASE_PORT = 8051;
export const DEFAULT_HTTP_BASE_PORT = 8081;
/** The embedded infrastructure's ports (KAFKA_PORT, S3_PORT, POSTGRES_PORT override them). */
export const DEFAULT_INFRASTRUCTURE_PORTS = { kafka: 9092, s3: 9000, postgres: 5433 } as const;

/** Each service owns one database, named after it. */
export function databaseName(service: ServiceName): string {
  return `flywheel_${service.replace(/-/g, '_')}`;
}

/** Environment prefix for per-service overrides, e.g. FEATURE_STORE_GRPC_PORT. */
export function envPrefix(service: ServiceName): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** The repository root: services run from it, as they do under `npm run` and in their tests. */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/**
 * A service's entry point as its own package declares it (`main` in its package.json), the
 * package being found among the repository's npm workspaces by its name, `@flywheel/<service>-service`.
 * (Not through node_modules: its links may point at another checkout of the repository.)
 */
export function serviceEntryPoint(service: ServiceName): string {
  const packageName = `@flywheel/${service}-service`;
  const folder = workspaceFolders().find((dir) => readManifest(dir)?.name === packageName);
  if (!folder) throw new Error(`no npm workspace of ${REPO_ROOT} is the package ${packageName}`);
  const { main } = readManifest(folder)!;
  if (!main) throw new Error(`${join(folder, 'package.json')} declares no "main" entry point`);
  return join(folder, main);
}

/** The folders the root package.json's `workspaces` patterns (`<folder>/*`) name. */
function workspaceFolders(): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) throw new Error(`unsupported workspaces pattern "${pattern}" (expected <folder>/*)`);
    const parent = join(REPO_ROOT, pattern.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(parent, entry.name));
  });
}

/** A folder's package.json; none for a folder that only groups projects (e.g. libs/devstack). */
function readManifest(folder: string): { name?: string; main?: string } | undefined {
  const manifest = join(folder, 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; main?: string }) : undefined;
}
