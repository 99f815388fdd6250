import { createHash, randomUUID } from 'node:crypto';
import { type Contract } from './dataset-contract';
import { type NewQuarantinedRecord } from './datasets.repository';
import { contentHash, type Incoming, rawBytes, rawText, uniqueKeyOf, validateIncoming, type Violation } from './record-validation';
import { decodeRowValues } from './row-decoder';

export interface IncomingRecord {
  /** `kafka:<topic>/<partition>/<offset>` or `grpc:<batch>/<index>`: where the record came from. */
  readonly origin: string;
  /** Index reported in rejections (position in the request or stream, or the Kafka offset). */
  readonly index: number;
  readonly incoming: Incoming;
}

export interface Rejection {
  readonly record: IncomingRecord;
  readonly violations: readonly Violation[];
}

/**
 * A batch's verdicts by position: what a thread that only saw the bytes can tell. The accepted
 * records come as the text they are staged as — one JSON array, in bytes that can move between
 * threads and go to PostgreSQL as they are — so no record crosses a thread boundary as an object.
 */
export interface Verdicts {
  /** Positions of the records that satisfy the contract, in order. */
  readonly accepted: Int32Array;
  /** `[r0,r1,…]` in UTF-8: the i-th accepted record's text spans `starts[i]` to `ends[i]`. */
  readonly texts: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The i-th accepted record's unique key (as text) and values hash; null when the contract has no key. */
  readonly keys: string[] | null;
  readonly shas: string[] | null;
  readonly rejections: Array<{ readonly at: number; readonly violations: readonly Violation[] }>;
}

/** Validates `count` records (the `at`-th given by `incomingAt`) against the contract, in order. */
export function judgeRecords(contract: Contract, count: number, incomingAt: (at: number) => Incoming): Verdicts {
  const accepted: number[] = [];
  const keyed = contract.uniqueKey.length > 0;
  const keys: string[] | null = keyed ? [] : null;
  const shas: string[] | null = keyed ? [] : null;
  const rejections: Verdicts['rejections'] = [];
  const texts = new ArrayText();
  for (let at = 0; at < count; at++) {
    const incoming = incomingAt(at);
    const result = validateIncoming(contract, incoming);
    if (!result.ok) {
      rejections.push({ at, violations: result.violations });
      continue;
    }
    accepted.push(at);
    // A record staged as it arrived is copied, not encoded again.
    if (result.asReceived && incoming.kind === 'json') texts.pushBytes(incoming.bytes!);
    else texts.pushString(result.json);
    if (keyed) {
      keys!.push(uniqueKeyOf(contract, result.values)!);
      shas!.push(contentHash(contract, result.values));
    }
  }
  return { accepted: Int32Array.from(accepted), ...texts.finish(), keys, shas, rejections };
}

/** A JSON array written element by element into one growing buffer (its own memory: it can be transferred). */
class ArrayText {
  private bytes = Buffer.allocUnsafeSlow(64 * 1024);
  private length = 1;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor() {
    this.bytes[0] = 0x5b; // [
  }

  pushBytes(element: Uint8Array): void {
    this.open(element.length);
    this.bytes.set(element, this.length);
    this.close(element.length);
  }

  pushString(element: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    this.open(element.length * 3);
    this.close(this.bytes.write(element, this.length, 'utf8'));
  }

  finish(): { texts: Uint8Array; starts: Int32Array; ends: Int32Array } {
    this.reserve(1);
    this.bytes[this.length++] = 0x5d; // ]
    return { texts: this.bytes.subarray(0, this.length), starts: Int32Array.from(this.starts), ends: Int32Array.from(this.ends) };
  }

  /** Room for an element of up to `size` bytes after its separator. */
  private open(size: number): void {
    this.reserve(size + 2);
    if (this.starts.length > 0) this.bytes[this.length++] = 0x2c; // ,
  }

  private reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.length + size, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  private close(written: number): void {
    this.starts.push(this.length);
    this.length += written;
    this.ends.push(this.length);
  }
}

/** Records of a batch as they are staged: one JSON array's text and how many records it holds. */
export interface StagedRecords {
  readonly text: Buffer;
  readonly count: number;
}

