import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The six services, in the order their default ports are assigned (DESIGN.md, "Running it"). */
export const SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_GRPC_BASE_PORT = 50051;
export const DEFAULT_HTTP_BASE_PORT = 8081;

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
 * A service's entry point as its own package declares it (`main` in its package.json), found
 * like any other workspace package rather than by guessing where its files are.
 */
export function serviceEntryPoint(service: ServiceName): string {
  const manifest = require.resolve(`@flywheel/${service}-service/package.json`, { paths: [REPO_ROOT] });
  const { main } = JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string };
  if (!main) throw new Error(`${manifest} declares no "main" entry point`);
  return join(dirname(manifest), main);
}
