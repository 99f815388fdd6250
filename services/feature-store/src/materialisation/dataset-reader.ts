import { Inject, Injectable } from '@nestjs/common';
import { commonV1, type ingestionV1 } from '@flywheel/contracts';
import { cellValue, type Column, CsvError, parseCsv, type Schema } from '@flywheel/ml';
import { IntegrityError, ObjectStore, parseObjectKey, StorageException, StorageExceptionCode } from '@flywheel/storage';
import { type DatasetVersionRecord } from '../datasets/dataset-catalog.repository';
import { type Cell } from '../feature-views/feature-values';
import { MaterialisationException, MaterialisationExceptionCode } from './materialisation.exception';

const { ColumnType } = commonV1;

/** The records of one dataset version, read with the types of its contract. */
export interface DatasetRecords {
  readonly rowCount: number;
  readonly columns: readonly string[];
  /** The cell at (row, column); null when missing or for a column the version does not have. */
  cell(row: number, column: string): Cell;
}

/** Reads dataset version objects (port; the object store below). */
export abstract class DatasetReader {
  /** `columns`: only these are needed (the others may read as null); default: all. */
  abstract read(version: DatasetVersionRecord, columns?: readonly string[]): Promise<DatasetRecords>;
}

export type DatasetFormat = 'csv' | 'jsonl';

/** The formats read: CSV (what `flywheel` and pandas write) and JSON lines; by media type, else by key suffix. */
export function formatOf(version: Pick<DatasetVersionRecord, 'contentType' | 'objectKey'>): DatasetFormat | null {
  const media = version.contentType.split(';')[0].trim().toLowerCase();
  if (media === 'text/csv' || media === 'application/csv') return 'csv';
  if (media === 'application/x-ndjson' || media === 'application/jsonl' || media === 'application/json-lines') return 'jsonl';
  if (media === '' || media === 'application/octet-stream') {
    if (version.objectKey.endsWith('.csv')) return 'csv';
    if (version.objectKey.endsWith('.jsonl') || version.objectKey.endsWith('.ndjson')) return 'jsonl';
  }
  return null;
}

const NUMERIC = new Set<commonV1.ColumnType>([ColumnType.COLUMN_TYPE_DOUBLE, ColumnType.COLUMN_TYPE_INTEGER]);
const EPOCH_MILLIS = /^-?\d{1,15}$/;

/** A raw value (text or JSON) as a cell of a column of the given type; null when it is not one. */
export function typedCell(raw: unknown, type: commonV1.ColumnType | undefined): Cell {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case ColumnType.COLUMN_TYPE_DOUBLE:
    case ColumnType.COLUMN_TYPE_INTEGER: {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      return Number.isFinite(value) ? value : null;
    }
    case ColumnType.COLUMN_TYPE_BOOLEAN:
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 1) return true;
      if (raw === 'false' || raw === '0' || raw === 0) return false;
      return null;
    case ColumnType.COLUMN_TYPE_TIMESTAMP: {
      // RFC 3339 text, or epoch milliseconds as a number or digits.
      const time =
        typeof raw === 'number' ? new Date(raw) : typeof raw === 'string' ? new Date(EPOCH_MILLIS.test(raw) ? Number(raw) : raw) : null;
      return time && !Number.isNaN(time.getTime()) ? time : null;
    }
    default:
      return typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : JSON.stringify(raw);
  }
}

function columnTypes(contract: ingestionV1.DataContract): Map<string, commonV1.ColumnType> {
  return new Map((contract.columns ?? []).map((c) => [c.name, c.type]));
}

/** Parses a dataset version's bytes; throws MaterialisationException for content it cannot read. */
export function parseDatasetRecords(
  bytes: Buffer,
  format: DatasetFormat,
  contract: ingestionV1.DataContract,
  key: string,
  columns?: readonly string[],
): DatasetRecords {
  const types = columnTypes(contract);
  try {
    return format === 'csv' ? parseCsvRecords(bytes, types, columns) : parseJsonLines(bytes, types);
  } catch (error) {
    if (error instanceof CsvError || error instanceof SyntaxError) {
      throw new MaterialisationException(
        `dataset version ${key} is not readable ${format}: ${error.message}`,
        MaterialisationExceptionCode.UNREADABLE_DATASET_VERSION,
      );
    }
    throw error;
  }
}

function parseCsvRecords(bytes: Buffer, types: Map<string, commonV1.ColumnType>, columns?: readonly string[]): DatasetRecords {
  const text = bytes.toString('utf8');
  // The header decides which contract columns the schema may force: parseCsv rejects names it does not see.
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const header = parseCsv(`${firstLine}\n`).columns.map((c) => c.name);
  const schema: Record<string, 'numeric' | 'categorical'> = {};
  for (const name of header) {
    const type = types.get(name);
    if (type !== undefined) schema[name] = NUMERIC.has(type) ? 'numeric' : 'categorical';
  }
  // Columns a version does not have read as null, as for a full read.
  const wanted = columns?.filter((name) => header.includes(name));
  const table = parseCsv(text, { schema: schema as Schema, columns: wanted });
  const byName = new Map<string, Column>(table.columns.map((c) => [c.name, c]));
  return {
    rowCount: table.nRows,
    columns: header,
    cell(row, column) {
      const col = byName.get(column);
      return col ? typedCell(cellValue(col, row), types.get(column)) : null;
    },
  };
}

function parseJsonLines(bytes: Buffer, types: Map<string, commonV1.ColumnType>): DatasetRecords {
  const rows: Array<Record<string, unknown>> = [];
  const lines = bytes.toString('utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError(`line ${i + 1} is not a JSON object`);
    rows.push(value as Record<string, unknown>);
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return {
    rowCount: rows.length,
    columns,
    cell: (row, column) => typedCell(rows[row][column], types.get(column)),
  };
}

@Injectable()
export class ObjectStoreDatasetReader extends DatasetReader {
  constructor(@Inject(ObjectStore) private readonly objects: ObjectStore) {
    super();
  }

  async read(version: DatasetVersionRecord, columns?: readonly string[]): Promise<DatasetRecords> {
    const format = formatOf(version);
    if (!format) {
      throw new MaterialisationException(
        `dataset version ${version.dataset} v${version.version} is ${version.contentType || 'of unknown type'}; the feature store reads text/csv and application/x-ndjson`,
        MaterialisationExceptionCode.UNREADABLE_DATASET_VERSION,
      );
    }
    let bytes: Buffer;
    try {
      bytes = await this.objects.get(parseObjectKey(version.objectKey), { expectedSha256: version.objectSha256 });
    } catch (error) {
      if (error instanceof IntegrityError) {
        throw new MaterialisationException(error.message, MaterialisationExceptionCode.DATASET_VERSION_CORRUPT);
      }
      if (error instanceof StorageException && error.code === StorageExceptionCode.INVALID_OBJECT_KEY) {
        throw new MaterialisationException(error.message, MaterialisationExceptionCode.UNREADABLE_DATASET_VERSION);
      }
      throw error;
    }
    return parseDatasetRecords(bytes, format, version.contract, version.objectKey, columns);
  }
}
