import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type HealthRegistry } from './health-registry';
import { type PlatformMetrics } from './platform-metrics';

export interface HttpEndpointsOptions {
  readonly host: string;
  readonly port: number;
  readonly health: HealthRegistry;
  readonly metrics: PlatformMetrics;
  readonly onError?: (error: Error) => void;
}

/**
 * A service's own HTTP API beside the probes: answers true when it handled the request (any
 * method), false to let the next handler or the 404 answer.
 */
export type HttpRoutes = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

export interface HttpEndpoints {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Adds a service's routes once it can serve them (after its module started). */
  mount(routes: HttpRoutes): void;
  close(): Promise<void>;
}

/**
 * `/healthz` and `/metrics` on a plain Node server, apart from Nest: probes and scrapes keep
 * answering while the gRPC side drains at shutdown, and no HTTP framework sits in a gRPC service.
 */
export async function startHttpEndpoints(options: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const mounted: HttpRoutes[] = [];
  const server = createServer((request, response) => {
    handle(options, mounted, request, response).catch((error: Error) => {
      options.onError?.(error);
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  // Probes hold connections open; keep-alive must not delay close() at shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, mount: (routes) => mounted.push(routes), close: () => closeServer(server) };
}

async function handle(
  options: HttpEndpointsOptions,
  mounted: readonly HttpRoutes[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  for (const routes of mounted) if (await routes(request, response, path)) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  if (path === '/healthz') {
    const report = await options.health.run();
    return send(response, report.status === 'error' ? 503 : 200, 'application/json', `${JSON.stringify(report)}\n`);
  }
  if (path === '/metrics') {
    const { contentType, body } = await options.metrics.expose();
    return send(response, 200, contentType, body);
  }
  send(response, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n');
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
