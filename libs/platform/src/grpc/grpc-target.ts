import { isIP } from 'node:net';

/** How a client reaches a service: a grpc-js channel target and the load balancing it needs. */
export interface GrpcTarget {
  readonly target: string;
  /** Set for several addresses: calls go round the ready ones instead of all to the first. */
  readonly serviceConfig?: string;
}

const ROUND_ROBIN = [{ round_robin: {} }];
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * A service's address as the platform's variables give it (`*_GRPC_ADDRESS`, `--address`):
 *
 * - `host:port`: one server;
 * - `10.0.0.5:8055,10.0.0.6:8055`: replicas, each call to the next ready one (IP addresses only:
 *   grpc-js resolves a list of literal addresses, not of names);
 * - `dns:///deployer:8055`: every address the name resolves to, round robin (a Kubernetes
 *   headless service).
 */
export function parseGrpcTarget(address: string): GrpcTarget {
  const trimmed = address.trim();
  if (trimmed.startsWith('dns:')) return { target: trimmed, serviceConfig: JSON.stringify({ loadBalancingConfig: ROUND_ROBIN }) };
  const entries = trimmed.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const match = HOST_PORT.exec(entry);
    if (!match || Number(match[2]) > 65535) throw new Error(`"${entry}" is not host:port`);
  }
  if (entries.length === 1) return { target: entries[0] };
  const hosts = entries.map((entry) => HOST_PORT.exec(entry)![1].replace(/^\[|\]$/g, ''));
  const family = isIP(hosts[0]);
  if (family === 0 || hosts.some((host) => isIP(host) !== family)) {
    throw new Error(`"${trimmed}": several addresses must all be IPv4 or all IPv6 addresses (for a name, use dns:///name:port)`);
  }
  return { target: `ipv${family}:${entries.join(',')}`, serviceConfig: JSON.stringify({ loadBalancingConfig: ROUND_ROBIN }) };
}

/** Retries of a service's calls that end UNAVAILABLE: 3 attempts in all, 0.1 s then about 0.4 s apart. */
export const UNAVAILABLE_RETRY_POLICY = {
  maxAttempts: 3,
  initialBackoff: '0.1s',
  maxBackoff: '1s',
  backoffMultiplier: 4,
  retryableStatusCodes: ['UNAVAILABLE'],
} as const;

/**
 * The target's service config, with grpc-js's own retries of every method of `service`
 * (`package.Service`) that ends UNAVAILABLE — a connection reset under the call, a server
 * restarting. Only for services whose methods the caller may send twice (reads, idempotent
 * writes).
 */
export function withUnavailableRetries(target: GrpcTarget, service: string): GrpcTarget {
  const config = target.serviceConfig ? (JSON.parse(target.serviceConfig) as Record<string, unknown>) : {};
  return {
    target: target.target,
    serviceConfig: JSON.stringify({ ...config, methodConfig: [{ name: [{ service }], retryPolicy: UNAVAILABLE_RETRY_POLICY }] }),
  };
}
