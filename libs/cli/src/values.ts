import { type commonV1 } from '@flywheel/contracts';

/** Booleans as JSON, pandas (`True`) and spreadsheets (`TRUE`) write them. */
export const BOOLEAN_TEXTS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);

/** A value written as text with no type to go by: a boolean, a number, or else the text itself. */
export function valueOfText(text: string): commonV1.Value {
  const boolean = BOOLEAN_TEXTS.get(text);
  if (boolean !== undefined) return { boolValue: boolean };
  const number = text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(number) ? { numberValue: number } : { stringValue: text };
}
