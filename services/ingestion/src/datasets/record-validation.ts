import { createHash } from 'node:crypto';
import { type commonV1, ingestionV1 } from '@flywheel/contracts';
import { ColumnType, type ColumnRule, type Contract } from './dataset-contract';

export const ViolationCode = ingestionV1.ViolationCode;
export type ViolationCode = ingestionV1.ViolationCode;

/** A stored cell: numbers, text, booleans, instants as RFC 3339 UTC text, null. */
export type Cell = number | string | boolean | null;
export type Record_ = Readonly<Record<string, Cell>>;

export interface Violation {
  readonly field: string;
  readonly code: ViolationCode;
  readonly message: string;
}

export type Validation =
  | { readonly ok: true; readonly values: Record_; readonly eventTime: Date | null }
  | { readonly ok: false; readonly violations: readonly Violation[] };

/** What arrived, before validation: a JSON text from Kafka, or a gRPC Row's values. */
export type Incoming =
  { readonly kind: 'json'; readonly text: string | null } | { readonly kind: 'row'; readonly row: commonV1.Row | undefined };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const MAX_SHOWN = 80;

/** The record as the quarantine keeps it: the JSON text received, or the Row rendered as JSON. */
export function rawText(incoming: Incoming): string {
  if (incoming.kind === 'json') return incoming.text ?? '';
  return JSON.stringify(rowToObject(incoming.row));
}

/** A Row as a plain object: a Value with no kind set is an explicit null. */
export function rowToObject(row: commonV1.Row | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row?.values ?? {})) {
    if (value === undefined) out[name] = null;
    else if (value.numberValue !== undefined) out[name] = value.numberValue;
    else if (value.stringValue !== undefined) out[name] = value.stringValue;
    else if (value.boolValue !== undefined) out[name] = value.boolValue;
    else if (value.timestampValue !== undefined) out[name] = value.timestampValue;
    else out[name] = null;
  }
  return out;
}

/** Parses and checks one record against the contract, reporting every broken rule. */
export function validateIncoming(contract: Contract, incoming: Incoming): Validation {
  if (incoming.kind === 'row') return validateRecord(contract, rowToObject(incoming.row));
  if (incoming.text === null) return malformed('the record has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(incoming.text);
  } catch (error) {
    return malformed(`not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return malformed(`must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }
  return validateRecord(contract, parsed as Record<string, unknown>);
}

function malformed(message: string): Validation {
  return { ok: false, violations: [{ field: '', code: ViolationCode.VIOLATION_CODE_MALFORMED, message }] };
}

/** Checks a plain object (JSON values, or Dates for timestamps) against the contract. */
export function validateRecord(contract: Contract, input: Readonly<Record<string, unknown>>): Validation {
  const violations: Violation[] = [];
  const values: Record<string, Cell> = {};
  const known = new Set(contract.columns.map((c) => c.name));
  for (const name of Object.keys(input)) {
    if (!known.has(name))
      violations.push({
        field: name,
        code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN,
        message: `${name}: is not a column of the contract`,
      });
  }
  let eventTime: Date | null = null;
  for (const column of contract.columns) {
    const raw = input[column.name];
    if (raw === undefined || raw === null) {
      if (column.required) {
        violations.push({
          field: column.name,
          code: ViolationCode.VIOLATION_CODE_MISSING_REQUIRED,
          message: `${column.name}: is required`,
        });
      }
      values[column.name] = null;
      continue;
    }
    const checked = checkCell(column, raw);
    if ('violation' in checked) {
      violations.push(checked.violation);
      continue;
    }
    values[column.name] = checked.cell;
    if (column.name === contract.eventTimeColumn && typeof checked.cell === 'string') eventTime = new Date(checked.cell);
  }
  return violations.length > 0 ? { ok: false, violations } : { ok: true, values, eventTime };
}

function checkCell(column: ColumnRule, raw: unknown): { cell: Cell } | { violation: Violation } {
  const wrongType = (expected: string) => ({
    violation: {
      field: column.name,
      code: ViolationCode.VIOLATION_CODE_WRONG_TYPE,
      message: `${column.name}: ${show(raw)} is not ${expected}`,
    },
  });
  switch (column.type) {
    case ColumnType.COLUMN_TYPE_DOUBLE:
    case ColumnType.COLUMN_TYPE_INTEGER: {
      const integer = column.type === ColumnType.COLUMN_TYPE_INTEGER;
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return wrongType(integer ? 'an integer' : 'a finite number');
      if (integer && !Number.isSafeInteger(raw)) return wrongType('an integer');
      if (column.min !== null && raw < column.min) return outOfRange(column, `${column.name}: ${raw} is below min ${column.min}`);
      if (column.max !== null && raw > column.max) return outOfRange(column, `${column.name}: ${raw} is above max ${column.max}`);
      return { cell: raw };
    }
    case ColumnType.COLUMN_TYPE_STRING: {
      if (typeof raw !== 'string') return wrongType('a string');
      if (column.allowedValues.length > 0 && !column.allowedValues.includes(raw)) {
        return {
          violation: {
            field: column.name,
            code: ViolationCode.VIOLATION_CODE_NOT_ALLOWED,
            message: `${column.name}: ${show(raw)} is not one of ${column.allowedValues.slice(0, 10).map(show).join(', ')}${column.allowedValues.length > 10 ? ', …' : ''}`,
          },
        };
      }
      return { cell: raw };
    }
    case ColumnType.COLUMN_TYPE_BOOLEAN:
      return typeof raw === 'boolean' ? { cell: raw } : wrongType('a boolean');
    case ColumnType.COLUMN_TYPE_TIMESTAMP: {
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return { cell: raw.toISOString() };
      if (typeof raw === 'string' && RFC3339.test(raw)) {
        const time = Date.parse(raw);
        if (!Number.isNaN(time)) return { cell: new Date(time).toISOString() };
      }
      return wrongType('an RFC 3339 timestamp');
    }
    default:
      return wrongType(`of column type ${column.type}`);
  }
}

function outOfRange(column: ColumnRule, message: string): { violation: Violation } {
  return { violation: { field: column.name, code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message } };
}

function show(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** The unique key of an accepted record as text, or null when the contract has none. */
export function uniqueKeyOf(contract: Contract, values: Record_): string | null {
  if (contract.uniqueKey.length === 0) return null;
  return JSON.stringify(contract.uniqueKey.map((column) => values[column]));
}

/** Hash of a record's values in column order: equal hashes under one key mean a redelivery. */
export function contentHash(contract: Contract, values: Record_): string {
  return createHash('sha256')
    .update(JSON.stringify(contract.columns.map((c) => values[c.name] ?? null)))
    .digest('hex');
}
