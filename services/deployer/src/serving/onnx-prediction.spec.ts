import { commonV1 } from '@flywheel/contracts';
import { type InputRow, type RowPrediction, SignatureError } from '@flywheel/ml';
import { DomainException, GrpcStatus } from '@flywheel/platform';
import { OnnxModel } from '@flywheel/onnx';
import { type DeploymentRecord, DeploymentStateName, type ModelVersionRecord } from '../deployments/deployment';
import { deploymentRecord, versionRecord } from '../testing/records';
import { servingKit } from '../testing/serving-kit';
import { routesToCanary } from '../rollout/traffic-split';
import { type FakeDeploymentRepository, type FakeModelLoader, type FakePredictionLog, testConfig } from '../testing/fakes';
import { fixtureRow, onnxFixture, type OnnxFixture, type OnnxFixtureName } from '../testing/onnx-fixtures';
import { type LiveStats } from './live-stats';
import { OnnxGraphs } from './onnx-graphs';
import { type PredictionService } from './prediction.service';
import { type ServableModel } from './servable-model';
import { type ServedModels } from './served-models';

// Predictions through imported ONNX graphs (real OnnxModel sessions in a real ONNX runtime),
// checked against what the Python library that made each graph predicted for the same rows.

const config = testConfig();

const version = (v: number): ModelVersionRecord => versionRecord('sensors', v, { file: 'model.onnx', sha256: String(v).repeat(64) });
const deployment = (overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => deploymentRecord('sensors', overrides);

const valuesOf = (row: Record<string, number | null>): commonV1.Row => ({
  values: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? {} : { numberValue: v }])),
});

async function statusOf(call: Promise<unknown>): Promise<{ status: GrpcStatus; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainException);
  return { status: (error as DomainException).grpcStatus(), message: (error as DomainException).message };
}

