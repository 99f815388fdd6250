import { DATASET_NAME_PATTERN } from '@flywheel/contracts';
import { z } from 'zod';

const BATCH_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const datasetNameSchema = z
  .string()
  .min(1, { message: 'is required', abort: true })
  .regex(DATASET_NAME_PATTERN, `must match ${DATASET_NAME_PATTERN.source}`);

/** GetDataset names its dataset `name`. */
export const getDatasetRequest = z.object({ name: datasetNameSchema });

/** ListVersions, ListQuarantine: the dataset the list belongs to. */
export const datasetRequest = z.object({ dataset: datasetNameSchema });

/** Ingest and the first chunk of IngestStream: the dataset and an optional batch id (`batch_id` in the proto). */
export const ingestRequest = z.object({ dataset: datasetNameSchema, batchId: z.string() }).superRefine((request, ctx) => {
  if (request.batchId !== '' && !BATCH_ID_PATTERN.test(request.batchId)) {
    ctx.addIssue({ code: 'custom', path: ['batch_id'], message: `must match ${BATCH_ID_PATTERN.source}` });
  }
});

/** A later chunk of IngestStream: it may repeat the stream's dataset but not change it. */
export function streamChunkRequest(dataset: string) {
  return z.object({
    dataset: z.string().superRefine((named, ctx) => {
      if (named !== '' && named !== dataset)
        ctx.addIssue({ code: 'custom', message: `must stay "${dataset}" for the whole stream, got "${named}"` });
    }),
  });
}

/** The end of an IngestStream: the first chunk named the dataset, so a stream without chunks named none. */
export const streamEndRequest = z.object({ dataset: z.string({ error: 'is required (the stream sent no chunk)' }) });

export const getVersionRequest = z.object({
  dataset: datasetNameSchema,
  version: z.number().int('must be 0 (latest) or a version number').min(0, 'must be 0 (latest) or a version number'),
});

const MAX_REPLAY_IDS = 1_000;
const MAX_REPLAY_LIMIT = 100_000;
const QUARANTINE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** ReplayQuarantine: chosen entries (at most MAX_REPLAY_IDS), or the oldest waiting up to `limit` (0: the maximum). */
export const replayQuarantineRequest = z
  .object({
    dataset: datasetNameSchema,
    ids: z
      .array(z.string().regex(QUARANTINE_ID_PATTERN, 'must be a quarantine entry id (a UUID)'))
      .max(MAX_REPLAY_IDS, `must list at most ${MAX_REPLAY_IDS} ids`),
    limit: z
      .number()
      .int('must be an integer')
      .min(0, `must be between 0 (all, up to ${MAX_REPLAY_LIMIT}) and ${MAX_REPLAY_LIMIT}`)
      .max(MAX_REPLAY_LIMIT, `must be between 0 (all, up to ${MAX_REPLAY_LIMIT}) and ${MAX_REPLAY_LIMIT}`),
    commitNow: z.boolean(),
  })
  .transform(({ dataset, ids, limit, commitNow }) => ({
    dataset,
    request: { ids: ids.length > 0 ? [...new Set(ids)] : null, limit: limit || MAX_REPLAY_LIMIT, commitNow },
  }));
