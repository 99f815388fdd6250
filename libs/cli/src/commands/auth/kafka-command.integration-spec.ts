import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaAccessFileBeside, readKafkaAccessFile } from '@flywheel/platform';
import { runCli } from '../../cli';
import { runFlywheelSync } from '@flywheel/testing';
import { flywheel } from '..';

let dir: string;
let tokensFile: string;
let accessFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-auth-kafka-'));
  tokensFile = join(dir, 'auth', 'tokens.json');
  accessFile = kafkaAccessFileBeside(tokensFile);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const grant = (...extra: string[]) =>
  runFlywheelSync(['auth', 'kafka', '--tokens-file', tokensFile, '--team', 'fraud', '--out', join(dir, 'client.properties'), ...extra]);

describe('flywheel auth kafka', () => {
  it("adds the team's producer and its ACLs to the Kafka-access file and writes its client properties, 0600", () => {
    const run = grant('--produce', 'flywheel.ingest.claims,flywheel.ingest.payments', '--bootstrap', 'kafka-1:9092,kafka-2:9092');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const [producer] = readKafkaAccessFile(accessFile).producers;
    expect(producer).toMatchObject({ team: 'fraud', user: 'fraud-producer' });
    expect(producer.acls.map((acl) => `${acl.principal} ${acl.operation} ${acl.name}`)).toEqual([
      'User:fraud-producer write flywheel.ingest.claims',
      'User:fraud-producer describe flywheel.ingest.claims',
      'User:fraud-producer write flywheel.ingest.payments',
      'User:fraud-producer describe flywheel.ingest.payments',
    ]);
    expect(statSync(accessFile).mode & 0o777).toBe(0o600);

    const properties = join(dir, 'client.properties');
    expect(statSync(properties).mode & 0o777).toBe(0o600);
    expect(readFileSync(properties, 'utf8').split('\n').slice(1)).toEqual([
      'bootstrap.servers=kafka-1:9092,kafka-2:9092',
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanisms=SCRAM-SHA-512',
      'sasl.username=fraud-producer',
      `sasl.password=${producer.password}`,
      '',
    ]);

    // stdout is a pipe here: the kafkajs settings point at the file instead of showing the password.
    expect(run.stdout).not.toContain(producer.password);
    expect(run.stdout).toContain("sasl: { mechanism: 'scram-sha-512', username: 'fraud-producer', password: /* sasl.password in");
    expect(run.stdout).toMatch(/flywheel\.ingest\.payments\s+describe/);
    // And what Apache Kafka's admin runs, the password read from the file by the shell.
    expect(run.stdout).toContain(
      `kafka-configs.sh --bootstrap-server kafka-1:9092,kafka-2:9092 --command-config admin.properties --alter --entity-type users ` +
        `--entity-name fraud-producer --add-config "SCRAM-SHA-512=[iterations=8192,password=$(sed -n 's/^sasl.password=//p' ${properties})]"`,
    );
    expect(run.stdout).toContain(
      'kafka-acls.sh --bootstrap-server kafka-1:9092,kafka-2:9092 --command-config admin.properties --add ' +
        '--allow-principal User:fraud-producer --topic flywheel.ingest.claims --resource-pattern-type literal --operation Write --operation Describe',
    );
  });

  it('shows the password to a terminal, and in --json', async () => {
    let shown = '';
    const code = await runCli(
      flywheel,
      ['auth', 'kafka', '--tokens-file', tokensFile, '--team', 'fraud', '--produce', 'flywheel.ingest.claims', '--out', join(dir, 'p')],
      { stdout: (text) => (shown += text), stderr: (text) => (shown += text), stdoutIsTerminal: true },
    );
    expect(code).toBe(0);
    const { password } = readKafkaAccessFile(accessFile).producers[0];
    expect(shown).toContain(`password: '${password}'`);

    const json = JSON.parse(grant('--produce', 'flywheel.ingest.claims', '--json').stdout);
    expect(json).toMatchObject({ user: 'fraud-producer', replaced: true, password: readKafkaAccessFile(accessFile).producers[0].password });
  });

  it("replaces a team's password and ACLs when run again, and keeps other teams'", () => {
    expect(grant('--produce', 'flywheel.ingest.claims').code).toBe(0);
    const first = readKafkaAccessFile(accessFile).producers[0].password;
    const other = runFlywheelSync([
      'auth',
      'kafka',
      '--tokens-file',
      tokensFile,
      '--team',
      'risk',
      '--produce',
      'flywheel.ingest.loans',
      '--out',
      join(dir, 'risk.properties'),
    ]);
    expect(other.code).toBe(0);
    const again = grant('--produce', 'flywheel.ingest.payments', '--consume', 'flywheel.ingest.payments.dlq', '--group', 'fraud.dlq');
    expect(again.stdout).toMatch(/^Replaced Kafka user fraud-producer/);

    const producers = readKafkaAccessFile(accessFile).producers;
    expect(producers.map((p) => p.user)).toEqual(['risk-producer', 'fraud-producer']);
    const fraud = producers[1];
    expect(fraud.password).not.toBe(first);
    expect(fraud.acls.map((acl) => acl.name)).not.toContain('flywheel.ingest.claims');
    expect(fraud.acls).toContainEqual({
      principal: 'User:fraud-producer',
      resource: 'group',
      pattern: 'literal',
      name: 'fraud.dlq',
      operation: 'read',
    });
  });

  it.each([
    [
      ['--produce', 'flywheel.registry.events'],
      'a team may write only flywheel.ingest.<dataset> topics and flywheel.feedback, not "flywheel.registry.events"',
    ],
    [['--produce', 'flywheel.ingest.claims', '--consume', 'flywheel.predictions'], 'a team may read its ingest topics'],
    [['--produce', 'flywheel.ingest.claims', '--consume', 'flywheel.ingest.claims', '--group', 'monitor.feedback'], 'group: must be fraud'],
    [['--produce', 'flywheel.ingest.claims', '--bootstrap', 'kafka;rm -rf /:9092'], '--bootstrap: "kafka;rm -rf /:9092" is not host:port'],
  ])('refuses %j in one line, exit code 2, writing nothing', (args, message) => {
    const run = grant(...args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
    expect(existsSync(accessFile)).toBe(false);
    expect(existsSync(join(dir, 'client.properties'))).toBe(false);
  });

  it('refuses a hostile team name and a corrupt Kafka-access file', () => {
    const hostile = runFlywheelSync([
      'auth',
      'kafka',
      '--tokens-file',
      tokensFile,
      '--team',
      '../admin',
      '--produce',
      'flywheel.ingest.x',
      '--out',
      join(dir, 'p'),
    ]);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).toContain('team: must match');

    expect(grant('--produce', 'flywheel.ingest.claims').code).toBe(0);
    writeFileSync(accessFile, '{"version":1,"producers":[{"team":"x"}]}');
    const corrupt = grant('--produce', 'flywheel.ingest.claims');
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain(`Kafka-access file ${accessFile}: producers.0.user:`);
  });
});
