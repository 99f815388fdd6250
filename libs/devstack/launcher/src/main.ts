// `npm start`: the whole platform on its embedded defaults.
import { keepNewFilesPrivate } from '@flywheel/dev-server-kit';
import { adminTokenLines, PlatformLauncher, saveAdminToken } from '@flywheel/embedded-platform';
import { table } from '@flywheel/text-table';

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  keepNewFilesPrivate();
  const launcher = new PlatformLauncher(
    process.env,
    (m) => say(`· ${m}`),
    // The others keep running: a service that keeps crashing should not take the platform down.
    (service, reason, tail) => say(`\n${service} ${reason}. The other services keep running. Last lines of its log:\n${tail}\n`),
  );

  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    say('\nstopping Flywheel: the services first, then the broker, S3 and PostgreSQL (Ctrl-C again to force)…');
    await launcher.stop();
    say('stopped.');
    process.exit(code);
  }
  function interrupted(): void {
    if (!shuttingDown) return void shutdown(0);
    // A second Ctrl-C: no more waiting for graceful shutdowns.
    say('stopping at once (killing every process)…');
    launcher.kill();
    process.exit(130);
  }
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);

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
    const destination = process.stdout.isTTY
      ? { terminal: true as const }
      : { file: saveAdminToken(launcher.dataDir, launcher.adminToken) };
    for (const line of adminTokenLines(launcher.adminToken, destination)) say(line);
  }
  say(`\nFlywheel is ready: all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
}

void main();
