import { NonRetriableError } from '@flywheel/messaging';
import { ManualTableChanges, NoTableChanges } from '@flywheel/persistence';
import { ManualClock, PlatformMetrics } from '@flywheel/platform';
import { waitFor } from '@flywheel/testing';
import { commonV1, deployerV1, type EventEnvelope, registryV1 } from '@flywheel/contracts';
import { modelArtifactKey } from '@flywheel/storage';
import { DeploymentStateName } from '../deployments/deployment';
import { LiveStats } from '../serving/live-stats';
import { ServedModels } from '../serving/served-models';
import { ServingMetrics } from '../serving/serving-metrics';
import {
  DEFAULT_CANARY_POLICY,
  FakeDeploymentEvents,
  FakeDeploymentRepository,
  FakeModelLoader,
  FakeModelRegistry,
  fakeTransactions,
  fraudArtifact,
  silentLogger,
  testConfig,
} from '../testing/fakes';
import { RolloutScheduler } from './rollout-scheduler';
import { newDeployment } from './rollout-transitions';
import { RolloutService } from './rollout.service';

const Change = deployerV1.DeploymentChange;
const manager = undefined as never;
const SHA = 'a'.repeat(64);

let registry: FakeModelRegistry;

/** An AliasMoved as the registry announces it: the registry has the version, and the alias points at it. */
function aliasMoved(
  version: number,
  options: { alias?: string; id?: string; featureView?: string } = {},
): EventEnvelope<registryV1.AliasMoved> {
  const event = movedEvent(version, options);
  registry.register(event.data.target!);
  registry.setAlias('fraud', event.data.alias, version);
  return event;
}

function movedEvent(
  version: number,
  options: { alias?: string; id?: string; featureView?: string; sha256?: string } = {},
): EventEnvelope<registryV1.AliasMoved> {
  return {
    id: options.id ?? `alias-moved-${version}`,
    source: 'flywheel/registry',
    type: 'flywheel.registry.v1.AliasMoved',
    time: new Date('2026-01-01T00:00:00Z'),
    key: 'fraud',
    causationId: null,
    traceparent: null,
    data: registryV1.AliasMoved.fromPartial({
      modelName: 'fraud',
      alias: options.alias ?? 'production',
      fromVersion: version - 1,
      toVersion: version,
      target: {
        modelName: 'fraud',
        version,
        artifact: {
          key: modelArtifactKey('fraud', version, 'model.json'),
          sha256: options.sha256 ?? SHA,
          sizeBytes: 100,
          contentType: 'application/json',
        },
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        lineage: { featureView: options.featureView ?? 'claims_features' },
      },
    }),
  };
}

