import { ApiKey } from '../protocol/api';
import { ScramTestClient } from '../testing';
import { type RawKafkaClient } from './raw-client';

export interface SaslAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

export async function saslHandshake(client: RawKafkaClient, mechanism: string, version = 1) {
  const r = await client.request(ApiKey.SaslHandshake, version, (w) => w.string(mechanism));
  return { errorCode: r.int16(), mechanisms: r.array((r) => r.string()) };
}

/** One SaslAuthenticate round trip in `version` (v2: the flexible encoding, headers included). */
export async function saslAuthenticate(client: RawKafkaClient, token: Buffer, version = 1): Promise<SaslAnswer> {
  if (version < 2) {
    const r = await client.request(ApiKey.SaslAuthenticate, version, (w) => w.bytes(token));
    const answer = { errorCode: r.int16(), errorMessage: r.nullableString(), authBytes: Buffer.from(r.bytes()) };
    if (version >= 1) r.int64(); // session_lifetime_ms
    return answer;
  }
  // Request header v2 ends with tagged fields; the body is compact bytes and tagged fields.
  const r = await client.request(ApiKey.SaslAuthenticate, version, (w) => w.noTaggedFields().compactBytes(token).noTaggedFields());
  r.skipTaggedFields(); // response header v1
  const errorCode = r.int16();
  const message = r.compactNullableBytes();
  const answer = { errorCode, errorMessage: message && message.toString('utf8'), authBytes: Buffer.from(r.compactBytes()) };
  r.int64(); // session_lifetime_ms
  r.skipTaggedFields();
  return answer;
}

/** A whole SCRAM-SHA-512 login over SaslHandshake v1 + SaslAuthenticate; resolves with the final answer. */
export async function scramLogin(client: RawKafkaClient, username: string, password: string, version = 1): Promise<SaslAnswer> {
  const handshake = await saslHandshake(client, 'SCRAM-SHA-512');
  if (handshake.errorCode !== 0) throw new Error(`handshake failed: ${handshake.errorCode}`);
  const scram = new ScramTestClient(username, password);
  const first = await saslAuthenticate(client, scram.clientFirst(), version);
  if (first.errorCode !== 0) return first;
  const final = await saslAuthenticate(client, scram.clientFinal(first.authBytes), version);
  if (final.errorCode === 0 && final.authBytes.toString() !== scram.expectedServerFinal()) {
    throw new Error('the broker did not prove that it knows the credential');
  }
  return final;
}
