import { commonV1, DATASET_NAME_PATTERN, durationToMillis, type ingestionV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { z } from 'zod';

export const ColumnType = commonV1.ColumnType;
export type ColumnType = commonV1.ColumnType;

const COLUMN_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_COLUMNS = 500;
const MAX_ALLOWED_VALUES = 10_000;
const MAX_DESCRIPTION = 4_000;
/** A version is built in memory; this bounds one commit's size. */
export const MAX_ROWS_LIMIT = 1_000_000;
const MIN_INTERVAL_MS = 100;
/** A record's size when the contract leaves `max_record_bytes` at 0 (Apache Kafka's default message limit). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_RECORD_BYTES_LIMIT = 16 * 1024 * 1024;
/** A string value's size when the contract leaves `max_value_bytes` at 0. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
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
  /** Absent in contracts stored before the limits existed: the defaults apply. */
  readonly maxRecordBytes?: number;
  readonly maxValueBytes?: number;
}

/** The size limits a contract sets, defaults filled in. */
export function contractLimits(contract: Contract): { maxRecordBytes: number; maxValueBytes: number } {
  return {
    maxRecordBytes: contract.maxRecordBytes || DEFAULT_MAX_RECORD_BYTES,
    maxValueBytes: contract.maxValueBytes || DEFAULT_MAX_VALUE_BYTES,
  };
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

type Fail = (path: ReadonlyArray<string | number>, reason: string) => void;

/**
 * A RegisterDataset request, checked and turned into the definition to store, with the server's
 * defaults filled in. The rules are checked in one pass over the request so that every problem
 * is reported at once, in request order, each naming its field as the proto spells it
 * (`contract.columns[2].min`).
 */
export function registrationSchema(defaults: CommitDefaults) {
  return z
    .custom<ingestionV1.RegisterDatasetRequest>((value) => typeof value === 'object' && value !== null, 'must be a RegisterDatasetRequest')
    .superRefine((request, ctx) => {
      checkRegistration(request, (path, message) => ctx.addIssue({ code: 'custom', path: [...path], message }));
    })
    .transform((request): DatasetDefinition => {
      const policy = request.commitPolicy;
      const maxIntervalMs = policy?.maxInterval === undefined ? defaults.maxIntervalMs : Math.round(durationToMillis(policy.maxInterval));
      return {
        name: request.name,
        description: request.description,
        contract: {
          columns: (request.contract?.columns ?? []).map(toColumnRule),
          uniqueKey: [...(request.contract?.uniqueKey ?? [])],
          eventTimeColumn: request.contract?.eventTimeColumn ?? '',
          maxRecordBytes: request.contract?.maxRecordBytes || DEFAULT_MAX_RECORD_BYTES,
          maxValueBytes: request.contract?.maxValueBytes || DEFAULT_MAX_VALUE_BYTES,
        },
        maxRows: policy && policy.maxRows > 0 ? policy.maxRows : defaults.maxRows,
        maxIntervalMs,
      };
    });
}

/** Checks a RegisterDataset request and returns the definition to store (see {@link registrationSchema}). */
export function parseRegistration(request: ingestionV1.RegisterDatasetRequest, defaults: CommitDefaults): DatasetDefinition {
  return parseRequest(registrationSchema(defaults), request);
}

function checkRegistration(request: ingestionV1.RegisterDatasetRequest, fail: Fail): void {
  if (!DATASET_NAME_PATTERN.test(request.name)) fail(['name'], `must match ${DATASET_NAME_PATTERN.source}`);
  if (request.description.length > MAX_DESCRIPTION) fail(['description'], `must be at most ${MAX_DESCRIPTION} characters`);

  const contract = request.contract;
  if (contract === undefined) {
    fail(['contract'], 'is required');
  } else {
    const specs = contract.columns;
    if (specs.length === 0) fail(['contract', 'columns'], 'must list at least one column');
    if (specs.length > MAX_COLUMNS) fail(['contract', 'columns'], `must list at most ${MAX_COLUMNS} columns`);
    // A repeated name is reported once; the key and event-time checks see its last column.
    const byName = new Map<string, ingestionV1.ColumnSpec>();
    specs.forEach((spec, i) => {
      const at = ['contract', 'columns', i];
      checkColumn(spec, at, fail);
      if (byName.has(spec.name)) fail([...at, 'name'], `duplicates column "${spec.name}"`);
      byName.set(spec.name, spec);
    });
    const keySeen = new Set<string>();
    contract.uniqueKey.forEach((key, i) => {
      const at = ['contract', 'unique_key', i];
      const column = byName.get(key);
      if (!column) fail(at, `names no column ("${key}")`);
      else if (!column.required) fail(at, `column "${key}" must be required to be part of the unique key`);
      if (keySeen.has(key)) fail(at, `repeats "${key}"`);
      keySeen.add(key);
    });
    if (!Number.isSafeInteger(contract.maxRecordBytes) || contract.maxRecordBytes < 0 || contract.maxRecordBytes > MAX_RECORD_BYTES_LIMIT)
      fail(['contract', 'max_record_bytes'], `must be between 0 (default ${DEFAULT_MAX_RECORD_BYTES}) and ${MAX_RECORD_BYTES_LIMIT}`);
    const recordLimit = contract.maxRecordBytes || DEFAULT_MAX_RECORD_BYTES;
    if (!Number.isSafeInteger(contract.maxValueBytes) || contract.maxValueBytes < 0 || contract.maxValueBytes > recordLimit)
      fail(['contract', 'max_value_bytes'], `must be between 0 (default ${DEFAULT_MAX_VALUE_BYTES}) and max_record_bytes (${recordLimit})`);
    const eventTime = contract.eventTimeColumn;
    if (eventTime !== '') {
      const column = byName.get(eventTime);
      if (!column) fail(['contract', 'event_time_column'], `names no column ("${eventTime}")`);
      else if (column.type !== ColumnType.COLUMN_TYPE_TIMESTAMP)
        fail(['contract', 'event_time_column'], `column "${eventTime}" must be of type COLUMN_TYPE_TIMESTAMP`);
    }
  }

  const policy = request.commitPolicy;
  if (policy !== undefined) {
    if (!Number.isSafeInteger(policy.maxRows) || policy.maxRows < 0 || policy.maxRows > MAX_ROWS_LIMIT) {
      fail(['commit_policy', 'max_rows'], `must be between 0 (server default) and ${MAX_ROWS_LIMIT}`);
    }
    if (policy.maxInterval !== undefined) {
      const ms = durationToMillis(policy.maxInterval);
      if (!(ms >= MIN_INTERVAL_MS && ms <= MAX_INTERVAL_MS))
        fail(['commit_policy', 'max_interval'], `must be between ${MIN_INTERVAL_MS} ms and 7 days`);
    }
  }
}

function checkColumn(spec: ingestionV1.ColumnSpec, at: ReadonlyArray<string | number>, fail: Fail): void {
  if (!COLUMN_NAME_PATTERN.test(spec.name)) fail([...at, 'name'], `must match ${COLUMN_NAME_PATTERN.source}`);
  if (!VALID_TYPES.has(spec.type)) fail([...at, 'type'], 'must be one of COLUMN_TYPE_DOUBLE, INTEGER, STRING, BOOLEAN, TIMESTAMP');
  const numeric = NUMERIC_TYPES.has(spec.type);
  for (const field of ['min', 'max'] as const) {
    const value = spec[field];
    if (value === undefined) continue;
    if (!numeric) fail([...at, field], 'applies to DOUBLE and INTEGER columns only');
    else if (!Number.isFinite(value)) fail([...at, field], 'must be a finite number');
  }
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max)
    fail([...at, 'min'], `must not exceed max (${spec.min} > ${spec.max})`);
  const allowedValues = spec.allowedValues;
  if (allowedValues.length > 0 && spec.type !== ColumnType.COLUMN_TYPE_STRING)
    fail([...at, 'allowed_values'], 'applies to STRING columns only');
  if (allowedValues.length > MAX_ALLOWED_VALUES) fail([...at, 'allowed_values'], `must list at most ${MAX_ALLOWED_VALUES} values`);
  if (new Set(allowedValues).size !== allowedValues.length) fail([...at, 'allowed_values'], 'must not repeat a value');
  if (spec.description.length > MAX_DESCRIPTION) fail([...at, 'description'], `must be at most ${MAX_DESCRIPTION} characters`);
}

/** A column as stored: unset bounds as null. */
function toColumnRule(spec: ingestionV1.ColumnSpec): ColumnRule {
  return {
    name: spec.name,
    type: spec.type,
    required: spec.required,
    min: spec.min ?? null,
    max: spec.max ?? null,
    allowedValues: [...spec.allowedValues],
    description: spec.description,
  };
}

/** Whether a second registration is the same dataset (idempotent) or a conflicting one. */
export function sameDefinition(a: DatasetDefinition, b: DatasetDefinition): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(d: DatasetDefinition): unknown {
  return [
    d.name,
    d.description,
    d.maxRows,
    d.maxIntervalMs,
    d.contract.uniqueKey,
    d.contract.eventTimeColumn,
    contractLimits(d.contract),
    d.contract.columns.map((c) => [c.name, c.type, c.required, c.min, c.max, c.allowedValues, c.description]),
  ];
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
    ...contractLimits(contract),
  };
}
