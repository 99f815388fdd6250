import { commonV1, DATASET_NAME_PATTERN, durationToMillis, type ingestionV1 } from '@flywheel/contracts';
import { type FieldViolation, InvalidArgumentException } from '@flywheel/platform';

export const ColumnType = commonV1.ColumnType;
export type ColumnType = commonV1.ColumnType;

const COLUMN_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_COLUMNS = 500;
const MAX_ALLOWED_VALUES = 10_000;
const MAX_DESCRIPTION = 4_000;
/** A version is built in memory; this bounds one commit's size. */
export const MAX_ROWS_LIMIT = 1_000_000;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 7 * 24 * 3600 * 1000;

/** One column rule, as stored (the proto's ColumnSpec with unset bounds as null). */
export interface ColumnRule {
  readonly name: string;
  readonly type: ColumnType;
  readonly required: boolean;
  readonly min: number | null;
  readonly max: number | null;
  readonly allowedValues: readonly string[];
  readonly description: string;
}

export interface Contract {
  readonly columns: readonly ColumnRule[];
  readonly uniqueKey: readonly string[];
  readonly eventTimeColumn: string;
}

export interface DatasetDefinition {
  readonly name: string;
  readonly description: string;
  readonly contract: Contract;
  readonly maxRows: number;
  readonly maxIntervalMs: number;
}

export interface CommitDefaults {
  readonly maxRows: number;
  readonly maxIntervalMs: number;
}

const VALID_TYPES = new Set<number>([
  ColumnType.COLUMN_TYPE_DOUBLE,
  ColumnType.COLUMN_TYPE_INTEGER,
  ColumnType.COLUMN_TYPE_STRING,
  ColumnType.COLUMN_TYPE_BOOLEAN,
  ColumnType.COLUMN_TYPE_TIMESTAMP,
]);

const NUMERIC_TYPES = new Set<number>([ColumnType.COLUMN_TYPE_DOUBLE, ColumnType.COLUMN_TYPE_INTEGER]);

/**
 * Checks a RegisterDataset request and returns the definition to store, with the server's
 * defaults filled in. Every problem is reported at once, each naming its field as the proto
 * spells it (`contract.columns[2].min`), in one INVALID_ARGUMENT.
 */
export function parseRegistration(request: ingestionV1.RegisterDatasetRequest, defaults: CommitDefaults): DatasetDefinition {
  const problems: FieldViolation[] = [];
  const fail = (field: string, reason: string) => problems.push({ field, reason });

  const name = request.name ?? '';
  if (!DATASET_NAME_PATTERN.test(name)) fail('name', `must match ${DATASET_NAME_PATTERN.source}`);
  const description = request.description ?? '';
  if (description.length > MAX_DESCRIPTION) fail('description', `must be at most ${MAX_DESCRIPTION} characters`);

  const columns: ColumnRule[] = [];
  const contract = request.contract;
  if (contract == null) {
    fail('contract', 'is required');
  } else {
    const specs = contract.columns ?? [];
    if (specs.length === 0) fail('contract.columns', 'must list at least one column');
    if (specs.length > MAX_COLUMNS) fail('contract.columns', `must list at most ${MAX_COLUMNS} columns`);
    const seen = new Set<string>();
    specs.forEach((spec, i) => {
      const at = `contract.columns[${i}]`;
      const rule = parseColumn(spec, at, fail);
      if (seen.has(rule.name)) fail(`${at}.name`, `duplicates column "${rule.name}"`);
      seen.add(rule.name);
      columns.push(rule);
    });
    const byName = new Map(columns.map((c) => [c.name, c]));
    const keySeen = new Set<string>();
    (contract.uniqueKey ?? []).forEach((key, i) => {
      const at = `contract.unique_key[${i}]`;
      const column = byName.get(key);
      if (!column) fail(at, `names no column ("${key}")`);
      else if (!column.required) fail(at, `column "${key}" must be required to be part of the unique key`);
      if (keySeen.has(key)) fail(at, `repeats "${key}"`);
      keySeen.add(key);
    });
    const eventTime = contract.eventTimeColumn ?? '';
    if (eventTime !== '') {
      const column = byName.get(eventTime);
      if (!column) fail('contract.event_time_column', `names no column ("${eventTime}")`);
      else if (column.type !== ColumnType.COLUMN_TYPE_TIMESTAMP) fail('contract.event_time_column', `column "${eventTime}" must be of type COLUMN_TYPE_TIMESTAMP`);
    }
  }

  const policy = request.commitPolicy;
  let maxRows = defaults.maxRows;
  let maxIntervalMs = defaults.maxIntervalMs;
  if (policy != null) {
    if (!Number.isSafeInteger(policy.maxRows) || policy.maxRows < 0 || policy.maxRows > MAX_ROWS_LIMIT) {
      fail('commit_policy.max_rows', `must be between 0 (server default) and ${MAX_ROWS_LIMIT}`);
    } else if (policy.maxRows > 0) {
      maxRows = policy.maxRows;
    }
    if (policy.maxInterval != null) {
      const ms = durationToMillis(policy.maxInterval);
      if (!(ms >= MIN_INTERVAL_MS && ms <= MAX_INTERVAL_MS)) {
        fail('commit_policy.max_interval', `must be between ${MIN_INTERVAL_MS} ms and 7 days`);
      } else {
        maxIntervalMs = Math.round(ms);
      }
    }
  }

  if (problems.length > 0) throw new InvalidArgumentException(problems);
  return {
    name,
    description,
    contract: { columns, uniqueKey: [...(contract?.uniqueKey ?? [])], eventTimeColumn: contract?.eventTimeColumn ?? '' },
    maxRows,
    maxIntervalMs,
  };
}

