import { NoTableChanges } from '@flywheel/persistence';
import { ManualClock, PlatformMetrics } from '@flywheel/platform';
import { deployerV1, type EventEnvelope, registryV1 } from '@flywheel/contracts';
import { type CallerIdentity, InvalidArgumentException, Role } from '@flywheel/platform';
import { modelArtifactKey } from '@flywheel/storage';
import { RolloutService } from '../rollout/rollout.service';
import { LiveStats } from '../serving/live-stats';
import { ServedModels } from '../serving/served-models';
import { ServingMetrics } from '../serving/serving-metrics';
import {
  FakeDeploymentEvents,
  FakeDeploymentRepository,
  FakeModelLoader,
  FakeModelRegistry,
  fakeTransactions,
  fraudArtifact,
  silentLogger,
  testConfig,
} from '../testing/fakes';
import { DeployerExceptionCode } from './deployer.exception';
import { DeployService } from './deploy.service';
import { DeploymentStateName } from './deployment';

const Change = deployerV1.DeploymentChange;
const caller: CallerIdentity = { team: 'fraud-team', tokenId: 'tok-1', roles: [Role.Promote] };
const request = (fields: Partial<deployerV1.DeployRequest>) => deployerV1.DeployRequest.fromPartial({ modelName: 'fraud', ...fields });

