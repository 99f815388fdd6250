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
    (service, code, tail) => {
      say(`\n${service} stopped unexpectedly (${code}). Last lines of its log:\n${tail}\n`);
      void shutdown(1);
    },
  );

  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    say('\nstopping Flywheel…');
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
    const destination = process.stdout.isTTY
      ? { terminal: true as const }
      : { file: saveAdminToken(launcher.dataDir, launcher.adminToken) };
    for (const line of adminTokenLines(launcher.adminToken, destination)) say(line);
  }
  say(`\nFlywheel is ready: all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
}

void main();
