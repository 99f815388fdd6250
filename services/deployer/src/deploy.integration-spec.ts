import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  type commonV1,
  ConsumedEvents,
  decodeEvent,
  deployerV1,
  type EventEnvelope,
  GrpcServices,
  registryV1,
  Topics,
} from '@flywheel/contracts';
import { type ModelArtifact } from '@flywheel/ml';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { modelArtifactKey } from '@flywheel/storage';
import {
  eventually,
  type FlywheelRun,
  grpcError,
  readRecords,
  runFlywheel,
  type ServiceInfrastructure,
  startServiceInfrastructure,
} from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startDeployerService } from './deployer.app';
import { type DeployerConfig } from './deployer.config';
import { FakeModelRegistry, fraudArtifact } from './testing/fakes';
import { storeFraudVersion } from './testing/stored-versions';

jest.setTimeout(180_000);

type DeployerClient = GrpcClient<deployerV1.DeployerServiceController>;
const Change = deployerV1.DeploymentChange;
const State = deployerV1.DeploymentState;

const claim = (amount: number): commonV1.Row => ({ values: { amount: { numberValue: amount }, region: { stringValue: 'north' } } });

describe('Deploy (Postgres, Kafka broker, S3; registry answers from memory)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<DeployerConfig>;
  let kafka: Kafka;
  const registry = new FakeModelRegistry();
  const clients: DeployerClient[] = [];

  const client = (token: string): DeployerClient => {
    const c = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };
  const deploy = (fields: deployerV1.DeepPartial<deployerV1.DeployRequest>) =>
    client(infra.tokens.promoter).deploy(deployerV1.DeployRequest.fromPartial({ name: 'claims', modelName: 'fraud', ...fields }));

  /** Stores an artifact as the trainer would and registers the version as the registry would. */
  async function storeVersion(version: number, artifact: ModelArtifact): Promise<void> {
    await storeFraudVersion(infra.s3, registry, version, artifact);
  }

  async function deploymentIs(name: string, check: (d: deployerV1.Deployment) => boolean, what: string): Promise<deployerV1.Deployment> {
    let last: deployerV1.Deployment | undefined;
    const ok = await eventually(async () => {
      last = await client(infra.tokens.reader)
        .getDeployment({ name })
        .then(
          (r) => r.deployment ?? undefined,
          () => undefined,
        );
      return last !== undefined && check(last);
    }, 30_000);
    if (!ok) throw new Error(`deployment ${name} never became ${what}; last seen ${JSON.stringify(last)}`);
    return last!;
  }

  /** The real `flywheel` bin against the deployer in this process. */
  function flywheel(args: string[]): Promise<FlywheelRun> {
    return runFlywheel(args, { FLYWHEEL_TOKEN: infra.tokens.promoter, DEPLOYER_GRPC_ADDRESS: service.grpcAddress });
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    const env = await infra.serviceEnv('deployer', {
      CANARY_TRAFFIC_SHARE: '0.5',
      CANARY_MIN_REQUESTS: '20',
      ROLLOUT_EVALUATION_INTERVAL_MS: '100',
      // Loopback latencies jitter; these tests are about what Deploy changes, not speed.
      CANARY_LATENCY_FLOOR_MS: '200',
      PREDICTION_LOG_LINGER_MS: '5',
    });
    service = await startDeployerService(env, { registry });
    kafka = new Kafka({ clientId: 'deploy-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  it("creates a deployment following production that serves the alias's version at once", async () => {
    await storeVersion(1, fraudArtifact({ seed: 1 }));
    registry.setAlias('fraud', 'production', 1);
    const created = (await deploy({ reason: 'launch' })).deployment;
    expect(created).toMatchObject({
      name: 'claims',
      modelName: 'fraud',
      alias: 'production',
      state: State.DEPLOYMENT_STATE_STABLE,
      stableVersion: 1,
      canaryVersion: 0,
      featureView: 'claims_features',
      canaryPolicy: { trafficShare: 0.5, minRequests: 20, maxErrorRateIncrease: 0.01 },
    });
    expect((await client(infra.tokens.reader).getDeployment({ name: 'claims' })).deployment).toEqual(created);
    const prediction = await client(infra.tokens.reader).predict({ deployment: 'claims', requestId: 'first', features: claim(70) });
    expect(prediction).toMatchObject({ deployment: 'claims', modelName: 'fraud', modelVersion: 1 });
  });

  it('refuses a reader, unknown models and versions, and a version whose artifact cannot be loaded', async () => {
    expect((await grpcError(client(infra.tokens.reader).deploy(deployerV1.DeployRequest.fromPartial({ modelName: 'fraud' })))).code).toBe(
      GrpcStatus.PERMISSION_DENIED,
    );
    const unknownModel = await grpcError(deploy({ name: 'churn', modelName: 'churn' }));
    expect([unknownModel.code, unknownModel.details]).toEqual([GrpcStatus.NOT_FOUND, 'model churn is not in the registry']);
    const unknownVersion = await grpcError(deploy({ version: 7 }));
    expect([unknownVersion.code, unknownVersion.details]).toEqual([GrpcStatus.NOT_FOUND, 'model fraud has no version 7 in the registry']);
    registry.register(
      registryV1.ModelVersion.fromPartial({
        modelName: 'churn',
        version: 1,
        artifact: { key: modelArtifactKey('churn', 1, 'model.json'), sha256: 'b'.repeat(64) },
      }),
    );
    expect((await grpcError(deploy({ modelName: 'churn', version: 1 }))).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('pins a version: it starts as a canary under the policy given, is judged and promoted', async () => {
    await storeVersion(2, fraudArtifact({ seed: 2 }));
    const pinned = (
      await deploy({
        version: 2,
        canaryPolicy: { trafficShare: 0.5, minRequests: 20 },
        canaryPolicyFields: ['traffic_share', 'min_requests'],
        reason: 'try v2',
      })
    ).deployment;
    expect(pinned).toMatchObject({
      alias: '',
      state: State.DEPLOYMENT_STATE_CANARY,
      stableVersion: 1,
      canaryVersion: 2,
      canaryTrafficShare: 0.5,
    });
    const status = await client(infra.tokens.reader).getRolloutStatus({ deployment: 'claims' });
    expect(status.summary).toMatch(/^waiting for traffic: canary v2 0\/20 requests/);

    const reader = client(infra.tokens.reader);
    const versions = new Set<number>();
    for (let i = 0; i < 100; i++)
      versions.add((await reader.predict({ deployment: 'claims', requestId: `pinned-${i}`, features: claim(i) })).modelVersion);
    expect([...versions].sort()).toEqual([1, 2]);
    await deploymentIs('claims', (d) => d.stableVersion === 2 && d.canaryVersion === 0, 'stable on v2');
  });

  it('changes only the canary policy fields named; an identical request changes nothing', async () => {
    const changed = (
      await deploy({ version: 2, canaryPolicy: { minRequests: 40 }, canaryPolicyFields: ['min_requests'], reason: 'more evidence' })
    ).deployment!;
    expect(changed).toMatchObject({
      alias: '',
      stableVersion: 2,
      canaryPolicy: { trafficShare: 0.5, minRequests: 40, maxErrorRateIncrease: 0.01 },
    });
    const again = (
      await deploy({ version: 2, canaryPolicy: { minRequests: 40 }, canaryPolicyFields: ['min_requests'], reason: 'more evidence' })
    ).deployment!;
    expect(again).toEqual(changed);
  });

  it('unpins: following production again, its version starts as a canary against the pinned one', async () => {
    const unpinned = (await deploy({ alias: 'production' })).deployment;
    expect(unpinned).toMatchObject({ alias: 'production', state: State.DEPLOYMENT_STATE_CANARY, stableVersion: 2, canaryVersion: 1 });
  });

  it('published each change as one DeploymentChanged, in order, keyed by the deployment', async () => {
    const records = await readRecords(kafka, Topics.deployerEvents, 5, 30_000);
    const events = records.map((r) => decodeEvent(r, ConsumedEvents.all()) as EventEnvelope<deployerV1.DeploymentChanged>);
    expect(events.map((e) => [e.data.change, e.data.toVersion])).toEqual([
      [Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY, 1],
      [Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 2],
      [Change.DEPLOYMENT_CHANGE_PROMOTED, 2],
      [Change.DEPLOYMENT_CHANGE_CONFIGURED, 2],
      [Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 1],
    ]);
    const [initial, pinned, promoted, configured, unpinned] = events;
    for (const e of events) expect(e.key).toBe('claims');
    for (const e of [initial, pinned, configured, unpinned]) {
      expect(e.causationId).toBeNull();
      expect(e.data.actor).toMatchObject({ team: 'release' });
    }
    expect(promoted.causationId).toBe(pinned.id);
    expect(promoted.data.actor).toMatchObject({ service: 'deployer' });
    expect(initial.data.reason).toBe(
      'first version v1 serves all traffic (nothing to compare it with); deployment created: follows alias "production" of fraud: launch',
    );
    expect(pinned.data.reason).toBe('v2 takes 50% of traffic as a canary against v1; pinned: no longer follows alias "production": try v2');
    expect(configured.data).toMatchObject({
      reason: 'canary policy: min requests 20 → 40: more evidence',
      deploymentAfter: { stableVersion: 2, canaryPolicy: { minRequests: 40 } },
    });
    expect(unpinned.data.reason).toBe('v1 takes 50% of traffic as a canary against v2; unpinned: follows alias "production" of fraud');
  });

  it('drives Deploy, pin and unpin from the flywheel command', async () => {
    const created = await flywheel([
      'deployments',
      'deploy',
      'claims-cli',
      '--model',
      'fraud',
      '--version',
      '1',
      '--canary-share',
      '0.2',
      '--canary-max-duration',
      '30m',
      '--json',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'claims-cli',
      modelName: 'fraud',
      alias: '',
      stableVersion: 1,
      canaryPolicy: { trafficShare: 0.2, minRequests: 20, maxDuration: { seconds: 1800 } },
    });

    const pinned = await flywheel(['deployments', 'pin', 'claims-cli', '2', '--reason', 'try v2']);
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(/state\s+canary/);
    expect(pinned.stdout).toMatch(/canary\s+v2/);
    expect(pinned.stdout).toMatch(/canary share\s+20%/);

    const unpinned = await flywheel(['deployments', 'unpin', 'claims-cli', '--json']);
    expect(unpinned.code).toBe(0);
    // production points at v1, the stable version: the pinned canary is dropped.
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ alias: 'production', stableVersion: 1, canaryVersion: 0 });

    const missing = await flywheel(['deployments', 'deploy', 'claims-cli', '--model', 'fraud', '--version', '9']);
    expect(missing).toMatchObject({
      code: 2,
      stderr: 'flywheel: deployments deploy: not found: model fraud has no version 9 in the registry\n',
    });
  });
});
