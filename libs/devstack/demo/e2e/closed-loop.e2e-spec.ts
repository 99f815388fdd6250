import {
  durationToMillis,
  AliasMovedEvent,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  ingestionV1,
  RecordsQuarantinedEvent,
  registryV1,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  trainerV1,
} from '@flywheel/contracts';
import { type ScenarioResult } from '../src/closed-loop-scenario';
import { type StreamedEvent } from '../src/event-stream';
import { DEFAULT_OPTIONS, MODEL } from '../src/scenario-options';
import { demoResult, expectRetrainingOnDrift, resultEvents } from './demo-run';

jest.setTimeout(900_000);

/** `npm run demo`, smaller: the same scenario, asserted through the events it produced. */
describe('the closed loop (npm run demo, smaller)', () => {
  let result: ScenarioResult;
  const output: string[] = [];

  const events = resultEvents(() => result, output);
  const { only, byId } = events;

  beforeAll(async () => {
    result = await demoResult(
      [
        ...['--seed', '11', '--backfill', '1000', '--before-shift', '600', '--retrain-claims', '1400', '--after-rollout', '700'],
        ...['--window', '200', '--canary-requests', '80', '--max-shift-claims', '6000', '--step-timeout', '150000'],
      ],
      output,
      840_000,
    );
  });

  afterAll(() => {
    process.stdout.write(`${output.join('\n')}\n`);
  });

  it('prints a timeline and a summary, and stops everything', () => {
    expect(output).toContain('TIMELINE');
    expect(output).toContain('SUMMARY');
    expect(output.some((l) => /from drift onset to the new version serving all traffic/.test(l))).toBe(true);
    expect(output.some((l) => /stopping the platform/.test(l))).toBe(true);
  });

  it('quarantines every malformed record with its reason, and loses or duplicates no good one', () => {
    const quarantined = result.events.filter(
      (e) => e.type === RecordsQuarantinedEvent.typeName,
    ) as StreamedEvent<ingestionV1.RecordsQuarantined>[];
    const records = quarantined.flatMap((e) => e.data.records);
    expect(records).toHaveLength(result.malformedSent);
    const codes = new Set(records.flatMap((r) => r.violations.map((v) => ingestionV1.ViolationCode[v.code])));
    expect([...codes].sort()).toEqual(
      ['MALFORMED', 'MISSING_REQUIRED', 'NOT_ALLOWED', 'OUT_OF_RANGE', 'UNKNOWN_COLUMN', 'WRONG_TYPE']
        .map((c) => `VIOLATION_CODE_${c}`)
        .sort(),
    );

    const versions = (
      result.events.filter((e) => e.type === DatasetVersionCommittedEvent.typeName) as StreamedEvent<ingestionV1.DatasetVersionCommitted>[]
    ).map((e) => e.data.version!);
    const numbers = versions.map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    const total = Math.max(...versions.map((v) => v.cumulativeRowCount));
    expect(versions.reduce((n, v) => n + v.rowCount, 0)).toBe(total);
    expect(total).toBeLessThanOrEqual(result.validClaimsSent);
    expect(total).toBeGreaterThanOrEqual(1000 + 600);
  });

  it('makes v1 production on its own and deploys it', () => {
    const moved = only(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 1, 'AliasMoved to v1');
    expect(moved.data.cause).toBe(registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_FIRST_VERSION);
    const run = byId(moved.causationId) as StreamedEvent<trainerV1.RunCompleted>;
    expect(run.type).toBe(RunCompletedEvent.typeName);
    expect(run.data.trigger).toBe(trainerV1.RunTrigger.RUN_TRIGGER_API);
    const deployed = only(
      DeploymentChangedEvent,
      (c) => c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
      'initial deploy',
    );
    expect(deployed.data.toVersion).toBe(1);
    expect(deployed.causationId).toBe(moved.id);
  });

  it('detects drift on the shifted features only, and retrains once on fresh data because of it', () => {
    const { acted, run } = expectRetrainingOnDrift(result, events);

    // Before the shift, no window of v1 was judged to have drifted as a dataset.
    const early = result.events.filter(
      (e) =>
        e.type === DriftDetectedEvent.typeName &&
        e.receivedAt < result.shiftAt &&
        (e.data as { report?: { datasetDrift: boolean } }).report?.datasetDrift,
    );
    expect(early).toEqual([]);

    // Trained on the claims after the shift: its data starts after v1's.
    const v1Run = only(RunCompletedEvent, (r) => r.trigger === trainerV1.RunTrigger.RUN_TRIGGER_API, 'v1 run');
    expect(run.data.lineage!.datasetVersionTo).toBeGreaterThan(v1Run.data.lineage!.datasetVersionTo);
    // The policy's spec limits the retraining to a recent window of the data.
    expect(durationToMillis(run.data.spec!.trainingWindow!)).toBeGreaterThan(0);

    // A burst of drift events, one retraining: every drift event got a decision, all but one declined.
    const drifts = result.events.filter((e) => e.type === DriftDetectedEvent.typeName && e.receivedAt >= result.shiftAt);
    expect(drifts.length).toBeGreaterThan(1);
    const decisions = result.events.filter(
      (e) => e.type === RetrainingDecidedEvent.typeName,
    ) as StreamedEvent<trainerV1.RetrainingDecided>[];
    for (const d of drifts) expect(decisions.filter((x) => x.causationId === d.id)).toHaveLength(1);
    const declined = decisions.filter((x) => drifts.some((d) => d.id === x.causationId) && x.id !== acted.id);
    expect(declined.length).toBe(drifts.length - 1);
    for (const x of declined) {
      expect(x.data.decision!.outcome).toBe(trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED);
      expect(x.data.decision!.declineReasons.length).toBeGreaterThan(0);
    }
  });

  it('promotes v2 over v1 on the recent holdout, with both metrics recorded', () => {
    const run = only(RunCompletedEvent, (r) => r.trigger === trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY, 'policy-triggered run');
    const moved = only(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 2, 'AliasMoved to v2');
    expect(moved.causationId).toBe(run.id);
    expect(moved.data.fromVersion).toBe(1);
    expect(moved.data.cause).toBe(registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY);
    const comparison = moved.data.comparison!;
    expect(comparison.metric).toBe('accuracy');
    expect(comparison.championValue).toEqual(expect.any(Number));
    expect(comparison.challengerValue - comparison.championValue!).toBeGreaterThanOrEqual(0.02);
    expect(comparison.holdout!.data!.key).toBe(run.data.holdout!.data!.key);
    expect(moved.data.reasons.join(' ')).toMatch(/accuracy/);
  });

  it('canaries v2 and then rolls it out fully', () => {
    const moved = only(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 2, 'AliasMoved to v2');
    const canary = only(
      DeploymentChangedEvent,
      (c) => c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
      'canary start',
    );
    expect(canary.causationId).toBe(moved.id);
    expect(canary.data).toMatchObject({ fromVersion: 1, toVersion: 2 });
    expect(canary.data.canaryTrafficShare).toBeCloseTo(DEFAULT_OPTIONS.canaryShare);
    const promoted = only(
      DeploymentChangedEvent,
      (c) => c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED,
      'full rollout',
    );
    expect(promoted.causationId).toBe(canary.id);
    expect(promoted.data.toVersion).toBe(2);
    expect(promoted.data.canary!.requests).toBeGreaterThanOrEqual(80);
    expect(promoted.data.canary!.errors).toBe(0);
    expect(result.predictions.some((p) => p.phase === 'after-shift' && p.canary && p.version === 2)).toBe(true);
  });

  it('recovers: v2 on the new world is within 0.02 of v1 on the old one', () => {
    const figure = (phase: string, version: number) => result.accuracy.find((a) => a.phase === phase && a.version === version)!;
    const before = figure('before-shift', 1);
    const after = figure('recovered', 2);
    const degraded = figure('after-shift', 1);
    expect(before.predictions).toBeGreaterThanOrEqual(500);
    expect(after.predictions).toBeGreaterThanOrEqual(500);
    expect(result.predictions.filter((p) => p.phase === 'recovered').every((p) => p.version === 2)).toBe(true);
    expect(degraded.accuracy).toBeLessThan(before.accuracy - 0.2);
    expect(Math.abs(after.accuracy - before.accuracy)).toBeLessThanOrEqual(0.02);
    expect(result.rolledOutAt).toBeGreaterThan(result.driftAt);
  });
});
