import { type ManualClock, DomainException, GrpcStatus, type PlatformMetrics } from '@flywheel/platform';
import { commonV1 } from '@flywheel/contracts';
import { loadModel } from '@flywheel/ml';
import { type DeploymentRecord, DeploymentStateName, type ModelVersionRecord } from '../deployments/deployment';
import { deploymentRecord, versionRecord } from '../testing/records';
import { servingKit } from '../testing/serving-kit';
import { routesToCanary } from '../rollout/traffic-split';
import {
  type FakeDeploymentRepository,
  FakeModelLoader,
  type FakeOnlineFeatures,
  type FakePredictionLog,
  fraudArtifact,
} from '../testing/fakes';
import { type LiveStats } from './live-stats';
import { type PredictionService } from './prediction.service';
import { type ServedModels } from './served-models';

const stableArtifact = fraudArtifact({ seed: 1 });
// Needs a feature the callers below never send: it fails every request it gets.
const brokenCanaryArtifact = fraudArtifact({ seed: 2, extraFeature: 'device_score' });

const version = (v: number): ModelVersionRecord => versionRecord('fraud', v, { featureView: 'claims_features' });
const deployment = (overrides: Partial<DeploymentRecord> = {}): DeploymentRecord =>
  deploymentRecord('fraud', { featureView: 'claims_features', ...overrides });

const features = (values: Record<string, commonV1.Value>): commonV1.Row => ({ values });
const claim = features({ amount: { numberValue: 82 }, region: { stringValue: 'north' } });

async function expectStatus(call: Promise<unknown>, status: GrpcStatus, message: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainException);
  expect((error as DomainException).grpcStatus()).toBe(status);
  expect((error as DomainException).message).toBe(message);
}

