import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, GrpcServices, protoRoot } from './grpc';
import { type GetRolloutStatusResponse, type PredictRequest } from './generated/flywheel/deployer/v1/deployer';

// NestJS loads the .proto files with @grpc/proto-loader at runtime while our code is typed by
// ts-proto; this checks that the two agree on what travels.
interface MethodDefinition {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

function method(service: keyof typeof GrpcServices, name: string): MethodDefinition {
  const contract = GrpcServices[service];
  const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const serviceDefinition = definition[`${contract.packageName}.${contract.serviceName}`] as unknown as Record<string, MethodDefinition>;
  return serviceDefinition[name];
}

describe('generated types against @grpc/proto-loader', () => {
  it.each(Object.keys(GrpcServices) as (keyof typeof GrpcServices)[])('loads the %s service', (service) => {
    const contract = GrpcServices[service];
    const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    expect(Object.keys(definition)).toContain(`${contract.packageName}.${contract.serviceName}`);
  });

  it('carries Dates, int64 numbers, oneofs and explicit nulls as the generated types describe them', () => {
    const predict = method('deployer', 'Predict');
    const request: PredictRequest = {
      deployment: 'fraud',
      requestId: 'r1',
      features: { values: { amount: { numberValue: 3.5 }, at: { timestampValue: new Date('2025-01-02T03:04:05.678Z') }, gone: {} } },
    };
    const received = predict.requestDeserialize(predict.requestSerialize(request)) as PredictRequest;
    expect(received.features?.values.amount.numberValue).toBe(3.5);
    expect(received.features?.values.at.timestampValue).toEqual(new Date('2025-01-02T03:04:05.678Z'));
    expect(received.features?.values.gone.numberValue).toBeUndefined();
    expect(received.entityKey).toBeUndefined();
  });

  it('fills scalars with defaults and gives null for unset messages', () => {
    const status = method('deployer', 'GetRolloutStatus');
    const response = status.responseDeserialize(
      status.responseSerialize({ deployment: { name: 'fraud', stableVersion: 2 }, summary: '' }),
    ) as GetRolloutStatusResponse;
    expect(response.deployment?.name).toBe('fraud');
    expect(response.deployment?.modelName).toBe('');
    expect(response.deployment?.stableVersion).toBe(2);
    expect(response.canary).toBeNull();
  });

  it('carries int64 as number', () => {
    const ingest = method('ingestion', 'Ingest');
    const response = ingest.responseDeserialize(ingest.responseSerialize({ summary: { accepted: 2 ** 40, quarantined: 1 } }));
    expect(response).toMatchObject({ summary: { accepted: 2 ** 40, quarantined: 1, duplicates: 0 } });
  });
});
