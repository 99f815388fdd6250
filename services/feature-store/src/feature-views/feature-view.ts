import { createHash } from 'node:crypto';
import { z } from 'zod';
import { commonV1, durationToMillis, type ingestionV1 } from '@flywheel/contracts';
import { type FieldViolation, InvalidArgumentException } from '@flywheel/platform';
import { type Cell, type StoredValues, toStoredValue } from './feature-values';
import {
  type ColumnKind,
  evaluateExpression,
  type Expr,
  ExpressionError,
  parseExpression,
  typeOfExpression,
} from './expressions/expression';

const { ColumnType } = commonV1;
type ColumnType = commonV1.ColumnType;

export type FeatureSource = { readonly column: string } | { readonly expression: string };

export interface FeatureDefinition {
  readonly name: string;
  readonly source: FeatureSource;
  readonly type: ColumnType;
  readonly description: string;
}

/** What a caller defines; two applies with equal definitions are the same revision. */
export interface FeatureViewDefinition {
  readonly name: string;
  readonly dataset: string;
  readonly entityKey: string;
  readonly eventTimeColumn: string;
  readonly features: readonly FeatureDefinition[];
  /** Null: online values never expire. */
  readonly onlineTtlMs: number | null;
  readonly description: string;
}

/** One stored revision of a view. */
export interface FeatureViewRevision extends FeatureViewDefinition {
  readonly revision: number;
  readonly definitionHash: string;
  readonly applyTime: Date;
  readonly materialisedDatasetVersion: number;
}

/** The columns of a dataset as its data contract declares them. */
export interface DatasetSchema {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnType>;
  readonly eventTimeColumn: string;
}

export function datasetSchemaOf(name: string, contract: ingestionV1.DataContract): DatasetSchema {
  return {
    name,
    columns: new Map((contract.columns ?? []).map((c) => [c.name, c.type])),
    eventTimeColumn: contract.eventTimeColumn ?? '',
  };
}

export const VIEW_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const viewNameSchema = z.string().regex(VIEW_NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,62}');
const FEATURE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_FEATURES = 200;
const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

const durationSchema = z
  .object({ seconds: z.number(), nanos: z.number() })
  .optional()
  .transform((d) => (d === undefined ? null : durationToMillis(d)))
  .refine((ms) => ms === null || (ms > 0 && ms <= MAX_TTL_MS), 'must be positive and at most 10 years (unset: never expires)');

const featureSchema = z
  .object({
    name: z.string().regex(FEATURE_NAME_PATTERN, 'must match [a-z][a-z0-9_]{0,62}'),
    column: z.string().optional(),
    expression: z.string().optional(),
    type: z.number().int(),
    description: z.string().max(1000, 'must be at most 1000 characters').default(''),
  })
  .superRefine((f, ctx) => {
    if (!f.column === !f.expression)
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'set exactly one of column and expression' });
  });

/** An ApplyFeatureViewRequest's shape (names, counts, TTL), checked before the dataset is looked up. */
export const applyFeatureViewSchema = z
  .object({
    name: viewNameSchema,
    dataset: viewNameSchema,
    entityKey: z.string().min(1, 'is required'),
    eventTimeColumn: z.string().min(1, 'is required'),
    features: z
      .array(featureSchema)
      .min(1, 'must list at least one feature')
      .max(MAX_FEATURES, `must list at most ${MAX_FEATURES} features`),
    onlineTtl: durationSchema,
    description: z.string().max(2000, 'must be at most 2000 characters').default(''),
  })
  .superRefine((view, ctx) => {
    const seen = new Set<string>();
    view.features.forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: ['features', i, 'name'], message: `duplicate feature "${f.name}"` });
      seen.add(f.name);
    });
  });

/** A view as a caller asked for it, before it is checked against its dataset. */
export type FeatureViewDraft = z.output<typeof applyFeatureViewSchema>;

const NUMERIC_TYPES = new Set<ColumnType>([ColumnType.COLUMN_TYPE_DOUBLE, ColumnType.COLUMN_TYPE_INTEGER]);

/**
 * Validates a view against its dataset's contract and returns its definition, feature types
 * resolved (an unspecified type is inferred from the column or expression). Every problem is
 * reported at once, each naming its field and feature.
 */
