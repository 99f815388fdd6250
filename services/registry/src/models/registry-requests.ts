import { registryV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { chunkRangeFields, chunkRangeSchema } from '@flywheel/storage';
import { z } from 'zod';
import { isKnownMetric, METRIC_NAMES } from '../promotion/metrics';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, NAME_RULE } from './names';

// Each schema is keyed by the .proto's field names, so every violation names the field as
// callers spell it (`model_name`, `policy.min_holdout_rows`); the parse functions hand the
// service its domain inputs.

const MAX_DESCRIPTION = 2000;
const MAX_REASON = 1000;
const MAX_TAGS = 50;
const MAX_TAG_VALUE = 256;
const TAG_KEY = /^[A-Za-z0-9_.:/-]{1,63}$/;
const VERSION_RULE = 'must be a version number ≥ 1';

const requiredName = (pattern: RegExp) =>
  z
    .string()
    .refine((value) => value !== '', 'is required')
    .refine((value) => value === '' || pattern.test(value), NAME_RULE);
const modelName = requiredName(MODEL_NAME_PATTERN);
const alias = requiredName(ALIAS_PATTERN);
const optionalAlias = z.string().refine((value) => value === '' || ALIAS_PATTERN.test(value), NAME_RULE);
const version = z.number({ error: VERSION_RULE }).int(VERSION_RULE).min(1, VERSION_RULE);
const maxLength = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const nonNegative = (rule: string) => z.number({ error: rule }).min(0, rule);

