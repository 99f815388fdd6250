import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcServices, type deployerV1 } from '@flywheel/contracts';
import { ADMIN_TOKEN_FILE, postgresClusterOf, removeDataFolder, SERVICES } from '@flywheel/embedded-platform';
import { createGrpcClient } from '@flywheel/platform';
import { eventually } from '@flywheel/test-kit';
import {
  alive,
  descendants,
  interrupt,
  launcherPid,
  npmStart,
  type PlatformPorts,
  platformEnv,
  type RunningPlatform,
  servicePid,
  waitForLine,
} from '../src/testing/platform-process';

// One platform, healed three ways: a service killed, the launcher killed, and Ctrl-C followed at
// once by a new start, three times over. Each start costs tens of seconds on two cores, so the
// scenarios run in order on the same data folder, each beginning where the previous one ended.
jest.setTimeout(900_000);

const READY = /Flywheel is ready/;
const START_TIMEOUT_MS = 300_000;

async function stopped(running: RunningPlatform): Promise<void> {
  // npm itself ends on the Ctrl-C; the launcher finishes stopping everything first.
  expect([0, 'SIGINT']).toContain(await running.exited);
  await waitForLine(running, /^stopped\.$/, 60_000);
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  await eventually(() => !pids.some(alive), timeoutMs, 200);
  return pids.filter(alive);
}

/** Every service log's size now, to read only what is written after. */
function logSizes(dataDir: string): Map<string, number> {
  const logs = join(dataDir, 'logs');
  return new Map(readdirSync(logs).map((name) => [name, statSync(join(logs, name)).size]));
}

function logLinesSince(dataDir: string, sizes: Map<string, number>): string[] {
  const logs = join(dataDir, 'logs');
  return readdirSync(logs).flatMap((name) =>
    readFileSync(join(logs, name))
      .subarray(sizes.get(name) ?? 0)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => `${name}: ${line}`),
  );
}

describe('npm start heals', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: PlatformPorts['services'];
  let token: string;
  let running: RunningPlatform | undefined;

  const deployerAnswers = async () => {
    const healthz = await fetch(`http://127.0.0.1:${ports.deployer.http}/healthz`);
    expect(healthz.status).toBe(200);
    const client = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, {
      address: `127.0.0.1:${ports.deployer.grpc}`,
      token,
      deadlineMs: 20_000,
    });
    try {
      const listed = await client.listDeployments({ page: undefined });
      expect(Array.isArray(listed.deployments)).toBe(true);
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flywheel-heals-'));
    ({ env, services: ports } = await platformEnv(dataDir));
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      interrupt(running);
      await running.exited;
      await waitForLine(running, /^stopped\.$/, 60_000).catch(() => undefined);
    }
    removeDataFolder(dataDir);
  });

  it('restarts a service killed with SIGKILL, and the service answers again', async () => {
    running = npmStart(env);
    await waitForLine(running, READY, START_TIMEOUT_MS);
    // Output to a pipe, not a terminal: the admin token is in its 0600 file.
    token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();

    const killed = servicePid(dataDir, 'deployer');
    process.kill(killed, 'SIGKILL');
    await waitForLine(running, /^· deployer exited \(signal SIGKILL\); restarting in 1 s$/, 30_000);
    await waitForLine(running, /^· deployer is healthy again$/, START_TIMEOUT_MS);
    const restarted = servicePid(dataDir, 'deployer');
    expect(restarted).not.toBe(killed);
    expect(descendants(launcherPid(running))).toContain(restarted);
    await deployerAnswers();
    // The others were left running.
    expect(running.output.filter((l) => /exited|restarting/.test(l))).toHaveLength(1);

    // A second launcher on the same data folder would take the first one's services for leftovers.
    const second = npmStart(env);
    await waitForLine(second, /already runs on .* \(launcher pid \d+\)/, 60_000);
    expect(await second.exited).toBe(1);
    await deployerAnswers();
  });

  it('starts again on the same data folder after the launcher was killed with SIGKILL', async () => {
    const launcher = launcherPid(running!);
    const left = descendants(launcher);
    const postmaster = Number(readFileSync(join(postgresClusterOf(dataDir), 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(left).toContain(postmaster);
    process.kill(launcher, 'SIGKILL');
    await running!.exited;
    // Its detached children outlive it: PostgreSQL at least still holds its port.
    expect(alive(postmaster)).toBe(true);

    running = npmStart(env);
    await waitForLine(running, READY, START_TIMEOUT_MS);
    await waitForLine(running, new RegExp(`^· stopping PostgreSQL \\(pid ${postmaster}\\) left running on `), 1000);
    expect(left.filter(alive)).toEqual([]);
    expect(existsSync(join(dataDir, 'run', 'deployer.pid'))).toBe(true);
    await deployerAnswers();
  });

  it("stops on a terminal's Ctrl-C, services first, and starts again right after, three times in a row", async () => {
    const before = logSizes(dataDir);
    for (let round = 1; round <= 3; round++) {
      const pids = descendants(running!.child.pid!);
      interrupt(running!);
      await stopped(running!);
      expect(await waitUntilGone(pids, 5000)).toEqual([]);

      running = npmStart(env);
      await waitForLine(running, READY, START_TIMEOUT_MS);
      expect(running.output.filter((l) => /left running|exited|restarting/.test(l))).toEqual([]);
    }
    await deployerAnswers();

    // Ctrl-C used to reach PostgreSQL with the services: ingestion's shutdown commit then failed
    // and relays wrote to released connections. Stopped in order, no service logs an error.
    const written = logLinesSince(dataDir, before);
    expect(written.filter((l) => /shutdown commit failed/.test(l))).toEqual([]);
    expect(written.filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
    for (const service of SERVICES) expect(written.some((l) => l.startsWith(`${service}.log: `))).toBe(true);
  });

  it('stops at once on a second Ctrl-C', async () => {
    const pids = descendants(running!.child.pid!);
    const launcher = launcherPid(running!);
    interrupt(running!);
    await waitForLine(running!, /^stopping Flywheel/, 10_000);
    process.kill(launcher, 'SIGINT');
    await waitForLine(running!, /^stopping at once/, 10_000);
    await running!.exited;
    expect(await waitUntilGone(pids, 10_000)).toEqual([]);
    expect(running!.output.some((l) => /^stopped\.$/.test(l))).toBe(false);
  });
});
