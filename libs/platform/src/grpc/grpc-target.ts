import { isIP } from 'node:net';

/** How a client reaches a service: a grpc-js channel target and the load balancing it needs. */
export interface GrpcTarget {
  readonly target: string;
  /** Set for several addresses: calls go round the ready ones instead of all to the first. */
  readonly serviceConfig?: string;
}

const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
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
  if (trimmed.startsWith('dns:')) return { target: trimmed, serviceConfig: ROUND_ROBIN };
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
  return { target: `ipv${family}:${entries.join(',')}`, serviceConfig: ROUND_ROBIN };
}
