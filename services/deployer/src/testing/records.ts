import { modelArtifactKey } from '@flywheel/storage';
import { type DeploymentRecord, DeploymentStateName, type ModelVersionRecord } from '../deployments/deployment';

/** A recorded version of `model`, its artifact `file` under the version's key. */
export function versionRecord(
  model: string,
  version: number,
  options: { readonly file?: string; readonly featureView?: string; readonly sha256?: string } = {},
): ModelVersionRecord {
  return {
    modelName: model,
    version,
    artifactKey: modelArtifactKey(model, version, options.file ?? 'model.json'),
    artifactSha256: options.sha256 ?? 'b'.repeat(64),
    artifactSizeBytes: 1,
    featureView: options.featureView ?? '',
    recordedAt: new Date(0),
  };
}

/** A deployment named after `model`, serving v1 as stable, with a canary policy and these changes. */
export function deploymentRecord(model: string, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    name: model,
    modelName: model,
    alias: 'production',
    state: DeploymentStateName.STABLE,
    stableVersion: 1,
    previousStableVersion: 0,
    canaryVersion: 0,
    canaryTrafficShare: 0,
    canaryStartTime: null,
    canaryEventId: null,
    policy: {
      trafficShare: 0.5,
      minRequests: 10,
      maxErrorRateIncrease: 0.01,
      maxLatencyRatio: 1.5,
      maxAccuracyDrop: 0.02,
      minLabelled: 5,
      maxDurationMs: 60_000,
    },
    featureView: '',
    revision: 2,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}
