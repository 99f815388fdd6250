import { createHash } from 'node:crypto';
import { ingestionV1 } from '@flywheel/contracts';
import { ColumnType, type ColumnRule, type Contract, contractLimits } from './dataset-contract';
import { type RowValues } from './row-decoder';

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
  | {
      readonly ok: true;
      readonly values: Record_;
      /**
       * The record as JSON text to stage, which parses back to `values` (an absent column
       * reads as null): the text received when nothing had to be normalised, so most records
       * are never serialised again.
       */
      readonly json: string;
      /** `json` is the text as it arrived: its bytes can be staged as they are. */
      readonly asReceived: boolean;
    }
  | { readonly ok: false; readonly violations: readonly Violation[] };

/**
 * What arrived, before validation: the bytes of a JSON record from Kafka, or a gRPC Row's values
 * (decoded for this validation alone: it normalises them in place).
 */
export type Incoming =
  | { readonly kind: 'json'; readonly bytes: Buffer | null }
  | {
      readonly kind: 'values';
      readonly values: RowValues;
      /**
       * The size of the Row message the values were decoded from, when they were: every byte of
       * it makes at most 6 bytes of JSON (a control character's `\u0000` escape), so most rows
       * need no measuring against max_record_bytes.
       */
      readonly encodedBytes?: number;
    };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const MAX_SHOWN = 80;
/** Records are flat objects of scalars; anything nested deeper is refused before it is parsed. */
export const MAX_NESTING_DEPTH = 32;
/** The unique key's text is indexed: PostgreSQL's btree rows stop near 2.7 KB. */
export const MAX_UNIQUE_KEY_BYTES = 1024;
/** Unknown columns reported one by one, then counted. */
const MAX_UNKNOWN_REPORTED = 10;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The record as the quarantine keeps it: the text received (invalid UTF-8 shown as U+FFFD, NUL
 * as U+2400, since PostgreSQL text holds neither), or the Row rendered as JSON.
 */
export function rawText(incoming: Incoming): string {
  const text = incoming.kind === 'json' ? (incoming.bytes?.toString('utf8') ?? '') : JSON.stringify(incoming.values);
  // A Row's strings may hold lone surrogates, which no UTF-8 column or JSON can store.
  return text.split('\u0000').join('\u2400').replace(LONE_SURROGATES, '\uFFFD');
}

/** The record's bytes as received (a Row as its JSON text): what its size and hash are of. */
export function rawBytes(incoming: Incoming): Buffer {
  return incoming.kind === 'json' ? (incoming.bytes ?? Buffer.alloc(0)) : Buffer.from(JSON.stringify(incoming.values), 'utf8');
}

/**
 * Parses and checks one record against the contract, reporting every broken rule. Whatever the
 * bytes are, the answer is a validation — never a throw: bad data is quarantined, not retried.
 */
export function validateIncoming(contract: Contract, incoming: Incoming): Validation {
  const { maxRecordBytes } = planOf(contract);
  const tooLarge = (size: number) =>
    malformed(`the record is ${size} bytes, more than the contract's max_record_bytes (${maxRecordBytes})`);
  if (incoming.kind === 'values') {
    const record = incoming.values;
    const bound = incoming.encodedBytes === undefined ? Infinity : 6 * incoming.encodedBytes + 2;
    const size = bound <= maxRecordBytes ? bound : rowJsonBytes(record, maxRecordBytes);
    if (size > maxRecordBytes) return tooLarge(size);
    // The object was built here: checked in place, like a parsed record.
    return validation(checkRecord(contract, record, 'in-place'));
  }
  const bytes = incoming.bytes;
  if (bytes === null) return malformed('the record has no value');
  if (bytes.length > maxRecordBytes) return tooLarge(bytes.length);
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return malformed('not valid UTF-8');
  }
  // A flat record opens one object and no array: only other texts need their depth measured.
  const flat = text.indexOf('{', text.indexOf('{') + 1) === -1 && text.indexOf('[') === -1;
  if (!flat && nestingDepth(text) > MAX_NESTING_DEPTH) return malformed(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return malformed(`not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return malformed(`must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }
  // The parsed object is this call's own: its values are checked (and normalised) in place.
  return validation(checkRecord(contract, parsed as Record<string, Cell>, 'in-place'), text);
}

/**
 * A Row's size as JSON text, computed only when it might exceed `limit`: every UTF-16 unit of a
 * name or string takes at most 6 bytes in JSON (`\u0000`), a number at most 24, so the text is
 * built only for rows whose bound is above the limit.
 */
function rowJsonBytes(record: Record<string, unknown>, limit: number): number {
  let bound = 2;
  for (const name in record) {
    const value = record[name];
    bound += 6 * name.length + 4 + (typeof value === 'string' ? 6 * value.length + 2 : 32);
  }
  return bound <= limit ? bound : Buffer.byteLength(JSON.stringify(record));
}

