import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { commonV1, type ingestionV1 } from '@flywheel/contracts';
import { packRecords, type PackedRecords } from './record-batch';

/** IngestRequest's fields (ingestion.proto). */
const enum Field {
  DATASET = 1,
  ROWS = 2,
  BATCH_ID = 3,
  COMMIT_NOW = 4,
}

/**
 * An Ingest request (or an IngestStream chunk) as the service decodes it off the wire: the
 * envelope's fields, and the rows still as their `flywheel.common.v1.Row` messages, packed end
 * to end. Rows are most of a request; they are decoded on the compute threads that judge them,
 * not on the event loop. `rows` stays empty.
 */
export interface PackedIngestRequest extends ingestionV1.IngestRequest {
  readonly packedRows: PackedRecords;
}

/**
 * A request's rows, packed: as they came off the wire, or — for a request that did not (a
 * direct call) — encoded, so that every request takes the same path.
 */
export function packedRowsOf(request: ingestionV1.IngestRequest): PackedRecords {
  if ('packedRows' in request) return (request as PackedIngestRequest).packedRows;
  return packRecords(request.rows.map((row) => commonV1.Row.encode(row).finish()));
}

/**
 * Decodes an IngestRequest's envelope and slices out its rows' bytes, as protobuf's rules say:
 * fields in any order, the last scalar wins, unknown fields skipped; a field with the wrong wire
 * type or bytes that end early throw (the call answers INVALID_ARGUMENT). Whether each row is a
 * valid Row is found where it is decoded.
 */
export function decodeIngestRequest(bytes: Uint8Array): PackedIngestRequest {
  const reader = new BinaryReader(bytes);
  const rows: Uint8Array[] = [];
  let dataset = '';
  let batchId = '';
  let commitNow = false;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    const expected =
      field === Field.DATASET || field === Field.ROWS || field === Field.BATCH_ID
        ? WireType.LengthDelimited
        : field === Field.COMMIT_NOW
          ? WireType.Varint
          : undefined;
    if (expected !== undefined && wireType !== expected) throw new Error(`field ${field} has wire type ${wireType}, not ${expected}`);
    if (field === Field.DATASET) dataset = reader.string();
    else if (field === Field.ROWS) rows.push(reader.bytes());
    else if (field === Field.BATCH_ID) batchId = reader.string();
    else if (field === Field.COMMIT_NOW) commitNow = reader.bool();
    else reader.skip(wireType, field);
  }
  return { dataset, rows: [], batchId, commitNow, packedRows: packRecords(rows) };
}