describe('rollout state machine', () => {
  let repository: FakeDeploymentRepository;
  let events: FakeDeploymentEvents;
  let loader: FakeModelLoader;
  let clock: ManualClock;
  let stats: LiveStats;
  let served: ServedModels;
  let platformMetrics: PlatformMetrics;
  let rollout: RolloutService;
  const config = testConfig({ CANARY_MIN_REQUESTS: '50', CANARY_MIN_LABELLED: '20', CANARY_TRAFFIC_SHARE: '0.2' });

  beforeEach(() => {
    registry = new FakeModelRegistry();
    repository = new FakeDeploymentRepository();
    events = new FakeDeploymentEvents();
    loader = new FakeModelLoader();
    for (const version of [1, 2, 3])
      loader.artifacts.set(modelArtifactKey('fraud', version, 'model.json'), fraudArtifact({ seed: version }));
    clock = new ManualClock();
    stats = new LiveStats({ latencyWindow: 1000, joinWindow: 1000 });
    served = new ServedModels(repository, loader, stats, config, silentLogger(), new NoTableChanges());
    platformMetrics = new PlatformMetrics({ defaultMetrics: false });
    rollout = new RolloutService(
      repository,
      fakeTransactions,
      events,
      served,
      stats,
      clock,
      config,
      silentLogger(),
      registry,
      new ServingMetrics(platformMetrics, served, stats),
    );
  });

  /** Serves `n` requests on `version` with the given latency, failing `errors` of them. */
  function traffic(version: number, n: number, options: { latencyMs?: number; errors?: number; correct?: number; labelled?: number } = {}) {
    for (let i = 0; i < n; i++) {
      const requestId = `v${version}-${i}`;
      if (i < (options.errors ?? 0)) {
        stats.recordError('fraud', version);
        continue;
      }
      stats.recordSuccess('fraud', { requestId, version, regression: false, output: 1 }, options.latencyMs ?? 2);
      if (i < (options.labelled ?? 0)) stats.recordLabel(requestId, i < (options.correct ?? 0) ? 1 : 0);
    }
  }

  async function startCanary() {
    await rollout.onAliasMoved(aliasMoved(1), manager);
    await rollout.onAliasMoved(aliasMoved(2), manager);
    return repository.deployments.get('fraud')!;
  }

  it('deploys the first version at 100% and records the deployment', async () => {
    await rollout.onAliasMoved(aliasMoved(1), manager);
    const deployment = repository.deployments.get('fraud')!;
    expect(deployment).toMatchObject({
      state: DeploymentStateName.STABLE,
      stableVersion: 1,
      canaryVersion: 0,
      alias: 'production',
      featureView: 'claims_features',
    });
    expect(events.published).toHaveLength(1);
    expect(events.published[0].change).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
      fromVersion: 0,
      toVersion: 1,
      reason: 'first version v1 serves all traffic (nothing to compare it with)',
      actor: { service: 'deployer' },
    });
    // Published inside the consumer: the AliasMoved being handled is the cause.
    expect(events.published[0].causationId).toBeUndefined();
    expect(served.get('fraud')?.stable?.record.version).toBe(1);
  });

  it('starts a later version as a canary on the configured share, and ignores a redelivery', async () => {
    const deployment = await startCanary();
    expect(deployment).toMatchObject({ state: DeploymentStateName.CANARY, stableVersion: 1, canaryVersion: 2, canaryTrafficShare: 0.2 });
    expect(deployment.canaryEventId).toBe('event-2');
    expect(events.published[1].change).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_CANARY_STARTED,
      fromVersion: 1,
      toVersion: 2,
      canaryTrafficShare: 0.2,
      reason: 'v2 takes 20% of traffic as a canary against v1',
    });
    await rollout.onAliasMoved(aliasMoved(2, { id: 'redelivered' }), manager);
    expect(events.published).toHaveLength(2);
    expect(repository.deployments.get('fraud')!.revision).toBe(deployment.revision);
  });

  it('dead-letters a move to a version whose artifact is rejected at once, with the reason, and keeps serving', async () => {
    await rollout.onAliasMoved(aliasMoved(1), manager);
    loader.rejected.set(
      modelArtifactKey('fraud', 2, 'model.json'),
      'models/fraud/2/model.json is 900 bytes, over MODEL_ARTIFACT_MAX_BYTES (800)',
    );
    const move = rollout.onAliasMoved(aliasMoved(2), manager);
    await expect(move).rejects.toBeInstanceOf(NonRetriableError);
    await expect(move).rejects.toThrow(
      'model fraud v2 cannot be deployed: artifact rejected: models/fraud/2/model.json is 900 bytes, over MODEL_ARTIFACT_MAX_BYTES (800)',
    );
    expect(repository.deployments.get('fraud')).toMatchObject({ stableVersion: 1, canaryVersion: 0 });
    expect(events.published).toHaveLength(1);
    expect(served.get('fraud')?.stable?.record.version).toBe(1);
  });

  it('creates no deployment for a model whose promotion policy does not deploy automatically, and still moves one made on purpose', async () => {
    registry.notDeployedAutomatically.add('fraud');
    await rollout.onAliasMoved(aliasMoved(1), manager);
    expect([repository.deployments.size, loader.loads, events.published.length]).toEqual([0, 0, 0]);

    await repository.insert(newDeployment('fraud-api', 'fraud', 'production', DEFAULT_CANARY_POLICY, clock.now()));
    await rollout.onAliasMoved(aliasMoved(2), manager);
    expect(repository.deployments.get('fraud-api')).toMatchObject({ stableVersion: 2, state: DeploymentStateName.STABLE });
    expect(repository.deployments.has('fraud')).toBe(false);
  });

  it('ignores moves of other aliases and does not load a version twice', async () => {
    await rollout.onAliasMoved(aliasMoved(1, { alias: 'staging' }), manager);
    expect(repository.deployments.size).toBe(0);
    await startCanary();
    expect(loader.loads).toBe(2);
  });

  describe('serves only what the registry confirms', () => {
    it('refuses a move of a model the registry does not have, creating nothing', async () => {
      const forged = movedEvent(1, { id: 'forged' });
      await expect(rollout.onAliasMoved(forged, manager)).rejects.toThrow(
        'AliasMoved forged from flywheel/registry (fraud production → v1) refused: the registry has no model "fraud"',
      );
      await expect(rollout.onAliasMoved(forged, manager)).rejects.toBeInstanceOf(NonRetriableError);
      expect(repository.deployments.size).toBe(0);
      expect(loader.loads).toBe(0);
      expect(served.get('fraud')).toBeUndefined();
    });

    it('refuses a version the registry does not have, and an artifact that is not the registered one', async () => {
      await rollout.onAliasMoved(aliasMoved(1), manager);
      await expect(rollout.onAliasMoved(movedEvent(7, { id: 'unknown-version' }), manager)).rejects.toThrow(
        'refused: the registry has no version 7 of fraud',
      );
      registry.register(movedEvent(2).data.target!);
      registry.setAlias('fraud', 'production', 2);
      const swapped = movedEvent(2, { id: 'swapped', sha256: 'b'.repeat(64) });
      await expect(rollout.onAliasMoved(swapped, manager)).rejects.toThrow(
        `its artifact (${modelArtifactKey('fraud', 2, 'model.json')}, sha256 ${'b'.repeat(64)}) is not the registry's`,
      );
      expect(repository.deployments.get('fraud')).toMatchObject({ stableVersion: 1, canaryVersion: 0 });
      expect(events.published).toHaveLength(1);
    });

    it("serves the registry's record of the version, not the event's copy of it", async () => {
      const event = aliasMoved(1, { featureView: 'claims_features' });
      registry.register(registryV1.ModelVersion.fromPartial({ ...event.data.target!, lineage: { featureView: 'registered_view' } }));
      await rollout.onAliasMoved(event, manager);
      expect(repository.deployments.get('fraud')!.featureView).toBe('registered_view');
    });

    it('skips a genuine move the alias has since moved on from, without a change', async () => {
      await rollout.onAliasMoved(aliasMoved(1), manager);
      const stale = aliasMoved(2);
      aliasMoved(3);
      await rollout.onAliasMoved(stale, manager);
      expect(repository.deployments.get('fraud')).toMatchObject({ stableVersion: 1, canaryVersion: 0 });
      expect(events.published).toHaveLength(1);
    });
  });

  it('keeps waiting while either version has too few requests', async () => {
    await startCanary();
    traffic(1, 400);
    traffic(2, 49);
    const verdict = await rollout.evaluate('fraud');
    expect(verdict).toMatchObject({ decision: 'wait', summary: 'waiting for traffic: canary v2 49/50 requests, stable v1 400/50' });
    expect(repository.deployments.get('fraud')!.state).toBe(DeploymentStateName.CANARY);
    expect(events.published).toHaveLength(2);
  });

  it("promotes a healthy canary, caused by its CANARY_STARTED event, with both versions' figures", async () => {
    await startCanary();
    traffic(1, 400, { latencyMs: 2, labelled: 100, correct: 90 });
    traffic(2, 60, { latencyMs: 2.5, labelled: 30, correct: 27 });
    const verdict = await rollout.evaluate('fraud');
    expect(verdict?.decision).toBe('promote');
    expect(repository.deployments.get('fraud')).toMatchObject({
      state: DeploymentStateName.STABLE,
      stableVersion: 2,
      previousStableVersion: 1,
      canaryVersion: 0,
    });
    const promoted = events.published[2];
    expect(promoted.causationId).toBe('event-2');
    expect(promoted.change).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_PROMOTED,
      fromVersion: 1,
      toVersion: 2,
      reason: 'canary v2 passed every check after 60 requests',
      stable: { version: 1, requests: 400, errors: 0, labelled: 100, accuracy: 0.9 },
      canary: { version: 2, requests: 60, errors: 0, labelled: 30, accuracy: 0.9, latencyP95Ms: 2.5 },
      deploymentAfter: { state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE, stableVersion: 2 },
    });
    expect(served.get('fraud')?.stable?.record.version).toBe(2);
    expect(served.get('fraud')?.canary).toBeUndefined();
  });

  it('rolls back a canary that errors more, saying so with the figures', async () => {
    await startCanary();
    traffic(1, 400, { errors: 4 });
    traffic(2, 60, { errors: 6 });
    await rollout.evaluate('fraud');
    expect(repository.deployments.get('fraud')).toMatchObject({ state: DeploymentStateName.STABLE, stableVersion: 1, canaryVersion: 0 });
    expect(events.published[2].change).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
      fromVersion: 1,
      toVersion: 1,
      reason: 'canary v2 rolled back: canary error rate 0.100 > stable 0.010 + 0.010',
      canary: { version: 2, requests: 60, errors: 6, errorRate: 0.1 },
    });
    expect(events.published[2].causationId).toBe('event-2');
    expect(served.get('fraud')?.canary).toBeUndefined();
  });

  it('counts the judge’s conclusions by deployment, model and decision', async () => {
    await startCanary();
    traffic(1, 400, { errors: 4 });
    traffic(2, 60, { errors: 6 });
    await rollout.evaluate('fraud');
    expect(await platformMetrics.registry.getSingleMetricAsString('flywheel_canary_conclusions_total')).toContain(
      'flywheel_canary_conclusions_total{deployment="fraud",model="fraud",decision="rollback"} 1',
    );
  });

  it('rolls back a slower canary', async () => {
    await startCanary();
    traffic(1, 400, { latencyMs: 4 });
    traffic(2, 60, { latencyMs: 9 });
    await rollout.evaluate('fraud');
    expect(events.published[2].change.reason).toBe('canary v2 rolled back: canary p95 latency 9.00 ms > 1.5 × 4.00 ms');
  });

  it('rolls back a less accurate canary once labels arrived', async () => {
    await startCanary();
    traffic(1, 400, { labelled: 100, correct: 90 });
    traffic(2, 60, { labelled: 40, correct: 28 });
    await rollout.evaluate('fraud');
    expect(events.published[2].change).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
      reason: 'canary v2 rolled back: canary accuracy 0.700 < stable 0.900 - 0.020 (canary 40/20, stable 100/20 labelled)',
    });
  });

  it('rolls back a canary that gets too little traffic before the maximum duration', async () => {
    await startCanary();
    traffic(1, 400);
    traffic(2, 10);
    clock.advance(config.CANARY_MAX_DURATION_MS - 1);
    expect((await rollout.evaluate('fraud'))?.decision).toBe('wait');
    clock.advance(1);
    expect((await rollout.evaluate('fraud'))?.decision).toBe('rollback');
    expect(events.published[2].change.reason).toBe(
      'canary v2 rolled back: not enough traffic to judge within 1h: canary v2 10/50 requests, stable v1 400/50',
    );
  });

  it('replaces a canary still running by a newer version, counting afresh', async () => {
    await startCanary();
    traffic(2, 30);
    await rollout.onAliasMoved(aliasMoved(3), manager);
    expect(repository.deployments.get('fraud')).toMatchObject({ state: DeploymentStateName.CANARY, stableVersion: 1, canaryVersion: 3 });
    expect(events.published[2].change.reason).toBe(
      'v3 takes 20% of traffic as a canary against v1; it replaces canary v2, which was never judged',
    );
    expect(stats.figures('fraud', 2).requests).toBe(0);
  });

  it('rolls back by request: the canary, then to the previous stable version, refusing what is not there', async () => {
    await startCanary();
    const caller = { team: 'release', tokenId: 'token-1', roles: [] };
    await rollout.rollback({ deployment: 'fraud', toVersion: 0, reason: 'bad dashboard' }, caller);
    expect(repository.deployments.get('fraud')).toMatchObject({ state: DeploymentStateName.STABLE, stableVersion: 1, canaryVersion: 0 });
    expect(events.published[2]).toMatchObject({
      causationId: null,
      change: {
        change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
        toVersion: 1,
        reason: 'canary v2 dropped by request: bad dashboard',
        actor: { team: 'release', tokenId: 'token-1' },
      },
    });
    await expect(rollout.rollback({ deployment: 'fraud', toVersion: 0, reason: '' }, caller)).rejects.toThrow(
      'deployment "fraud" has no canary and no previous stable version to return to',
    );
    await rollout.rollback({ deployment: 'fraud', toVersion: 2, reason: '' }, caller);
    await rollout.rollback({ deployment: 'fraud', toVersion: 0, reason: '' }, caller);
    expect(repository.deployments.get('fraud')).toMatchObject({ stableVersion: 1, previousStableVersion: 2 });
    expect(events.published[4].change.reason).toBe('rolled back from v2 to v1 by request');
    await expect(rollout.rollback({ deployment: 'fraud', toVersion: 9, reason: '' }, caller)).rejects.toThrow(
      'model fraud v9 was never deployed here',
    );
    await expect(rollout.rollback({ deployment: 'nope', toVersion: 0, reason: '' }, caller)).rejects.toThrow('deployment "nope" not found');
  });

  it('keeps each change with its event id in the transaction that writes it, only the newest DEPLOYMENT_CHANGES_KEPT per deployment', async () => {
    const kept = new RolloutService(
      repository,
      fakeTransactions,
      events,
      served,
      stats,
      clock,
      testConfig({ CANARY_TRAFFIC_SHARE: '0.2', DEPLOYMENT_CHANGES_KEPT: '3' }),
      silentLogger(),
      registry,
      new ServingMetrics(platformMetrics, served, stats),
    );
    const caller = { team: 'release', tokenId: 'token-1', roles: [] };
    await kept.onAliasMoved(aliasMoved(1), manager);
    clock.advance(1000);
    await kept.onAliasMoved(aliasMoved(2), manager);
    expect(repository.changes.map((c) => [c.id, c.change])).toEqual([
      ['event-2', events.published[1].change],
      ['event-1', events.published[0].change],
    ]);
    clock.advance(1000);
    await kept.rollback({ deployment: 'fraud', toVersion: 0, reason: 'bad dashboard' }, caller);
    clock.advance(1000);
    await kept.rollback({ deployment: 'fraud', toVersion: 2, reason: 'checked' }, caller);
    // Four changes, three kept: the initial deploy went.
    expect(repository.changes.map((c) => [c.id, c.change.change, c.change.reason])).toEqual([
      ['event-4', Change.DEPLOYMENT_CHANGE_ROLLED_BACK, 'rolled back from v1 to v2 by request: checked'],
      ['event-3', Change.DEPLOYMENT_CHANGE_ROLLED_BACK, 'canary v2 dropped by request: bad dashboard'],
      ['event-2', Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 'v2 takes 20% of traffic as a canary against v1'],
    ]);
    expect(repository.changes[0].change.changeTime).toEqual(new Date('2026-01-01T00:00:03Z'));
  });

  it('skips the canary when the share is 1', async () => {
    const direct = new RolloutService(
      repository,
      fakeTransactions,
      events,
      served,
      stats,
      clock,
      testConfig({ CANARY_TRAFFIC_SHARE: '1' }),
      silentLogger(),
      registry,
      new ServingMetrics(new PlatformMetrics({ defaultMetrics: false }), served, stats),
    );
    await direct.onAliasMoved(aliasMoved(1), manager);
    await direct.onAliasMoved(aliasMoved(2), manager);
    expect(repository.deployments.get('fraud')).toMatchObject({
      state: DeploymentStateName.STABLE,
      stableVersion: 2,
      previousStableVersion: 1,
    });
    expect(events.published[1].change.change).toBe(Change.DEPLOYMENT_CHANGE_PROMOTED);
  });

  it('serves the recorded deployments again after a restart, and skips one whose artifact is gone', async () => {
    await startCanary();
    const reloaded = new FakeModelLoader();
    for (const [key, artifact] of loader.artifacts) reloaded.artifacts.set(key, artifact);
    const afterRestart = new ServedModels(
      repository,
      reloaded,
      new LiveStats({ latencyWindow: 10, joinWindow: 10 }),
      config,
      silentLogger(),
      new NoTableChanges(),
    );
    await afterRestart.sync();
    expect(afterRestart.get('fraud')).toMatchObject({ stable: { record: { version: 1 } }, canary: { record: { version: 2 } } });
    expect(reloaded.loads).toBe(2);
    const withoutArtifacts = new ServedModels(repository, new FakeModelLoader(), stats, config, silentLogger(), new NoTableChanges());
    await withoutArtifacts.sync();
    expect(withoutArtifacts.get('fraud')).toBeUndefined();
  });

  it('runs the judging clock only while a canary is served', async () => {
    let rounds = 0;
    const counting = { evaluateAll: async () => void rounds++ } as unknown as RolloutService;
    const scheduler = new RolloutScheduler(counting, served, testConfig({ ROLLOUT_EVALUATION_INTERVAL_MS: '20' }));
    scheduler.onApplicationBootstrap();
    try {
      await rollout.onAliasMoved(aliasMoved(1), manager);
      await new Promise((r) => setTimeout(r, 100));
      expect(scheduler.judging).toBe(false);
      expect(rounds).toBe(0);

      await rollout.onAliasMoved(aliasMoved(2), manager);
      expect(scheduler.judging).toBe(true);
      await waitFor(() => rounds >= 2, 2_000, 'the canary judged');

      await rollout.rollback({ deployment: 'fraud', toVersion: 0, reason: 'done' }, { team: 'release', tokenId: 't', roles: [] });
      expect(scheduler.judging).toBe(false);
      const judged = rounds;
      await new Promise((r) => setTimeout(r, 100));
      expect(rounds).toBe(judged);
    } finally {
      await scheduler.onModuleDestroy();
    }
  });

  it("serves another replica's change as soon as the deployments table announces it", async () => {
    const changes = new ManualTableChanges();
    const replica = new ServedModels(
      repository,
      loader,
      new LiveStats({ latencyWindow: 10, joinWindow: 10 }),
      config,
      silentLogger(),
      changes,
    );
    await replica.onApplicationBootstrap(); // reconciles every 30 s by default
    try {
      expect(changes.listening('deployments')).toBe(1);
      await startCanary();
      expect(replica.get('fraud')).toBeUndefined();
      changes.announce('deployments');
      await waitFor(() => replica.get('fraud')?.canary?.record.version === 2, 2_000, 'the replica serving the canary');
      expect(replica.get('fraud')).toMatchObject({ stable: { record: { version: 1 } } });
    } finally {
      await replica.onModuleDestroy();
    }
    expect(changes.listening('deployments')).toBe(0);
  });
});
