import { type deployerV1, durationToMillis } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';
import { type CanaryPolicyValues, DEPLOYMENT_NAME_PATTERN } from './deployment';
import { policyFromProto } from './deployment.mapper';

const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const MAX_MODEL_NAME_LENGTH = 200;
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

/**
 * Checks a DeployRequest field by field (INVALID_ARGUMENT naming the proto field). Without a
 * target the deployment follows `followAlias`, the alias the deployer follows by default.
 */
export function parseDeployRequest(request: deployerV1.DeployRequest, defaults: { followAlias: string; policy: CanaryPolicyValues }): DeploySpec {
  const modelName = request.modelName ?? '';
  if (!modelName) throw invalidArgument('model_name', 'is required');
  if (modelName.length > MAX_MODEL_NAME_LENGTH) throw invalidArgument('model_name', `must be at most ${MAX_MODEL_NAME_LENGTH} characters`);
  const name = request.name || modelName;
  if (!DEPLOYMENT_NAME_PATTERN.test(name)) {
    throw request.name
      ? invalidArgument('name', `must match ${DEPLOYMENT_NAME_PATTERN.source}`)
      : invalidArgument('name', `is empty and the model name cannot name a deployment (it must match ${DEPLOYMENT_NAME_PATTERN.source}); give a name`);
  }
  if (request.alias && request.version != null) throw invalidArgument('target', 'give either alias or version, not both');
  let alias = '';
  let version = 0;
  if (request.version != null) {
    if (!Number.isInteger(request.version) || request.version <= 0) throw invalidArgument('version', 'must be a version number (1 or more)');
    version = request.version;
  } else {
    // An empty alias is an unset one, as in the registry's GetModelVersion.
    alias = request.alias || defaults.followAlias;
    if (!ALIAS_PATTERN.test(alias)) throw invalidArgument('alias', `must match ${ALIAS_PATTERN.source}`);
  }
  const reason = request.reason ?? '';
  if (reason.length > MAX_REASON_LENGTH) throw invalidArgument('reason', `must be at most ${MAX_REASON_LENGTH} characters`);
  const policy = policyFieldsOf(request, defaults.policy);
  return { name, modelName, alias, version, policy, reason };
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

function policyFieldsOf(request: deployerV1.DeployRequest, defaults: CanaryPolicyValues): Partial<CanaryPolicyValues> {
  const names = request.canaryPolicyFields ?? [];
  for (const name of names) {
    if (!(name in POLICY_FIELDS)) throw invalidArgument('canary_policy_fields', `"${name}" is not a CanaryPolicy field (${Object.keys(POLICY_FIELDS).join(', ')})`);
  }
  if (request.canaryPolicy == null) {
    if (names.length > 0) throw invalidArgument('canary_policy', 'is required when canary_policy_fields names fields');
    return {};
  }
  const given = policyFromProto(checkedPolicy(request.canaryPolicy), defaults);
  if (names.length === 0) return given;
  return Object.fromEntries(names.map((name) => [POLICY_FIELDS[name], given[POLICY_FIELDS[name]]]));
}

function checkedPolicy(policy: deployerV1.CanaryPolicy): deployerV1.CanaryPolicy {
  const field = (name: string) => `canary_policy.${name}`;
  between(policy.trafficShare, 0, 1, field('traffic_share'), 'must be between 0 and 1 (0 for the default, 1 to skip the canary)');
  count(policy.minRequests, field('min_requests'));
  between(policy.maxErrorRateIncrease, 0, 1, field('max_error_rate_increase'), 'must be between 0 and 1 (an absolute error rate)');
  if (!Number.isFinite(policy.maxLatencyRatio) || (policy.maxLatencyRatio !== 0 && policy.maxLatencyRatio < 1)) {
    throw invalidArgument(field('max_latency_ratio'), 'must be 1 or more (0 for the default)');
  }
  between(policy.maxAccuracyDrop, 0, 1, field('max_accuracy_drop'), 'must be between 0 and 1 (an absolute accuracy drop)');
  count(policy.minLabelled, field('min_labelled'));
  if (policy.maxDuration != null) {
    const ms = durationToMillis(policy.maxDuration);
    if (!Number.isFinite(ms) || ms <= 0) throw invalidArgument(field('max_duration'), 'must be positive (unset for the default)');
  }
  return policy;
}

function between(value: number, min: number, max: number, field: string, message: string): void {
  if (!Number.isFinite(value) || value < min || value > max) throw invalidArgument(field, message);
}

function count(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(field, 'must be a whole number, 0 for the default');
}
