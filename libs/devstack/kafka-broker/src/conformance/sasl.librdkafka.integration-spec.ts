import { assertConfluentKafkaPython, assertKcat, eventually } from '@flywheel/test-kit';
import { type TestBroker } from '../testing';
import { kafkaClient } from './kafkajs-helpers';
import { CONSUME_FORMAT, kcat, KcatGroupMember, kcatLogin, killAll, parseConsumed, pythonFixture, runTool } from './librdkafka-helpers';
import { credential, PASSWORDS, SECURE_GROUP_PREFIX, SECURE_TOPIC_PREFIX, type SecureUser, startSecureBroker } from './secure-broker';

// kcat and confluent-kafka (both librdkafka) against a broker that requires SASL/SCRAM-SHA-512
// and applies ACLs, configured as the platform documents: security.protocol=SASL_PLAINTEXT,
// sasl.mechanisms=SCRAM-SHA-512.
jest.setTimeout(180_000);

let broker: TestBroker;
let topicCounter = 0;

beforeAll(async () => {
  assertKcat();
  assertConfluentKafkaPython();
  broker = await startSecureBroker();
});

afterAll(async () => {
  await killAll();
  await broker?.stop();
});

/** kcat's options for `user` (with `password`, default the right one); none for an anonymous client. */
function sasl(user?: SecureUser, password?: string): string[] {
  if (!user) return [];
  return kcatLogin(credential(user, password));
}

/** A fresh topic holding `count` messages v0..v<count-1>, written by the producer principal. */
async function topicWithMessages(count: number): Promise<string> {
  const topic = `${SECURE_TOPIC_PREFIX}rdkafka-${++topicCounter}-${Date.now()}`;
  const lines = Array.from({ length: count }, (_, i) => `k${i}:v${i}\n`).join('');
  await kcat(['-b', broker.address, ...sasl('producer'), '-P', '-t', topic, '-p', '0', '-K:'], { input: lines });
  return topic;
}

interface SaslResult {
  delivered?: number[];
  values?: string[];
  committed?: boolean | number;
  errors: string[];
}

/** One confluent_kafka action as `user` ('-' for no SASL at all). */
function confluent(action: string, user: SecureUser | '-', password: string | undefined, topic: string, ...args: string[]) {
  const secret = user === '-' ? '-' : (password ?? PASSWORDS[user]);
  return pythonFixture<SaslResult>('confluent_sasl.py', [action, broker.address, user, secret, topic, ...args]);
}

describe('kcat', () => {
  it('without credentials: the broker closes the connection, no metadata', async () => {
    const result = await runTool('kcat', ['-L', '-b', broker.address, '-m', '3']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Failed to acquire metadata/);
    expect(result.stderr).toMatch(/broker might require SASL authentication/);
  });

  it('with a wrong password: SASL authentication error with the broker message', async () => {
    const result = await runTool('kcat', ['-L', '-b', broker.address, ...sasl('consumer', 'wrong-password'), '-m', '3']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/SASL authentication error: Authentication failed during authentication due to invalid credentials/);
  });

  it('lacking Write: produce fails with Topic authorization failed', async () => {
    const topic = await topicWithMessages(1);
    const result = await runTool('kcat', ['-b', broker.address, ...sasl('consumer'), '-P', '-t', topic, '-K:'], { input: 'k:v\n' });
    expect(result.stderr).toMatch(/Delivery failed for message: Broker: Topic authorization failed/);
  });

  it('lacking Read on the topic: fetch fails with Topic authorization failed', async () => {
    const topic = await topicWithMessages(1);
    const read = ['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e'];
    const result = await runTool('kcat', ['-b', broker.address, ...sasl('describer'), ...read]);
    expect(result.stderr).toMatch(/Fetch from broker 1 failed: Broker: Topic authorization failed/);
    expect(result.stdout).toBe('');
  });

  it('lacking Read on the group: JoinGroup fails with Group authorization failed', async () => {
    const topic = await topicWithMessages(1);
    const result = await runTool('kcat', ['-b', broker.address, ...sasl('loner'), '-G', `${SECURE_GROUP_PREFIX}kcat-loner`, topic], {
      timeoutMs: 30_000,
    });
    expect(result.stderr).toMatch(/JoinGroup failed: Broker: Group authorization failed/);
    expect(result.timedOut).toBe(false);
  });

  it('with the right credentials and ACLs: produces, consumes, and consumes in a group that commits', async () => {
    const topic = await topicWithMessages(5);
    const consumed = await kcat([
      '-b',
      broker.address,
      ...sasl('consumer'),
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-f',
      CONSUME_FORMAT,
    ]);
    expect(parseConsumed(consumed.stdout).map((m) => m.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);

    const group = `${SECURE_GROUP_PREFIX}kcat-${topicCounter}`;
    const member = new KcatGroupMember({ address: broker.address, credential: credential('consumer') }, group, topic);
    const admin = kafkaClient(broker.address, 'check', credential('admin')).admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      // kcat commits automatically (every 5 s by default) once it has consumed.
      let committed = '-1';
      const fetchCommitted = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions[0].offset;
      await eventually(async () => (committed = await fetchCommitted()) === '5', 60_000, 500);
      expect(member.lines).toHaveLength(5);
      expect(committed).toBe('5');
    } finally {
      member.kill();
      await admin.disconnect();
    }
  });
});

