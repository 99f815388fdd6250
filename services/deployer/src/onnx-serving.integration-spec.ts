import { commonV1, deployerV1, GrpcServices, inferenceV2, OpenInferenceService } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { grpcError, type ServiceInfrastructure, startServiceInfrastructure } from '@flywheel/testing';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { startDeployerService } from './deployer.app';
import { type DeployerConfig } from './deployer.config';
import { FakeModelRegistry } from './testing/fakes';
import { onnxFixture, type OnnxFixture } from './testing/onnx-fixtures';
import { storeOnnxVersion } from './testing/stored-versions';

jest.setTimeout(180_000);

type DeployerClient = GrpcClient<deployerV1.DeployerServiceController>;

// An imported ONNX version served end to end: its graph in S3 as the registry stores it (inspected,
// describing itself), deployed through Deploy, answering Predict and the Open Inference Protocol
// with what the Python library that made it predicted.
describe('serving ONNX versions (Postgres, Kafka broker, S3; registry answers from memory)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<DeployerConfig>;
  const registry = new FakeModelRegistry();
  const clients: Array<{ close(): void }> = [];
  const forest = onnxFixture('random-forest-classifier');
  const regressor = onnxFixture('gradient-boosting-regressor');

  const client = (token: string): DeployerClient => {
    const c = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };
  const rowOf = (fixture: OnnxFixture, i: number): commonV1.Row => ({
    values: Object.fromEntries(fixture.features.map((f, j) => [f, { numberValue: fixture.rows[i]![j]! }])),
  });
  const rest = (path: string, body?: unknown) =>
    fetch(`${service.httpUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${infra.tokens.reader}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    const env = await infra.serviceEnv('deployer', { PREDICTION_LOG_LINGER_MS: '5' });
    service = await startDeployerService(env, { registry });
    await storeOnnxVersion(infra.s3, registry, 'sensors', 1, forest.stored, {
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      features: forest.features,
    });
    registry.setAlias('sensors', 'production', 1);
    await storeOnnxVersion(infra.s3, registry, 'houses', 1, regressor.stored, {
      task: commonV1.ModelTask.MODEL_TASK_REGRESSION,
      features: regressor.features,
    });
    registry.setAlias('houses', 'production', 1);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  it('deploys a stored ONNX graph and answers Predict with the probabilities scikit-learn gave, to 1e-5', async () => {
    const deployed = await client(infra.tokens.promoter).deploy(
      deployerV1.DeployRequest.fromPartial({ name: 'sensors', modelName: 'sensors' }),
    );
    expect(deployed.deployment).toMatchObject({ name: 'sensors', stableVersion: 1 });
    const reader = client(infra.tokens.reader);
    for (let i = 0; i < forest.rows.length; i++) {
      const response = await reader.predict({ deployment: 'sensors', requestId: `forest-${i}`, features: rowOf(forest, i) });
      expect(response).toMatchObject({ modelVersion: 1, canary: false, output: { numberValue: forest.expected.labels![i] } });
      expect(Math.abs(response.probability! - forest.expected.probabilities![i]![1]!)).toBeLessThan(1e-5);
    }
    const { temperature: _, ...missing } = rowOf(forest, 0).values;
    const refused = await grpcError(reader.predict({ deployment: 'sensors', requestId: 'bad', features: { values: missing } }));
    expect([refused.code, refused.details]).toEqual([
      GrpcStatus.INVALID_ARGUMENT,
      'features.temperature: is required by the model (numeric)',
    ]);
  });

  it("answers V2 infer fed the graph's own input tensor, over REST and gRPC, and describes the graph's inputs", async () => {
    const n = forest.rows.length;
    expect(await (await rest('/v2/models/sensors')).json()).toEqual({
      name: 'sensors',
      versions: ['1'],
      platform: 'onnx',
      inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'predict', datatype: 'FP64', shape: [-1] },
        { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
      ],
    });
    const inferred = await rest('/v2/models/sensors/infer', {
      id: 'forest-batch',
      inputs: [{ name: 'float_input', shape: [n, 4], datatype: 'FP32', data: forest.rows }],
    });
    expect(inferred.status).toBe(200);
    const body = (await inferred.json()) as { model_version: string; outputs: Array<{ name: string; shape: number[]; data: number[] }> };
    expect(body.model_version).toBe('1');
    const proba = body.outputs.find((o) => o.name === 'predict_proba')!;
    expect(proba.shape).toEqual([n, 2]);
    forest.expected.probabilities!.flat().forEach((p, k) => expect(Math.abs(proba.data[k]! - p)).toBeLessThan(1e-5));
    expect(body.outputs.find((o) => o.name === 'predict')!.data).toEqual(forest.expected.labels);

    // gRPC, the rows as raw little-endian FP32, as a numpy client sends them.
    const inference = createGrpcClient<inferenceV2.GRPCInferenceServiceController>(OpenInferenceService, {
      address: service.grpcAddress,
      token: infra.tokens.reader,
    });
    clients.push(inference);
    const raw = Buffer.from(Float32Array.from(forest.rows.flat() as number[]).buffer);
    const answer = await inference.modelInfer(
      inferenceV2.ModelInferRequest.fromPartial({
        modelName: 'sensors',
        modelVersion: '1',
        id: 'forest-grpc',
        inputs: [{ name: 'float_input', datatype: 'FP32', shape: [n, 4] }],
        outputs: [{ name: 'predict_proba' }],
        rawInputContents: [raw],
      }),
    );
    expect(answer.outputs.map((o) => o.name)).toEqual(['predict_proba']);
    forest.expected
      .probabilities!.flat()
      .forEach((p, k) => expect(Math.abs(answer.outputs[0]!.contents!.fp64Contents[k]! - p)).toBeLessThan(1e-5));
  });

  it('serves an ONNX regressor beside it, answering the values scikit-learn gave', async () => {
    await client(infra.tokens.promoter).deploy(deployerV1.DeployRequest.fromPartial({ name: 'houses', modelName: 'houses' }));
    const n = regressor.rows.length;
    const inferred = await rest('/v2/models/houses/infer', {
      inputs: [{ name: 'float_input', shape: [n, 5], datatype: 'FP32', data: regressor.rows }],
    });
    expect(inferred.status).toBe(200);
    const body = (await inferred.json()) as { outputs: Array<{ name: string; data: number[] }> };
    expect(body.outputs.map((o) => o.name)).toEqual(['predict']);
    regressor.expected.values!.forEach((v, i) =>
      expect(Math.abs(body.outputs[0]!.data[i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))),
    );
    const one = await client(infra.tokens.reader).predict({ deployment: 'houses', requestId: 'house-0', features: rowOf(regressor, 0) });
    expect(Math.abs(one.output!.numberValue! - regressor.expected.values![0]!)).toBeLessThan(
      1e-5 * Math.abs(regressor.expected.values![0]!),
    );
  });
});
