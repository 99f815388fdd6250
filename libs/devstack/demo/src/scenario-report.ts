import {
  AliasMovedEvent,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  PerformanceDegradedEvent,
  PromotionRefusedEvent,
  RecordsQuarantinedEvent,
  RetrainingDecidedEvent,
  trainerV1,
} from '@flywheel/contracts';
import { type ClaimTraffic, type Phase, type ServedPrediction } from './claim-traffic';
import { type EventStream } from './event-stream';
import { DATASET } from './scenario-options';

// The figures the demo ends with: accuracy per phase and version, and the story's summary.

export interface AccuracyFigure {
  phase: Phase;
  version: number;
  predictions: number;
  accuracy: number;
}

/** When the story's turning points happened (epoch ms), and the version that took over. */
export interface StoryOutcome {
  shiftAt: number;
  rolledOutAt: number;
  newVersion: number;
  /**
   * How the story ended: the new version serves all traffic; or (with an imported champion) the
   * registry refused it, or the deployer rolled its canary back, and the champion kept serving.
   */
  ending: 'rolled-out' | 'refused' | 'rolled-back';
}

export const fmt = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(3));

export function accuracyOf(predictions: readonly ServedPrediction[], phase: Phase, version: number): number {
  const served = predictions.filter((p) => p.phase === phase && p.version === version);
  return served.length === 0 ? Number.NaN : served.filter((p) => p.correct).length / served.length;
}

export function accuracyTable(predictions: readonly ServedPrediction[]): AccuracyFigure[] {
  const keys = new Map<string, { phase: Phase; version: number; n: number; correct: number }>();
  for (const p of predictions) {
    const key = `${p.phase}/${p.version}`;
    const entry = keys.get(key) ?? { phase: p.phase, version: p.version, n: 0, correct: 0 };
    entry.n++;
    if (p.correct) entry.correct++;
    keys.set(key, entry);
  }
  return [...keys.values()].map((e) => ({ phase: e.phase, version: e.version, predictions: e.n, accuracy: e.correct / e.n }));
}

export function summarise(events: EventStream, outcome: StoryOutcome, traffic: ClaimTraffic): string[] {
  const { newVersion } = outcome;
  const accuracy = (phase: Phase, version: number) => accuracyOf(traffic.predictions, phase, version);
  const lines: string[] = [];
  const committed = events.ofType(DatasetVersionCommittedEvent, (c) => c.dataset === DATASET);
  const rows = Math.max(0, ...committed.map((c) => c.data.version?.cumulativeRowCount ?? 0));
  const quarantined = events.ofType(RecordsQuarantinedEvent, (q) => q.dataset === DATASET).reduce((n, e) => n + e.data.records.length, 0);
  lines.push(
    `data        ${rows} claims committed in ${committed.length} versions; ${quarantined} of ${traffic.malformedSent} malformed records quarantined`,
  );
  const promoted = events.ofType(AliasMovedEvent, (a) => a.toVersion === newVersion)[0];
  const v1Holdout = events.ofType(AliasMovedEvent, (a) => a.toVersion === 1)[0]?.data.target?.metrics.accuracy;
  lines.push(
    `v1          holdout accuracy ${fmt(v1Holdout)}; live ${fmt(accuracy('before-shift', 1))} before the shift, ${fmt(accuracy('after-shift', 1))} after it`,
  );
  const refused =
    outcome.ending === 'refused' ? events.ofType(PromotionRefusedEvent, (r) => r.challengerVersion === newVersion)[0] : undefined;
  const c = (promoted ?? refused)?.data.comparison;
  const canary = accuracy('after-shift', newVersion);
  const ending = {
    'rolled-out': `${fmt(accuracy('recovered', newVersion))} serving all traffic`,
    'rolled-back': 'rolled back',
    refused: `refused (${refused?.data.reasons.join('; ')})`,
  }[outcome.ending];
  lines.push(
    `v${newVersion}          on the recent holdout ${fmt(c?.challengerValue)} vs v1 ${fmt(c?.championValue)}; ` +
      (refused ? ending : `live ${fmt(canary)} as canary, ${ending}`),
  );
  const drift = events.ofType(DriftDetectedEvent, (_d, e) => e.receivedAt >= outcome.shiftAt)[0];
  if (drift)
    lines.push(
      `drift       ${drift.data.driftedFeatures.join(', ')} (steady: ${drift.data.report?.features
        .filter((f) => !f.drifted)
        .map((f) => f.feature)
        .join(', ')})`,
    );
  const decisions = events.ofType(RetrainingDecidedEvent);
  const acted = decisions.find((d) => d.data.decision?.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED);
  const reasons = new Map<string, number>();
  for (const d of decisions) {
    for (const r of d.data.decision?.declineReasons ?? []) {
      const name = (trainerV1.DeclineReason[r] ?? String(r)).replace('DECLINE_REASON_', '').toLowerCase().replace(/_/g, ' ');
      reasons.set(name, (reasons.get(name) ?? 0) + 1);
    }
  }
  const declined = [...reasons].map(([name, n]) => `${n}× ${name}`).join(', ');
  const triggers = events.ofType(DriftDetectedEvent).length + events.ofType(PerformanceDegradedEvent).length;
  lines.push(`retraining  ${triggers} drift/degradation events → ${acted ? 1 : 0} retraining; declined: ${declined || 'none'}`);
  const secs = (from: number, to: number | undefined) =>
    to === undefined || Number.isNaN(to) ? '—' : `${((to - from) / 1000).toFixed(1)} s`;
  const canaryStart = events.ofType(
    DeploymentChangedEvent,
    (d) => d.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
  )[0];
  lines.push(
    `timing      after the shift: drift detected ${secs(outcome.shiftAt, drift?.receivedAt)}, retraining decided ${secs(outcome.shiftAt, acted?.receivedAt)}, ` +
      `v${newVersion} promoted ${secs(outcome.shiftAt, promoted?.receivedAt)}, canary started ${secs(outcome.shiftAt, canaryStart?.receivedAt)}, ` +
      `serving all traffic ${secs(outcome.shiftAt, outcome.rolledOutAt)}`,
  );
  if (refused)
    lines.push(`            ⇒ the registry kept v1: v${newVersion} refused ${secs(outcome.shiftAt, refused.receivedAt)} after the shift`);
  else if (outcome.ending === 'rolled-back')
    lines.push(
      `            ⇒ the deployer kept v1: v${newVersion}'s canary rolled back ${secs(outcome.shiftAt, outcome.rolledOutAt)} after the shift`,
    );
  else lines.push(`            ⇒ ${secs(outcome.shiftAt, outcome.rolledOutAt)} from drift onset to the new version serving all traffic`);
  const errors = traffic.predictErrors;
  if (errors.count > 0) lines.push(`errors      ${errors.count} Predict calls failed (last: ${errors.last})`);
  return lines;
}
