import {
  AliasMovedEvent,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  FeaturesMaterialisedEvent,
  PromotionRefusedEvent,
  RecordsQuarantinedEvent,
  type registryV1,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  trainerV1,
} from '@flywheel/contracts';
import { type ServiceName } from '@flywheel/embedded-platform';
import { type EventStream, StepTimeout, type StreamedEvent } from './event-stream';
import { DATASET, FEATURE_VIEW, MODEL } from './scenario-options';

// How far the loop got, read only from the platform's events.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface IngestionTarget {
  rows: number;
  quarantined: number;
  /** Who owes the step, named when it times out. */
  services: ServiceName[];
  timeoutMs: number;
}

/** Waits until every good record is in a committed version, every bad one quarantined, and the features materialised. */
export async function waitCommitted(events: EventStream, target: IngestionTarget, guard: () => void): Promise<void> {
  const { rows, quarantined, services, timeoutMs } = target;
  const deadline = Date.now() + timeoutMs;
  const committed = () => events.ofType(DatasetVersionCommittedEvent, (c) => c.dataset === DATASET);
  const check = async () => {
    guard();
    const total = Math.max(0, ...committed().map((c) => c.data.version?.cumulativeRowCount ?? 0));
    const bad = events.ofType(RecordsQuarantinedEvent, (q) => q.dataset === DATASET).reduce((n, e) => n + e.data.records.length, 0);
    const latest = Math.max(0, ...committed().map((c) => c.data.version?.version ?? 0));
    const materialised =
      events.ofType(FeaturesMaterialisedEvent, (m) => m.featureView === FEATURE_VIEW && m.datasetVersion === latest).length > 0;
    return { total, bad, latest, materialised };
  };
  for (;;) {
    const s = await check();
    if (s.total >= rows && s.bad >= quarantined && s.materialised) return;
    if (Date.now() > deadline) {
      throw new StepTimeout(
        `${rows} rows committed (have ${s.total}), ${quarantined} quarantined (have ${s.bad}), features of v${s.latest} materialised (${s.materialised}) [${services.join(', ')}]`,
        timeoutMs,
      );
    }
    await sleep(200);
  }
}

/**
 * The deployer's final word on the new version: promoted to all traffic (it is the `to_version`),
 * or rolled back (the stable version is the `to_version` again; the canary's figures name the new one).
 */
export function rolloutOutcome(events: EventStream): StreamedEvent<deployerV1.DeploymentChanged> | null {
  const { DEPLOYMENT_CHANGE_PROMOTED, DEPLOYMENT_CHANGE_ROLLED_BACK } = deployerV1.DeploymentChange;
  const final = (c: deployerV1.DeploymentChanged) =>
    (c.change === DEPLOYMENT_CHANGE_PROMOTED && c.toVersion > 1) ||
    (c.change === DEPLOYMENT_CHANGE_ROLLED_BACK && (c.canary?.version ?? 0) > 1);
  return events.ofType(DeploymentChangedEvent, (c) => c.deployment === MODEL && final(c))[0] ?? null;
}

/** The first link of the chain after the shift that has not happened yet, and who owes it. */
export function missingStep(events: EventStream, shiftAt: number): { step: string; services: ServiceName[] } {
  const after = <T>(e: StreamedEvent<T>) => e.receivedAt >= shiftAt;
  if (events.ofType(DriftDetectedEvent, (_d, e) => after(e)).length === 0)
    return { step: 'the monitor to detect drift after the shift', services: ['monitor', 'deployer'] };
  const acted = events.ofType(RetrainingDecidedEvent, (d) => d.decision?.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED)[0];
  if (!acted) return { step: 'the retraining policy to act on the drift', services: ['trainer', 'ingestion'] };
  if (events.ofType(RunCompletedEvent, (_d, e) => after(e)).length === 0)
    return { step: 'the retraining run to complete', services: ['trainer', 'feature-store'] };
  if (events.ofType(AliasMovedEvent, (a, e) => after(e) && a.toVersion > 1).length === 0)
    return { step: 'the registry to promote the challenger', services: ['registry'] };
  return { step: 'the deployer to judge the canary', services: ['deployer'] };
}

/** The registry's refusal of a challenger after the shift, if it refused one. */
export function refusedChallenger(events: EventStream, shiftAt: number): StreamedEvent<registryV1.PromotionRefused> | null {
  return events.ofType(PromotionRefusedEvent, (r, e) => e.receivedAt >= shiftAt && r.modelName === MODEL)[0] ?? null;
}

/** Fails fast when the chain broke for good (a failed run; a refused promotion, unless `refusalEnds` the story). */
export function checkShiftProgress(events: EventStream, shiftAt: number, stepTimeoutMs: number, refusalEnds = false): void {
  const failed = events.ofType(RunFailedEvent, (_d, e) => e.receivedAt >= shiftAt)[0];
  if (failed) throw new Error(`the retraining run failed: ${failed.data.error}`);
  const refused = refusedChallenger(events, shiftAt);
  if (refused && !refusalEnds) throw new Error(`the registry refused the challenger: ${refused.data.reasons.join('; ')}`);
  if (Date.now() - shiftAt > stepTimeoutMs * 3) throw new StepTimeout(missingStep(events, shiftAt).step, Date.now() - shiftAt);
}

/** Between checks while a run is awaited: stops at once when the run failed. */
export async function failOnRunFailure(events: EventStream, runId: string, guard: () => void): Promise<void> {
  guard();
  const failed = events.ofType(RunFailedEvent, (r) => r.runId === runId)[0];
  if (failed) throw new Error(`run ${runId} failed (${trainerV1.FailureCode[failed.data.failureCode]}): ${failed.data.error}`);
  await sleep(100);
}
