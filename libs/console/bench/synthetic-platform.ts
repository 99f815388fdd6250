import { commonV1, deployerV1, featureStoreV1, ingestionV1, monitorV1, registryV1, trainerV1 } from '@flywheel/contracts';
import {
  type ConsoleBackend,
  type DeployerCalls,
  type FeatureStoreCalls,
  type IngestionCalls,
  type MonitorCalls,
  type RegistryCalls,
  type TrainerCalls,
} from '../src/backend';
import { fakeCalls } from '../src/testing/console-test-kit';

// A platform's answers at the size the console's target names (50 runs, 20 versions, 1,000
// drift reports), built once in memory so the benchmark times the console's own work: reading
// the answers, rendering the tables and drawing the charts.

export const MODEL = 'fraud';
export const DATASET = 'claims';
export const DEPLOYMENT = 'fraud-api';
const FEATURES = ['amount', 'log_amount', 'channel', 'claimant_age', 'policy_tenure_months', 'prior_claims', 'region', 'hour'];
const CATEGORICAL = new Set(['channel', 'region']);
const START = Date.parse('2026-11-01T00:00:00Z');
const at = (minutes: number) => new Date(START + minutes * 60_000);

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function profile(rng: () => number, rows: number): commonV1.DataProfile {
  return commonV1.DataProfile.fromPartial({
    rowCount: rows,
    columns: FEATURES.map((name) =>
      CATEGORICAL.has(name)
        ? {
            name,
            type: commonV1.ColumnType.COLUMN_TYPE_STRING,
            count: rows,
            nullCount: 0,
            categorical: {
              distinctCount: 6,
              topValues: ['web', 'phone', 'agent', 'app', 'mail'].map((value) => ({ value, count: Math.round(rng() * rows) })),
              otherCount: 12,
            },
          }
        : {
            name,
            type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
            count: rows,
            nullCount: Math.round(rng() * 20),
            numeric: {
              min: 0,
              max: 100,
              mean: 50 * rng(),
              std: 10 * rng(),
              quantiles: [10, 25, 50, 75, 90],
              histogramEdges: Array.from({ length: 21 }, (_, i) => i * 5),
              histogramCounts: Array.from({ length: 20 }, () => Math.round(rng() * rows) / 10),
            },
          },
    ),
  });
}

function lineage(rng: () => number, run: number): commonV1.TrainingLineage {
  return commonV1.TrainingLineage.fromPartial({
    runId: runId(run),
    dataset: DATASET,
    datasetVersionFrom: 1,
    datasetVersionTo: 10 + run,
    featureView: DATASET,
    featureViewRevision: 2,
    features: FEATURES,
    label: 'is_fraud',
    trainingProfile: profile(rng, 4000),
    seed: run,
  });
}

const runId = (i: number) => `0000${i.toString(16).padStart(4, '0')}-5f1c-4c1e-9a5b-${(1e11 + i).toString().slice(0, 12)}`;

export interface SyntheticSizes {
  runs: number;
  versions: number;
  driftReports: number;
}

