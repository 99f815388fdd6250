import { createHash, randomUUID } from 'node:crypto';
import { type Contract } from './dataset-contract';
import { type NewQuarantinedRecord } from './datasets.repository';
import { contentHash, type Incoming, rawBytes, rawText, uniqueKeyOf, validateIncoming, type Violation } from './record-validation';

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

/** A batch's verdicts by position: what a thread that only saw the bytes can tell. */
export interface Verdicts {
  readonly candidates: Array<Omit<Candidate, 'record'> & { readonly at: number }>;
  readonly rejections: Array<Omit<Rejection, 'record'> & { readonly at: number }>;
}

/** Validates `count` records (the `at`-th given by `incomingAt`) against the contract, in order. */
export function judgeRecords(contract: Contract, count: number, incomingAt: (at: number) => Incoming): Verdicts {
  const verdicts: Verdicts = { candidates: [], rejections: [] };
  for (let at = 0; at < count; at++) {
    const result = validateIncoming(contract, incomingAt(at));
    if (!result.ok) {
      verdicts.rejections.push({ at, violations: result.violations });
      continue;
    }
    const key = uniqueKeyOf(contract, result.values);
    verdicts.candidates.push({ at, json: result.json, key, sha: key === null ? null : contentHash(contract, result.values) });
  }
  return verdicts;
}

/** The verdicts attached to their records (`recordAt` gives the `at`-th); those before `from` left out. */
export function screened(verdicts: Verdicts, recordAt: (at: number) => IncomingRecord, from = 0): Screened {
  const out: Screened = { candidates: [], rejections: [] };
  for (const { at, json, key, sha } of verdicts.candidates) if (at >= from) out.candidates.push({ record: recordAt(at), json, key, sha });
  for (const { at, violations } of verdicts.rejections) if (at >= from) out.rejections.push({ record: recordAt(at), violations });
  return out;
}

/** Validates a batch against the contract, off the database: what is stageable and what is not, in order. */
export function screenRecords(contract: Contract, records: readonly IncomingRecord[]): Screened {
  return screened(
    judgeRecords(contract, records.length, (at) => records[at]!.incoming),
    (at) => records[at]!,
  );
}

/** A record of a Kafka batch: its origin is spelled out only when something asks (the quarantine). */
export class KafkaRecord implements IncomingRecord {
  constructor(
    /** `kafka:<topic>/<partition>/` */
    private readonly where: string,
    private readonly offset: string,
    readonly incoming: Incoming,
  ) {}

  get origin(): string {
    return `${this.where}${this.offset}`;
  }

  get index(): number {
    return Number(this.offset);
  }
}

/** JSON records packed for another thread: their bytes end to end, where each ends, and which had no value. */
export interface PackedRecords {
  readonly bytes: Uint8Array;
  readonly ends: Int32Array;
  readonly missing: Uint8Array;
}

export function packRecords(values: ReadonlyArray<Buffer | null>): PackedRecords {
  let size = 0;
  for (const value of values) size += value?.length ?? 0;
  const packed = { bytes: new Uint8Array(size), ends: new Int32Array(values.length), missing: new Uint8Array(values.length) };
  let end = 0;
  values.forEach((value, i) => {
    if (value === null) packed.missing[i] = 1;
    else packed.bytes.set(value, end);
    end += value?.length ?? 0;
    packed.ends[i] = end;
  });
  return packed;
}

/** The `at`-th of packed records. */
export function unpackRecord({ bytes, ends, missing }: PackedRecords, at: number): Incoming {
  if (missing[at] === 1) return { kind: 'json', bytes: null };
  const start = at === 0 ? 0 : ends[at - 1]!;
  return { kind: 'json', bytes: Buffer.from(bytes.buffer, bytes.byteOffset + start, ends[at]! - start) };
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