describe('PredictionService with ONNX versions', () => {
  const graphs = new OnnxGraphs(config);
  let repository: FakeDeploymentRepository;
  let loader: FakeModelLoader;
  let stats: LiveStats;
  let log: FakePredictionLog;
  let served: ServedModels;
  let predictions: PredictionService;

  /** Records `sensors` v`v` with `fixture`'s stored graph as its artifact, loaded as the deployer loads it. */
  async function store(v: number, fixture: OnnxFixture): Promise<void> {
    loader.models.set(version(v).artifactKey, () => graphs.load(fixture.stored));
    await repository.saveVersion(version(v));
  }

  beforeEach(() => {
    ({ repository, loader, stats, log, served, predictions } = servingKit({ clockStepMs: 2 }));
  });

  afterAll(() => graphs.onModuleDestroy());

  const classifiers: OnnxFixtureName[] = ['random-forest-classifier', 'xgboost-classifier', 'logistic-regression-scaled'];
  it.each(classifiers)(
    '%s: answers every row with the probability the Python library gave (1e-5), logged and counted like a native answer',
    async (name) => {
      const fixture = onnxFixture(name);
      await store(1, fixture);
      await served.install(deployment());
      for (let i = 0; i < fixture.rows.length; i++) {
        const features = valuesOf(fixtureRow(fixture, i));
        const response = await predictions.predict({ deployment: 'sensors', requestId: `row-${i}`, features });
        const label = fixture.expected.labels![i]!;
        const output = typeof label === 'number' ? { numberValue: label } : { stringValue: label };
        expect(response).toMatchObject({ modelVersion: 1, canary: false, output, latencyMs: 2 });
        // The proto's probability is the second class's, as for a native binary classifier.
        expect(Math.abs(response.probability! - fixture.expected.probabilities![i]![1]!)).toBeLessThan(1e-5);
        expect(log.records[i]!.prediction).toMatchObject({
          requestId: `row-${i}`,
          modelVersion: 1,
          task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
          inputs: features,
          output,
          probability: response.probability,
        });
      }
      expect(stats.figures('sensors', 1)).toMatchObject({ requests: fixture.rows.length, errors: 0 });
    },
  );

  it('answers a regressor with the value scikit-learn gave, to 1e-5 of it, and no probability', async () => {
    const fixture = onnxFixture('gradient-boosting-regressor');
    await store(1, fixture);
    await served.install(deployment());
    for (let i = 0; i < fixture.rows.length; i++) {
      const response = await predictions.predict({
        deployment: 'sensors',
        requestId: `r-${i}`,
        features: valuesOf(fixtureRow(fixture, i)),
      });
      const expected = fixture.expected.values![i]!;
      expect(Math.abs(response.output!.numberValue! - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
      expect(response.probability).toBeUndefined();
    }
    expect(log.records[0]!.prediction.task).toBe(commonV1.ModelTask.MODEL_TASK_REGRESSION);
    expect(stats.figures('sensors', 1)).toMatchObject({ requests: fixture.rows.length, errors: 0 });
  });

  it("checks a request against the graph's signature, naming the field, and counts it against no version", async () => {
    const fixture = onnxFixture('random-forest-classifier');
    await store(1, fixture);
    await served.install(deployment());
    const { temperature: _, ...withoutTemperature } = valuesOf(fixtureRow(fixture, 0)).values;
    expect(
      await statusOf(predictions.predict({ deployment: 'sensors', requestId: 'a', features: { values: withoutTemperature } })),
    ).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      message: 'features.temperature: is required by the model (numeric)',
    });
    const texts = { ...valuesOf(fixtureRow(fixture, 0)).values, pressure: { stringValue: 'high' } };
    expect(await statusOf(predictions.predict({ deployment: 'sensors', requestId: 'b', features: { values: texts } }))).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      message: 'features.pressure: must be a number, got the string "high"',
    });
    expect(stats.figures('sensors', 1)).toMatchObject({ requests: 0, errors: 0 });
    expect(log.records).toHaveLength(0);
  });

  it('turns a SignatureError the model answers later (as an ONNX model does) into INVALID_ARGUMENT naming features.<field>', async () => {
    const model: ServableModel = {
      task: 'regression',
      classes: [],
      signature: { features: [{ name: 'floor', type: 'numeric' }], unknownCategories: 'accept' },
      predictRow: async (row: InputRow): Promise<RowPrediction> => {
        throw new SignatureError(`field "floor" must be a whole number, got ${row.floor}`, 'floor');
      },
    };
    loader.models.set(version(1).artifactKey, async () => model);
    await repository.saveVersion(version(1));
    await served.install(deployment());
    expect(
      await statusOf(predictions.predict({ deployment: 'sensors', requestId: 'f', features: { values: { floor: { numberValue: 1.5 } } } })),
    ).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      message: 'features.floor: field "floor" must be a whole number, got 1.5',
    });
    expect(stats.figures('sensors', 1)).toMatchObject({ requests: 0, errors: 0 });
  });

  it('falls back on the stable version when an ONNX canary fails, counting it against the canary; a failing stable version is PREDICTION_FAILED', async () => {
    const fixture = onnxFixture('random-forest-classifier');
    await store(1, fixture);
    await store(2, fixture);
    // The canary's runtime is stopped: its every prediction fails, as a crashed graph's would.
    const stopped = new OnnxGraphs(config);
    const canary = await stopped.load(fixture.stored);
    await stopped.onModuleDestroy();
    loader.models.set(version(2).artifactKey, async () => canary);
    await served.install(deployment({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5, revision: 3 }));

    const ids = Array.from({ length: 30 }, (_, i) => `s-${i}`);
    const toCanary = ids.filter((id) => routesToCanary('sensors', 2, 0.5, id));
    expect(toCanary.length).toBeGreaterThan(3);
    const features = valuesOf(fixtureRow(fixture, 0));
    for (const id of ids) {
      const response = await predictions.predict({ deployment: 'sensors', requestId: id, features });
      expect(response).toMatchObject({ modelVersion: 1, canary: false });
      expect(Math.abs(response.probability! - fixture.expected.probabilities![0]![1]!)).toBeLessThan(1e-5);
    }
    expect(stats.figures('sensors', 2)).toMatchObject({ requests: toCanary.length, errors: toCanary.length });
    expect(stats.figures('sensors', 1)).toMatchObject({ requests: ids.length, errors: 0 });

    // Asked for by number, the canary answers by itself: nothing to fall back on.
    expect(await statusOf(predictions.predict({ deployment: 'sensors', requestId: 'pinned', features }, 'pinned', { version: 2 }))).toEqual(
      {
        status: GrpcStatus.INTERNAL,
        message: 'v2 of deployment "sensors" failed to predict',
      },
    );
    expect(stats.figures('sensors', 2)).toMatchObject({ errors: toCanary.length + 1 });
  });

  it("releases an ONNX version's session once no deployment serves it, and only then", async () => {
    const fixture = onnxFixture('random-forest-classifier');
    await store(1, fixture);
    await store(2, fixture);
    await served.install(deployment());
    const first = served.get('sensors')!.stable!.model;
    expect(first).toBeInstanceOf(OnnxModel);
    const release = jest.spyOn(first as OnnxModel, 'release');
    await served.install(deployment({ state: DeploymentStateName.CANARY, canaryVersion: 2, canaryTrafficShare: 0.5, revision: 3 }));
    expect(release).not.toHaveBeenCalled();
    await served.install(deployment({ stableVersion: 2, previousStableVersion: 1, revision: 4 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(release).toHaveBeenCalledTimes(1);
    const second = served.get('sensors')!.stable!.model;
    const response = await predictions.predict({ deployment: 'sensors', requestId: 'after', features: valuesOf(fixtureRow(fixture, 1)) });
    expect(response.modelVersion).toBe(2);
    expect(Math.abs(response.probability! - fixture.expected.probabilities![1]![1]!)).toBeLessThan(1e-5);
    await second.release?.();
  });
});