export function validateFeatureView(parsed: FeatureViewDraft, dataset: DatasetSchema): FeatureViewDefinition {
  const violations: FieldViolation[] = [];
  const entityType = dataset.columns.get(parsed.entityKey);
  if (entityType === undefined) {
    violations.push({ field: 'entityKey', reason: `dataset "${dataset.name}" has no column "${parsed.entityKey}"` });
  } else if (entityType === ColumnType.COLUMN_TYPE_DOUBLE) {
    violations.push({
      field: 'entityKey',
      reason: `column "${parsed.entityKey}" is DOUBLE; an entity key must be a string, integer or boolean column`,
    });
  }
  const timeType = dataset.columns.get(parsed.eventTimeColumn);
  if (timeType === undefined) {
    violations.push({ field: 'eventTimeColumn', reason: `dataset "${dataset.name}" has no column "${parsed.eventTimeColumn}"` });
  } else if (timeType !== ColumnType.COLUMN_TYPE_TIMESTAMP) {
    violations.push({ field: 'eventTimeColumn', reason: `column "${parsed.eventTimeColumn}" is not a TIMESTAMP column` });
  }
  const columnKind = (name: string): ColumnKind => {
    const type = dataset.columns.get(name);
    if (type === undefined) return undefined;
    return NUMERIC_TYPES.has(type) ? 'numeric' : 'non-numeric';
  };

  const features: FeatureDefinition[] = [];
  parsed.features.forEach((f, i) => {
    const declared = f.type as ColumnType;
    const typeField = `features[${i}].type`;
    if (declared !== ColumnType.COLUMN_TYPE_UNSPECIFIED && ColumnType[declared] === undefined) {
      violations.push({ field: typeField, reason: `feature "${f.name}": unknown column type ${declared}` });
      return;
    }
    if (f.column) {
      const columnType = dataset.columns.get(f.column);
      if (columnType === undefined) {
        violations.push({
          field: `features[${i}].column`,
          reason: `feature "${f.name}": dataset "${dataset.name}" has no column "${f.column}"`,
        });
        return;
      }
      const type = declared === ColumnType.COLUMN_TYPE_UNSPECIFIED ? columnType : declared;
      const widening = type === ColumnType.COLUMN_TYPE_DOUBLE && columnType === ColumnType.COLUMN_TYPE_INTEGER;
      if (type !== columnType && !widening) {
        violations.push({
          field: typeField,
          reason: `feature "${f.name}": column "${f.column}" is ${ColumnType[columnType]}, not ${ColumnType[type]}`,
        });
        return;
      }
      features.push({ name: f.name, source: { column: f.column }, type, description: f.description });
      return;
    }
    const source = f.expression as string;
    const field = `features[${i}].expression`;
    try {
      const kind = typeOfExpression(parseExpression(source), columnKind);
      const inferred = kind === 'boolean' ? ColumnType.COLUMN_TYPE_BOOLEAN : ColumnType.COLUMN_TYPE_DOUBLE;
      const type = declared === ColumnType.COLUMN_TYPE_UNSPECIFIED ? inferred : declared;
      if (type !== inferred) {
        violations.push({
          field: typeField,
          reason: `feature "${f.name}": the expression gives ${ColumnType[inferred]}, not ${ColumnType[type]}`,
        });
        return;
      }
      features.push({ name: f.name, source: { expression: source }, type, description: f.description });
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      violations.push({ field, reason: `feature "${f.name}": ${error.message}` });
    }
  });
  if (violations.length) throw new InvalidArgumentException(violations);
  return {
    name: parsed.name,
    dataset: parsed.dataset,
    entityKey: parsed.entityKey,
    eventTimeColumn: parsed.eventTimeColumn,
    features,
    onlineTtlMs: parsed.onlineTtl,
    description: parsed.description,
  };
}

/** A stable hash of a definition: equal definitions, equal hashes, whatever the key order. */
export function definitionHash(definition: FeatureViewDefinition): string {
  const canonical = {
    name: definition.name,
    dataset: definition.dataset,
    entityKey: definition.entityKey,
    eventTimeColumn: definition.eventTimeColumn,
    features: definition.features.map((f) => ({
      name: f.name,
      source: 'column' in f.source ? { column: f.source.column } : { expression: f.source.expression },
      type: f.type,
      description: f.description,
    })),
    onlineTtlMs: definition.onlineTtlMs,
    description: definition.description,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** A view ready to turn dataset records into feature values. */
export interface CompiledFeatureView {
  readonly definition: FeatureViewDefinition;
  compute(record: (column: string) => Cell): StoredValues;
}

export function compileFeatureView(definition: FeatureViewDefinition): CompiledFeatureView {
  const computers = definition.features.map((feature): [string, (record: (column: string) => Cell) => Cell] => {
    if ('column' in feature.source) {
      const column = feature.source.column;
      return [feature.name, (record) => record(column)];
    }
    const expr: Expr = parseExpression(feature.source.expression);
    return [
      feature.name,
      (record) =>
        evaluateExpression(expr, (name) => {
          const cell = record(name);
          return typeof cell === 'number' ? cell : null;
        }),
    ];
  });
  return {
    definition,
    compute(record) {
      const values: StoredValues = {};
      for (const [name, compute] of computers) values[name] = toStoredValue(compute(record));
      return values;
    },
  };
}

/** Feature names requested by a call: all of the view's when empty; an unknown one is named. */
export function selectFeatures(view: FeatureViewDefinition, requested: readonly string[], field = 'features'): FeatureDefinition[] {
  if (requested.length === 0) return [...view.features];
  const byName = new Map(view.features.map((f) => [f.name, f]));
  const violations: FieldViolation[] = [];
  const selected: FeatureDefinition[] = [];
  requested.forEach((name, i) => {
    const feature = byName.get(name);
    if (!feature) violations.push({ field: `${field}[${i}]`, reason: `feature view "${view.name}" has no feature "${name}"` });
    else selected.push(feature);
  });
  if (violations.length) throw new InvalidArgumentException(violations);
  return selected;
}
