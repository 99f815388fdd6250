import { z } from 'zod';
import { type commonV1, type featureStoreV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { chunkRangeFields, chunkRangeSchema, type ObjectKey, parseObjectKey } from '@flywheel/storage';
import { fromProtoValue } from '../feature-views/feature-values';
import { viewNameSchema } from '../feature-views/feature-view';
import { type EntitySpineRow, type TrainingSetQuery } from '../serving/historical-features.service';

export const MAX_ONLINE_ENTITY_KEYS = 1000;

const revisionSchema = z
  .number()
  .refine((revision) => Number.isInteger(revision) && revision >= 0, 'must be 0 (current) or a revision number');

export const getFeatureViewSchema = z.object({ name: viewNameSchema, revision: revisionSchema });

export const listFeatureViewsSchema = z.object({
  // Empty: views over every dataset.
  dataset: z
    .string()
    .optional()
    .transform((dataset) => dataset || undefined),
});

export const getOnlineFeaturesSchema = z.object({
  featureView: viewNameSchema,
  entityKeys: z.array(z.string()).superRefine((keys, ctx) => {
    if (keys.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one entity key' });
    } else if (keys.length > MAX_ONLINE_ENTITY_KEYS) {
      ctx.addIssue({ code: 'custom', message: `must list at most ${MAX_ONLINE_ENTITY_KEYS} entity keys, got ${keys.length}` });
    } else {
      const emptyAt = keys.findIndex((key) => !key);
      if (emptyAt >= 0) ctx.addIssue({ code: 'custom', path: [emptyAt], message: 'must not be empty' });
    }
  }),
  features: z.array(z.string()).default([]),
});

export const MAX_ENTITY_ROWS = 100_000;

/** An instant as the gRPC loader hands it over (a Date, or its text); unset or unreadable is missing. */
const instantSchema = z.unknown().transform((value, ctx): Date => {
  const time = value === undefined ? undefined : new Date(value as Date | string | number);
  if (time === undefined || Number.isNaN(time.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'is required' });
    return z.NEVER;
  }
  return time;
});

const entityRowSchema = z
  .object({
    entityKey: z.string().min(1, 'is required'),
    timestamp: instantSchema,
    extra: z.object({ values: z.record(z.string(), z.custom<commonV1.Value>()).default({}) }).optional(),
  })
  .transform((row): EntitySpineRow => ({
    entityKey: row.entityKey,
    timestamp: row.timestamp,
    extra: Object.fromEntries(Object.entries(row.extra?.values ?? {}).map(([name, value]) => [name, fromProtoValue(value)])),
  }));

const entityRowsSchema = z.object({
  rows: z.array(entityRowSchema).superRefine((rows, ctx) => {
    if (rows.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one row' });
    if (rows.length > MAX_ENTITY_ROWS) {
      ctx.addIssue({
        code: 'custom',
        message: `must list at most ${MAX_ENTITY_ROWS} rows (larger spines come from a dataset), got ${rows.length}`,
      });
    }
  }),
});

const datasetSpineSchema = z.object({
  datasetVersionFrom: z
    .number()
    .refine((version) => version >= 0, 'must be 0 (the first) or a version number')
    .default(0),
  datasetVersionTo: z.number().default(0),
  eventTimeRange: z.object({ start: instantSchema.optional(), end: instantSchema.optional() }).optional(),
  extraColumns: z.array(z.string()).default([]),
});

export const getHistoricalFeaturesSchema = z
  .object({
    featureView: viewNameSchema,
    featureViewRevision: revisionSchema.default(0),
    features: z.array(z.string()).default([]),
    entityRows: entityRowsSchema.optional(),
    datasetSpine: datasetSpineSchema.optional(),
  })
  .superRefine((request, ctx) => {
    if (!request.entityRows && !request.datasetSpine)
      ctx.addIssue({ code: 'custom', path: ['spine'], message: 'set entityRows or datasetSpine' });
  })
  .transform((request): TrainingSetQuery => {
    const spine = request.datasetSpine;
    return {
      featureView: request.featureView,
      revision: request.featureViewRevision,
      features: request.features,
      spine: request.entityRows
        ? { kind: 'entities', rows: request.entityRows.rows }
        : {
            kind: 'dataset',
            versionFrom: spine!.datasetVersionFrom,
            versionTo: spine!.datasetVersionTo,
            eventTimeStart: spine!.eventTimeRange?.start,
            eventTimeEnd: spine!.eventTimeRange?.end,
            extraColumns: spine!.extraColumns,
          },
    };
  });

/** A training set's key, as GetHistoricalFeatures returned it: nothing else in the bucket is read through ReadTrainingSet. */
const trainingSetKeySchema = z.string().transform((raw, ctx): ObjectKey => {
  try {
    if (raw.startsWith('training-sets/')) return parseObjectKey(raw);
  } catch {
    // Reported below, as for any other key.
  }
  ctx.addIssue({ code: 'custom', message: 'must be a training set key, training-sets/<view>/<set>/<file>' });
  return z.NEVER;
});

const readTrainingSetKeySchema = z.object({ key: trainingSetKeySchema });

export function parseReadTrainingSet(request: featureStoreV1.ReadTrainingSetRequest): { key: ObjectKey; offset: number; maxBytes: number } {
  const { key } = parseRequest(readTrainingSetKeySchema, request);
  return { key, ...parseRequest(chunkRangeSchema, chunkRangeFields(request)) };
}
