import { eventually } from '@flywheel/test-kit';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';

export interface Credential {
  username: string;
  password: string;
}

/**
 * How a fixture in its own process (fixtures/kafkajs-group-member.ts, fixtures/conformance_login.py)
 * learns its login: from the environment, not argv, where `ps` would show the password.
 */
const LOGIN_ENV = { username: 'FLYWHEEL_KAFKA_SASL_USERNAME', password: 'FLYWHEEL_KAFKA_SASL_PASSWORD' } as const;

export function loginEnvironment(credential: Credential): Record<string, string> {
  return { [LOGIN_ENV.username]: credential.username, [LOGIN_ENV.password]: credential.password };
}

/** The credential loginEnvironment passed, or none: the fixture then connects without SASL. */
export function credentialFromEnvironment(env: NodeJS.ProcessEnv = process.env): Credential | undefined {
  const username = env[LOGIN_ENV.username];
  const password = env[LOGIN_ENV.password];
  return username === undefined || password === undefined ? undefined : { username, password };
}

/** A kafkajs client; with `credential`, it logs in with SASL/SCRAM-SHA-512 as the platform's clients do. */
export function kafkaClient(address: string, clientId = 'conformance', credential?: Credential, retries = 8): Kafka {
  return new Kafka({
    clientId,
    brokers: [address],
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100 },
    ...(credential && { sasl: { mechanism: 'scram-sha-512', ...credential } }),
  });
}

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Runs `consumer` and collects what it receives until `count` messages or the time runs out. */
export async function collect(consumer: Consumer, count: number, timeoutMs = 30_000): Promise<Received[]> {
  const received: Received[] = [];
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      received.push({
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString() ?? null,
        value: message.value,
        headers,
      });
    },
  });
  await eventually(() => received.length >= count, timeoutMs);
  return received;
}

/** Offsets per partition, each list sorted. */
export function offsetsByPartition(messages: Received[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of messages) {
    const list = out.get(m.partition) ?? [];
    list.push(m.offset);
    out.set(m.partition, list);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

export function isContiguousFromZero(offsets: number[]): boolean {
  return offsets.every((o, i) => o === i);
}
