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

/** Where a service's entry point lives, relative to the repository root. */
export function serviceEntryPoint(service: ServiceName): string {
  return `services/${service}/src/main.ts`;
}
