import { join } from 'node:path';
import { deployerV1, GrpcServices } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import {
  assertToolAvailable,
  DEBIAN_PYTHON,
  runDebianPython,
  type ServiceInfrastructure,
  startServiceInfrastructure,
} from '@flywheel/testing';
import { startDeployerService } from '../deployer.app';
import { type DeployerConfig } from '../deployer.config';
import { FakeModelRegistry, fraudArtifact } from '../testing/fakes';
import { storeFraudVersion } from '../testing/stored-versions';

// A client of the Open Inference Protocol with no Flywheel code — Debian's python3-grpcio with
// the protocol's messages learnt by server reflection, and REST through Python's standard library —
// gets the predictions Predict gives.

jest.setTimeout(180_000);

const CLIENT = join(__dirname, 'fixtures', 'open_inference_client.py');

describe('the Open Inference Protocol seen by python3-grpcio', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<DeployerConfig>;
  let deployer: GrpcClient<deployerV1.DeployerServiceController>;
  const registry = new FakeModelRegistry();

  beforeAll(async () => {
    if (process.env.CI === 'true') assertToolAvailable(DEBIAN_PYTHON, ['-c', 'import grpc'], 'apt-get install python3-grpcio');
    infra = await startServiceInfrastructure();
    service = await startDeployerService(await infra.serviceEnv('deployer', { PREDICTION_LOG_LINGER_MS: '5' }), { registry });
    await storeFraudVersion(infra.s3, registry, 1, fraudArtifact({ seed: 3 }));
    registry.setAlias('fraud', 'production', 1);
    const promoter = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, {
      address: service.grpcAddress,
      token: infra.tokens.promoter,
    });
    await promoter.deploy(deployerV1.DeployRequest.fromPartial({ name: 'fraud', modelName: 'fraud', reason: 'serve' }));
    promoter.close();
    deployer = createGrpcClient(GrpcServices.deployer, { address: service.grpcAddress, token: infra.tokens.reader });
  });

  afterAll(async () => {
    deployer?.close();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  it('infers over gRPC (messages from reflection) and REST with the probabilities Predict gives', async () => {
    const amounts = [12, 480, 75];
    const regions = ['north', 'south', 'north'];
    const result = await runDebianPython(CLIENT, [
      service.grpcAddress,
      service.httpUrl,
      infra.tokens.reader,
      'fraud',
      amounts.join(','),
      regions.join(','),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const found = JSON.parse(result.stdout) as {
      files: string[];
      ready: { ready?: boolean };
      grpc: {
        model_name: string;
        model_version: string;
        id: string;
        outputs: Array<{ name: string; contents: Record<string, unknown[]> }>;
      };
      rest: { model_name: string; outputs: Array<{ name: string; data: number[] }> };
    };
    expect(found.files).toEqual(['inference/grpc_predict_v2.proto']);
    expect(found.ready).toEqual({ ready: true });
    expect(found.grpc).toMatchObject({ model_name: 'fraud', model_version: '1', id: 'from-python' });

    const expected: number[] = [];
    for (const [i, amount] of amounts.entries()) {
      const answer = await deployer.predict({
        deployment: 'fraud',
        requestId: `reference-${i}`,
        features: { values: { amount: { numberValue: amount }, region: { stringValue: regions[i]! } } },
      });
      expected.push(answer.probability!);
    }
    const grpcProba = found.grpc.outputs.find((o) => o.name === 'predict_proba')!.contents.fp64_contents as number[];
    const restProba = found.rest.outputs.find((o) => o.name === 'predict_proba')!.data;
    expected.forEach((p, i) => {
      expect(grpcProba[2 * i + 1]).toBeCloseTo(p, 12);
      expect(restProba[2 * i + 1]).toBeCloseTo(p, 12);
      expect(grpcProba[2 * i]! + grpcProba[2 * i + 1]!).toBeCloseTo(1, 12);
    });
  });
});