/**
 * A judged batch on the thread that writes it: the verdicts, the records they are about, and
 * which accepted records go on (`kept`: indexes into `verdicts.accepted`, ascending; null for all).
 */
export interface Screened {
  readonly verdicts: Verdicts;
  readonly kept: readonly number[] | null;
  readonly rejections: Rejection[];
  /** The record of the i-th accepted one. */
  readonly acceptedRecord: (i: number) => IncomingRecord;
}

/** The verdicts attached to their records (`recordAt` gives the `at`-th); those before `from` left out. */
export function screened(verdicts: Verdicts, recordAt: (at: number) => IncomingRecord, from = 0): Screened {
  const rejections: Rejection[] = [];
  for (const { at, violations } of verdicts.rejections) if (at >= from) rejections.push({ record: recordAt(at), violations });
  let kept: number[] | null = null;
  if (from > 0) {
    kept = [];
    verdicts.accepted.forEach((at, i) => at >= from && kept!.push(i));
  }
  return { verdicts, kept, rejections, acceptedRecord: (i) => recordAt(verdicts.accepted[i]!) };
}

/** A packed row that is no Row message: the request is refused, naming it. */
export interface UndecodableRow {
  readonly undecodableAt: number;
  readonly reason: string;
}

/** Verdicts on a gRPC batch's Row messages, decoded first. */
export function judgeRows(contract: Contract, rows: PackedRecords): Verdicts | UndecodableRow {
  const decoded: Incoming[] = [];
  for (let at = 0; at < rows.ends.length; at++) {
    try {
      decoded.push(rowAt(rows, at));
    } catch (error) {
      return { undecodableAt: at, reason: (error as Error).message };
    }
  }
  return judgeRecords(contract, decoded.length, (at) => decoded[at]!);
}

/** A gRPC batch's `at`-th row, decoded now (each call its own copy: validation normalises in place). */
export function rowAt(rows: PackedRecords, at: number): Incoming {
  const bytes = packedBytes(rows, at) ?? new Uint8Array(0);
  return { kind: 'values', values: decodeRowValues(bytes), encodedBytes: bytes.byteLength };
}

/** The text staged for the accepted records listed in `kept` (all when null). */
export function stagedRecords({ texts, starts, ends, accepted }: Verdicts, kept: readonly number[] | null): StagedRecords {
  const whole = Buffer.from(texts.buffer, texts.byteOffset, texts.byteLength);
  if (kept === null || kept.length === accepted.length) return { text: whole, count: accepted.length };
  const parts: Buffer[] = [Buffer.from('[')];
  kept.forEach((i, n) => {
    if (n > 0) parts.push(Buffer.from(','));
    parts.push(whole.subarray(starts[i]!, ends[i]!));
  });
  parts.push(Buffer.from(']'));
  return { text: Buffer.concat(parts), count: kept.length };
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

/** Records packed for another thread (JSON texts, or gRPC Row messages): their bytes end to end, where each ends, and which had no value. */
export interface PackedRecords {
  readonly bytes: Uint8Array;
  readonly ends: Int32Array;
  readonly missing: Uint8Array;
}

export function packRecords(values: ReadonlyArray<Uint8Array | null>): PackedRecords {
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

/** The bytes of the `at`-th of packed records, or null for a missing one. */
export function packedBytes({ bytes, ends, missing }: PackedRecords, at: number): Buffer | null {
  if (missing[at] === 1) return null;
  const start = at === 0 ? 0 : ends[at - 1]!;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, ends[at]! - start);
}

/** The `at`-th of packed JSON records. */
export function unpackRecord(packed: PackedRecords, at: number): Incoming {
  return { kind: 'json', bytes: packedBytes(packed, at) };
}

/** A record of a gRPC batch; a packed row is decoded here only if something asks for it (the quarantine). */
export class GrpcRecord implements IncomingRecord {
  constructor(
    /** The batch id, or a generated one. */
    private readonly batch: string,
    readonly index: number,
    private readonly row: () => Incoming,
  ) {}

  get origin(): string {
    return `grpc:${this.batch}/${this.index}`;
  }

  get incoming(): Incoming {
    return this.row();
  }
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
