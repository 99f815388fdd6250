import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AliasMovedEvent,
  commonV1,
  type deployerV1,
  dlqTopic,
  encodeEvent,
  type EventType,
  GrpcServices,
  ingestTopic,
  registryV1,
  Topics,
  TrainModelCommand,
  trainerV1,
} from '@flywheel/contracts';
import { ADMIN_TOKEN_FILE, removeDataFolder } from '@flywheel/embedded-platform';
import { createGrpcClient } from '@flywheel/platform';
import { readRecords } from '@flywheel/testing';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { interrupt, npmStart, type RunningPlatform, platformEnv, waitForLine } from '../src/testing/platform-process';

// Where a consumer parks a refused event says why (the dead-letter header of libs/messaging, read
// here by name: the launcher does not depend on the messaging library).
const DEAD_LETTER_ERROR = 'x-flywheel-error';

// The side door, tried as an attacker would: events that would deploy a model or start training,
// produced with no credentials, with a data producer's, and with a compromised service's.
jest.setTimeout(600_000);

const FLYWHEEL = resolve(__dirname, '../../../cli/bin/flywheel.js');

describe('forged events on the platform (authenticated Kafka, verifying consumers)', () => {
  let dataDir: string;
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  let deployerAddress: string;
  let brokers: string[];
  let running: RunningPlatform | undefined;

  const kafka = (sasl?: SASLOptions) =>
    new Kafka({ clientId: 'forger', brokers, sasl, logLevel: logLevel.NOTHING, retry: { retries: 1 }, connectionTimeout: 5000 });
  const scram = (username: string, password: string): SASLOptions => ({ mechanism: 'scram-sha-512', username, password });
  /** A password the launcher generated, as someone who broke into that service would have it. */
  const servicePassword = (user: string): string =>
    (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { kafkaPasswords: Record<string, string> }).kafkaPasswords[user];

  function forged<T>(type: EventType<T>, key: string, data: T, source: string) {
    return encodeEvent(type, {
      id: `forged-${key}-${Date.now()}`,
      source,
      time: new Date(),
      key,
      causationId: null,
      traceparent: null,
      data,
    });
  }
  const evilMove = () =>
    forged(
      AliasMovedEvent,
      'evil',
      registryV1.AliasMoved.fromPartial({
        modelName: 'evil',
        alias: 'production',
        toVersion: 1,
        target: { modelName: 'evil', version: 1, artifact: { key: 'models/evil/v1/model.json', sha256: 'e'.repeat(64), sizeBytes: 10 } },
      }),
      'flywheel/registry',
    );

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'flywheel-forged-'));
    dataDir = join(workDir, 'data');
    let services;
    ({ env, services } = await platformEnv(dataDir));
    deployerAddress = `127.0.0.1:${services.deployer.grpc}`;
    brokers = [`127.0.0.1:${env.KAFKA_PORT}`];
    // A team's data producer, given its credential before the platform starts (the broker reads
    // the Kafka-access file when it starts).
    execFileSync(process.execPath, [
      FLYWHEEL,
      'auth',
      'kafka',
      '--tokens-file',
      join(dataDir, 'auth', 'tokens.json'),
      '--team',
      'claims-team',
      '--produce',
      ingestTopic('claims'),
      '--out',
      join(workDir, 'client.properties'),
      '--bootstrap',
      brokers[0],
    ]);
    running = npmStart(env);
    await waitForLine(running, /Flywheel is ready/, 300_000);
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      interrupt(running);
      await running.exited;
      await waitForLine(running, /^stopped\.$/, 60_000).catch(() => undefined);
    }
    if (dataDir) removeDataFolder(dataDir);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses an anonymous client and a data producer writing the registry topic; the producer writes its ingest topic', async () => {
    const anonymous = kafka().producer();
    await expect(anonymous.connect().then(() => anonymous.send({ topic: Topics.registryEvents, messages: [evilMove()] }))).rejects.toThrow(
      /Connection|closed|ECONNRESET/i,
    );
    await anonymous.disconnect().catch(() => undefined);

    const properties = readFileSync(join(workDir, 'client.properties'), 'utf8');
    const property = (name: string) => new RegExp(`^${name.replace('.', '\\.')}=(.*)$`, 'm').exec(properties)![1];
    const teamProducer = () => kafka(scram(property('sasl.username'), property('sasl.password'))).producer();
    const producer = teamProducer();
    await producer.connect();
    try {
      // The broker answers TOPIC_AUTHORIZATION_FAILED to the producer's metadata request for the topic.
      await expect(producer.send({ topic: Topics.registryEvents, messages: [evilMove()] })).rejects.toThrow(
        'Not authorized to access topics: [Topic authorization failed]',
      );
    } finally {
      await producer.disconnect();
    }
    // Its own topic, created as registering the dataset would (a producer may write, not create, topics).
    const admin = kafka(scram('admin', servicePassword('admin'))).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: ingestTopic('claims') }] }).finally(() => admin.disconnect());
    // A fresh producer: kafkajs keeps asking for the metadata of every topic it was ever sent to.
    const own = teamProducer();
    await own.connect();
    try {
      await own.send({ topic: ingestTopic('claims'), acks: -1, messages: [{ value: '{"claim_id":"c-1"}' }] });
    } finally {
      await own.disconnect();
    }
  });

  it("dead-letters a forged AliasMoved and TrainModel sent with the services' own credentials, and serves nothing", async () => {
    const asRegistry = kafka(scram('registry', servicePassword('registry'))).producer();
    const asTrainer = kafka(scram('trainer', servicePassword('trainer'))).producer();
    await Promise.all([asRegistry.connect(), asTrainer.connect()]);
    try {
      await asRegistry.send({ topic: Topics.registryEvents, acks: -1, messages: [evilMove()] });
      const train = forged(
        TrainModelCommand,
        'evil',
        trainerV1.TrainModel.fromPartial({
          spec: { modelName: 'evil', featureView: 'claims', label: 'fraud', algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION },
          trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
        }),
        'flywheel/intruder',
      );
      await asTrainer.send({ topic: Topics.trainerCommands, acks: -1, messages: [train] });
    } finally {
      await Promise.all([asRegistry.disconnect(), asTrainer.disconnect()]);
    }

    const admin = kafka(scram('admin', servicePassword('admin')));
    const [move] = await readRecords(admin, dlqTopic(Topics.registryEvents), 1, 60_000);
    expect(move.headers[DEAD_LETTER_ERROR]).toMatch(
      / from flywheel\/registry \(evil production → v1\) refused: the registry has no model "evil"$/,
    );
    const [command] = await readRecords(admin, dlqTopic(Topics.trainerCommands), 1, 60_000);
    expect(command.headers[DEAD_LETTER_ERROR]).toMatch(/ from intruder refused: the trainer knows no model evil /);

    const token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
    const deployer = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address: deployerAddress, token });
    try {
      expect((await deployer.listDeployments({ page: undefined })).deployments.map((d) => d.name)).not.toContain('evil');
    } finally {
      deployer.close();
    }
  });
});
