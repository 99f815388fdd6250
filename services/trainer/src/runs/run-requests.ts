import { trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException, parseRequest } from '@flywheel/platform';
import { chunkRangeFields, chunkRangeSchema } from '@flywheel/storage';
import { z } from 'zod';
import { type CheckedSpec, MODEL_NAME_PATTERN, validateSpec } from './model-spec';
import { type RunFilter, UUID } from './run-record';
import { runStateOf } from './run.mapper';

const MAX_REQUEST_ID_LENGTH = 200;
const MAX_CANCEL_REASON_LENGTH = 500;
const MODEL_NAME_RULE = 'must match [a-z][a-z0-9_-]{0,62}';

const modelNameSchema = z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE);
/** A model name, or empty for "every model". */
const modelNameFilterSchema = z.string().refine((name) => name === '' || MODEL_NAME_PATTERN.test(name), MODEL_NAME_RULE);
const runIdSchema = z.string().regex(UUID, 'must be a run id (uuid)');

/**
 * A spec as a request carries it: present, and trainable as far as can be told without data
 * (each bad field named from the schema's root, e.g. `spec.params.C`).
 */
const specSchema = z.looseObject({}).transform((spec, ctx): CheckedSpec => {
  try {
    return validateSpec(spec as unknown as trainerV1.ModelSpec, '');
  } catch (error) {
    if (!(error instanceof InvalidArgumentException)) throw error;
    for (const violation of error.violations)
      ctx.addIssue({ code: 'custom', path: [violation.field.replace(/^\./, '')], message: violation.reason });
    return z.NEVER;
  }
});

export function parseModelName(modelName: string): string {
  return parseRequest(modelNameSchema, modelName, 'model_name');
}

/** A model name to filter by; undefined (every model) when empty. */
export function parseModelNameFilter(modelName: string): string | undefined {
  return parseRequest(modelNameFilterSchema, modelName, 'model_name') || undefined;
}

export interface SubmitTraining {
  readonly spec: CheckedSpec;
  /** The idempotency key; null when the caller gave none. */
  readonly requestId: string | null;
}

export function parseSubmitTraining(request: trainerV1.SubmitTrainingRequest): SubmitTraining {
  const requestId = parseRequest(
    z.string().max(MAX_REQUEST_ID_LENGTH, `must be at most ${MAX_REQUEST_ID_LENGTH} characters`),
    request.requestId,
    'request_id',
  );
  return { spec: parseRequest(specSchema, request.spec, 'spec'), requestId: requestId || null };
}

export function parseRunId(runId: string): string {
  return parseRequest(runIdSchema, runId, 'run_id');
}

export interface CancelRun {
  readonly runId: string;
  readonly reason: string;
}

// Keyed as the .proto spells the fields.
const cancelRunSchema = z.object({
  run_id: runIdSchema,
  reason: z
    .string()
    .max(MAX_CANCEL_REASON_LENGTH, `must be at most ${MAX_CANCEL_REASON_LENGTH} characters`)
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    .refine((reason) => !/[\u0000-\u001f\u007f]/.test(reason), 'must be one line of text'),
});

export function parseCancelRun(request: trainerV1.CancelRunRequest): CancelRun {
  const parsed = parseRequest(cancelRunSchema, { run_id: request.runId, reason: request.reason }, '');
  return { runId: parsed.run_id, reason: parsed.reason.trim() };
}

const runStatusSchema = z
  .number()
  .refine((status) => status === trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED || runStateOf(status) !== null, 'is not a run status')
  .transform((status) => runStateOf(status) ?? undefined);

// Keyed as the .proto spells the fields, so that every bad one is named as the caller knows it.
const runListFilterSchema = z.object({
  model_name: modelNameFilterSchema,
  status: runStatusSchema,
  parent_run_id: z.union([z.literal(''), runIdSchema]),
});

export function parseRunListFilter(request: trainerV1.ListRunsRequest): RunFilter {
  const filter = parseRequest(runListFilterSchema, {
    model_name: request.modelName,
    status: request.status,
    parent_run_id: request.parentRunId,
  });
  return { modelName: filter.model_name || undefined, status: filter.status, parentRunId: filter.parent_run_id || undefined };
}

const runIdsSchema = z
  .array(runIdSchema)
  .min(2, 'must list 2 to 20 runs')
  .max(20, 'must list 2 to 20 runs')
  .superRefine((ids, ctx) => {
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${id} is listed twice` });
    });
  });

export function parseRunIds(runIds: readonly string[]): string[] {
  return parseRequest(runIdsSchema, runIds, 'run_ids');
}

export interface RunArtifactRead {
  readonly runId: string;
  readonly artifact: 'model' | 'holdout';
  readonly offset: number;
  readonly maxBytes: number;
}

const runArtifactSchema = z.union(
  [z.literal(trainerV1.RunArtifact.RUN_ARTIFACT_MODEL), z.literal(trainerV1.RunArtifact.RUN_ARTIFACT_HOLDOUT)],
  { error: 'must be RUN_ARTIFACT_MODEL or RUN_ARTIFACT_HOLDOUT' },
);

export function parseReadRunArtifact(request: trainerV1.ReadRunArtifactRequest): RunArtifactRead {
  const { offset, maxBytes } = parseRequest(chunkRangeSchema, chunkRangeFields(request));
  const artifact = parseRequest(runArtifactSchema, request.artifact, 'artifact');
  return {
    runId: parseRunId(request.runId),
    artifact: artifact === trainerV1.RunArtifact.RUN_ARTIFACT_MODEL ? 'model' : 'holdout',
    offset,
    maxBytes,
  };
}
