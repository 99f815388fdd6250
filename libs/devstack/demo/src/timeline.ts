import {
  AliasMovedEvent,
  commonV1,
  DatasetRegisteredEvent,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  durationToMillis,
  FeatureViewAppliedEvent,
  FeaturesMaterialisedEvent,
  ingestionV1,
  ModelVersionRegisteredEvent,
  monitorV1,
  PerformanceDegradedEvent,
  PromotionRefusedEvent,
  RecordsQuarantinedEvent,
  registryV1,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  TrainModelCommand,
  trainerV1,
} from '@flywheel/contracts';
import { type StreamedEvent } from './event-stream';

/** Prints what happens, each line stamped with the time since the scenario started. */
export class Timeline {
  readonly startedAt = Date.now();
  private pendingCommits: { first: number; last: number; rows: number; total: number; quarantined: number } | null = null;
  private lastCommitPrint = 0;

  constructor(private readonly write: (line: string) => void) {}

  elapsed(at = Date.now()): string {
    return `${((at - this.startedAt) / 1000).toFixed(1).padStart(6)}s`;
  }

  /** A step the scenario itself takes. */
  step(message: string): void {
    this.flushCommits();
    this.write(`[${this.elapsed()}] ▶ ${message}`);
  }

  note(message: string): void {
    this.write(`[${this.elapsed()}]   ${message}`);
  }

  /** A platform event, as read from its topic. */
  event(event: StreamedEvent): void {
    const line = describe(event);
    if (event.type === DatasetVersionCommittedEvent.typeName) {
      this.foldCommit(event as StreamedEvent<ingestionV1.DatasetVersionCommitted>);
      return;
    }
    if (line === null) return;
    this.flushCommits();
    this.write(`[${this.elapsed(event.receivedAt)}] ${line}`);
  }

  /** Dataset versions are committed every few seconds: they are printed at most every 10 s, folded. */
  private foldCommit(event: StreamedEvent<ingestionV1.DatasetVersionCommitted>): void {
    const v = event.data.version;
    if (!v) return;
    const p = this.pendingCommits ?? { first: v.version, last: v.version, rows: 0, total: 0, quarantined: 0 };
    p.last = v.version;
    p.rows += v.rowCount;
    p.total = v.cumulativeRowCount;
    p.quarantined += v.quarantinedCount;
    this.pendingCommits = p;
    if (event.receivedAt - this.lastCommitPrint >= 10_000) this.flushCommits(event.receivedAt);
  }

  flushCommits(at = Date.now()): void {
    const p = this.pendingCommits;
    if (!p) return;
    this.pendingCommits = null;
    this.lastCommitPrint = at;
    const versions = p.first === p.last ? `v${p.first}` : `v${p.first}–v${p.last}`;
    const quarantine = p.quarantined > 0 ? `, ${p.quarantined} quarantined` : '';
    this.write(`[${this.elapsed(at)}] ingestion     claims ${versions} committed: +${p.rows} rows (${p.total} in total${quarantine})`);
  }
}

const pct = (x: number | null | undefined) => (x == null ? '—' : x.toFixed(3));

export function formatFeatureDrift(f: monitorV1.FeatureDrift): string {
  const test = monitorV1.DriftTest[f.test]?.replace('DRIFT_TEST_', '') ?? String(f.test);
  const stat =
    f.pValue != null
      ? `p=${f.pValue < 1e-4 ? f.pValue.toExponential(1) : f.pValue.toFixed(4)}`
      : `${test === 'PSI' ? 'PSI' : 'stat'}=${f.statistic.toFixed(3)}`;
  const name = test === 'UNSPECIFIED' ? 'auto' : test;
  return `${f.feature} (${name} ${stat})`;
}

function stats(s: deployerV1.VersionStats | null | undefined): string {
  if (!s) return '';
  const acc = s.accuracy != null ? `, accuracy ${pct(s.accuracy)} on ${s.labelled} labels` : '';
  return `v${s.version}: ${s.requests} req, ${s.errors} errors, p95 ${s.latencyP95Ms.toFixed(2)} ms${acc}`;
}