/** The answers of the six services for one model at the given sizes. */
export function syntheticBackend(sizes: SyntheticSizes): ConsoleBackend {
  const rng = random(7);
  const params = (i: number) => ({
    learningRate: { numberValue: 0.01 + (i % 5) * 0.02 },
    maxDepth: { numberValue: 3 + (i % 4) },
    l2: { numberValue: (i % 3) * 0.1 },
  });
  const runs = Array.from({ length: sizes.runs }, (_, i) =>
    trainerV1.Run.fromPartial({
      runId: runId(i),
      spec: { modelName: MODEL, featureView: DATASET, features: FEATURES, label: 'is_fraud', algorithm: 3, metric: 'accuracy' },
      status: trainerV1.RunStatus.RUN_STATUS_SUCCEEDED,
      trigger: i % 3 === 0 ? trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY : trainerV1.RunTrigger.RUN_TRIGGER_API,
      params: params(i),
      metrics: { accuracy: 0.9 + rng() * 0.09, rocAuc: 0.9 + rng() * 0.09, logLoss: rng() },
      trials:
        i === 0
          ? Array.from({ length: 8 }, (_, t) => ({
              params: params(t),
              metricValue: 0.9 + rng() * 0.05,
              rows: 4000,
              runId: runId(1000 + t),
            }))
          : [],
      lineage: lineage(rng, i),
      holdout: { rowCount: 800, labelColumn: 'is_fraud' },
      duration: { seconds: 4, nanos: 0 },
      createTime: at(sizes.runs - i),
      startTime: at(sizes.runs - i),
      endTime: at(sizes.runs - i + 1),
    }),
  );
  const versions = Array.from({ length: sizes.versions }, (_, i) =>
    registryV1.ModelVersion.fromPartial({
      modelName: MODEL,
      version: sizes.versions - i,
      runId: runId(i),
      algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
      metric: 'accuracy',
      metrics: { accuracy: 0.9 + rng() * 0.09 },
      lineage: lineage(rng, i),
      aliases: i === 0 ? ['production'] : [],
      createTime: at(10 * (sizes.versions - i)),
    }),
  );
  const audit = versions.flatMap((v, i) => [
    registryV1.AuditEntry.fromPartial({
      id: `r${v.version}`,
      time: at(10 * v.version),
      action: registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED,
      modelName: MODEL,
      version: v.version,
      actor: { service: 'trainer' },
    }),
    registryV1.AuditEntry.fromPartial({
      id: `a${v.version}`,
      time: at(10 * v.version + 1),
      action: i % 2 ? registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED : registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET,
      modelName: MODEL,
      version: v.version,
      alias: 'production',
      reasons: i % 2 ? ['accuracy 0.91 is not better than the champion’s 0.93 by at least 0.005'] : [],
      comparison: { metric: 'accuracy', higherIsBetter: true, championValue: 0.93, challengerValue: 0.91, holdout: { rowCount: 800 } },
      actor: { service: 'registry' },
    }),
  ]);
  const reportOf = (i: number, withProfile: boolean) =>
    monitorV1.DriftReport.fromPartial({
      reportId: `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`,
      modelName: MODEL,
      modelVersion: 1 + Math.floor(i / 100),
      features: FEATURES.map((feature) => ({
        feature,
        test: CATEGORICAL.has(feature) ? monitorV1.DriftTest.DRIFT_TEST_CHI_SQUARE : monitorV1.DriftTest.DRIFT_TEST_KS,
        statistic: rng() * 0.3,
        pValue: rng(),
        threshold: 0.05,
        drifted: rng() < 0.1,
        referenceCount: 4000,
        currentCount: 200,
      })),
      driftedShare: rng() * 0.5,
      driftShareThreshold: 0.3,
      datasetDrift: rng() < 0.1,
      currentProfile: withProfile ? profile(rng, 200) : undefined,
      createTime: at(sizes.driftReports - i),
    });
  const reports = Array.from({ length: sizes.driftReports }, (_, i) => reportOf(i, false));
  const latestReport = reportOf(0, true);
  const datasetVersions = Array.from({ length: 200 }, (_, i) =>
    ingestionV1.DatasetVersion.fromPartial({
      dataset: DATASET,
      version: 200 - i,
      rowCount: 250,
      cumulativeRowCount: 250 * (200 - i),
      quarantinedCount: i % 7 === 0 ? 3 : 0,
      profile: i === 0 ? profile(rng, 250) : undefined,
      object: { key: `datasets/${DATASET}/v${200 - i}.csv`, sha256: 'ab'.repeat(32), sizeBytes: 40_000 },
      commitTime: at(200 - i),
    }),
  );
  const dataset = ingestionV1.Dataset.fromPartial({
    name: DATASET,
    contract: {
      columns: FEATURES.map((name) => ({ name, type: CATEGORICAL.has(name) ? 3 : 2, required: true })),
      uniqueKey: ['claim_id'],
      eventTimeColumn: 'submitted_at',
    },
    ownerTeam: 'fraud-team',
    latestVersion: 200,
    ingestTopic: `flywheel.ingest.${DATASET}`,
    createTime: at(0),
  });
  const deployment = deployerV1.Deployment.fromPartial({
    name: DEPLOYMENT,
    modelName: MODEL,
    alias: 'production',
    state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
    stableVersion: sizes.versions - 1,
    canaryVersion: sizes.versions,
    canaryTrafficShare: 0.3,
    featureView: DATASET,
    updateTime: at(500),
  });
  const stats = (version: number) =>
    deployerV1.VersionStats.fromPartial({
      version,
      requests: 1200,
      errors: 3,
      errorRate: 0.0025,
      latencyP50Ms: 0.8,
      latencyP95Ms: 2.1,
      latencyP99Ms: 4,
      labelled: 600,
      accuracy: 0.95,
    });
  // The deployer's rollout history as it has it after an hour: one sample per served version every
  // 10 s, the canary on 30% of the traffic, labels arriving as the phase goes on.
  const history = (() => {
    const rng = random(11);
    const samples: deployerV1.RolloutSample[] = [];
    const end = at(500).getTime();
    for (let i = 0; i < 360; i++) {
      const time = new Date(end - (359 - i) * 10_000);
      for (const [version, role, share, base] of [
        [deployment.stableVersion, deployerV1.VersionRole.VERSION_ROLE_STABLE, 0.7, 0.8],
        [deployment.canaryVersion, deployerV1.VersionRole.VERSION_ROLE_CANARY, 0.3, 0.9],
      ] as const) {
        const requests = Math.round(share * (400 + 100 * Math.sin(i / 30) + 40 * rng()));
        const labelled = Math.round(share * 20 * i);
        samples.push(
          deployerV1.RolloutSample.fromPartial({
            time,
            version,
            role,
            requests,
            errors: rng() < 0.1 ? Math.ceil(rng() * 3) : 0,
            latencyP50Ms: base + 0.2 * rng(),
            latencyP95Ms: 2 * base + rng(),
            labelled,
            accuracy: labelled > 0 ? 0.93 + 0.02 * rng() : undefined,
          }),
        );
      }
    }
    return samples;
  })();
  // The deployment's changes, newest first: v1 deployed, then each later version a canary promoted
  // after its checks, the newest one still on canary.
  const changes = (() => {
    const list: deployerV1.DeploymentChanged[] = [];
    const change = (c: Partial<deployerV1.DeploymentChanged>) =>
      deployerV1.DeploymentChanged.fromPartial({
        deployment: DEPLOYMENT,
        modelName: MODEL,
        actor: { service: 'deployer' },
        deploymentAfter: deployment,
        ...c,
      });
    list.push(change({ change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY, toVersion: 1, changeTime: at(20) }));
    for (let v = 2; v <= sizes.versions; v++) {
      const started = 20 + (v - 1) * 20;
      list.push(
        change({
          change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
          fromVersion: v - 1,
          toVersion: v,
          canaryTrafficShare: 0.3,
          reason: `v${v} takes 30% of traffic as a canary against v${v - 1}`,
          changeTime: at(started),
        }),
      );
      if (v < sizes.versions) {
        list.push(
          change({
            change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED,
            fromVersion: v - 1,
            toVersion: v,
            reason: `canary v${v} passed every check after 1500 requests`,
            changeTime: at(started + 10),
          }),
        );
      }
    }
    return list.reverse();
  })();
  const page = <T>(items: readonly T[], request: { page?: commonV1.PageRequest }) => ({
    items: items.slice(0, request.page?.pageSize || 50),
    page: { nextPageToken: '' },
  });
  const decisions = Array.from({ length: 30 }, (_, i) =>
    trainerV1.RetrainingDecision.fromPartial({
      decisionId: `d${i}`,
      modelName: MODEL,
      outcome: i % 5 === 0 ? trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED : trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED,
      reasons: ['drift on amount, channel'],
      triggerEventId: `e${i}`,
      triggerEventType: 'flywheel.monitor.v1.DriftDetected',
      runId: i % 5 === 0 ? runId(i) : '',
      newRows: 1500,
      decideTime: at(300 - i),
    }),
  );

  return {
    registry: () =>
      fakeCalls<RegistryCalls>('registry', {
        listModels: async (r) => {
          const { items, page: p } = page(
            [MODEL, 'churn', 'ltv', 'eta', 'spam'].map((name) =>
              registryV1.Model.fromPartial({
                name,
                ownerTeam: 'fraud-team',
                latestVersion: sizes.versions,
                aliases: { production: sizes.versions },
              }),
            ),
            r,
          );
          return { models: items, page: p };
        },
        getModel: async () => ({
          model: registryV1.Model.fromPartial({ name: MODEL, latestVersion: sizes.versions, aliases: { production: sizes.versions } }),
        }),
        listModelVersions: async (r) => {
          const { items, page: p } = page(versions, r);
          return { versions: items, page: p };
        },
        getModelVersion: async ({ version }) => ({ version: versions.find((v) => v.version === version) ?? versions[0] }),
        listAuditLog: async (r) => {
          const { items, page: p } = page(audit, r);
          return { entries: items, page: p };
        },
        getLineage: async () => ({ version: versions[0], lineage: versions[0]!.lineage, history: audit.slice(0, 4) }),
      }),
    trainer: () =>
      fakeCalls<TrainerCalls>('trainer', {
        listRuns: async (r) => {
          const { items, page: p } = page(runs, r);
          return { runs: items, page: p };
        },
        getRun: async ({ runId: id }) => ({ run: runs.find((run) => run.runId === id) ?? runs[0] }),
        compareRuns: async ({ runIds }) => ({
          runs: runs.filter((run) => runIds.includes(run.runId)),
          metricNames: ['accuracy', 'log_loss', 'roc_auc'],
          differingParams: ['l2', 'learning_rate', 'max_depth'],
          bestRunId: runIds[0] ?? '',
        }),
        listRetrainingDecisions: async (r) => {
          const { items, page: p } = page(decisions, r);
          return { decisions: items, page: p };
        },
      }),
    monitor: () =>
      fakeCalls<MonitorCalls>('monitor', {
        getDriftReport: async () => ({ report: latestReport }),
        listDriftReports: async (r) => {
          const { items, page: p } = page(reports, r);
          return { reports: items, page: p };
        },
        getModelHealth: async () => ({
          modelName: MODEL,
          modelVersion: sizes.versions,
          status: monitorV1.HealthStatus.HEALTH_STATUS_HEALTHY,
          windowPredictions: 120,
          windowLabelled: 60,
          accuracy: 0.95,
          referenceAccuracy: 0.96,
          latestReport,
          openAlerts: [],
        }),
        listAlerts: async () => ({
          alerts: Array.from({ length: 20 }, (_, i) =>
            monitorV1.Alert.fromPartial({
              alertId: `al${i}`,
              modelName: MODEL,
              modelVersion: 1,
              kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
              message: 'drift on amount',
              reportId: reports[i]!.reportId,
              raiseTime: at(i),
            }),
          ),
          page: { nextPageToken: '' },
        }),
      }),
    deployer: () =>
      fakeCalls<DeployerCalls>('deployer', {
        listDeployments: async () => ({ deployments: [deployment], page: { nextPageToken: '' } }),
        getDeployment: async () => ({ deployment }),
        listDeploymentChanges: async (r) => {
          const { items, page: p } = page(changes, r);
          return { changes: items, page: p };
        },
        getRolloutStatus: async () => ({
          deployment,
          stable: stats(deployment.stableVersion),
          canary: stats(deployment.canaryVersion),
          summary: 'canary judged after 1,500 requests',
          history,
        }),
      }),
    ingestion: () =>
      fakeCalls<IngestionCalls>('ingestion', {
        listDatasets: async () => ({ datasets: [dataset], unregisteredTopics: [], page: { nextPageToken: '' } }),
        getDataset: async () => ({ dataset }),
        listVersions: async (r) => {
          const { items, page: p } = page(datasetVersions, r);
          return { versions: items, page: p };
        },
        getVersion: async () => ({ version: datasetVersions[0] }),
        listQuarantine: async () => ({
          records: Array.from({ length: 50 }, (_, i) =>
            ingestionV1.QuarantinedRecord.fromPartial({
              id: `q${i}`,
              dataset: DATASET,
              raw: '{"amount": -5, "channel": "pigeon"}',
              violations: [{ field: 'amount', code: ingestionV1.ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message: 'below 0' }],
              quarantineTime: at(i),
            }),
          ),
          page: { nextPageToken: '' },
        }),
      }),
    featureStore: () =>
      fakeCalls<FeatureStoreCalls>('featureStore', {
        listFeatureViews: async () => ({
          featureViews: [featureStoreV1.FeatureView.fromPartial({ name: DATASET, dataset: DATASET, entityKey: 'claim_id' })],
          page: { nextPageToken: '' },
        }),
      }),
    forget: () => undefined,
    close: () => undefined,
  };
}

/** Ids the pages of one run and of a comparison name. */
export const RUN_IDS = { first: runId(0), second: runId(1) };
