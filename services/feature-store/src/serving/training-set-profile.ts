import { commonV1 } from '@flywheel/contracts';
import { type StoredValue } from '../feature-views/feature-values';

const { ColumnType } = commonV1;

/** The contract type a column of plain values fits best, for columns the caller supplied. */
export function inferColumnType(values: readonly StoredValue[]): commonV1.ColumnType {
  const present = values.filter((v) => v !== null);
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return ColumnType.COLUMN_TYPE_DOUBLE;
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return ColumnType.COLUMN_TYPE_BOOLEAN;
  return ColumnType.COLUMN_TYPE_STRING;
}