/** One line per event worth telling, or null. */
export function describe(event: StreamedEvent): string | null {
  const d = event.data as never;
  switch (event.type) {
    case DatasetRegisteredEvent.typeName: {
      const ds = (d as ingestionV1.DatasetRegistered).dataset;
      return `ingestion     dataset ${ds?.name} registered: ${ds?.contract?.columns.length} columns, key [${ds?.contract?.uniqueKey.join(', ')}], topic ${ds?.ingestTopic}`;
    }
    case RecordsQuarantinedEvent.typeName: {
      const q = d as ingestionV1.RecordsQuarantined;
      const reasons = q.records.flatMap((r) =>
        r.violations.map((v) => `${v.field || 'record'}: ${ingestionV1.ViolationCode[v.code]?.replace('VIOLATION_CODE_', '')}`),
      );
      return `ingestion     ${q.records.length} record(s) quarantined — ${reasons.join('; ')}`;
    }
    case FeatureViewAppliedEvent.typeName: {
      const v = (d as { featureView?: { name: string; revision: number; features: unknown[] } }).featureView;
      return `feature-store view ${v?.name} r${v?.revision} applied: ${v?.features.length} features`;
    }
    case FeaturesMaterialisedEvent.typeName:
      return null;
    case TrainModelCommand.typeName: {
      const c = d as trainerV1.TrainModel;
      return `trainer       TrainModel ${c.spec?.modelName} (${trainerV1.RunTrigger[c.trigger]?.replace('RUN_TRIGGER_', '')}): ${c.reason}`;
    }
    case RunCompletedEvent.typeName: {
      const r = d as trainerV1.RunCompleted;
      const l = r.lineage;
      return (
        `trainer       run ${r.runId.slice(0, 8)} of ${r.modelName} completed (${trainerV1.RunTrigger[r.trigger]?.replace('RUN_TRIGGER_', '')}): ` +
        `holdout accuracy ${pct(r.metrics.accuracy)} on ${r.holdout?.rowCount} rows, data claims v${l?.datasetVersionFrom}–v${l?.datasetVersionTo}, ` +
        `${(durationToMillis(r.duration) / 1000).toFixed(1)} s`
      );
    }
    case RunFailedEvent.typeName: {
      const r = d as trainerV1.RunFailed;
      return `trainer       run ${r.runId.slice(0, 8)} of ${r.modelName} FAILED (${trainerV1.FailureCode[r.failureCode]}): ${r.error}`;
    }
    case RetrainingDecidedEvent.typeName: {
      const x = (d as trainerV1.RetrainingDecided).decision;
      if (!x) return null;
      const acted = x.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED;
      return `trainer       retraining ${acted ? 'DECIDED' : 'declined'} for ${x.modelName} (${x.newRows} new rows): ${x.reasons.join('; ')}`;
    }
    case ModelVersionRegisteredEvent.typeName: {
      const v = (d as registryV1.ModelVersionRegistered).version;
      const from = v?.algorithm === commonV1.Algorithm.ALGORITHM_ONNX ? 'an imported ONNX graph' : `run ${v?.runId.slice(0, 8)}`;
      return `registry      ${v?.modelName} v${v?.version} registered from ${from} (holdout accuracy ${pct(v?.metrics.accuracy)})`;
    }
    case AliasMovedEvent.typeName: {
      const a = d as registryV1.AliasMoved;
      const c = a.comparison;
      const cmp =
        c && c.championValue != null
          ? ` — ${c.metric} ${pct(c.challengerValue)} vs champion ${pct(c.championValue)} on ${c.holdout?.rowCount} recent rows`
          : '';
      return `registry      ${a.modelName} ${a.alias}: v${a.fromVersion} → v${a.toVersion} (${registryV1.AliasMoveCause[a.cause]?.replace('ALIAS_MOVE_CAUSE_', '')})${cmp}`;
    }
    case PromotionRefusedEvent.typeName: {
      const r = d as registryV1.PromotionRefused;
      return `registry      promotion of ${r.modelName} v${r.challengerVersion} REFUSED (champion v${r.championVersion}): ${r.reasons.join('; ')}`;
    }
    case DeploymentChangedEvent.typeName: {
      const c = d as deployerV1.DeploymentChanged;
      const what = deployerV1.DeploymentChange[c.change]?.replace('DEPLOYMENT_CHANGE_', '');
      switch (c.change) {
        case deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY:
          return `deployer      ${c.deployment}: v${c.toVersion} serves all traffic (${what})`;
        case deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED:
          return `deployer      ${c.deployment}: canary v${c.toVersion} on ${(c.canaryTrafficShare * 100).toFixed(0)}% of traffic, v${c.fromVersion} stable`;
        default:
          return `deployer      ${c.deployment}: ${what} v${c.toVersion} — ${c.reason} [${stats(c.canary)}; ${stats(c.stable)}]`;
      }
    }
    case DriftDetectedEvent.typeName: {
      const x = d as monitorV1.DriftDetected;
      const r = x.report;
      if (!r) return null;
      const drifted = r.features.filter((f) => f.drifted).map(formatFeatureDrift);
      const steady = r.features.filter((f) => !f.drifted).map((f) => f.feature);
      const prediction = r.prediction?.drifted ? `; prediction drift (${formatFeatureDrift(r.prediction)})` : '';
      return (
        `monitor       DRIFT on ${r.modelName} v${r.modelVersion} (window of ${r.currentProfile?.rowCount ?? '?'}; ${(r.driftedShare * 100).toFixed(0)}% of features): ` +
        `${drifted.join(', ') || 'none'}${prediction}; steady: ${steady.join(', ') || 'none'}`
      );
    }
    case PerformanceDegradedEvent.typeName: {
      const p = d as monitorV1.PerformanceDegraded;
      return `monitor       performance of ${p.modelName} v${p.modelVersion} degraded: ${p.metric} ${pct(p.currentValue)} vs ${pct(p.referenceValue)} on ${p.labelled} labels`;
    }
    default:
      return null;
  }
}

/** `commonV1.Value` of a plain JSON value. */
export function toValue(value: number | string): commonV1.Value {
  return typeof value === 'number' ? { numberValue: value } : { stringValue: value };
}