describe('PredictionService', () => {
  let repository: FakeDeploymentRepository;
  let stats: LiveStats;
  let log: FakePredictionLog;
  let online: FakeOnlineFeatures;
  let clock: ManualClock;
  let served: ServedModels;
  let predictions: PredictionService;
  let platformMetrics: PlatformMetrics;

  beforeEach(async () => {
    const loader = new FakeModelLoader();
    loader.artifacts.set(version(1).artifactKey, stableArtifact);
    loader.artifacts.set(version(2).artifactKey, brokenCanaryArtifact);
    ({ repository, stats, log, online, clock, served, predictions, metrics: platformMetrics } = servingKit({ loader, clockStepMs: 3 }));
    await repository.saveVersion(version(1));
    await repository.saveVersion(version(2));
    await served.install(deployment());
  });

  it("answers with the model's prediction and logs it with everything the monitor needs", async () => {
    const response = await predictions.predict({ deployment: 'fraud', requestId: 'claim-1', features: claim });
    const expected = loadModel(JSON.stringify(stableArtifact)).predictRow({ amount: 82, region: 'north' });
    expect(response).toEqual({
      requestId: 'claim-1',
      deployment: 'fraud',
      modelName: 'fraud',
      modelVersion: 1,
      canary: false,
      output: { numberValue: expected.prediction },
      probability: expected.probabilities![1],
      latencyMs: 3,
    });
    expect(log.records).toHaveLength(1);
    expect(log.records[0].prediction).toEqual({
      requestId: 'claim-1',
      deployment: 'fraud',
      modelName: 'fraud',
      modelVersion: 1,
      canary: false,
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      inputs: claim,
      entityKey: '',
      output: { numberValue: expected.prediction },
      probability: expected.probabilities![1],
      latencyMs: 3,
      predictTime: clock.now(),
    });
    expect(stats.figures('fraud', 1)).toMatchObject({ requests: 1, errors: 0, latencyP95Ms: 3 });
  });

  it('assigns a request id when the caller gives none', async () => {
    const response = await predictions.predict({ deployment: 'fraud', requestId: '', features: claim });
    expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.records[0].prediction.requestId).toBe(response.requestId);
  });

  it('rejects inputs that violate the signature, naming the field, and counts them against no version', async () => {
    await expectStatus(
      predictions.predict({ deployment: 'fraud', requestId: 'a', features: features({ region: { stringValue: 'north' } }) }),
      GrpcStatus.INVALID_ARGUMENT,
      'features.amount: is required by the model (numeric)',
    );
    await expectStatus(
      predictions.predict({
        deployment: 'fraud',
        requestId: 'b',
        features: features({ amount: { stringValue: 'lots' }, region: { stringValue: 'north' } }),
      }),
      GrpcStatus.INVALID_ARGUMENT,
      'features.amount: must be a number, got the string "lots"',
    );
    await expectStatus(
      predictions.predict({
        deployment: 'fraud',
        requestId: 'c',
        features: features({ amount: { numberValue: 3 }, region: { numberValue: 2 } }),
      }),
      GrpcStatus.INVALID_ARGUMENT,
      'features.region: must be a string (a category), got the number 2',
    );
    await expectStatus(
      predictions.predict({ deployment: 'fraud', requestId: 'd' }),
      GrpcStatus.INVALID_ARGUMENT,
      'input: give either features or entity_key',
    );
    await expectStatus(
      predictions.predict({ deployment: 'Fraud!', requestId: 'e', features: claim }),
      GrpcStatus.INVALID_ARGUMENT,
      'deployment: must match ^[a-z][a-z0-9_-]{0,62}$',
    );
    await expectStatus(
      predictions.predict({ deployment: 'fraud', requestId: 'has space', features: claim }),
      GrpcStatus.INVALID_ARGUMENT,
      'request_id: must be 1 to 128 printable ASCII characters without spaces',
    );
    await expectStatus(
      predictions.predict({ deployment: '', requestId: 'f', entityKey: 'k'.repeat(1025) }),
      GrpcStatus.INVALID_ARGUMENT,
      'deployment: must match ^[a-z][a-z0-9_-]{0,62}$; entity_key: must be at most 1024 characters',
    );
    expect(stats.figures('fraud', 1)).toMatchObject({ requests: 0, errors: 0 });
    expect(log.records).toHaveLength(0);
  });

  it('accepts an explicit null, which the model imputes', async () => {
    const response = await predictions.predict({
      deployment: 'fraud',
      requestId: 'n',
      features: features({ amount: {}, region: { stringValue: 'south' } }),
    });
    const expected = loadModel(JSON.stringify(stableArtifact)).predictRow({ amount: null, region: 'south' });
    expect(response.output).toEqual({ numberValue: expected.prediction });
  });

  it('reads the online store for an entity key, with the features the model takes', async () => {
    online.entities.set('claims_features/customer-7', { status: 'present', values: claim.values, expireTime: null });
    const response = await predictions.predict({ deployment: 'fraud', requestId: 'e1', entityKey: 'customer-7' });
    expect(online.calls).toEqual([{ featureView: 'claims_features', entityKey: 'customer-7', features: ['amount', 'region'] }]);
    expect(response.modelVersion).toBe(1);
    expect(log.records[0].prediction).toMatchObject({ entityKey: 'customer-7', inputs: claim });
    await expectStatus(
      predictions.predict({ deployment: 'fraud', requestId: 'e2', entityKey: 'nobody' }),
      GrpcStatus.NOT_FOUND,
      'entity_key: no online features for "nobody" in feature view "claims_features"',
    );
    online.entities.set('claims_features/old', { status: 'expired' });
    await expectStatus(
      predictions.predict({ deployment: 'fraud', requestId: 'e3', entityKey: 'old' }),
      GrpcStatus.FAILED_PRECONDITION,
      'entity_key: the online features of "old" in feature view "claims_features" are older than its TTL',
    );
  });

  it('routes by request id, and a failing canary costs the caller nothing but counts as a canary error', async () => {
    await served.install(deployment({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5, revision: 3 }));
    const ids = Array.from({ length: 40 }, (_, i) => `claim-${i}`);
    const toCanary = ids.filter((id) => routesToCanary('fraud', 2, 0.5, id));
    expect(toCanary.length).toBeGreaterThan(5);
    for (const id of ids) {
      const response = await predictions.predict({ deployment: 'fraud', requestId: id, features: claim });
      // The canary cannot answer (it needs device_score): the stable version does.
      expect(response).toMatchObject({ modelVersion: 1, canary: false });
    }
    expect(stats.figures('fraud', 2)).toMatchObject({ requests: toCanary.length, errors: toCanary.length, errorRate: 1 });
    expect(stats.figures('fraud', 1)).toMatchObject({ requests: ids.length, errors: 0 });
  });

  it('exports predictions, errors and latency per deployment, model, version and canary, for served versions only', async () => {
    await served.install(deployment({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5, revision: 3 }));
    const ids = Array.from({ length: 40 }, (_, i) => `claim-${i}`);
    const toCanary = ids.filter((id) => routesToCanary('fraud', 2, 0.5, id)).length;
    for (const id of ids) await predictions.predict({ deployment: 'fraud', requestId: id, features: claim });
    const read = (name: string) => platformMetrics.registry.getSingleMetricAsString(name);

    // Every request was answered by v1; the canary's share also counts as v2's failures.
    const total = await read('flywheel_predictions_total');
    expect(total).toContain(`flywheel_predictions_total{deployment="fraud",model="fraud",version="1",canary="false"} ${ids.length}`);
    expect(total).toContain(`flywheel_predictions_total{deployment="fraud",model="fraud",version="2",canary="true"} ${toCanary}`);
    expect(await read('flywheel_prediction_errors_total')).toContain(
      `flywheel_prediction_errors_total{deployment="fraud",model="fraud",version="2",canary="true"} ${toCanary}`,
    );
    const latency = await read('flywheel_prediction_latency_seconds');
    expect(latency).toContain(`flywheel_prediction_latency_seconds_count{deployment="fraud",model="fraud",version="1"} ${ids.length}`);
    // The manual clock steps 3 ms a reading: each answer took 0.003 s.
    expect(latency).toContain(
      `flywheel_prediction_latency_seconds_bucket{le="0.005",deployment="fraud",model="fraud",version="1"} ${ids.length}`,
    );
    expect(latency).toContain(`flywheel_prediction_latency_seconds_bucket{le="0.0025",deployment="fraud",model="fraud",version="1"} 0`);

    // Once v2 is no longer served, its series go: versions are bounded by what is deployed.
    await served.install(deployment({ state: DeploymentStateName.STABLE, canaryVersion: 0, revision: 4 }));
    expect(await read('flywheel_predictions_total')).not.toContain('version="2"');
    expect(await read('flywheel_prediction_errors_total')).not.toContain('version="2"');
    expect(await read('flywheel_predictions_total')).toContain('version="1"');
  });

  it('exports the live accuracy of the labelled predictions of each served version', async () => {
    const read = (name: string) => platformMetrics.registry.getSingleMetricAsString(name);
    expect(await read('flywheel_live_accuracy')).not.toContain('deployment=');
    const answers: Array<Awaited<ReturnType<PredictionService['predict']>>> = [];
    for (const id of ['a', 'b', 'c', 'd']) answers.push(await predictions.predict({ deployment: 'fraud', requestId: id, features: claim }));
    // Three labels match the predicted class, one does not.
    const predicted = (i: number) => answers[i]!.output!.numberValue!;
    stats.recordLabel('a', predicted(0));
    stats.recordLabel('b', predicted(1));
    stats.recordLabel('c', predicted(2));
    stats.recordLabel('d', predicted(3) === 1 ? 0 : 1);
    expect(await read('flywheel_live_accuracy')).toContain('flywheel_live_accuracy{deployment="fraud",model="fraud",version="1"} 0.75');
    expect(await read('flywheel_live_labelled')).toContain('flywheel_live_labelled{deployment="fraud",model="fraud",version="1"} 4');
    expect(await read('flywheel_live_rmse')).not.toContain('deployment=');
  });

  it('answers from a healthy canary for its share, the same version for a retried request', async () => {
    const loader = new FakeModelLoader();
    loader.artifacts.set(version(1).artifactKey, stableArtifact);
    loader.artifacts.set(version(2).artifactKey, fraudArtifact({ seed: 3 }));
    ({ served, predictions, metrics: platformMetrics } = servingKit({ repository, loader, stats, log, online, clock }));
    await served.install(deployment({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5, revision: 3 }));
    for (let i = 0; i < 30; i++) {
      const requestId = `retry-${i}`;
      const first = await predictions.predict({ deployment: 'fraud', requestId, features: claim });
      const again = await predictions.predict({ deployment: 'fraud', requestId, features: claim });
      expect(first.canary).toBe(routesToCanary('fraud', 2, 0.5, requestId));
      expect(again.modelVersion).toBe(first.modelVersion);
      expect(first.modelVersion).toBe(first.canary ? 2 : 1);
    }
  });

  it('says when a deployment is unknown or serves nothing yet', async () => {
    await expectStatus(
      predictions.predict({ deployment: 'claims', requestId: 'x', features: claim }),
      GrpcStatus.NOT_FOUND,
      'deployment "claims" not found',
    );
    await served.install(deployment({ name: 'empty', state: DeploymentStateName.PENDING, stableVersion: 0 }));
    await expectStatus(
      predictions.predict({ deployment: 'empty', requestId: 'x', features: claim }),
      GrpcStatus.FAILED_PRECONDITION,
      'deployment "empty" serves no model yet',
    );
  });
});
