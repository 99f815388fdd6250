import { envPrefix, SERVICES, type ServiceName } from './service-catalog';

/** Most replicas of one service `npm start` runs: on one machine, more only share its cores. */
export const MAX_REPLICAS = 4;
/** Replica r of a service listens REPLICA_PORT_STEP × (r − 1) above the first one's ports. */
export const REPLICA_PORT_STEP = 100;

/** One process of the platform: a replica of a service, with its ports and its name. */
export interface ServiceReplica {
  readonly service: ServiceName;
  /** 1, 2, … */
  readonly replica: number;
  /** `deployer` for the first, `deployer-2` for the next: its log, pid file and profile folder. */
  readonly name: string;
  /** FLYWHEEL_INSTANCE_ID: `deployer-1`, `deployer-2`, … */
  readonly instance: string;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/**
 * `deployer=2,feature-store=2` (FLYWHEEL_REPLICAS, or `npm start -- --replicas deployer=2`): how
 * many processes of each service; the others run one.
 */
export function parseReplicas(spec: string | undefined): Map<ServiceName, number> {
  const counts = new Map<ServiceName, number>();
  for (const entry of (spec ?? '').split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const [service, count, ...rest] = entry.split('=');
    if (!(SERVICES as readonly string[]).includes(service)) {
      throw new Error(`replicas: "${service}" is no service (one of ${SERVICES.join(', ')})`);
    }
    const n = Number(count);
    if (rest.length > 0 || !Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
      throw new Error(`replicas: "${entry}" must be <service>=<1…${MAX_REPLICAS}>`);
    }
    counts.set(service as ServiceName, n);
  }
  return counts;
}

/**
 * Every process to start, in service order. A service's first replica takes its usual ports
 * (`<SERVICE>_GRPC_PORT`, or the default: the base port + its index); the next ones
 * REPLICA_PORT_STEP apart, unless the variable lists one port per replica
 * (`DEPLOYER_GRPC_PORT=8055,8155`).
 */
export function planReplicas(
  counts: ReadonlyMap<ServiceName, number>,
  defaultPorts: (service: ServiceName) => { grpc: number; http: number },
  env: NodeJS.ProcessEnv,
): ServiceReplica[] {
  return SERVICES.flatMap((service) => {
    const count = counts.get(service) ?? 1;
    const defaults = defaultPorts(service);
    const grpc = replicaPorts(env, `${envPrefix(service)}_GRPC_PORT`, defaults.grpc, count);
    const http = replicaPorts(env, `${envPrefix(service)}_HTTP_PORT`, defaults.http, count);
    return Array.from({ length: count }, (_, i) => ({
      service,
      replica: i + 1,
      name: i === 0 ? service : `${service}-${i + 1}`,
      instance: `${service}-${i + 1}`,
      grpcPort: grpc[i],
      httpPort: http[i],
    }));
  });
}

function replicaPorts(env: NodeJS.ProcessEnv, variable: string, fallback: number, count: number): number[] {
  const raw = env[variable]?.trim();
  const given = raw ? raw.split(',').map((p) => (p.trim() === '' ? NaN : Number(p))) : [fallback];
  if (given.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) throw new Error(`${variable} must be a TCP port, got "${raw}"`);
  if (given.length === 1) return Array.from({ length: count }, (_, i) => given[0] + REPLICA_PORT_STEP * i);
  if (given.length !== count)
    throw new Error(`${variable} lists ${given.length} ports for ${count} replicas: give one, or one per replica`);
  return given;
}

/** What the other services and the CLI are given for a service: `127.0.0.1:8055`, or every replica's address. */
export function replicaAddress(replicas: readonly ServiceReplica[], service: ServiceName): string {
  return replicas
    .filter((r) => r.service === service)
    .map((r) => `127.0.0.1:${r.grpcPort}`)
    .join(',');
}

/** `deployer ×2, feature-store ×2`: the services that run more than one process. */
export function replicaSummary(replicas: readonly ServiceReplica[]): string {
  return SERVICES.map((service) => [service, replicas.filter((r) => r.service === service).length] as const)
    .filter(([, count]) => count > 1)
    .map(([service, count]) => `${service} ×${count}`)
    .join(', ');
}
