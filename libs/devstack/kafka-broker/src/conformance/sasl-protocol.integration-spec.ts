import { jsonLogger } from '@flywheel/dev-server-kit';
import { ApiKey } from '../protocol/api';
import { ErrorCode } from '../protocol/error-codes';
import { type Writer } from '../protocol/writer';
import { MAX_UNAUTHENTICATED_FRAME_BYTES } from '../server/connection';
import { buildRecordBatch } from '../storage';
import { ScramTestClient, startTestBroker, type TestBroker } from '../testing';
import { RawKafkaClient } from './raw-client';
import { saslAuthenticate, saslHandshake, scramLogin } from './sasl-login';
import { PASSWORDS, SECURE_GROUP_PREFIX, SECURE_TOPIC_PREFIX, SECURITY, type SecureUser } from './secure-broker';

// The wire protocol of authentication and authorisation, byte by byte, with a bare client that
// can send what kafkajs and librdkafka never would.

let broker: TestBroker;
const warnings: Array<{ message: string; fields: Record<string, unknown> }> = [];

beforeAll(async () => {
  const base = jsonLogger('error', 'kafka-broker');
  const logger = { ...base, warn: (message: string, fields: Record<string, unknown> = {}) => warnings.push({ message, fields }) };
  broker = await startTestBroker({ security: SECURITY, logger });
});

afterAll(async () => {
  await broker?.stop();
});

async function connect(): Promise<RawKafkaClient> {
  return RawKafkaClient.connect(broker.address);
}

async function loggedIn(user: SecureUser): Promise<RawKafkaClient> {
  const client = await connect();
  const answer = await scramLogin(client, user, PASSWORDS[user]);
  expect(answer.errorCode).toBe(ErrorCode.NONE);
  return client;
}

function metadataRequest(topics: string[], autoCreate = true) {
  return (w: Writer) => w.array(topics, (w, t) => w.string(t)).bool(autoCreate);
}

/** Metadata v4's topics: name → error code. */
async function metadata(client: RawKafkaClient, topics: string[] | null, autoCreate = true): Promise<Record<string, number>> {
  const r = await client.request(ApiKey.Metadata, 4, (w) => {
    if (topics === null) w.int32(-1);
    else w.array(topics, (w, t) => w.string(t));
    w.bool(autoCreate);
  });
  r.int32(); // throttle
  r.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
  r.nullableString();
  r.int32();
  const out: Record<string, number> = {};
  r.array((r) => {
    const errorCode = r.int16();
    const name = r.string();
    r.bool();
    r.array((r) => [r.int16(), r.int32(), r.int32(), r.array((r) => r.int32()), r.array((r) => r.int32())]);
    out[name] = errorCode;
  });
  return out;
}

async function produce(client: RawKafkaClient, topic: string): Promise<number> {
  const batch = buildRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: Date.now() }]);
  const r = await client.request(ApiKey.Produce, 7, (w) =>
    w
      .nullableString(null)
      .int16(1)
      .int32(5000)
      .array([topic], (w, t) => w.string(t).array([0], (w) => w.int32(0).bytes(batch))),
  );
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return r.int16();
}

async function fetch(client: RawKafkaClient, topic: string): Promise<number> {
  const r = await client.request(ApiKey.Fetch, 4, (w) =>
    w
      .int32(-1)
      .int32(0)
      .int32(0)
      .int32(1 << 20)
      .int8(0)
      .array([topic], (w, t) =>
        w.string(t).array([0], (w) =>
          w
            .int32(0)
            .int64(0)
            .int32(1 << 20),
        ),
      ),
  );
  r.int32(); // throttle
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  return r.int16();
}

async function joinGroup(client: RawKafkaClient, group: string): Promise<number> {
  const r = await client.request(ApiKey.JoinGroup, 1, (w) =>
    w
      .string(group)
      .int32(10_000)
      .int32(10_000)
      .string('')
      .string('consumer')
      .array(['range'], (w, p) => w.string(p).bytes(Buffer.alloc(0))),
  );
  return r.int16();
}

async function offsetCommit(client: RawKafkaClient, group: string, topic: string): Promise<number> {
  const r = await client.request(ApiKey.OffsetCommit, 2, (w) =>
    w
      .string(group)
      .int32(-1)
      .string('')
      .int64(-1)
      .array([topic], (w, t) => w.string(t).array([0], (w) => w.int32(0).int64(1).nullableString(null))),
  );
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  return r.int16();
}

