// `npm start`: the whole platform on its embedded defaults.
import { PlatformLauncher } from '@flywheel/embedded-platform';
import { table } from '@flywheel/text-table';

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  const launcher = new PlatformLauncher(
    process.env,
    (m) => say(`· ${m}`),
    // The others keep running: a service that keeps crashing should not take the platform down.
    (service, reason, tail) => say(`\n${service} ${reason}. The other services keep running. Last lines of its log:\n${tail}\n`),
  );
  // Services and PostgreSQL run in their own process groups, so nothing else stops them should the
  // launcher exit without stopping them (an uncaught error); kill -9 leaves them to the next start.
  process.on('exit', () => launcher.kill());

  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) {
      // A second Ctrl-C: no more waiting for graceful shutdowns.
      say('stopping at once (killing every process)…');
      launcher.kill();
      process.exit(130);
    }
    shuttingDown = true;
    say('\nstopping Flywheel: the services first, then the broker, S3 and PostgreSQL (Ctrl-C again to force)…');
    await launcher.stop();
    say('stopped.');
    process.exit(code);
  }
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  say(`Flywheel: starting on embedded defaults (data in ${launcher.dataDir})`);
  try {
    await launcher.start();
  } catch (error) {
    say(`\nFlywheel failed to start: ${(error as Error).message}`);
    await shutdown(1);
    return;
  }
  say('');
  say(
    table(
      ['component', 'address', 'details'],
      launcher.endpoints.map((e) => [e.name, e.address, e.kind === 'service' ? `gRPC; HTTP ${e.detail}/healthz, /metrics` : e.detail]),
    ),
  );
  if (launcher.adminToken) {
    say(`\nAdmin token (shown once; it is stored only as a hash):\n\n    ${launcher.adminToken}\n`);
    say('Use it as gRPC metadata "authorization: Bearer <token>" or FLYWHEEL_TOKEN for the flywheel command.');
  }
  say(`\nFlywheel is ready: all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
}

void main();
