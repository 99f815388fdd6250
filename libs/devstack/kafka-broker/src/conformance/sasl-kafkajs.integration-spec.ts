import { eventually } from '@flywheel/test-kit';
import { type Consumer, type Kafka } from 'kafkajs';
import { type TestBroker } from '../testing';
import { collect, type Credential, kafkaClient } from './kafkajs-helpers';
import { credential, SECURE_GROUP_PREFIX, SECURE_TOPIC_PREFIX, SECURITY, startSecureBroker } from './secure-broker';

// kafkajs against a broker that requires SASL/SCRAM-SHA-512 and applies ACLs: the options the
// platform's services use (`sasl: { mechanism: 'scram-sha-512', username, password }`).
jest.setTimeout(120_000);

let broker: TestBroker;
const consumers: Consumer[] = [];
let topicCounter = 0;

function client(who?: Credential): Kafka {
  // No retries: a refusal is final, and retrying it only slows the test down.
  return kafkaClient(broker.address, 'sasl-conformance', who, 0);
}

function consumer(kafka: Kafka, groupId: string): Consumer {
  const c = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
    retry: { retries: 0, restartOnFailure: async () => false },
  });
  consumers.push(c);
  return c;
}

/** Resolves with the error that stops `c` (kafkajs reports it as a crash). */
function crashOf(c: Consumer): Promise<Error & { type?: string }> {
  return new Promise((resolve) => c.on(c.events.CRASH, ({ payload }) => resolve(payload.error as Error & { type?: string })));
}

/** A topic with `count` messages, written by the producer principal. */
async function topicWithMessages(count: number): Promise<string> {
  const topic = `${SECURE_TOPIC_PREFIX}kafkajs-${++topicCounter}-${Date.now()}`;
  const producer = client(credential('producer')).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
  return topic;
}

beforeAll(async () => {
  broker = await startSecureBroker();
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
});

afterAll(async () => {
  await broker?.stop();
});

describe('kafkajs without credentials', () => {
  it('cannot produce: the broker closes the connection before anything is served', async () => {
    const topic = `${SECURE_TOPIC_PREFIX}anon-${Date.now()}`;
    const producer = client().producer();
    await expect(producer.connect().then(() => producer.send({ topic, messages: [{ value: 'x' }] }))).rejects.toThrow(
      /Connection|closed|ECONNRESET/i,
    );
    await producer.disconnect().catch(() => undefined);
    const admin = client(credential('admin')).admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(topic);
    await admin.disconnect();
  });

  it('cannot join a group or fetch', async () => {
    const topic = await topicWithMessages(1);
    const c = consumer(client(), `${SECURE_GROUP_PREFIX}anon`);
    await expect(c.connect().then(() => c.subscribe({ topic, fromBeginning: true }))).rejects.toThrow(/Connection|closed|ECONNRESET/i);
  });
});

describe('kafkajs with a wrong password', () => {
  it('fails authentication with SASL_AUTHENTICATION_FAILED for produce and consume', async () => {
    const producer = client(credential('producer', 'wrong-password')).producer();
    await expect(producer.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed.*Authentication failed/i);
    const c = consumer(client(credential('consumer', 'wrong-password')), `${SECURE_GROUP_PREFIX}wrong`);
    await expect(c.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/i);
  });

  it('fails an unknown user the same way', async () => {
    const producer = client({ username: 'nobody', password: 'x' }).producer();
    await expect(producer.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed.*Authentication failed/i);
  });
});

