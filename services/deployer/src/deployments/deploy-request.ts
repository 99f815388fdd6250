import { type deployerV1, durationToMillis } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { z } from 'zod';
import { type CanaryPolicyValues, DEPLOYMENT_NAME_PATTERN } from './deployment';
import { policyFromProto } from './deployment.mapper';

const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const MAX_MODEL_NAME_LENGTH = 200;
const MAX_REASON_LENGTH = 1000;

/** What a Deploy asks for, checked, with the policy's zero values replaced by the defaults. */
export interface DeploySpec {
  readonly name: string;
  readonly modelName: string;
  /** Follow this alias, or (alias empty) serve the pinned `version`. */
  readonly alias: string;
  readonly version: number;
  /** The policy fields to set; the others keep the deployment's values (a new deployment's defaults). */
  readonly policy: Partial<CanaryPolicyValues>;
  readonly reason: string;
}

/** The proto's CanaryPolicy field names and the values they set. */
const POLICY_FIELDS: Readonly<Record<string, keyof CanaryPolicyValues>> = {
  traffic_share: 'trafficShare',
  min_requests: 'minRequests',
  max_error_rate_increase: 'maxErrorRateIncrease',
  max_latency_ratio: 'maxLatencyRatio',
  max_accuracy_drop: 'maxAccuracyDrop',
  min_labelled: 'minLabelled',
  max_duration: 'maxDurationMs',
};

const between = (min: number, max: number, rule: string) => z.number({ error: rule }).min(min, rule).max(max, rule);
const COUNT_RULE = 'must be a whole number, 0 for the default';
const count = z.number({ error: COUNT_RULE }).int(COUNT_RULE).min(0, COUNT_RULE);
const LATENCY_RULE = 'must be 1 or more (0 for the default)';

// Keyed by the .proto's field names, so each violation names the field as callers spell it.
const canaryPolicySchema = z.object({
  traffic_share: between(0, 1, 'must be between 0 and 1 (0 for the default, 1 to skip the canary)'),
  min_requests: count,
  max_error_rate_increase: between(0, 1, 'must be between 0 and 1 (an absolute error rate)'),
  max_latency_ratio: z.number({ error: LATENCY_RULE }).refine((ratio) => ratio === 0 || ratio >= 1, LATENCY_RULE),
  max_accuracy_drop: between(0, 1, 'must be between 0 and 1 (an absolute accuracy drop)'),
  min_labelled: count,
  max_duration: z
    .object({ seconds: z.number(), nanos: z.number() })
    .optional()
    .refine((duration) => {
      if (duration === undefined) return true;
      const ms = durationToMillis(duration);
      return Number.isFinite(ms) && ms > 0;
    }, 'must be positive (unset for the default)'),
});

const deployRequestSchema = z
  .object({
    model_name: z
      .string()
      .refine((name) => name !== '', 'is required')
      .refine((name) => name.length <= MAX_MODEL_NAME_LENGTH, `must be at most ${MAX_MODEL_NAME_LENGTH} characters`),
    name: z.string(),
    alias: z
      .string()
      .optional()
      .refine((alias) => !alias || ALIAS_PATTERN.test(alias), `must match ${ALIAS_PATTERN.source}`),
    version: z
      .number({ error: 'must be a version number (1 or more)' })
      .int('must be a version number (1 or more)')
      .min(1, 'must be a version number (1 or more)')
      .optional(),
    reason: z.string().max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
    canary_policy: canaryPolicySchema.optional(),
    canary_policy_fields: z.array(z.string()).superRefine((names, ctx) => {
      for (const name of names) {
        if (!(name in POLICY_FIELDS)) ctx.addIssue(`"${name}" is not a CanaryPolicy field (${Object.keys(POLICY_FIELDS).join(', ')})`);
      }
    }),
  })
  .superRefine((request, ctx) => {
    const name = request.name || request.model_name;
    if (!DEPLOYMENT_NAME_PATTERN.test(name)) {
      const message = request.name
        ? `must match ${DEPLOYMENT_NAME_PATTERN.source}`
        : `is empty and the model name cannot name a deployment (it must match ${DEPLOYMENT_NAME_PATTERN.source}); give a name`;
      ctx.addIssue({ code: 'custom', path: ['name'], message });
    }
    if (request.alias && request.version !== undefined)
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give either alias or version, not both' });
    if (request.canary_policy === undefined && request.canary_policy_fields.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['canary_policy'], message: 'is required when canary_policy_fields names fields' });
    }
  });

/**
 * Checks a DeployRequest (INVALID_ARGUMENT naming each bad proto field). Without a target the
 * deployment follows `followAlias`, the alias the deployer follows by default (an empty alias
 * is an unset one, as in the registry's GetModelVersion).
 */
export function parseDeployRequest(
  request: deployerV1.DeployRequest,
  defaults: { followAlias: string; policy: CanaryPolicyValues },
): DeploySpec {
  const policy = request.canaryPolicy;
  const parsed = parseRequest(deployRequestSchema, {
    model_name: request.modelName,
    name: request.name,
    alias: request.alias,
    version: request.version,
    reason: request.reason,
    canary_policy: policy && {
      traffic_share: policy.trafficShare,
      min_requests: policy.minRequests,
      max_error_rate_increase: policy.maxErrorRateIncrease,
      max_latency_ratio: policy.maxLatencyRatio,
      max_accuracy_drop: policy.maxAccuracyDrop,
      min_labelled: policy.minLabelled,
      max_duration: policy.maxDuration,
    },
    canary_policy_fields: request.canaryPolicyFields,
  });
  const pinned = parsed.version !== undefined;
  return {
    name: parsed.name || parsed.model_name,
    modelName: parsed.model_name,
    alias: pinned ? '' : parsed.alias || defaults.followAlias,
    version: parsed.version ?? 0,
    policy: policyFieldsOf(policy, parsed.canary_policy_fields, defaults.policy),
    reason: parsed.reason,
  };
}

/** The policy fields a Deploy sets: those named in `canary_policy_fields`, or all when it names none. */
function policyFieldsOf(
  policy: deployerV1.CanaryPolicy | undefined,
  names: readonly string[],
  defaults: CanaryPolicyValues,
): Partial<CanaryPolicyValues> {
  if (policy === undefined) return {};
  const given = policyFromProto(policy, defaults);
  if (names.length === 0) return given;
  return Object.fromEntries(names.map((name) => [POLICY_FIELDS[name], given[POLICY_FIELDS[name]]]));
}
