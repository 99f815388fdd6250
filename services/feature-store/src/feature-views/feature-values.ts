import { commonV1 } from '@flywheel/contracts';

/** A dataset cell once read with its contract's type. */
export type Cell = number | string | boolean | Date | null;

/**
 * A feature value as the stores keep it (JSON): numbers, strings and booleans as themselves,
 * instants as RFC 3339 text, so a jsonb column round-trips them without loss.
 */
export type StoredValue = number | string | boolean | null;

export type StoredValues = Record<string, StoredValue>;

export function toStoredValue(cell: Cell): StoredValue {
  if (cell instanceof Date) return cell.toISOString();
  if (typeof cell === 'number' && !Number.isFinite(cell)) return null;
  return cell;
}

/** The protobuf Value of a stored feature value, typed by the feature's declared type. */
export function toProtoValue(value: StoredValue | undefined, type: commonV1.ColumnType): commonV1.Value {
  if (value === null || value === undefined) return {};
  if (type === commonV1.ColumnType.COLUMN_TYPE_TIMESTAMP && typeof value === 'string') {
    const time = new Date(value);
    return Number.isNaN(time.getTime()) ? { stringValue: value } : { timestampValue: time };
  }
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { stringValue: value };
}

/** The plain value of a protobuf Value as it arrives from the gRPC loader (oneof flattened). */
export function fromProtoValue(value: commonV1.Value | undefined): StoredValue {
  if (value === undefined) return null;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.timestampValue !== undefined) return new Date(value.timestampValue).toISOString();
  return null;
}

/** How an entity key value becomes the string that identifies the entity. */
export function entityKeyOf(cell: Cell): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) return cell.toISOString();
  return String(cell);
}
