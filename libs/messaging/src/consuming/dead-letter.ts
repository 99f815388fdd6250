import { type IHeaders } from 'kafkajs';
import { type ConsumedRecord } from './consumed-record';

/** Headers a dead letter carries on top of the original record's own. */
export const DeadLetterHeaders = {
  error: 'x-flywheel-error',
  errorClass: 'x-flywheel-error-class',
  consumer: 'x-flywheel-consumer',
  originalTopic: 'x-flywheel-original-topic',
  originalPartition: 'x-flywheel-original-partition',
  originalOffset: 'x-flywheel-original-offset',
  attempts: 'x-flywheel-attempts',
  failedAt: 'x-flywheel-failed-at',
} as const;

/** Kafka headers are small by convention; a stack-sized message is cut, not dropped. */
export const MAX_ERROR_HEADER_BYTES = 4096;

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/**
 * The record to park: the original key, value and headers, plus why and where it failed. A
 * record parked before (and replayed) gets the headers of its latest failure.
 */
export function buildDeadLetter(
  record: ConsumedRecord,
  failure: { error: unknown; consumer: string; attempts: number; failedAt: Date },
): DeadLetter {
  const headers: IHeaders = {};
  const ours = new Set<string>(Object.values(DeadLetterHeaders));
  for (const [name, value] of Object.entries(record.rawHeaders)) if (!ours.has(name) && value !== undefined) headers[name] = value;
  headers[DeadLetterHeaders.error] = truncateUtf8(errorMessage(failure.error), MAX_ERROR_HEADER_BYTES);
  headers[DeadLetterHeaders.errorClass] = errorClass(failure.error);
  headers[DeadLetterHeaders.consumer] = failure.consumer;
  headers[DeadLetterHeaders.originalTopic] = record.topic;
  headers[DeadLetterHeaders.originalPartition] = String(record.partition);
  headers[DeadLetterHeaders.originalOffset] = record.offset;
  headers[DeadLetterHeaders.attempts] = String(failure.attempts);
  headers[DeadLetterHeaders.failedAt] = failure.failedAt.toISOString();
  return { key: record.key, value: record.value, headers };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

export function errorClass(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor.name;
  return typeof error;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cut on a character boundary: decoding a cut multi-byte sequence would add U+FFFD.
  let end = maxBytes - 3;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '…';
}
