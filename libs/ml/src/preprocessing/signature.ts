import { type Schema, type Table } from '../table/table';

export type FeatureSpec =
  | { readonly name: string; readonly type: 'numeric' }
  | { readonly name: string; readonly type: 'categorical'; readonly categories: readonly string[] };

/**
 * What a model accepts: its features in order, their types and, for categoricals, the categories
 * seen in training. `unknownCategories: 'error'` rejects any other category; `'accept'` lets the
 * encoder map it to its unknown bucket.
 */
export interface ModelSignature {
  readonly features: readonly FeatureSpec[];
  readonly unknownCategories: 'accept' | 'error';
}

/** One input row for single-row prediction: a number for numeric fields, a string for categoricals, `null` (or NaN) when missing. */
export type InputRow = Readonly<Record<string, number | string | null | undefined>>;

/** Raised when input does not match a model's signature; `field` names the offending feature. */
export class SignatureError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** The CSV schema that reads a file the way the model expects its features. */
export function schemaOf(signature: ModelSignature): Schema {
  const schema: Record<string, 'numeric' | 'categorical'> = {};
  for (const f of signature.features) schema[f.name] = f.type;
  return schema;
}

/** Checks that `table` has every feature with the right type (extra columns are allowed). */
export function checkTable(signature: ModelSignature, table: Table): void {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  for (const f of signature.features) {
    const col = byName.get(f.name);
    if (!col) throw new SignatureError(`field "${f.name}" is missing from the input`, f.name);
    if (col.type !== f.type) throw new SignatureError(`field "${f.name}" must be ${f.type}, but the input column is ${col.type}`, f.name);
  }
}
