import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@flywheel/test-kit';
import { MAX_USERS_FILE_BYTES } from '../security/users-file';
import { spawnBrokerProcess, temporaryDataDir, type BrokerProcess } from '../testing';
import { kafkaClient } from './kafkajs-helpers';
import { runTool } from './librdkafka-helpers';
import { credential, PASSWORDS, SECURITY } from './secure-broker';

// `npm run broker` as a developer runs it: it must be told who may connect.
jest.setTimeout(120_000);

const MAIN = join(__dirname, '..', 'main.ts');
let dir: string;
let running: BrokerProcess | undefined;

beforeEach(() => {
  dir = temporaryDataDir('flywheel-users-file-');
});

afterEach(async () => {
  running?.child.kill('SIGKILL');
  if (running) await running.exited;
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function usersFile(content: string | object, mode = 0o600): string {
  const path = join(dir, 'users.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(path, mode);
  return path;
}

/** Runs the broker command to its exit (it fails before listening, or it would not exit). */
async function brokerFails(args: string[]) {
  const result = await runTool(
    process.execPath,
    ['-r', '@swc-node/register', MAIN, '--port', '0', '--data-dir', join(dir, 'data'), ...args],
    {
      timeoutMs: 60_000,
    },
  );
  expect(result.timedOut).toBe(false);
  return result;
}

describe('npm run broker', () => {
  it('refuses to start with neither --users-file nor --allow-anonymous', async () => {
    const result = await brokerFails([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--users-file is required \(or --allow-anonymous\)/);
  });

  it('refuses both at once', async () => {
    const result = await brokerFails(['--allow-anonymous', '--users-file', usersFile(SECURITY)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exclude each other/);
  });

  it.each([
    ['640', 0o640],
    ['604', 0o604],
    ['644', 0o644],
  ])('refuses a users file of mode %s, which others may read', async (_octal, mode) => {
    const path = usersFile(SECURITY, mode);
    const result = await brokerFails(['--users-file', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `users file ${path} is readable by others (mode ${mode.toString(8)}); it holds passwords: chmod 600 ${path}`,
    );
  });

  it.each([
    ['is not JSON', '{"users": [', /is not JSON/],
    ['has an invalid ACL', { ...SECURITY, acls: [{ ...SECURITY.acls[0], operation: 'launch' }] }, /acls\.0\.operation/],
    ['is too large', ' '.repeat(MAX_USERS_FILE_BYTES + 1), /over 1048576/],
  ])('refuses a users file that %s, naming the problem', async (_name, content, message) => {
    const result = await brokerFails(['--users-file', usersFile(content)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a users file that does not exist', async () => {
    const result = await brokerFails(['--users-file', join(dir, 'missing.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot open users file .*missing\.json/);
  });

  it('with a users file: serves its users with SCRAM-SHA-512 and refuses anonymous clients', async () => {
    running = await spawnBrokerProcess(await freePort(), join(dir, 'data'), ['--users-file', usersFile(SECURITY)]);
    const admin = kafkaClient(running.address, 'users-file', credential('admin')).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'secure.from-file' }] });
    expect(await admin.listTopics()).toContain('secure.from-file');
    await admin.disconnect();
    const anonymous = kafkaClient(running.address, 'anonymous', undefined, 0).admin();
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow(/Connection|closed/i);
    const wrong = kafkaClient(running.address, 'wrong', { username: 'admin', password: `${PASSWORDS.admin}x` }, 0).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
  });
});
