/** The deployer's own view of deployments and the model versions they serve (no I/O here). */

export const DEPLOYMENT_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export enum DeploymentStateName {
  PENDING = 'PENDING',
  STABLE = 'STABLE',
  CANARY = 'CANARY',
}

/** When a canary is judged and what it must not be worse at (the proto's CanaryPolicy, defaults applied). */
export interface CanaryPolicyValues {
  readonly trafficShare: number;
  readonly minRequests: number;
  readonly maxErrorRateIncrease: number;
  readonly maxLatencyRatio: number;
  readonly maxAccuracyDrop: number;
  readonly minLabelled: number;
  readonly maxDurationMs: number;
}

/** A model version the deployer has been told about: what it needs to load and serve it. */
export interface ModelVersionRecord {
  readonly modelName: string;
  readonly version: number;
  readonly artifactKey: string;
  readonly artifactSha256: string;
  readonly artifactSizeBytes: number;
  /** Feature view read for entity-key predictions; empty when the version names none. */
  readonly featureView: string;
  readonly recordedAt: Date;
}

export interface DeploymentRecord {
  readonly name: string;
  readonly modelName: string;
  /** Alias followed; empty when pinned. */
  readonly alias: string;
  readonly state: DeploymentStateName;
  readonly stableVersion: number;
  /** The stable version before the current one, the target of a plain rollback; 0 if none. */
  readonly previousStableVersion: number;
  readonly canaryVersion: number;
  readonly canaryTrafficShare: number;
  readonly canaryStartTime: Date | null;
  /** Id of the CANARY_STARTED event, the cause of the judgement that ends the canary. */
  readonly canaryEventId: string | null;
  readonly policy: CanaryPolicyValues;
  /** Feature view of the stable version. */
  readonly featureView: string;
  /** Bumped on every change; a change is written only over the revision it was decided on. */
  readonly revision: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