describe('SASL on the wire', () => {
  it('advertises SaslHandshake v0–v1 and SaslAuthenticate v0–v2 in ApiVersions', async () => {
    const client = await connect();
    const r = await client.request(ApiKey.ApiVersions, 2, () => undefined);
    expect(r.int16()).toBe(ErrorCode.NONE);
    const keys = r.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(keys).toContainEqual({ key: ApiKey.SaslHandshake, min: 0, max: 1 });
    expect(keys).toContainEqual({ key: ApiKey.SaslAuthenticate, min: 0, max: 2 });
    client.close();
  });

  it('closes a connection that sends anything but ApiVersions or SaslHandshake first', async () => {
    const client = await connect();
    await expect(client.request(ApiKey.Metadata, 4, metadataRequest([]))).rejects.toThrow(/closed/);
    const early = await connect();
    await expect(saslAuthenticate(early, new ScramTestClient('consumer', 'x').clientFirst())).rejects.toThrow(/closed/);
  });

  it.each([
    ['Metadata', ApiKey.Metadata, 4, metadataRequest([])],
    ['ApiVersions', ApiKey.ApiVersions, 2, () => undefined],
  ])('closes a connection that sends %s between the handshake and SaslAuthenticate', async (_name, apiKey, version, body) => {
    const client = await connect();
    expect((await saslHandshake(client, 'SCRAM-SHA-512')).errorCode).toBe(ErrorCode.NONE);
    await expect(client.request(apiKey, version, body)).rejects.toThrow(/closed/);
  });

  it('refuses PLAIN with UNSUPPORTED_SASL_MECHANISM and the enabled list, then closes the connection as Kafka does', async () => {
    const client = await connect();
    expect(await saslHandshake(client, 'PLAIN')).toEqual({
      errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ['SCRAM-SHA-512'],
    });
    await client.closed;
    const again = await connect();
    expect((await scramLogin(again, 'consumer', PASSWORDS.consumer)).errorCode).toBe(ErrorCode.NONE);
    again.close();
  });

  it('answers SASL requests on an anonymous broker with ILLEGAL_SASL_STATE, as a PLAINTEXT listener does', async () => {
    const anonymous = await startTestBroker();
    try {
      const client = await RawKafkaClient.connect(anonymous.address);
      expect(await saslHandshake(client, 'SCRAM-SHA-512')).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
      expect((await saslAuthenticate(client, Buffer.from('n,,n=a,r=abcdefgh'))).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
      expect(await metadata(client, [])).toEqual({});
      client.close();
    } finally {
      await anonymous.stop();
    }
  });

  it.each([0, 1, 2])('logs in with SaslAuthenticate v%i, then serves requests', async (version) => {
    const client = await connect();
    const answer = await scramLogin(client, 'consumer', PASSWORDS.consumer, version);
    expect(answer).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes: expect.any(Buffer) });
    expect(await metadata(client, null)).toBeDefined();
    client.close();
  });

  it('logs in with a v0 handshake and bare SCRAM tokens, as Kafka does', async () => {
    const client = await connect();
    expect((await saslHandshake(client, 'SCRAM-SHA-512', 0)).errorCode).toBe(ErrorCode.NONE);
    const scram = new ScramTestClient('consumer', PASSWORDS.consumer);
    const serverFirst = await client.exchangeRaw(scram.clientFirst());
    const serverFinal = await client.exchangeRaw(scram.clientFinal(serverFirst));
    expect(serverFinal.toString()).toBe(scram.expectedServerFinal());
    expect(await metadata(client, [])).toEqual({});
    client.close();
  });

  it('closes a v0 connection whose bare proof is wrong, without an answer', async () => {
    const client = await connect();
    await saslHandshake(client, 'SCRAM-SHA-512', 0);
    const scram = new ScramTestClient('consumer', 'wrong');
    const serverFirst = await client.exchangeRaw(scram.clientFirst());
    await expect(client.exchangeRaw(scram.clientFinal(serverFirst))).rejects.toThrow(/closed/);
  });

  it('answers a wrong password with SASL_AUTHENTICATION_FAILED and a message, then closes the connection', async () => {
    const client = await connect();
    const answer = await scramLogin(client, 'consumer', 'not-the-password');
    expect(answer.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(answer.errorMessage).toMatch(/Authentication failed.*SCRAM-SHA-512/);
    await client.closed;
  });

  it('fails an unknown user exactly like a wrong password (no user enumeration)', async () => {
    const known = await connect();
    const unknown = await connect();
    const wrong = await scramLogin(known, 'consumer', 'not-the-password');
    const missing = await scramLogin(unknown, 'nobody-by-this-name', 'not-the-password');
    expect(missing.errorCode).toBe(wrong.errorCode);
    expect(missing.errorMessage).toBe(wrong.errorMessage);
    await Promise.all([known.closed, unknown.closed]);
  });

  it('refuses a recorded client-final replayed on a new connection', async () => {
    const first = await connect();
    await saslHandshake(first, 'SCRAM-SHA-512');
    const scram = new ScramTestClient('consumer', PASSWORDS.consumer);
    const recorded = scram.clientFinal((await saslAuthenticate(first, scram.clientFirst())).authBytes);
    expect((await saslAuthenticate(first, recorded)).errorCode).toBe(ErrorCode.NONE);
    first.close();
    const replay = await connect();
    await saslHandshake(replay, 'SCRAM-SHA-512');
    await saslAuthenticate(replay, scram.clientFirst());
    expect((await saslAuthenticate(replay, recorded)).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await replay.closed;
  });

  it.each([
    ['garbage', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00])],
    ['a huge token', Buffer.alloc(64 * 1024, 0x61)],
    ['a truncated client-first', Buffer.from('n,,n=consumer')],
  ])('answers %s with SASL_AUTHENTICATION_FAILED and closes', async (_name, token) => {
    const client = await connect();
    await saslHandshake(client, 'SCRAM-SHA-512');
    expect((await saslAuthenticate(client, token)).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await client.closed;
  });

  it('closes a connection whose SaslAuthenticate body is cut short', async () => {
    const client = await connect();
    await saslHandshake(client, 'SCRAM-SHA-512');
    await expect(client.request(ApiKey.SaslAuthenticate, 1, (w) => w.int32(100).raw(Buffer.from('n,,')))).rejects.toThrow(/closed/);
  });

  it('refuses a frame over the unauthenticated limit before authentication', async () => {
    const client = await connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(MAX_UNAUTHENTICATED_FRAME_BYTES + 1);
    client.sendRaw(size);
    await client.closed;
  });

  it('closes an authenticated connection that starts SASL again (no re-authentication)', async () => {
    const client = await loggedIn('consumer');
    await expect(saslHandshake(client, 'SCRAM-SHA-512')).rejects.toThrow(/closed/);
  });
});