describe('confluent-kafka (python)', () => {
  it('without credentials: nothing is delivered or fetched', async () => {
    const topic = await topicWithMessages(1);
    const produced = await confluent('produce', '-', undefined, topic, '1', '0');
    expect(produced.delivered).toEqual([]);
    expect(produced.errors).toContain('_TRANSPORT');
    const fetched = await confluent('fetch', '-', undefined, topic, `${SECURE_GROUP_PREFIX}anon`);
    expect(fetched.values).toEqual([]);
    expect(fetched.errors).toContain('_TRANSPORT');
  });

  it('with a wrong password: _AUTHENTICATION for producer and consumer', async () => {
    const topic = await topicWithMessages(1);
    const produced = await confluent('produce', 'producer', 'wrong-password', topic, '1', '0');
    expect(produced).toMatchObject({ delivered: [], errors: expect.arrayContaining(['_AUTHENTICATION']) });
    const joined = await confluent('join', 'consumer', 'wrong-password', topic, `${SECURE_GROUP_PREFIX}py-wrong`);
    expect(joined).toMatchObject({ values: [], errors: expect.arrayContaining(['_AUTHENTICATION']) });
  });

  it('lacking Write: TOPIC_AUTHORIZATION_FAILED on delivery; CLUSTER_AUTHORIZATION_FAILED for an idempotent producer', async () => {
    const topic = await topicWithMessages(1);
    expect(await confluent('produce', 'consumer', undefined, topic, '1', '0')).toEqual({
      delivered: [],
      errors: ['TOPIC_AUTHORIZATION_FAILED'],
    });
    expect(await confluent('produce', 'consumer', undefined, topic, '1', '1')).toEqual({
      delivered: [],
      errors: ['CLUSTER_AUTHORIZATION_FAILED'],
    });
  });

  it('lacking Read on the topic: fetch gets TOPIC_AUTHORIZATION_FAILED', async () => {
    const topic = await topicWithMessages(1);
    expect(await confluent('fetch', 'describer', undefined, topic, `${SECURE_GROUP_PREFIX}py-fetch`)).toEqual({
      values: [],
      errors: ['TOPIC_AUTHORIZATION_FAILED'],
    });
  });

  it('lacking Read on the group: joining gets GROUP_AUTHORIZATION_FAILED', async () => {
    const topic = await topicWithMessages(1);
    expect(await confluent('join', 'loner', undefined, topic, `${SECURE_GROUP_PREFIX}py-loner`)).toEqual({
      values: [],
      errors: ['GROUP_AUTHORIZATION_FAILED'],
    });
  });

  it('offset commit: GROUP_AUTHORIZATION_FAILED without Read on the group, TOPIC_AUTHORIZATION_FAILED without Read on the topic', async () => {
    const topic = await topicWithMessages(1);
    const group = `${SECURE_GROUP_PREFIX}py-commit`;
    expect(await confluent('commit', 'loner', undefined, topic, group, '1')).toEqual({
      committed: false,
      errors: ['GROUP_AUTHORIZATION_FAILED'],
    });
    expect(await confluent('commit', 'describer', undefined, topic, group, '1')).toEqual({
      committed: false,
      errors: ['TOPIC_AUTHORIZATION_FAILED'],
    });
  });

  it('with the right credentials and ACLs: idempotent produce, group consume and a commit read back', async () => {
    const topic = `${SECURE_TOPIC_PREFIX}py-e2e-${Date.now()}`;
    expect(await confluent('produce', 'producer', undefined, topic, '10', '1')).toEqual({
      delivered: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      errors: [],
    });
    const consumed = await confluent('consume', 'consumer', undefined, topic, `${SECURE_GROUP_PREFIX}py-e2e`, '10');
    expect(consumed).toEqual({ values: Array.from({ length: 10 }, (_, i) => `v${i}`), committed: 10, errors: [] });
  });
});