function parseColumn(spec: ingestionV1.ColumnSpec, at: string, fail: (field: string, reason: string) => void): ColumnRule {
  const name = spec.name ?? '';
  if (!COLUMN_NAME_PATTERN.test(name)) fail(`${at}.name`, `must match ${COLUMN_NAME_PATTERN.source}`);
  const type = spec.type;
  if (!VALID_TYPES.has(type)) fail(`${at}.type`, 'must be one of COLUMN_TYPE_DOUBLE, INTEGER, STRING, BOOLEAN, TIMESTAMP');
  const numeric = NUMERIC_TYPES.has(type);
  const min = spec.min ?? null;
  const max = spec.max ?? null;
  for (const [field, value] of [['min', min], ['max', max]] as const) {
    if (value === null) continue;
    if (!numeric) fail(`${at}.${field}`, 'applies to DOUBLE and INTEGER columns only');
    else if (!Number.isFinite(value)) fail(`${at}.${field}`, 'must be a finite number');
  }
  if (min !== null && max !== null && min > max) fail(`${at}.min`, `must not exceed max (${min} > ${max})`);
  const allowedValues = [...(spec.allowedValues ?? [])];
  if (allowedValues.length > 0 && type !== ColumnType.COLUMN_TYPE_STRING) fail(`${at}.allowed_values`, 'applies to STRING columns only');
  if (allowedValues.length > MAX_ALLOWED_VALUES) fail(`${at}.allowed_values`, `must list at most ${MAX_ALLOWED_VALUES} values`);
  if (new Set(allowedValues).size !== allowedValues.length) fail(`${at}.allowed_values`, 'must not repeat a value');
  const description = spec.description ?? '';
  if (description.length > MAX_DESCRIPTION) fail(`${at}.description`, `must be at most ${MAX_DESCRIPTION} characters`);
  return { name, type, required: Boolean(spec.required), min, max, allowedValues, description };
}

/** Whether a second registration is the same dataset (idempotent) or a conflicting one. */
export function sameDefinition(a: DatasetDefinition, b: DatasetDefinition): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(d: DatasetDefinition): unknown {
  return [d.name, d.description, d.maxRows, d.maxIntervalMs, d.contract.uniqueKey, d.contract.eventTimeColumn,
    d.contract.columns.map((c) => [c.name, c.type, c.required, c.min, c.max, c.allowedValues, c.description])];
}

/** The stored contract as the proto message. */
export function contractToProto(contract: Contract): ingestionV1.DataContract {
  return {
    columns: contract.columns.map((c) => ({
      name: c.name,
      type: c.type,
      required: c.required,
      ...(c.min !== null ? { min: c.min } : {}),
      ...(c.max !== null ? { max: c.max } : {}),
      allowedValues: [...c.allowedValues],
      description: c.description,
    })),
    uniqueKey: [...contract.uniqueKey],
    eventTimeColumn: contract.eventTimeColumn,
  };
}
