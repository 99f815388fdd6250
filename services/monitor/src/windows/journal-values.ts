import { type commonV1 } from '@flywheel/contracts';
import { type JournalValue } from './window-state';

/** A contract Value as journalled (instants as epoch milliseconds). */
export function journalValue(value: commonV1.Value | undefined): JournalValue {
  if (value === undefined) return null;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.timestampValue !== undefined) return { t: value.timestampValue.getTime() };
  return null;
}

/** A class label as a comparable key: text as is, numbers in their shortest form, booleans as true/false. */
export function classKey(value: commonV1.Value | undefined): string | null {
  const v = journalValue(value);
  if (v === null || typeof v === 'object') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  return String(v);
}

/** A regression target or output, when the value is a finite number. */
export function numberOf(value: commonV1.Value | undefined): number | null {
  const v = journalValue(value);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function journalRow(row: commonV1.Row | undefined): Record<string, JournalValue> {
  const out: Record<string, JournalValue> = {};
  for (const [name, value] of Object.entries(row?.values ?? {})) out[name] = journalValue(value);
  return out;
}