function malformed(message: string): Validation {
  return { ok: false, violations: [{ field: '', code: ViolationCode.VIOLATION_CODE_MALFORMED, message }] };
}

/** Checks a plain object (JSON values, or Dates for timestamps) against the contract. */
export function validateRecord(contract: Contract, input: Readonly<Record<string, unknown>>): Validation {
  return validation(checkRecord(contract, input, 'copy'));
}

/** The validation of a checked record; `received` is its JSON text as it arrived, if it did as text. */
function validation(checked: Checked, received?: string): Validation {
  if (checked.violations !== undefined) return { ok: false, violations: checked.violations };
  const asReceived = received !== undefined && !checked.normalised;
  return { ok: true, values: checked.values, json: asReceived ? received : JSON.stringify(checked.values), asReceived };
}

interface Checked {
  /** With 'copy', every column in contract order (absent ones null); 'in-place' leaves absent ones absent. */
  readonly values: Record<string, Cell>;
  /** Some present value was stored in another form than it arrived in (a timestamp put in UTC). */
  readonly normalised: boolean;
  readonly violations: Violation[] | undefined;
}

function checkRecord(contract: Contract, input: Readonly<Record<string, unknown>>, mode: 'copy' | 'in-place'): Checked {
  // Allocated only for a record that breaks a rule: valid records, the common case, build none.
  let violations: Violation[] | undefined;
  let normalised = false;
  const values = mode === 'copy' ? ({} as Record<string, Cell>) : (input as Record<string, Cell>);
  const { known, columns, maxValueBytes } = planOf(contract);
  let unknown = 0;
  for (const name in input) {
    if (known.has(name)) continue;
    if (unknown++ < MAX_UNKNOWN_REPORTED) {
      (violations ??= []).push({
        field: printable(name),
        code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN,
        message: `${printable(name)}: is not a column of the contract`,
      });
    }
  }
  if (unknown > MAX_UNKNOWN_REPORTED) {
    violations!.push({
      field: '',
      code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN,
      message: `and ${unknown - MAX_UNKNOWN_REPORTED} more columns that are not in the contract`,
    });
  }
  for (const column of columns) {
    const raw = input[column.rule.name];
    if (raw === undefined || raw === null) {
      if (column.rule.required) {
        (violations ??= []).push({
          field: column.rule.name,
          code: ViolationCode.VIOLATION_CODE_MISSING_REQUIRED,
          message: `${column.rule.name}: is required`,
        });
      }
      if (mode === 'copy') values[column.rule.name] = null;
      continue;
    }
    const checked = checkCell(column, raw, maxValueBytes);
    if (typeof checked === 'object' && checked !== null) {
      (violations ??= []).push(checked);
    } else {
      if (checked !== raw) {
        values[column.rule.name] = checked;
        normalised = true;
      } else if (mode === 'copy') {
        values[column.rule.name] = checked;
      }
    }
  }
  if (violations === undefined && contract.uniqueKey.length > 0) {
    const keyBytes = Buffer.byteLength(uniqueKeyOf(contract, values) ?? '');
    if (keyBytes > MAX_UNIQUE_KEY_BYTES) {
      violations = [
        {
          field: contract.uniqueKey.join(','),
          code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE,
          message: `${contract.uniqueKey.join(', ')}: the unique key is ${keyBytes} bytes, more than ${MAX_UNIQUE_KEY_BYTES}`,
        },
      ];
    }
  }
  return { values, normalised, violations };
}

interface ColumnPlan {
  readonly rule: ColumnRule;
  /** The allowed values as a set (contracts may list thousands), or null when any is allowed. */
  readonly allowed: ReadonlySet<string> | null;
}

interface ContractPlan {
  readonly known: ReadonlySet<string>;
  readonly columns: readonly ColumnPlan[];
  readonly maxRecordBytes: number;
  readonly maxValueBytes: number;
}

/** Per contract, what every record's check needs: computed once, not per record. */
const plans = new WeakMap<Contract, ContractPlan>();

function planOf(contract: Contract): ContractPlan {
  let plan = plans.get(contract);
  if (!plan) {
    plan = {
      known: new Set(contract.columns.map((c) => c.name)),
      columns: contract.columns.map((rule) => ({ rule, allowed: rule.allowedValues.length > 0 ? new Set(rule.allowedValues) : null })),
      ...contractLimits(contract),
    };
    plans.set(contract, plan);
  }
  return plan;
}

