import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allServiceAcls } from '@flywheel/contracts';
import { KAFKA_ACCESS_SCRIPT, kafkaPasswordVariable, scriptUsers } from './kafka-access-script';

// The script is run with stand-ins for Kafka's tools that record their arguments: what reaches
// kafka-configs and kafka-acls is what Apache Kafka would be asked.

const SCRIPT = join(__dirname, '..', '..', '..', '..', KAFKA_ACCESS_SCRIPT);
let bin: string;

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'kafka-bin-'));
  for (const tool of ['kafka-configs.sh', 'kafka-acls.sh']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${join(bin, 'calls')}"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
});

afterEach(() => rmSync(bin, { recursive: true, force: true }));

const passwords = Object.fromEntries(scriptUsers().map((user, i) => [kafkaPasswordVariable(user), `pw-${user}-${i}-0123456789abcdef`]));
const run = (env: Record<string, string>) =>
  spawnSync('sh', [SCRIPT], { encoding: 'utf8', env: { PATH: process.env.PATH, KAFKA_BIN: bin, ...env }, timeout: 60_000 });
const calls = () => readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');

describe('kafka-access.sh', () => {
  it('creates each SCRAM user with its password and adds the ACLs, on the bootstrap and with the admin config given', () => {
    const result = run({ ...passwords, KAFKA_BOOTSTRAP: 'kafka:9092', KAFKA_COMMAND_CONFIG: '/etc/kafka/admin.properties' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const made = calls();
    const connect = '--bootstrap-server kafka:9092 --command-config /etc/kafka/admin.properties';
    expect(made.filter((c) => c.startsWith('kafka-configs.sh'))).toEqual(
      scriptUsers().map(
        (user) =>
          `kafka-configs.sh ${connect} --alter --entity-type users --entity-name ${user} ` +
          `--add-config SCRAM-SHA-512=[iterations=8192,password=${passwords[kafkaPasswordVariable(user)]}]`,
      ),
    );
    expect(made).toContain(
      `kafka-acls.sh ${connect} --add --allow-principal User:deployer --topic flywheel.predictions --resource-pattern-type literal ` +
        '--operation Write --operation Describe --operation Create',
    );
    const operations = made.filter((c) => c.startsWith('kafka-acls.sh')).flatMap((c) => [...c.matchAll(/--operation/g)]);
    expect(operations).toHaveLength(allServiceAcls().length);
  });

  it("leaves another cluster's admin alone when no admin password is given", () => {
    const { KAFKA_ADMIN_PASSWORD: _admin, ...services } = passwords;
    const result = run(services);
    expect(result.status).toBe(0);
    const users = calls()
      .filter((c) => c.startsWith('kafka-configs.sh'))
      .map((c) => /--entity-name (\S+)/.exec(c)![1]);
    expect(users).toEqual(scriptUsers().filter((user) => user !== 'admin'));
  });

  it.each([
    ['missing', undefined, 'REGISTRY_KAFKA_PASSWORD must be set, with only A-Z a-z 0-9 _ -'],
    ['one that would rewrite the SCRAM settings', 'abcdefghijklmnop,iterations=1', 'must be set, with only A-Z a-z 0-9 _ -'],
    ['a short one', 'short', 'REGISTRY_KAFKA_PASSWORD must be at least 16 characters'],
  ])('stops at a password that is %s, before creating that user', (_what, value, message) => {
    const env: Record<string, string> = { ...passwords };
    if (value === undefined) delete env.REGISTRY_KAFKA_PASSWORD;
    else env.REGISTRY_KAFKA_PASSWORD = value;
    const result = run(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(calls().some((c) => c.includes('--entity-name registry'))).toBe(false);
  });
});
