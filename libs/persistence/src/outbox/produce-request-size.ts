/** A record as a produce request carries it: key and value bytes, string headers. */
export interface ProducedRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Framing of a record batch (61 bytes) and the worst case of one record's own fields. */
const BATCH_OVERHEAD_BYTES = 61;
const RECORD_OVERHEAD_BYTES = 40;

/** What one record adds to a produce request: its key, value and headers, and their framing. */
export function producedRecordBytes(record: ProducedRecord): number {
  const key = record.key === null ? 0 : typeof record.key === 'string' ? Buffer.byteLength(record.key) : record.key.length;
  let bytes = RECORD_OVERHEAD_BYTES + key + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers ?? {})) bytes += 10 + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** Whether a record alone fits a produce request under `maxBytes` (the broker's largest message). */
export function fitsOneRequest(recordBytes: number, maxBytes: number): boolean {
  return recordBytes + BATCH_OVERHEAD_BYTES <= maxBytes;
}

/** Consecutive runs of records whose produce request stays under `maxBytes`, in order. */
export function chunksUnder<T extends ProducedRecord>(records: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = BATCH_OVERHEAD_BYTES;
  for (const record of records) {
    const bytes = producedRecordBytes(record);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = BATCH_OVERHEAD_BYTES;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
