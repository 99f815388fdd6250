import { type commonV1 } from '@flywheel/contracts';
import { type RowValues } from '../datasets/row-decoder';

/**
 * A Row as the generated code decodes it, turned into plain values (a Value with no kind set is
 * null): the reference the service's own Row decoder is checked against.
 */
export function rowToObject(row: commonV1.Row): RowValues {
  const out: RowValues = {};
  for (const [name, value] of Object.entries(row.values)) {
    out[name] = value.numberValue ?? value.stringValue ?? value.boolValue ?? value.timestampValue ?? null;
  }
  return out;
}
