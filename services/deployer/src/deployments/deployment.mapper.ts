import { assertNever } from '@flywheel/platform';
import { deployerV1, durationFromMillis, durationToMillis } from '@flywheel/contracts';
import { type VersionFigures } from '../rollout/canary-judge';
import { type RolloutSampleRecord } from '../rollout/rollout-history';
import { type CanaryPolicyValues, type DeploymentRecord, DeploymentStateName } from './deployment';

export function toProtoState(state: DeploymentStateName): deployerV1.DeploymentState {
  switch (state) {
    case DeploymentStateName.PENDING:
      return deployerV1.DeploymentState.DEPLOYMENT_STATE_PENDING;
    case DeploymentStateName.STABLE:
      return deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE;
    case DeploymentStateName.CANARY:
      return deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY;
    default:
      return assertNever(state, 'DeploymentStateName');
  }
}

export function toProtoPolicy(policy: CanaryPolicyValues): deployerV1.CanaryPolicy {
  return {
    trafficShare: policy.trafficShare,
    minRequests: policy.minRequests,
    maxErrorRateIncrease: policy.maxErrorRateIncrease,
    maxLatencyRatio: policy.maxLatencyRatio,
    maxAccuracyDrop: policy.maxAccuracyDrop,
    minLabelled: policy.minLabelled,
    maxDuration: durationFromMillis(policy.maxDurationMs),
  };
}

/** A policy as given in a request, its zero values replaced by the defaults (as the proto documents). */
export function policyFromProto(policy: deployerV1.CanaryPolicy | undefined, defaults: CanaryPolicyValues): CanaryPolicyValues {
  if (policy === undefined) return defaults;
  return {
    trafficShare: policy.trafficShare || defaults.trafficShare,
    minRequests: policy.minRequests || defaults.minRequests,
    maxErrorRateIncrease: policy.maxErrorRateIncrease,
    maxLatencyRatio: policy.maxLatencyRatio || defaults.maxLatencyRatio,
    maxAccuracyDrop: policy.maxAccuracyDrop,
    minLabelled: policy.minLabelled || defaults.minLabelled,
    maxDurationMs: durationToMillis(policy.maxDuration, defaults.maxDurationMs),
  };
}

export function toProtoDeployment(record: DeploymentRecord): deployerV1.Deployment {
  return {
    name: record.name,
    modelName: record.modelName,
    alias: record.alias,
    state: toProtoState(record.state),
    stableVersion: record.stableVersion,
    canaryVersion: record.canaryVersion,
    canaryTrafficShare: record.canaryTrafficShare,
    canaryPolicy: toProtoPolicy(record.policy),
    featureView: record.featureView,
    canaryStartTime: record.canaryStartTime ?? undefined,
    updateTime: record.updatedAt,
  };
}

export function toProtoStats(figures: VersionFigures): deployerV1.VersionStats {
  return {
    version: figures.version,
    requests: figures.requests,
    errors: figures.errors,
    errorRate: figures.errorRate,
    latencyP50Ms: figures.latencyP50Ms,
    latencyP95Ms: figures.latencyP95Ms,
    latencyP99Ms: figures.latencyP99Ms,
    labelled: figures.labelled,
    accuracy: figures.accuracy,
    rmse: figures.rmse,
  };
}

export function toProtoSample(sample: RolloutSampleRecord): deployerV1.RolloutSample {
  return {
    time: sample.time,
    version: sample.version,
    role: sample.role === 'canary' ? deployerV1.VersionRole.VERSION_ROLE_CANARY : deployerV1.VersionRole.VERSION_ROLE_STABLE,
    requests: sample.requests,
    errors: sample.errors,
    latencyP50Ms: sample.latencyP50Ms,
    latencyP95Ms: sample.latencyP95Ms,
    labelled: sample.labelled,
    accuracy: sample.accuracy,
    rmse: sample.rmse,
  };
}