describe('Deploy', () => {
  let repository: FakeDeploymentRepository;
  let events: FakeDeploymentEvents;
  let loader: FakeModelLoader;
  let registry: FakeModelRegistry;
  let clock: ManualClock;
  let served: ServedModels;
  let rollout: RolloutService;
  let deployer: DeployService;
  const config = testConfig({ CANARY_TRAFFIC_SHARE: '0.2', CANARY_MIN_REQUESTS: '50' });

  beforeEach(() => {
    repository = new FakeDeploymentRepository();
    events = new FakeDeploymentEvents();
    loader = new FakeModelLoader();
    registry = new FakeModelRegistry();
    for (const version of [1, 2, 3]) {
      registry.addVersion('fraud', version);
      loader.artifacts.set(modelArtifactKey('fraud', version, 'model.json'), fraudArtifact({ seed: version }));
    }
    clock = new ManualClock();
    const stats = new LiveStats({ latencyWindow: 1000, joinWindow: 1000 });
    served = new ServedModels(repository, loader, stats, config, silentLogger(), new NoTableChanges());
    const metrics = new ServingMetrics(new PlatformMetrics({ defaultMetrics: false }), served, stats);
    rollout = new RolloutService(repository, fakeTransactions, events, served, stats, clock, config, silentLogger(), registry, metrics);
    deployer = new DeployService(registry, rollout, served, clock, config);
  });

  const changes = () => events.published.map((p) => p.change);

  async function failure(call: Promise<unknown>): Promise<{ code: string; message: string }> {
    try {
      await call;
    } catch (error) {
      return { code: (error as { code: string }).code, message: (error as Error).message };
    }
    throw new Error('the call succeeded');
  }

  it("creates a deployment following production and serves the alias's version at once", async () => {
    registry.setAlias('fraud', 'production', 1);
    const record = await deployer.deploy(request({ reason: 'first launch' }), caller);
    expect(record).toMatchObject({
      name: 'fraud',
      alias: 'production',
      state: DeploymentStateName.STABLE,
      stableVersion: 1,
      featureView: 'claims_features',
    });
    expect(record.policy.trafficShare).toBe(0.2);
    expect(events.published).toHaveLength(1);
    expect(events.published[0].causationId).toBeNull();
    expect(changes()[0]).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
      toVersion: 1,
      actor: { team: 'fraud-team', tokenId: 'tok-1', service: '' },
      reason:
        'first version v1 serves all traffic (nothing to compare it with); deployment created: follows alias "production" of fraud: first launch',
    });
    expect(await repository.getVersion('fraud', 1)).toMatchObject({ artifactSha256: 'a'.repeat(64) });
    expect(served.get('fraud')?.stable?.record.version).toBe(1);
  });

  it("creates a pending deployment when the followed alias is not set, and the alias's first move serves it", async () => {
    const record = await deployer.deploy(request({ name: 'fraud-staging', alias: 'staging' }), caller);
    expect(record).toMatchObject({ name: 'fraud-staging', state: DeploymentStateName.PENDING, alias: 'staging', stableVersion: 0 });
    expect(changes()[0]).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_CONFIGURED,
      reason: 'deployment created: follows alias "staging" of fraud; alias "staging" is not set yet: nothing serves until it is',
    });
    registry.setAlias('fraud', 'staging', 2);
    await rollout.onAliasMoved(aliasMoved(registry.addVersion('fraud', 2), 'staging'), undefined as never);
    expect(repository.deployments.get('fraud-staging')).toMatchObject({ state: DeploymentStateName.STABLE, stableVersion: 2 });
  });

  it('pins a version as a canary under the policy given; alias moves no longer change the deployment', async () => {
    registry.setAlias('fraud', 'production', 1);
    await deployer.deploy(request({}), caller);
    const pinned = await deployer.deploy(
      request({
        version: 2,
        canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 0.3, minRequests: 10 }),
        canaryPolicyFields: ['traffic_share', 'min_requests'],
      }),
      caller,
    );
    expect(pinned).toMatchObject({
      alias: '',
      state: DeploymentStateName.CANARY,
      stableVersion: 1,
      canaryVersion: 2,
      canaryTrafficShare: 0.3,
    });
    expect(pinned.policy).toEqual({ ...rollout.defaultPolicy(), trafficShare: 0.3, minRequests: 10 });
    expect(pinned.canaryEventId).toBe('event-2');
    expect(changes()[1]).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_CANARY_STARTED,
      fromVersion: 1,
      toVersion: 2,
      canaryTrafficShare: 0.3,
    });
    expect(changes()[1].reason).toBe(
      'v2 takes 30% of traffic as a canary against v1; pinned: no longer follows alias "production"; canary policy: traffic share 0.2 → 0.3, min requests 50 → 10',
    );
    expect(served.get('fraud')?.canary?.record.version).toBe(2);
    registry.setAlias('fraud', 'production', 3);
    await rollout.onAliasMoved(aliasMoved(registry.models.get('fraud')!.versions.get(3)!, 'production'), undefined as never);
    expect(repository.deployments.get('fraud')).toMatchObject({ canaryVersion: 2, stableVersion: 1 });
  });

  it('does nothing for an identical request: no write, no event', async () => {
    registry.setAlias('fraud', 'production', 1);
    const first = await deployer.deploy(request({ version: 2 }), caller);
    const again = await deployer.deploy(request({ version: 2, reason: 'retry' }), caller);
    expect(again.revision).toBe(first.revision);
    expect(events.published).toHaveLength(1);
  });

  it('changes only the policy of a running canary: CONFIGURED, and the canary takes the new share', async () => {
    registry.setAlias('fraud', 'production', 1);
    await deployer.deploy(request({}), caller);
    await deployer.deploy(request({ version: 2 }), caller);
    const record = await deployer.deploy(
      request({
        version: 2,
        canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 0.5, maxErrorRateIncrease: 0.05 }),
        canaryPolicyFields: ['traffic_share', 'max_error_rate_increase'],
      }),
      caller,
    );
    expect(record).toMatchObject({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5 });
    expect(changes()[2]).toMatchObject({
      change: Change.DEPLOYMENT_CHANGE_CONFIGURED,
      fromVersion: 1,
      toVersion: 2,
      reason: 'canary policy: traffic share 0.2 → 0.5, max error rate increase 0.01 → 0.05',
    });
    // The canary judged so far keeps its start and its cause.
    expect(record.canaryEventId).toBe('event-2');
    expect(served.get('fraud')?.deployment.canaryTrafficShare).toBe(0.5);
  });

  it('unpins: following the alias again, whose version is the stable one, drops the pinned canary', async () => {
    registry.setAlias('fraud', 'production', 1);
    await deployer.deploy(request({}), caller);
    await deployer.deploy(request({ version: 2 }), caller);
    const record = await deployer.deploy(request({ alias: 'production' }), caller);
    expect(record).toMatchObject({ alias: 'production', state: DeploymentStateName.STABLE, stableVersion: 1, canaryVersion: 0 });
    expect(changes()[2]).toMatchObject({ change: Change.DEPLOYMENT_CHANGE_ROLLED_BACK, fromVersion: 1, toVersion: 1 });
    expect(changes()[2].reason).toBe('canary v2 dropped by request; unpinned: follows alias "production" of fraud');
  });

  it('unpins onto a newer alias version: it starts as a canary', async () => {
    registry.setAlias('fraud', 'production', 1);
    await deployer.deploy(request({ version: 1 }), caller);
    registry.setAlias('fraud', 'production', 3);
    const record = await deployer.deploy(request({}), caller);
    expect(record).toMatchObject({ alias: 'production', state: DeploymentStateName.CANARY, stableVersion: 1, canaryVersion: 3 });
  });

  it('pins straight to the only version when nothing serves yet', async () => {
    const record = await deployer.deploy(request({ version: 3 }), caller);
    expect(record).toMatchObject({ alias: '', state: DeploymentStateName.STABLE, stableVersion: 3 });
    expect(changes()[0].change).toBe(Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY);
  });

  it('sets every policy field when canary_policy_fields is empty: zeros take the defaults where the proto says so', async () => {
    const record = await deployer.deploy(
      request({ version: 1, canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 0.4 }) }),
      caller,
    );
    expect(record.policy).toEqual({ ...rollout.defaultPolicy(), trafficShare: 0.4, maxErrorRateIncrease: 0, maxAccuracyDrop: 0 });
  });

  it('checks the request before asking the registry', async () => {
    await expect(
      deployer.deploy(request({ canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 2 }) }), caller),
    ).rejects.toBeInstanceOf(InvalidArgumentException);
    expect(registry.lookups).toBe(0);
  });

  it("refuses unknown models and versions, another model's deployment, and versions it cannot serve, writing nothing", async () => {
    expect(await failure(deployer.deploy(request({ modelName: 'churn' }), caller))).toEqual({
      code: DeployerExceptionCode.MODEL_NOT_FOUND,
      message: 'model churn is not in the registry',
    });
    expect(await failure(deployer.deploy(request({ modelName: 'churn', version: 1 }), caller))).toMatchObject({
      code: DeployerExceptionCode.MODEL_NOT_FOUND,
    });
    expect(await failure(deployer.deploy(request({ version: 9 }), caller))).toEqual({
      code: DeployerExceptionCode.VERSION_UNKNOWN,
      message: 'model fraud has no version 9 in the registry',
    });
    registry.models.get('fraud')!.versions.set(
      4,
      registryV1.ModelVersion.fromPartial({
        modelName: 'fraud',
        version: 4,
        artifact: { key: modelArtifactKey('fraud', 4, 'model.json'), sha256: 'nope' },
      }),
    );
    expect(await failure(deployer.deploy(request({ version: 4 }), caller))).toEqual({
      code: DeployerExceptionCode.VERSION_UNSERVABLE,
      message: 'model fraud v4 cannot be served: version.artifact.sha256 must be 64 lower-case hex digits',
    });
    registry.addVersion('fraud', 5);
    expect(await failure(deployer.deploy(request({ version: 5 }), caller))).toMatchObject({
      code: DeployerExceptionCode.MODEL_UNAVAILABLE,
      message: expect.stringContaining('model fraud v5 could not be loaded'),
    });
    registry.addVersion('fraud', 6);
    loader.rejected.set(modelArtifactKey('fraud', 6, 'model.json'), 'model.trees[0]: tree depth 600, over the limit of 512 (maxTreeDepth)');
    expect(await failure(deployer.deploy(request({ version: 6 }), caller))).toEqual({
      code: DeployerExceptionCode.ARTIFACT_REJECTED,
      message:
        'model fraud v6 could not be loaded: artifact rejected: model.trees[0]: tree depth 600, over the limit of 512 (maxTreeDepth)',
    });
    expect(repository.deployments.size).toBe(0);
    expect(events.published).toHaveLength(0);

    registry.addVersion('churn', 1);
    loader.artifacts.set(modelArtifactKey('churn', 1, 'model.json'), fraudArtifact());
    await deployer.deploy(request({ name: 'scoring', version: 1 }), caller);
    expect(await failure(deployer.deploy(request({ name: 'scoring', modelName: 'churn', version: 1 }), caller))).toMatchObject({
      code: DeployerExceptionCode.DEPLOYMENT_MODEL_MISMATCH,
      message: 'deployment "scoring" serves model fraud, not churn; give another deployment name',
    });
  });
});

function aliasMoved(target: registryV1.ModelVersion, alias: string): EventEnvelope<registryV1.AliasMoved> {
  return {
    id: `alias-moved-${alias}-${target.version}`,
    source: 'flywheel/registry',
    type: 'flywheel.registry.v1.AliasMoved',
    time: new Date('2026-01-01T00:00:00Z'),
    key: target.modelName,
    causationId: null,
    traceparent: null,
    data: registryV1.AliasMoved.fromPartial({ modelName: target.modelName, alias, toVersion: target.version, target }),
  };
}