describe('ACLs on the wire', () => {
  const topic = `${SECURE_TOPIC_PREFIX}wire-${Date.now()}`;
  const group = `${SECURE_GROUP_PREFIX}wire`;

  beforeAll(async () => {
    const producer = await loggedIn('producer');
    expect(await metadata(producer, [topic])).toEqual({ [topic]: ErrorCode.NONE });
    expect(await produce(producer, topic)).toBe(ErrorCode.NONE);
    producer.close();
  });

  /** What `user` is answered, on a connection of its own. */
  async function as(user: SecureUser, call: (client: RawKafkaClient) => Promise<number>): Promise<number> {
    const client = await loggedIn(user);
    try {
      return await call(client);
    } finally {
      client.close();
    }
  }

  it('Produce: TOPIC_AUTHORIZATION_FAILED without Write', async () => {
    expect(await as('consumer', (c) => produce(c, topic))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('Fetch: TOPIC_AUTHORIZATION_FAILED without Read; served with it', async () => {
    expect(await as('describer', (c) => fetch(c, topic))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(await as('consumer', (c) => fetch(c, topic))).toBe(ErrorCode.NONE);
  });

  it('JoinGroup: GROUP_AUTHORIZATION_FAILED without Read on the group', async () => {
    expect(await as('loner', (c) => joinGroup(c, group))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });

  it('OffsetCommit: GROUP_AUTHORIZATION_FAILED without Read on the group, TOPIC_AUTHORIZATION_FAILED without Read on the topic', async () => {
    expect(await as('loner', (c) => offsetCommit(c, group, topic))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(await as('describer', (c) => offsetCommit(c, group, topic))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(await as('consumer', (c) => offsetCommit(c, group, topic))).toBe(ErrorCode.NONE);
  });

  it('Metadata: hides undescribable topics from a full listing, refuses them by name, and auto-creates only with Create', async () => {
    const outsider = await loggedIn('outsider');
    expect(await metadata(outsider, null)).toEqual({});
    expect(await metadata(outsider, [topic])).toEqual({ [topic]: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    const consumer = await loggedIn('consumer');
    expect(Object.keys(await metadata(consumer, null))).toContain(topic);
    const missing = `${SECURE_TOPIC_PREFIX}never-${Date.now()}`;
    expect(await metadata(consumer, [missing])).toEqual({ [missing]: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    const admin = await loggedIn('admin');
    expect(await metadata(admin, [], false)).toEqual({});
    expect(await metadata(admin, [missing], false)).toEqual({ [missing]: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    for (const c of [outsider, consumer, admin]) c.close();
  });

  it('InitProducerId: CLUSTER_AUTHORIZATION_FAILED without Write on any topic', async () => {
    const initProducerId = async (client: RawKafkaClient) => {
      const r = await client.request(ApiKey.InitProducerId, 1, (w) => w.nullableString(null).int32(60_000));
      r.int32();
      return r.int16();
    };
    const consumer = await loggedIn('consumer');
    expect(await initProducerId(consumer)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const producer = await loggedIn('producer');
    expect(await initProducerId(producer)).toBe(ErrorCode.NONE);
    consumer.close();
    producer.close();
  });

  it('logs a refusal once per connection, with principal, operation and resource', async () => {
    const client = await loggedIn('consumer');
    const before = warnings.length;
    await produce(client, topic);
    await produce(client, topic);
    const refusals = warnings.slice(before).filter((w) => w.message === 'kafka request refused');
    expect(refusals).toEqual([
      {
        message: 'kafka request refused',
        fields: expect.objectContaining({ principal: 'User:consumer', operation: 'write', resource: 'topic', name: topic }),
      },
    ]);
    client.close();
  });

  it('never logs a password', () => {
    const logged = JSON.stringify(warnings);
    expect(warnings.length).toBeGreaterThan(0);
    for (const password of Object.values(PASSWORDS)) expect(logged).not.toContain(password);
  });
});
