import { type IHeaders, type KafkaMessage } from 'kafkajs';

/** A record as a consumer received it. Raw handlers get exactly this. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Producer or broker time, milliseconds since the epoch, as kafkajs gives it. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values decoded as UTF-8 (the first one when a header repeats). */
  headers: Record<string, string>;
  /** Headers exactly as received, so a dead letter carries the original bytes. */
  rawHeaders: IHeaders;
}

export function consumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: decodeHeaders(message.headers ?? {}),
    rawHeaders: message.headers ?? {},
  };
}

export function decodeHeaders(headers: IHeaders): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    decoded[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return decoded;
}
