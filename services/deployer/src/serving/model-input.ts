import { type commonV1 } from '@flywheel/contracts';
import { type InputRow, type ModelSignature } from '@flywheel/ml';
import { invalidArgument } from '@flywheel/platform';

/**
 * The model's input row from named values, checked against its signature: every feature must be
 * present (an empty Value is an explicit null, which the model's imputation handles), numeric
 * features take numbers (booleans as 1/0, instants as epoch milliseconds), categorical features
 * take strings (booleans as "true"/"false"). Names not in the signature are ignored. Errors
 * name the field as `<root>.<feature>`.
 */
export function toInputRow(signature: ModelSignature, values: Readonly<Record<string, commonV1.Value>>, root: string): InputRow {
  const row: Record<string, number | string | null> = {};
  for (const feature of signature.features) {
    const field = `${root}.${feature.name}`;
    if (!Object.hasOwn(values, feature.name)) throw invalidArgument(field, `is required by the model (${feature.type})`);
    const value = values[feature.name] ?? {};
    if (feature.type === 'numeric') row[feature.name] = numeric(value, field);
    else row[feature.name] = categorical(value, field);
  }
  return row;
}

function numeric(value: commonV1.Value, field: string): number | null {
  if (isSet(value.numberValue)) {
    if (!Number.isFinite(value.numberValue)) throw invalidArgument(field, `must be a finite number, got ${value.numberValue}`);
    return value.numberValue;
  }
  if (isSet(value.boolValue)) return value.boolValue ? 1 : 0;
  if (isSet(value.timestampValue)) return value.timestampValue.getTime();
  if (isSet(value.stringValue)) throw invalidArgument(field, `must be a number, got the string ${JSON.stringify(value.stringValue)}`);
  return null;
}

function categorical(value: commonV1.Value, field: string): string | null {
  if (isSet(value.stringValue)) return value.stringValue;
  if (isSet(value.boolValue)) return value.boolValue ? 'true' : 'false';
  if (isSet(value.numberValue)) throw invalidArgument(field, `must be a string (a category), got the number ${value.numberValue}`);
  if (isSet(value.timestampValue)) throw invalidArgument(field, 'must be a string (a category), got a timestamp');
  return null;
}

function isSet<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/**
 * A prediction as a proto Value: a regression value is a number; a class label keeps its type —
 * the classes of a boolean label (written `false`/`true` in its training set) answer a boolean,
 * numbered classes a number, any others their text.
 */
export function toOutputValue(prediction: number | string, classes: readonly (number | string)[]): commonV1.Value {
  if (typeof prediction === 'number') return { numberValue: prediction };
  return isBooleanLabel(classes) ? { boolValue: prediction === 'true' } : { stringValue: prediction };
}

/** Whether a classifier's classes are a boolean label's, as its training set wrote them. */
export const isBooleanLabel = (classes: readonly (number | string)[]) =>
  classes.length === 2 && classes.includes('false') && classes.includes('true');
