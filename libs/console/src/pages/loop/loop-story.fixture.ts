/**
 * One turn of the loop of model `fraud`, as the six services would answer it (for the Loop's
 * specs): data committed, a first run by API call, v1 promoted and served, drift, a retraining
 * decision, a second run, v2 promoted by the policy and started as a canary, then a calm report.
 */
import { commonV1, deployerV1, type featureStoreV1, type ingestionV1, monitorV1, registryV1, trainerV1 } from '@flywheel/contracts';
import { type LoopRecords } from './loop-timeline';

export const at = (hhmm: string) => new Date(`2026-03-01T${hhmm}Z`);
export const HOSTILE = '<img src=x onerror=alert(1)>';

const lineage = (runId: string, to: number): commonV1.TrainingLineage =>
  ({
    runId,
    dataset: 'claims',
    datasetVersionFrom: 1,
    datasetVersionTo: to,
    featureView: 'claims_features',
    featureViewRevision: 1,
    features: ['amount', 'age'],
    label: 'fraud',
  }) as commonV1.TrainingLineage;

const commit = (version: number, time: string, rows: number, quarantined = 0) =>
  ({
    dataset: 'claims',
    version,
    rowCount: rows,
    cumulativeRowCount: version * 100,
    commitTime: at(time),
    quarantinedCount: quarantined,
  }) as ingestionV1.DatasetVersion;

export const datasetVersions: ingestionV1.DatasetVersion[] = [
  commit(5, '00:35:00', 100, 2),
  commit(4, '00:30:00', 100, 1),
  commit(3, '00:10:00', 100),
  commit(2, '00:05:00', 100),
  commit(1, '00:00:00', 100),
];

export const dataset = {
  name: 'claims',
  description: '',
  contract: { columns: [{}, {}, {}, {}], uniqueKey: ['claim_id'], eventTimeColumn: 'ts' },
  ownerTeam: 'fraud-team',
  createTime: at('00:00:00'),
  latestVersion: 5,
  ingestTopic: 'flywheel.ingest.claims',
} as unknown as ingestionV1.Dataset;

export const featureView = {
  name: 'claims_features',
  dataset: 'claims',
  revision: 1,
  features: [{}, {}],
  applyTime: at('00:01:00'),
  materialisedDatasetVersion: 5,
} as unknown as featureStoreV1.FeatureView;

const run = (r: Partial<trainerV1.Run>) =>
  ({
    status: trainerV1.RunStatus.RUN_STATUS_SUCCEEDED,
    causeEventId: '',
    spec: { modelName: 'fraud', featureView: 'claims_features', metric: 'roc_auc' },
    ...r,
  }) as trainerV1.Run;

export const runs: trainerV1.Run[] = [
  run({
    runId: 'run-2222-second',
    trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
    causeEventId: 'ev-train-2',
    metrics: { rocAuc: 0.93 },
    lineage: lineage('run-2222-second', 5),
    createTime: at('00:41:05'),
    startTime: at('00:41:06'),
    endTime: at('00:42:00'),
    actor: { team: '', tokenId: '', service: 'trainer' },
  }),
  run({
    runId: 'run-1111-first',
    trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
    metrics: { rocAuc: 0.9 },
    lineage: lineage('run-1111-first', 3),
    createTime: at('00:20:00'),
    startTime: at('00:20:01'),
    endTime: at('00:21:00'),
    actor: { team: 'fraud-team', tokenId: 't1', service: '' },
  }),
];

export const decisions: trainerV1.RetrainingDecision[] = [
  {
    decisionId: 'dec00001-aaaa',
    modelName: 'fraud',
    outcome: trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED,
    declineReasons: [],
    reasons: ['drift on amount (share 0.5 >= 0.3)', HOSTILE],
    triggerEventId: 'ev-drift-1',
    triggerEventType: 'flywheel.monitor.v1.DriftDetected',
    runId: 'run-2222-second',
    newRows: 200,
    runsToday: 0,
    cooldownUntil: undefined,
    decideTime: at('00:41:00'),
  },
];

const version = (v: number, runId: string, aliases: string[]) =>
  ({
    modelName: 'fraud',
    version: v,
    runId,
    algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
    metric: 'roc_auc',
    metrics: { rocAuc: v === 2 ? 0.93 : 0.9 },
    lineage: lineage(runId, v === 2 ? 5 : 3),
    aliases,
    createTime: at(v === 2 ? '00:43:00' : '00:22:00'),
  }) as unknown as registryV1.ModelVersion;

export const modelVersions: registryV1.ModelVersion[] = [version(2, 'run-2222-second', ['production']), version(1, 'run-1111-first', [])];

export const model: registryV1.Model = {
  name: 'fraud',
  description: 'card fraud',
  tags: {},
  ownerTeam: 'fraud-team',
  createTime: at('00:00:00'),
  aliases: { production: 2 },
  latestVersion: 2,
};

const audit = (e: Partial<registryV1.AuditEntry>) =>
  ({
    modelName: 'fraud',
    actor: { team: '', tokenId: '', service: 'registry' },
    alias: '',
    previousVersion: 0,
    reasons: [],
    comparison: undefined,
    eventId: '',
    ...e,
  }) as registryV1.AuditEntry;