/** A model as CreateModel defines it. */
export interface ModelDefinition {
  readonly name: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A version named by number, or by an alias pointing at it. */
export type VersionRef = { readonly modelName: string; readonly version: number } | { readonly modelName: string; readonly alias: string };

export interface AliasAssignment {
  readonly modelName: string;
  readonly alias: string;
  readonly version: number;
  readonly reason: string;
}

export interface AliasDeletion {
  readonly modelName: string;
  readonly alias: string;
  readonly reason: string;
}

export interface AuditQuery {
  /** Undefined: every model. */
  readonly modelName?: string;
  /** Undefined: every action. */
  readonly action?: registryV1.AuditAction;
}

/** A model's promotion policy as SetPromotionPolicy gives it (empty values not yet resolved). */
export interface PolicySettings {
  readonly modelName: string;
  readonly autoPromote: boolean;
  readonly alias: string;
  readonly metric: string;
  readonly minAbsoluteImprovement: number;
  readonly minRelativeImprovement: number;
  readonly minHoldoutRows: number;
  /** Unset in the request: yes. */
  readonly autoDeploy: boolean;
}

const createModelRequest = z
  .object({
    name: modelName,
    description: maxLength(MAX_DESCRIPTION),
    tags: z.record(z.string(), z.string()),
  })
  .superRefine(
    (request, ctx) => {
      const entries = Object.entries(request.tags);
      if (entries.length > MAX_TAGS) ctx.addIssue({ code: 'custom', path: ['tags'], message: `must have at most ${MAX_TAGS} entries` });
      for (const [key, value] of entries) {
        // A tag is named by its key, as `tags[team]`.
        const path = [`tags[${key}]`];
        if (!TAG_KEY.test(key)) ctx.addIssue({ code: 'custom', path, message: 'key must be 1-63 of A-Z a-z 0-9 _ . : / -' });
        if (value.length > MAX_TAG_VALUE) ctx.addIssue({ code: 'custom', path, message: `must be at most ${MAX_TAG_VALUE} characters` });
      }
    },
    // Also when the name or description is bad, so one answer names every problem.
    { when: (payload) => isStringRecord((payload.value as { tags?: unknown }).tags) },
  );

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

export function parseCreateModel(request: registryV1.CreateModelRequest): ModelDefinition {
  return parseRequest(createModelRequest, { name: request.name, description: request.description, tags: request.tags ?? {} });
}

const byName = z.object({ name: modelName });

export function parseModelName(request: registryV1.GetModelRequest): string {
  return parseRequest(byName, { name: request.name }).name;
}

const byModelName = z.object({ model_name: modelName });

/** The `model_name` of a request that names only a model. */
export function parseModelNameField(request: { readonly modelName: string }): string {
  return parseRequest(byModelName, { model_name: request.modelName }).model_name;
}

const versionByNumber = z.object({ model_name: modelName, version });
const versionByAlias = z.object({ model_name: modelName, alias });

/** A non-empty alias names the version; otherwise the version number does. */
export function parseVersionRef(request: registryV1.GetModelVersionRequest): VersionRef {
  if (request.alias !== undefined && request.alias !== '') {
    const parsed = parseRequest(versionByAlias, { model_name: request.modelName, alias: request.alias });
    return { modelName: parsed.model_name, alias: parsed.alias };
  }
  const parsed = parseRequest(versionByNumber, { model_name: request.modelName, version: request.version });
  return { modelName: parsed.model_name, version: parsed.version };
}

export function parseReadModelArtifact(request: registryV1.ReadModelArtifactRequest): {
  ref: VersionRef;
  offset: number;
  maxBytes: number;
} {
  const { offset, maxBytes } = parseRequest(chunkRangeSchema, chunkRangeFields(request));
  return { ref: parseVersionRef(request), offset, maxBytes };
}

export function parseLineageRequest(request: registryV1.GetLineageRequest): { modelName: string; version: number } {
  const parsed = parseRequest(versionByNumber, { model_name: request.modelName, version: request.version });
  return { modelName: parsed.model_name, version: parsed.version };
}

const setAliasRequest = z.object({ model_name: modelName, alias, version, reason: maxLength(MAX_REASON) });

export function parseSetAlias(request: registryV1.SetAliasRequest): AliasAssignment {
  const parsed = parseRequest(setAliasRequest, {
    model_name: request.modelName,
    alias: request.alias,
    version: request.version,
    reason: request.reason,
  });
  return { modelName: parsed.model_name, alias: parsed.alias, version: parsed.version, reason: parsed.reason };
}

const deleteAliasRequest = z.object({ model_name: modelName, alias, reason: maxLength(MAX_REASON) });

export function parseDeleteAlias(request: registryV1.DeleteAliasRequest): AliasDeletion {
  const parsed = parseRequest(deleteAliasRequest, { model_name: request.modelName, alias: request.alias, reason: request.reason });
  return { modelName: parsed.model_name, alias: parsed.alias, reason: parsed.reason };
}

const auditRequest = z.object({
  model_name: z.string().refine((name) => name === '' || MODEL_NAME_PATTERN.test(name), NAME_RULE),
  action: z.number().refine((action) => registryV1.AuditAction[action] !== undefined && action >= 0, 'is not an AuditAction'),
});

export function parseAuditQuery(request: registryV1.ListAuditLogRequest): AuditQuery {
  const parsed = parseRequest(auditRequest, {
    model_name: request.modelName,
    action: request.action ?? registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED,
  });
  return {
    modelName: parsed.model_name || undefined,
    action: parsed.action === registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED ? undefined : (parsed.action as registryV1.AuditAction),
  };
}

const policyRequest = z.object({
  policy: z.object({
    model_name: modelName,
    auto_promote: z.boolean(),
    alias: optionalAlias,
    metric: z.string().refine((metric) => metric === '' || isKnownMetric(metric), `must be empty or one of ${METRIC_NAMES.join(', ')}`),
    min_absolute_improvement: nonNegative('must be a finite number ≥ 0'),
    min_relative_improvement: nonNegative('must be a finite number ≥ 0'),
    min_holdout_rows: z.number({ error: 'must be an integer ≥ 0' }).int('must be an integer ≥ 0').min(0, 'must be an integer ≥ 0'),
    auto_deploy: z.boolean().optional(),
  }),
});

export function parsePolicySettings(request: registryV1.SetPromotionPolicyRequest): PolicySettings {
  const p = request.policy;
  const { policy } = parseRequest(policyRequest, {
    policy: p && {
      model_name: p.modelName,
      auto_promote: p.autoPromote,
      alias: p.alias,
      metric: p.metric,
      min_absolute_improvement: p.minAbsoluteImprovement,
      min_relative_improvement: p.minRelativeImprovement,
      min_holdout_rows: p.minHoldoutRows,
      auto_deploy: p.autoDeploy,
    },
  });
  return {
    modelName: policy.model_name,
    autoPromote: policy.auto_promote,
    alias: policy.alias,
    metric: policy.metric,
    minAbsoluteImprovement: policy.min_absolute_improvement,
    minRelativeImprovement: policy.min_relative_improvement,
    minHoldoutRows: policy.min_holdout_rows,
    autoDeploy: policy.auto_deploy ?? true,
  };
}
