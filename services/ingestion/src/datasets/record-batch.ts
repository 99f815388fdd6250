import { createHash, randomUUID } from 'node:crypto';
import { type Contract } from './dataset-contract';
import { type NewQuarantinedRecord } from './datasets.repository';
import {
  contentHash,
  type Incoming,
  rawBytes,
  rawText,
  type Record_,
  uniqueKeyOf,
  validateIncoming,
  type Violation,
} from './record-validation';

export interface IncomingRecord {
  /** `kafka:<topic>/<partition>/<offset>` or `grpc:<batch>/<index>`: where the record came from. */
  readonly origin: string;
  /** Index reported in rejections (position in the request or stream, or the Kafka offset). */
  readonly index: number;
  readonly incoming: Incoming;
}

/** A record that satisfies the contract, not yet checked against the keys already accepted. */
export interface Candidate {
  readonly record: IncomingRecord;
  readonly values: Record_;
  /** The values as JSON text, as they are staged. */
  readonly json: string;
  /** The unique key as text and the hash of the values, when the contract has a key. */
  readonly key: string | null;
  readonly sha: string | null;
}

export interface Rejection {
  readonly record: IncomingRecord;
  readonly violations: readonly Violation[];
}

export interface Screened {
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
}

/** Validates a batch against the contract, off the database: what is stageable and what is not, in order. */
export function screenRecords(contract: Contract, records: readonly IncomingRecord[]): Screened {
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  for (const record of records) {
    const result = validateIncoming(contract, record.incoming);
    if (!result.ok) {
      rejections.push({ record, violations: result.violations });
      continue;
    }
    const key = uniqueKeyOf(contract, result.values);
    candidates.push({
      record,
      values: result.values,
      json: result.json,
      key,
      sha: key === null ? null : contentHash(contract, result.values),
    });
  }
  return { candidates, rejections };
}

/** A rejected record as the quarantine stores it: whole, with its size and hash. */
export function quarantineEntry(rejection: Rejection): NewQuarantinedRecord {
  const bytes = rawBytes(rejection.record.incoming);
  return {
    id: randomUUID(),
    raw: rawText(rejection.record.incoming),
    rawSizeBytes: bytes.length,
    rawSha256: createHash('sha256').update(bytes).digest('hex'),
    violations: rejection.violations,
    origin: rejection.record.origin,
  };
}

/** The first `maxBytes` of a text in UTF-8, cut on a character boundary. */
export function utf8Sample(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Fewer UTF-16 units than maxBytes / 3 cannot exceed maxBytes: most texts skip the encoding.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}