export const auditLog: registryV1.AuditEntry[] = [
  audit({
    id: 'audit-4',
    time: at('00:43:00'),
    action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET,
    version: 2,
    alias: 'production',
    previousVersion: 1,
    reasons: ['roc_auc 0.93 beats 0.9 by 0.03 >= 0.01'],
    comparison: {
      metric: 'roc_auc',
      higherIsBetter: true,
      championValue: 0.9,
      challengerValue: 0.93,
      absoluteImprovement: 0.03,
      relativeImprovement: 0.033,
      holdout: undefined,
    },
  }),
  audit({ id: 'audit-3', time: at('00:43:00'), action: registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED, version: 2 }),
  audit({ id: 'audit-2', time: at('00:22:00'), action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET, version: 1, alias: 'production' }),
  audit({ id: 'audit-1', time: at('00:22:00'), action: registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED, version: 1 }),
];

export const deployments: deployerV1.Deployment[] = [
  {
    name: 'fraud-api',
    modelName: 'fraud',
    alias: 'production',
    state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
    stableVersion: 1,
    canaryVersion: 2,
    canaryTrafficShare: 0.1,
    canaryPolicy: undefined,
    featureView: 'claims_features',
    canaryStartTime: at('00:44:00'),
    updateTime: at('00:44:00'),
  },
  {
    name: 'other-api',
    modelName: 'other',
    state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE,
    stableVersion: 7,
  } as deployerV1.Deployment,
];

const changed = (c: Partial<deployerV1.DeploymentChanged>) =>
  deployerV1.DeploymentChanged.fromPartial({
    deployment: 'fraud-api',
    modelName: 'fraud',
    actor: { team: '', tokenId: '', service: 'deployer' },
    ...c,
    deploymentAfter: { name: 'fraud-api', modelName: 'fraud', alias: 'production', ...c.deploymentAfter },
  });

/** fraud-api's changes as the deployer lists them, newest first: v1 served, then v2 started as a canary. */
export const deploymentChanges: deployerV1.DeploymentChanged[] = [
  changed({
    change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
    fromVersion: 1,
    toVersion: 2,
    canaryTrafficShare: 0.1,
    reason: 'v2 takes 10% of traffic as a canary against v1',
    changeTime: at('00:44:00'),
  }),
  changed({
    change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
    toVersion: 1,
    reason: 'first version v1 serves all traffic (nothing to compare it with)',
    changeTime: at('00:23:00'),
  }),
];

/** What happened next: the canary judged and promoted, then rolled back by a person. */
export const laterChanges: deployerV1.DeploymentChanged[] = [
  changed({
    change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_ROLLED_BACK,
    fromVersion: 2,
    toVersion: 1,
    reason: `rolled back from v2 to v1 by request: support calls ${HOSTILE}`,
    actor: { team: 'fraud-team', tokenId: 't1', service: '' },
    changeTime: at('00:58:00'),
  }),
  changed({
    change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED,
    fromVersion: 1,
    toVersion: 2,
    reason: 'canary v2 passed every check after 150 requests',
    canary: deployerV1.VersionStats.fromPartial({ version: 2, requests: 150 }),
    changeTime: at('00:52:00'),
  }),
];

const feature = (name: string, drifted: boolean) =>
  ({
    feature: name,
    test: monitorV1.DriftTest.DRIFT_TEST_KS,
    statistic: drifted ? 0.31 : 0.02,
    pValue: drifted ? 0.001 : 0.4,
    threshold: 0.05,
    drifted,
  }) as monitorV1.FeatureDrift;

export const driftReport = {
  reportId: 'report-drift-1',
  modelName: 'fraud',
  modelVersion: 1,
  features: [feature('amount', true), feature('age', false)],
  driftedShare: 0.5,
  driftShareThreshold: 0.3,
  datasetDrift: true,
  createTime: at('00:40:00'),
} as monitorV1.DriftReport;

export const calmReport = {
  ...driftReport,
  reportId: 'report-calm-2',
  modelVersion: 1,
  features: [feature('amount', false), feature('age', false)],
  driftedShare: 0,
  datasetDrift: false,
  createTime: at('00:50:00'),
} as monitorV1.DriftReport;

export const alerts: monitorV1.Alert[] = [
  {
    alertId: 'alert-0001',
    modelName: 'fraud',
    modelVersion: 1,
    kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
    message: `dataset drift: amount ${HOSTILE}`,
    reportId: 'report-drift-1',
    eventId: 'ev-drift-1',
    raiseTime: at('00:40:00'),
    resolveTime: undefined,
  },
];

export const health = {
  modelName: 'fraud',
  modelVersion: 1,
  status: monitorV1.HealthStatus.HEALTH_STATUS_DRIFTING,
  windowPredictions: 40,
  windowLabelled: 0,
  latestReport: calmReport,
  openAlerts: alerts,
} as monitorV1.GetModelHealthResponse;

/** The records as the Loop page gathers them. */
export const story = (): LoopRecords => ({
  modelName: 'fraud',
  model,
  modelVersions,
  audit: auditLog,
  runs,
  decisions,
  dataset: 'claims',
  datasetInfo: dataset,
  datasetVersions,
  featureView,
  deployments: deployments.filter((d) => d.modelName === 'fraud'),
  deploymentChanges,
  health,
  alerts,
  reports: [calmReport, driftReport],
});
