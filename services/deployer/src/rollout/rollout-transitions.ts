import { deployerV1 } from '@flywheel/contracts';
import { type CanaryPolicyValues, type DeploymentRecord, DeploymentStateName, type ModelVersionRecord } from '../deployments/deployment';
import { DeployerException, DeployerExceptionCode } from '../deployments/deployer.exception';

/** A change of a deployment: the row to write and what the DeploymentChanged event says. */
export interface Transition {
  readonly record: DeploymentRecord;
  readonly change: deployerV1.DeploymentChange;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly reason: string;
  readonly checks: readonly string[];
}

const Change = deployerV1.DeploymentChange;

/** A deployment that follows `alias` of `modelName` and serves nothing yet. */
export function newDeployment(name: string, modelName: string, alias: string, policy: CanaryPolicyValues, now: Date): DeploymentRecord {
  return {
    name,
    modelName,
    alias,
    state: DeploymentStateName.PENDING,
    stableVersion: 0,
    previousStableVersion: 0,
    canaryVersion: 0,
    canaryTrafficShare: 0,
    canaryStartTime: null,
    canaryEventId: null,
    policy,
    featureView: '',
    revision: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * A new version for the deployment (its alias moved). The first version serves everything at
 * once: there is nothing to compare it with. Any later one starts as a canary on the policy's
 * share of traffic (replacing a canary still running), unless the policy's share is 1. The
 * version already serving or on canary changes nothing, which makes redelivery harmless.
 */
export function startVersion(deployment: DeploymentRecord, version: ModelVersionRecord, now: Date): Transition | null {
  const v = version.version;
  if (v === deployment.stableVersion || v === deployment.canaryVersion) return null;
  const base = { ...deployment, revision: deployment.revision + 1, updatedAt: now };
  if (deployment.stableVersion === 0) {
    return {
      record: { ...base, ...stableOn(version), previousStableVersion: 0 },
      change: Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
      fromVersion: 0,
      toVersion: v,
      reason: `first version v${v} serves all traffic (nothing to compare it with)`,
      checks: [],
    };
  }
  if (deployment.policy.trafficShare >= 1) {
    return {
      record: { ...base, ...stableOn(version), previousStableVersion: deployment.stableVersion },
      change: Change.DEPLOYMENT_CHANGE_PROMOTED,
      fromVersion: deployment.stableVersion,
      toVersion: v,
      reason: `v${v} replaces v${deployment.stableVersion} without a canary (policy traffic share is 1)`,
      checks: [],
    };
  }
  const replaced = deployment.canaryVersion > 0 ? `; it replaces canary v${deployment.canaryVersion}, which was never judged` : '';
  return {
    record: {
      ...base,
      state: DeploymentStateName.CANARY,
      canaryVersion: v,
      canaryTrafficShare: deployment.policy.trafficShare,
      canaryStartTime: now,
      canaryEventId: null,
    },
    change: Change.DEPLOYMENT_CHANGE_CANARY_STARTED,
    fromVersion: deployment.stableVersion,
    toVersion: v,
    reason: `v${v} takes ${percent(deployment.policy.trafficShare)} of traffic as a canary against v${deployment.stableVersion}${replaced}`,
    checks: [],
  };
}

/** The judge's verdict on a running canary: full rollout or automatic rollback. */
export function concludeCanary(
  deployment: DeploymentRecord,
  verdict: { decision: 'promote' | 'rollback'; reason: string; checks: readonly string[] },
  canary: ModelVersionRecord,
  now: Date,
): Transition {
  if (deployment.state !== DeploymentStateName.CANARY || canary.version !== deployment.canaryVersion) {
    throw new Error(`deployment ${deployment.name} has no canary v${canary.version} to conclude`);
  }
  const base = { ...deployment, revision: deployment.revision + 1, updatedAt: now };
  if (verdict.decision === 'promote') {
    return {
      record: { ...base, ...stableOn(canary), previousStableVersion: deployment.stableVersion },
      change: Change.DEPLOYMENT_CHANGE_PROMOTED,
      fromVersion: deployment.stableVersion,
      toVersion: canary.version,
      reason: verdict.reason,
      checks: verdict.checks,
    };
  }
  return {
    record: { ...base, ...noCanary() },
    change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
    fromVersion: deployment.stableVersion,
    toVersion: deployment.stableVersion,
    reason: `canary v${canary.version} rolled back: ${verdict.reason}`,
    checks: verdict.checks,
  };
}

/**
 * A rollback asked for by a person: without a target, drop the canary or, without one, return
 * to the previous stable version; with a target, serve that version alone.
 */
export function manualRollback(deployment: DeploymentRecord, target: ModelVersionRecord, why: string, now: Date): Transition {
  const base = { ...deployment, revision: deployment.revision + 1, updatedAt: now };
  const because = why ? `: ${why}` : '';
  if (target.version === deployment.stableVersion) {
    if (deployment.state !== DeploymentStateName.CANARY) {
      throw new DeployerException(
        `deployment "${deployment.name}" already serves v${target.version} alone`,
        DeployerExceptionCode.NOTHING_TO_ROLL_BACK,
      );
    }
    return {
      record: { ...base, ...noCanary() },
      change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
      fromVersion: deployment.stableVersion,
      toVersion: target.version,
      reason: `canary v${deployment.canaryVersion} dropped by request${because}`,
      checks: [],
    };
  }
  const dropped = deployment.canaryVersion > 0 ? ` (canary v${deployment.canaryVersion} dropped)` : '';
  return {
    record: { ...base, ...stableOn(target), previousStableVersion: deployment.stableVersion },
    change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
    fromVersion: deployment.stableVersion,
    toVersion: target.version,
    reason: `rolled back from v${deployment.stableVersion} to v${target.version} by request${dropped}${because}`,
    checks: [],
  };
}

/** Which version a rollback without an explicit target returns to. */
export function defaultRollbackTarget(deployment: DeploymentRecord): number {
  if (deployment.state === DeploymentStateName.CANARY) return deployment.stableVersion;
  if (deployment.previousStableVersion > 0) return deployment.previousStableVersion;
  throw new DeployerException(
    deployment.stableVersion > 0
      ? `deployment "${deployment.name}" has no canary and no previous stable version to return to`
      : `deployment "${deployment.name}" serves nothing yet`,
    DeployerExceptionCode.NOTHING_TO_ROLL_BACK,
  );
}

function stableOn(version: ModelVersionRecord) {
  return { ...noCanary(), stableVersion: version.version, featureView: version.featureView };
}

function noCanary() {
  return { state: DeploymentStateName.STABLE, canaryVersion: 0, canaryTrafficShare: 0, canaryStartTime: null, canaryEventId: null };
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/** What a Deploy sets on a deployment: what it follows (alias, or empty when pinned) and its policy. */
export interface DeploymentSettings {
  readonly alias: string;
  readonly policy: CanaryPolicyValues;
}

/**
 * A Deploy on `deployment` (`created`: the row was just inserted for it). The settings are
 * applied; then `target` (the pinned version, or the followed alias's version; undefined when
 * the alias is not set yet) is served as an alias move would serve it, except that a target
 * already stable drops a running canary: the deployment serves what it was told to. Null when
 * nothing changes, so an identical request is harmless. A canary already running takes a new
 * policy's share at once; a share of 1 applies from the next version.
 */
export function deploy(
  deployment: DeploymentRecord,
  settings: DeploymentSettings,
  target: ModelVersionRecord | undefined,
  created: boolean,
  now: Date,
): Transition | null {
  const settingsChanges = describeSettings(deployment, settings, created);
  const canaryShare =
    deployment.state === DeploymentStateName.CANARY && settings.policy.trafficShare < 1
      ? settings.policy.trafficShare
      : deployment.canaryTrafficShare;
  const configured: DeploymentRecord = { ...deployment, alias: settings.alias, policy: settings.policy, canaryTrafficShare: canaryShare };
  const moved =
    target === undefined
      ? null
      : target.version === deployment.stableVersion && deployment.state === DeploymentStateName.CANARY
        ? manualRollback(configured, target, '', now)
        : startVersion(configured, target, now);
  if (moved) {
    return settingsChanges.length > 0 ? { ...moved, reason: `${moved.reason}; ${settingsChanges.join('; ')}` } : moved;
  }
  if (settingsChanges.length === 0) return null;
  const waiting =
    deployment.stableVersion === 0 && target === undefined ? `; alias "${settings.alias}" is not set yet: nothing serves until it is` : '';
  return {
    record: { ...configured, revision: deployment.revision + 1, updatedAt: now },
    change: Change.DEPLOYMENT_CHANGE_CONFIGURED,
    fromVersion: deployment.stableVersion,
    toVersion: deployment.canaryVersion || deployment.stableVersion,
    reason: `${settingsChanges.join('; ')}${waiting}`,
    checks: [],
  };
}

const POLICY_FIELDS: readonly { key: keyof CanaryPolicyValues; label: string }[] = [
  { key: 'trafficShare', label: 'traffic share' },
  { key: 'minRequests', label: 'min requests' },
  { key: 'maxErrorRateIncrease', label: 'max error rate increase' },
  { key: 'maxLatencyRatio', label: 'max latency ratio' },
  { key: 'maxAccuracyDrop', label: 'max accuracy drop' },
  { key: 'minLabelled', label: 'min labelled' },
  { key: 'maxDurationMs', label: 'max duration ms' },
];

/** The settings that change, in words; empty when none does. */
function describeSettings(deployment: DeploymentRecord, settings: DeploymentSettings, created: boolean): string[] {
  const follows = settings.alias
    ? `follows alias "${settings.alias}" of ${deployment.modelName}`
    : `pinned (model ${deployment.modelName})`;
  if (created) return [`deployment created: ${follows}`];
  const changes: string[] = [];
  if (settings.alias !== deployment.alias) {
    changes.push(
      settings.alias ? (deployment.alias ? follows : `unpinned: ${follows}`) : `pinned: no longer follows alias "${deployment.alias}"`,
    );
  }
  const policy = POLICY_FIELDS.filter(({ key }) => settings.policy[key] !== deployment.policy[key]).map(
    ({ key, label }) => `${label} ${deployment.policy[key]} → ${settings.policy[key]}`,
  );
  if (policy.length > 0) changes.push(`canary policy: ${policy.join(', ')}`);
  return changes;
}