describe('kafkajs with a credential lacking the ACL', () => {
  it('produce: TOPIC_AUTHORIZATION_FAILED without Write', async () => {
    const topic = await topicWithMessages(1);
    const producer = client(credential('consumer')).producer();
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    await producer.disconnect();
  });

  /** Runs a group consumer as `user` on a fresh topic and resolves with the error that stops it. */
  async function consumeAs(user: 'describer' | 'loner'): Promise<Error & { type?: string }> {
    const topic = await topicWithMessages(1);
    const c = consumer(client(credential(user)), `${SECURE_GROUP_PREFIX}${user}`);
    const crashed = crashOf(c);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async () => undefined });
    return crashed;
  }

  it('fetch: TOPIC_AUTHORIZATION_FAILED without Read on the topic', async () => {
    // kafkajs wraps the fetch's TOPIC_AUTHORIZATION_FAILED, keeping the protocol error's message.
    expect((await consumeAs('describer')).message).toMatch(/Not authorized to access topics: \[Topic authorization failed\]/);
  });

  it('group join: GROUP_AUTHORIZATION_FAILED without Read on the group', async () => {
    expect(await consumeAs('loner')).toMatchObject({ type: 'GROUP_AUTHORIZATION_FAILED' });
  });

  it('a principal named by no ACL sees no topic at all', async () => {
    await topicWithMessages(1);
    const admin = client(credential('outsider')).admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual([]);
    await admin.disconnect();
  });
});

describe('kafkajs with the right credential and ACLs', () => {
  it('produces (idempotent), consumes in a group, commits, and resumes from the committed offset', async () => {
    const topic = `${SECURE_TOPIC_PREFIX}e2e-${Date.now()}`;
    const producer = client(credential('producer')).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      retry: { retries: 5 },
    });
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });

    const group = `${SECURE_GROUP_PREFIX}e2e`;
    const consumerKafka = client(credential('consumer'));
    const first = consumer(consumerKafka, group);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    const received = await collect(first, 20);
    expect(received.map((m) => m.value?.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    const admin = consumerKafka.admin();
    await admin.connect();
    // kafkajs' admin knows no broker until it has read metadata once.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await eventually(async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions[0].offset === '20', 20_000);
    await first.disconnect();

    await producer.send({ topic, messages: [{ key: 'late', value: 'after-commit' }] });
    await producer.disconnect();
    const second = consumer(consumerKafka, group);
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    const resumed = await collect(second, 1);
    expect(resumed.map((m) => [m.offset, m.value?.toString()])).toEqual([[20, 'after-commit']]);
    await admin.disconnect();
  });

  it('lets a super user administer topics that no ACL names', async () => {
    const admin = client(credential('admin')).admin();
    await admin.connect();
    const topic = `admin-only-${Date.now()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    expect(await admin.listTopics()).toContain(topic);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});

describe('users and ACLs changed while the broker runs (updateSecurity)', () => {
  afterEach(() => broker.broker.updateSecurity(SECURITY));

  it('lets a new user in with its ACLs, and shuts a removed one out, without a restart', async () => {
    const newcomer = { username: 'newcomer', password: 'newcomer-secret-7' };
    const topic = `${SECURE_TOPIC_PREFIX}live-${Date.now()}`;
    const refused = client(newcomer).producer();
    await expect(refused.connect()).rejects.toThrow(/SASL|authentication/i);
    await refused.disconnect().catch(() => undefined);

    broker.broker.updateSecurity({
      ...SECURITY,
      users: [...SECURITY.users.filter((u) => u.name !== 'producer'), { name: newcomer.username, password: newcomer.password }],
      acls: [
        ...SECURITY.acls,
        { principal: 'User:newcomer', resource: 'topic', pattern: 'prefixed', name: SECURE_TOPIC_PREFIX, operation: 'all' },
      ],
    });
    const producer = client(newcomer).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'hello' }] });
    await producer.disconnect();
    const removed = client(credential('producer')).producer();
    await expect(removed.connect()).rejects.toThrow(/SASL|authentication/i);
    await removed.disconnect().catch(() => undefined);
  });

  it('applies a revoked ACL to a connection already open, and refuses bad settings keeping the old ones', async () => {
    const topic = await topicWithMessages(1);
    const producer = client(credential('producer')).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'before' }] });
    broker.broker.updateSecurity({ ...SECURITY, acls: SECURITY.acls.filter((acl) => acl.principal !== 'User:producer') });
    await expect(producer.send({ topic, messages: [{ value: 'after' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();

    expect(() => broker.broker.updateSecurity({ ...SECURITY, users: [{ name: '', password: 'x' }] })).toThrow();
    broker.broker.updateSecurity(SECURITY);
    // Restored, the producer writes again.
    expect((await topicWithMessages(1)).startsWith(SECURE_TOPIC_PREFIX)).toBe(true);
  });
});
