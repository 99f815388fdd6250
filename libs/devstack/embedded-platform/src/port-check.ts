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
 * moves it, instead of a server dying on EADDRINUSE half-way through the start. A taken port is
 * asked again for up to `settleMs`: a process that is exiting (a service a killed launcher left
 * running, just stopped) holds its ports until its last thread is gone.
 */
export async function assertPortsFree(ports: readonly PlannedPort[], options: { host?: string; settleMs?: number } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const deadline = Date.now() + (options.settleMs ?? 2000);
  // Port 0 asks the system for a free one: nothing to check.
  let busy = ports.filter((planned) => planned.port !== 0);
  for (;;) {
    const stillBusy: PlannedPort[] = [];
    for (const planned of busy) if (await taken(planned.port, host)) stillBusy.push(planned);
    busy = stillBusy;
    if (busy.length === 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const lines = busy.map((p) => `port ${p.port} (${p.what}) is in use: set ${p.variables.join(' or ')} to move it`);
  throw new Error(`${lines.join('; ')} — is another Flywheel running?`);
}