/** The stored cell of a present value, or the rule it breaks. */
function checkCell({ rule: column, allowed }: ColumnPlan, raw: unknown, maxValueBytes: number): Cell | Violation {
  const wrongType = (expected: string): Violation => ({
    field: column.name,
    code: ViolationCode.VIOLATION_CODE_WRONG_TYPE,
    message: `${column.name}: ${show(raw)} is not ${expected}`,
  });
  switch (column.type) {
    case ColumnType.COLUMN_TYPE_DOUBLE:
    case ColumnType.COLUMN_TYPE_INTEGER: {
      const integer = column.type === ColumnType.COLUMN_TYPE_INTEGER;
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return wrongType(integer ? 'an integer' : 'a finite number');
      if (integer && !Number.isSafeInteger(raw)) return wrongType('an integer');
      if (column.min !== null && raw < column.min) return outOfRange(column, `${column.name}: ${raw} is below min ${column.min}`);
      if (column.max !== null && raw > column.max) return outOfRange(column, `${column.name}: ${raw} is above max ${column.max}`);
      return raw;
    }
    case ColumnType.COLUMN_TYPE_STRING: {
      if (typeof raw !== 'string') return wrongType('a string');
      // A UTF-8 character is at most 3 bytes per UTF-16 unit: only long strings are measured.
      if (raw.length * 3 > maxValueBytes) {
        const size = Buffer.byteLength(raw);
        if (size > maxValueBytes)
          return outOfRange(
            column,
            `${column.name}: the value is ${size} bytes, more than the contract's max_value_bytes (${maxValueBytes})`,
          );
      }
      if (raw.includes('\u0000')) return malformedCell(column, 'contains a NUL character');
      if (LONE_SURROGATE.test(raw)) return malformedCell(column, 'contains a lone UTF-16 surrogate (not Unicode text)');
      if (allowed !== null && !allowed.has(raw)) {
        return {
          field: column.name,
          code: ViolationCode.VIOLATION_CODE_NOT_ALLOWED,
          message: `${column.name}: ${show(raw)} is not one of ${column.allowedValues.slice(0, 10).map(show).join(', ')}${column.allowedValues.length > 10 ? ', …' : ''}`,
        };
      }
      return raw;
    }
    case ColumnType.COLUMN_TYPE_BOOLEAN:
      return typeof raw === 'boolean' ? raw : wrongType('a boolean');
    case ColumnType.COLUMN_TYPE_TIMESTAMP: {
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return raw.toISOString();
      if (typeof raw === 'string') {
        if (canonicalInstantMillis(raw) !== null) return raw;
        const time = parseRfc3339(raw);
        if (time !== null) return new Date(time).toISOString();
      }
      return wrongType('an RFC 3339 timestamp');
    }
    default:
      return wrongType(`of column type ${column.type}`);
  }
}

/**
 * Epoch milliseconds of a text already in the stored form of an instant,
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toISOString` writes and most producers send) with a date
 * that exists; null for any other text. Read digit by digit and counted in days from the civil
 * date (proleptic Gregorian, as `Date.parse`): a tenth of what a regular expression and
 * `Date.parse` cost, and no year read as another (`Date.UTC` takes 0–99 for 1900–1999).
 */
export function canonicalInstantMillis(text: string): number | null {
  if (text.length !== 24 || text.charCodeAt(23) !== 0x5a /* Z */ || text.charCodeAt(10) !== 0x54 /* T */) return null;
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a)
    return null;
  if (text.charCodeAt(19) !== 0x2e) return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const millis = digitsAt(text, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) return null;
  return ((daysSinceEpoch(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
}

/** The number written by `count` digits at `at`, or -1 where one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Days from 1970-01-01 to a civil date: years counted from March, so that a leap day ends its
 * year, and in eras of 400 years (146,097 days), as in Howard Hinnant's `days_from_civil`.
 */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  // 719,468 days from 0000-03-01 to 1970-01-01.
  return era * 146_097 + dayOfEra - 719_468;
}

function malformedCell(column: ColumnRule, reason: string): Violation {
  return { field: column.name, code: ViolationCode.VIOLATION_CODE_MALFORMED, message: `${column.name}: ${reason}` };
}

/**
 * Milliseconds of a strict RFC 3339 date-time, or null: the calendar must exist (no 30 February,
 * which `Date.parse` would roll into March), hours 0–23, minutes and seconds 0–59, offsets ±23:59.
 */
export function parseRfc3339(text: string): number | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const offsetHours = match[8] === undefined ? 0 : Number(match[8]);
  const offsetMinutes = match[9] === undefined ? 0 : Number(match[9]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * How deeply a JSON text nests arrays and objects, counted in one pass outside strings (so a
 * hostile record cannot overflow a recursive parser or formatter before it is refused).
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** A name as the quarantine can store it: JSON-escaped when it holds control or surrogate characters. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
  return /[\u0000-\u001f]/.test(name) || LONE_SURROGATE.test(name) ? JSON.stringify(name) : name;
}

function outOfRange(column: ColumnRule, message: string): Violation {
  return { field: column.name, code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message };
}

function show(value: unknown): string {
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'number' && !Number.isFinite(value)
        ? String(value)
        : (JSON.stringify(value) ?? String(value));
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
