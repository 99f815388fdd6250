import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_GRPC_BASE_PORT, DEFAULT_HTTP_BASE_PORT, DEFAULT_INFRASTRUCTURE_PORTS, REPO_ROOT, SERVICES } from './service-catalog';

// Linux's default net.ipv4.ip_local_port_range: the local ports of outgoing connections. A server
// port in it can be taken at any moment by a connection's local end (or its TIME_WAIT), and a
// restarted service then fails with EADDRINUSE.
const EPHEMERAL = { first: 32768, last: 60999 };
const ephemeral = (port: number) => port >= EPHEMERAL.first && port <= EPHEMERAL.last;

const launcherDefaults = (): Record<string, number> => ({
  ...Object.fromEntries(
    SERVICES.flatMap((service, i) => [
      [`${service} gRPC`, DEFAULT_GRPC_BASE_PORT + i],
      [`${service} HTTP`, DEFAULT_HTTP_BASE_PORT + i],
    ]),
  ),
  'embedded broker': DEFAULT_INFRASTRUCTURE_PORTS.kafka,
  'embedded S3': DEFAULT_INFRASTRUCTURE_PORTS.s3,
  'embedded PostgreSQL': DEFAULT_INFRASTRUCTURE_PORTS.postgres,
});

describe('default ports', () => {
  it("keeps every default port of `npm start` out of Linux's ephemeral range", () => {
    const defaults = launcherDefaults();
    expect(defaults).toMatchObject({ 'ingestion gRPC': 8051, 'monitor gRPC': 8056, 'ingestion HTTP': 8081, 'monitor HTTP': 8086 });
    expect(defaults).toMatchObject({ 'embedded broker': 9092, 'embedded S3': 9000, 'embedded PostgreSQL': 5433 });
    expect(Object.entries(defaults).filter(([, port]) => ephemeral(port))).toEqual([]);
  });

  it("declares the same ports in each service's config as the launcher gives it", () => {
    SERVICES.forEach((service, i) => {
      const config = readFileSync(join(REPO_ROOT, 'services', service, 'src', `${service}.config.ts`), 'utf8');
      const declared = /serviceConfigSchema\(\s*\{\s*grpcPort:\s*(\d+),\s*httpPort:\s*(\d+)\s*\}/.exec(config);
      expect([service, declared?.slice(1).map(Number)]).toEqual([service, [DEFAULT_GRPC_BASE_PORT + i, DEFAULT_HTTP_BASE_PORT + i]]);
    });
  });

  it("keeps the flywheel command's default addresses on the services' ports", () => {
    const cli = readFileSync(join(REPO_ROOT, 'libs', 'cli', 'src', 'grpc', 'service-connection.ts'), 'utf8');
    const ports = [...cli.matchAll(/defaultAddress: '127\.0\.0\.1:(\d+)'/g)].map((m) => Number(m[1]));
    expect(ports).toEqual(SERVICES.map((_, i) => DEFAULT_GRPC_BASE_PORT + i));
  });

  it('knows the ephemeral range it guards against', () => {
    expect([50051, 32768, 60999].map(ephemeral)).toEqual([true, true, true]);
    expect([8051, 32767, 61000].map(ephemeral)).toEqual([false, false, false]);
  });
});
