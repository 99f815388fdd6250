// `npm start`: the whole platform on its embedded defaults.
import { type RunningConsole, type ServiceAddresses, startConsole } from '@flywheel/console';
import { keepNewFilesPrivate } from '@flywheel/dev-server-kit';
import { adminTokenLines, PlatformLauncher, saveAdminToken } from '@flywheel/embedded-platform';
import { table } from '@flywheel/text-table';

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/**
 * The web console on CONSOLE_HTTP_PORT (default 8080; `off` for none), reading the services with
 * each signed-in team's token. A console that cannot start leaves the platform running.
 */
async function startWebConsole(env: NodeJS.ProcessEnv, addresses: ServiceAddresses): Promise<RunningConsole | string> {
  const setting = env.CONSOLE_HTTP_PORT?.trim() || '8080';
  if (setting === 'off') return 'off (CONSOLE_HTTP_PORT=off)';
  const port = Number(setting);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `not started: CONSOLE_HTTP_PORT="${setting}" is not a port (or off)`;
  try {
    return await startConsole({ port, host: env.CONSOLE_HTTP_HOST || '127.0.0.1', addresses });
  } catch (error) {
    return `not started: ${(error as Error).message} (set CONSOLE_HTTP_PORT to another port, or off)`;
  }
}

/** `npm start -- --replicas deployer=2`: the same as FLYWHEEL_REPLICAS=deployer=2. */
function environmentWithArguments(args: readonly string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag !== '--replicas') throw new Error(`unknown option "${args[i]}" (npm start [-- --replicas <service>=<n>[,…]])`);
    const value = inline ?? args[++i];
    if (!value) throw new Error('--replicas needs <service>=<n>[,…], e.g. --replicas deployer=2');
    env.FLYWHEEL_REPLICAS = value;
  }
  return env;
}

async function main(): Promise<void> {
  keepNewFilesPrivate();
  let env: NodeJS.ProcessEnv;
  try {
    env = environmentWithArguments(process.argv.slice(2));
  } catch (error) {
    say(`Flywheel: ${(error as Error).message}`);
    process.exit(2);
  }
  const launcher = new PlatformLauncher(
    env,
    (m) => say(`· ${m}`),
    // The others keep running: a service that keeps crashing should not take the platform down.
    (service, reason, tail) => say(`\n${service} ${reason}. The other services keep running. Last lines of its log:\n${tail}\n`),
  );

  let webConsole: RunningConsole | undefined;
  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    say('\nstopping Flywheel: the services first, then the broker, S3 and PostgreSQL (Ctrl-C again to force)…');
    await webConsole?.close();
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
  const consoleStarted = await startWebConsole(env, launcher.serviceAddresses);
  if (typeof consoleStarted === 'string') say(`\nConsole: ${consoleStarted}`);
  else {
    webConsole = consoleStarted;
    say(`\nConsole: ${webConsole.url} (sign in with a team token)`);
  }
  if (shuttingDown) return;
  say(`Flywheel is ready: all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
}

void main();
