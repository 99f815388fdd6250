import { type DeploymentRecord, DeploymentStateName, type ModelVersionRecord } from '../deployments/deployment';
import { deploymentRecord, versionRecord } from '../testing/records';
import { servingKit } from '../testing/serving-kit';
import { type FakeDeploymentRepository, type FakeModelLoader, type FakePredictionLog, fraudArtifact, testConfig } from '../testing/fakes';
import { onnxFixture, type OnnxFixture, type OnnxFixtureName } from '../testing/onnx-fixtures';
import { OnnxGraphs } from '../serving/onnx-graphs';
import { type PredictionService } from '../serving/prediction.service';
import { type ServedModels } from '../serving/served-models';
import { FLYWHEEL_PLATFORM, ONNX_PLATFORM, OpenInferenceService } from './open-inference.service';
import { restInferRequest } from './v2-tensors';

// The Open Inference Protocol over ONNX versions (real sessions in a real ONNX runtime): fed
// their graph's own input tensors, described by them, answering what the Python library did.

const config = testConfig();

const version = (v: number): ModelVersionRecord =>
  versionRecord('sensors', v, { file: v === 9 ? 'model.json' : 'model.onnx', sha256: String(v).repeat(64) });
const deployment = (overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => deploymentRecord('sensors', overrides);

describe('OpenInferenceService with ONNX versions', () => {
  const graphs = new OnnxGraphs(config);
  let repository: FakeDeploymentRepository;
  let loader: FakeModelLoader;
  let log: FakePredictionLog;
  let served: ServedModels;
  let inference: OpenInferenceService;

  async function serve(fixture: OnnxFixture): Promise<void> {
    loader.models.set(version(1).artifactKey, () => graphs.load(fixture.stored));
    await repository.saveVersion(version(1));
    await served.install(deployment());
  }

  /** Every row's expected probability per class, flattened as predict_proba holds them. */
  const expectProbabilities = (data: ReadonlyArray<unknown>, fixture: OnnxFixture, rows: number) => {
    const expected = fixture.expected.probabilities!.slice(0, rows).flat();
    expect(data).toHaveLength(expected.length);
    data.forEach((p, k) => expect(Math.abs((p as number) - expected[k]!)).toBeLessThan(1e-5));
  };

  beforeEach(() => {
    let predictions: PredictionService;
    ({ repository, loader, log, served, predictions } = servingKit());
    inference = new OpenInferenceService(served, predictions);
  });

  afterAll(() => graphs.onModuleDestroy());

  it.each([
    ['random-forest-classifier', 'float_input'],
    ['xgboost-classifier', 'input'],
  ] as Array<[OnnxFixtureName, string]>)(
    '%s: infers from its graph input %s of shape [N, 4], as the Python library predicted (1e-5), each row logged',
    async (name, input) => {
      const fixture = onnxFixture(name);
      await serve(fixture);
      const n = fixture.rows.length;
      const request = restInferRequest({ id: 'batch', inputs: [{ name: input, shape: [n, 4], datatype: 'FP32', data: fixture.rows }] });
      const result = await inference.infer('sensors', '', request);
      expect(result).toMatchObject({ modelName: 'sensors', modelVersion: '1', id: 'batch' });
      const [predict, proba] = result.outputs;
      expect(predict).toEqual({ name: 'predict', datatype: 'FP64', shape: [n], data: fixture.expected.labels });
      expect(proba).toMatchObject({ name: 'predict_proba', datatype: 'FP64', shape: [n, 2] });
      expectProbabilities(proba!.data, fixture, n);
      expect(log.records.map((r) => r.prediction.requestId)).toEqual(Array.from({ length: n }, (_, i) => `batch-${i}`));
      expect(log.records[0]!.prediction.inputs!.values).toEqual(
        Object.fromEntries(fixture.features.map((f, j) => [f, { numberValue: fixture.rows[0]![j] }])),
      );
    },
  );

  it('infers from one input per feature as well, as for a native model', async () => {
    const fixture = onnxFixture('random-forest-classifier');
    await serve(fixture);
    const inputs = fixture.features.map((name, j) => ({
      name,
      shape: [3],
      datatype: 'FP64',
      data: fixture.rows.slice(0, 3).map((r) => r[j]),
    }));
    const result = await inference.infer('sensors', '1', restInferRequest({ inputs, outputs: [{ name: 'predict_proba' }] }));
    expect(result.outputs.map((o) => o.name)).toEqual(['predict_proba']);
    expectProbabilities(result.outputs[0]!.data, fixture, 3);
  });

  it("describes an ONNX version by its graph's inputs, a native one by its features", async () => {
    await serve(onnxFixture('random-forest-classifier'));
    expect(inference.metadata('sensors')).toEqual({
      name: 'sensors',
      versions: ['1'],
      platform: ONNX_PLATFORM,
      inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'predict', datatype: 'FP64', shape: [-1] },
        { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
      ],
    });
    // The graph of a logistic regression takes one [N, 1] input per feature.
    const logistic = onnxFixture('logistic-regression-scaled');
    loader.models.set(version(2).artifactKey, () => graphs.load(logistic.stored));
    await repository.saveVersion(version(2));
    // A native canary beside it is described as before.
    loader.artifacts.set(version(9).artifactKey, fraudArtifact({ seed: 1 }));
    await repository.saveVersion(version(9));
    await served.install(
      deployment({ stableVersion: 2, state: DeploymentStateName.CANARY, canaryVersion: 9, canaryTrafficShare: 0.1, revision: 3 }),
    );
    expect(inference.metadata('sensors', '2')).toMatchObject({
      versions: ['2', '9'],
      platform: ONNX_PLATFORM,
      inputs: logistic.features.map((name) => ({ name, datatype: 'FP32', shape: [-1, 1] })),
      outputs: [
        { name: 'predict', datatype: 'BYTES', shape: [-1] },
        { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
      ],
    });
    expect(inference.metadata('sensors', '9')).toMatchObject({
      platform: FLYWHEEL_PLATFORM,
      inputs: [
        { name: 'amount', datatype: 'FP64', shape: [-1] },
        { name: 'region', datatype: 'BYTES', shape: [-1] },
      ],
    });
  });
});
