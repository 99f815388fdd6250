import { createServer } from 'node:net';

/** A port the platform is about to listen on, and the variable that moves it. */
export interface PlannedPort {
  readonly port: number;
  /** What listens there, e.g. `the Kafka broker`, `trainer gRPC`. */
  readonly what: string;
  /** The variables that move it, e.g. `KAFKA_PORT`. */
  readonly variables: readonly string[];
}

/** Whether something already listens on `host:port` (a bind fails with EADDRINUSE). */
function taken(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * Fails before anything starts when a port the platform needs is taken — by another Flywheel
 * started from another folder, say — naming each port, what needs it and the variable that
 * moves it, instead of a server dying on EADDRINUSE half-way through the start.
 */
export async function assertPortsFree(ports: readonly PlannedPort[], host = '127.0.0.1'): Promise<void> {
  const busy: PlannedPort[] = [];
  // Port 0 asks the system for a free one: nothing to check.
  for (const planned of ports) if (planned.port !== 0 && (await taken(planned.port, host))) busy.push(planned);
  if (busy.length === 0) return;
  const lines = busy.map((p) => `port ${p.port} (${p.what}) is in use: set ${p.variables.join(' or ')} to move it`);
  throw new Error(`${lines.join('; ')} — is another Flywheel running?`);
}
