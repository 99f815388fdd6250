import {
  AliasMovedEvent,
  commonV1,
  DeploymentChangedEvent,
  deployerV1,
  ModelVersionRegisteredEvent,
  PromotionRefusedEvent,
  registryV1,
  RunCompletedEvent,
  trainerV1,
} from '@flywheel/contracts';
import { type ScenarioResult } from '../src/closed-loop-scenario';
import { FEATURES, IMPORT_HOLDOUT_CLAIMS, LABEL } from '../src/imported-champion';
import { FEATURE_VIEW, MODEL } from '../src/scenario-options';
import { PROMOTION_MIN_HOLDOUT_ROWS, PROMOTION_MIN_IMPROVEMENT } from '../src/scenario-resources';
import { demoResult, expectRetrainingOnDrift, resultEvents } from './demo-run';

jest.setTimeout(900_000);

/**
 * `npm run demo -- --imported-champion`, smaller: v1 is an ONNX graph fitted outside the
 * platform and imported; the world shifts, the monitor sees it, the trainer retrains, and the
 * registry judges the retrained challenger against the imported champion on the challenger's
 * holdout. Asserted through the events the scenario streamed.
 */
describe('an imported champion, drift, and a retrained challenger judged against it (npm run demo -- --imported-champion)', () => {
  let result: ScenarioResult;
  const output: string[] = [];
  const events = resultEvents(() => result, output);
  const { only, all } = events;

  const registered = (version: number) =>
    only(ModelVersionRegisteredEvent, (r) => r.version?.modelName === MODEL && r.version.version === version, `v${version} registered`);
  const retrainingRun = () =>
    only(RunCompletedEvent, (r) => r.trigger === trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY, 'policy-triggered run');
  /** The registry's verdict on v2: promoted (AliasMoved) or refused, and exactly one of them. */
  const verdict = () => {
    const moved = all(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 2);
    const refused = all(PromotionRefusedEvent, (r) => r.modelName === MODEL && r.challengerVersion === 2);
    expect(moved.length + refused.length).toBe(1);
    return { moved: moved[0], refused: refused[0], event: (moved[0] ?? refused[0])! };
  };

  beforeAll(async () => {
    result = await demoResult(
      [
        '--imported-champion',
        ...['--seed', '11', '--backfill', '1000', '--before-shift', '600', '--retrain-claims', '600', '--after-rollout', '400'],
        // Windows of 600 predictions (10 s): the retraining acts on the first fully shifted one, and
        // its 10 s training window (600 claims) then holds claims of the new world only. (With no
        // earlier run of the model, the policy's minimum of new rows does not hold it back.)
        ...['--window', '600', '--canary-requests', '80', '--max-shift-claims', '6000', '--step-timeout', '150000'],
      ],
      output,
      840_000,
    );
  });

  afterAll(() => {
    process.stdout.write(`${output.join('\n')}\n`);
  });

  it('imports v1 as an ONNX graph: registered with ALGORITHM_ONNX, scored on its holdout, made production with no training run', () => {
    const v1 = registered(1).data.version!;
    expect(v1).toMatchObject({
      algorithm: commonV1.Algorithm.ALGORITHM_ONNX,
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      metric: 'accuracy',
      artifact: { contentType: 'application/onnx' },
      holdout: { rowCount: IMPORT_HOLDOUT_CLAIMS, labelColumn: LABEL },
      lineage: { featureView: FEATURE_VIEW, features: FEATURES, label: LABEL },
    });
    expect(v1.runId).toMatch(/^import-/);
    // The holdout's profile is its drift reference.
    expect(v1.lineage!.trainingProfile!.rowCount).toBe(IMPORT_HOLDOUT_CLAIMS);
    expect(v1.metrics.accuracy).toBeGreaterThan(0.9);
    // Flywheel trained nothing for v1: the only run is the retraining.
    expect(all(RunCompletedEvent, (r) => r.trigger !== trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY)).toEqual([]);

    const moved = only(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 1, 'AliasMoved to v1');
    expect(moved.data.cause).toBe(registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_FIRST_VERSION);
    expect(moved.data.alias).toBe('production');
    expect(moved.data.target!.algorithm).toBe(commonV1.Algorithm.ALGORITHM_ONNX);
  });

  it('deploys the imported graph and serves the old world with it (onnxruntime in the deployer)', () => {
    const moved = only(AliasMovedEvent, (a) => a.modelName === MODEL && a.toVersion === 1, 'AliasMoved to v1');
    const deployed = only(
      DeploymentChangedEvent,
      (c) => c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
      'initial deploy',
    );
    expect(deployed.data.toVersion).toBe(1);
    expect(deployed.causationId).toBe(moved.id);
    // Every live claim before the shift was answered by the ONNX v1, about as well as on its holdout.
    const before = result.predictions.filter((p) => p.phase === 'before-shift');
    expect(before.length).toBeGreaterThanOrEqual(500);
    expect(before.every((p) => p.version === 1 && !p.canary)).toBe(true);
    const live = result.accuracy.find((a) => a.phase === 'before-shift' && a.version === 1)!;
    expect(Math.abs(live.accuracy - registered(1).data.version!.metrics.accuracy)).toBeLessThanOrEqual(0.05);
    expect(result.summary.some((l) => l.startsWith('errors'))).toBe(false);
  });

  it('detects drift on the shifted features against the imported holdout’s profile, and retrains v2 because of it', () => {
    const { run } = expectRetrainingOnDrift(result, events);
    const v2 = registered(2).data.version!;
    expect(v2.runId).toBe(run.data.runId);
    expect(v2.algorithm).toBe(commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION);
  });

  it('judges v2 against the imported v1 on v2’s holdout, and acts on the verdict as the policy’s margins say', () => {
    const run = retrainingRun();
    const v1 = registered(1).data.version!;
    const v2 = registered(2).data.version!;
    const { moved, refused, event } = verdict();
    expect(event.causationId).toBe(run.id);

    const comparison = event.data.comparison!;
    expect(comparison.metric).toBe('accuracy');
    expect(comparison.higherIsBetter).toBe(true);
    // Both scored on the challenger's holdout: the run's, of at least the policy's rows.
    expect(comparison.holdout!.data!.key).toBe(run.data.holdout!.data!.key);
    expect(comparison.holdout!.data!.key).toBe(v2.holdout!.data!.key);
    expect(comparison.holdout!.rowCount).toBeGreaterThanOrEqual(PROMOTION_MIN_HOLDOUT_ROWS);
    expect(comparison.challengerValue).toBeCloseTo(v2.metrics.accuracy, 9);
    // The ONNX champion was scored there too (by onnxruntime in the registry).
    expect(comparison.championValue).toEqual(expect.any(Number));
    const champion = comparison.championValue!;
    expect(champion).toBeGreaterThan(0);
    expect(champion).toBeLessThanOrEqual(1);
    expect(comparison.absoluteImprovement).toBeCloseTo(comparison.challengerValue - champion, 9);

    const beats = comparison.challengerValue - champion >= PROMOTION_MIN_IMPROVEMENT;
    if (beats) {
      // Promoted: production moves to v2, which is canaried; the deployer then has the last word.
      expect(moved).toBeDefined();
      expect(moved!.data).toMatchObject({ fromVersion: 1, alias: 'production' });
      expect(moved!.data.cause).toBe(registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY);
      // v2's holdout holds the newest, shifted claims: there the imported champion is far from
      // what it scored on its own, unshifted holdout.
      expect(champion).toBeLessThan(v1.metrics.accuracy - 0.1);
      const canary = only(
        DeploymentChangedEvent,
        (c) => c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
        'canary start',
      );
      expect(canary.causationId).toBe(moved!.id);
      expect(canary.data).toMatchObject({ fromVersion: 1, toVersion: 2 });
      const { DEPLOYMENT_CHANGE_PROMOTED, DEPLOYMENT_CHANGE_ROLLED_BACK } = deployerV1.DeploymentChange;
      const final = only(
        DeploymentChangedEvent,
        (c) => c.change === DEPLOYMENT_CHANGE_PROMOTED || c.change === DEPLOYMENT_CHANGE_ROLLED_BACK,
        'the canary’s outcome',
      );
      expect(final.causationId).toBe(canary.id);
      expect(final.data.canary!.version).toBe(2);
      expect(final.data.canary!.errors).toBe(0);
      if (final.data.change === DEPLOYMENT_CHANGE_PROMOTED) {
        expect(final.data.toVersion).toBe(2);
        expect(result.predictions.filter((p) => p.phase === 'recovered').every((p) => p.version === 2)).toBe(true);
        expect(output.some((l) => /from drift onset to the new version serving all traffic/.test(l))).toBe(true);
      } else {
        // Live, v2 did worse than the canary check allows: the imported v1 serves everything again.
        expect(final.data.toVersion).toBe(1);
        expect(final.data.reason).toMatch(/canary/);
        expect(result.predictions.some((p) => p.phase === 'recovered')).toBe(false);
        expect(output.some((l) => /the deployer kept v1/.test(l))).toBe(true);
      }
    } else {
      // Refused: the imported champion keeps production, nothing is canaried, the scenario ends there.
      expect(refused).toBeDefined();
      expect(refused!.data).toMatchObject({ championVersion: 1, alias: 'production' });
      expect(refused!.data.policy!.minAbsoluteImprovement).toBeCloseTo(PROMOTION_MIN_IMPROVEMENT, 9);
      expect(refused!.data.reasons.join(' ')).toMatch(/accuracy/);
      expect(all(DeploymentChangedEvent, (c) => c.toVersion === 2)).toEqual([]);
      expect(result.predictions.every((p) => p.version === 1)).toBe(true);
      expect(output.some((l) => /the registry kept v1/.test(l))).toBe(true);
    }
  });
});
