import { status } from '@grpc/grpc-js';
import { GrpcServices, monitorV1 } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { startServiceInfrastructure, type ServiceInfrastructure } from '@flywheel/testing';
import { startMonitorService } from './monitor.app';
import { type MonitorConfig } from './monitor.config';

jest.setTimeout(120_000);

describe('monitor service (boot, health, auth, policy)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<MonitorConfig>;
  const clients: Array<{ close(): void }> = [];

  const client = (token?: string): GrpcClient<monitorV1.MonitorServiceController> => {
    const c = createGrpcClient<monitorV1.MonitorServiceController>(GrpcServices.monitor, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    service = await startMonitorService(await infra.serviceEnv('monitor'), { handleSignals: false });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  it('reports healthy database and Kafka on /healthz', async () => {
    const response = await fetch(`${service.httpUrl}/healthz`);
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, grpc: { status: 'up' } });
  });

  it('refuses a call without a token and a write by a reader', async () => {
    await expect(client().getMonitoringPolicy({ modelName: 'fraud' })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const policy = monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud' });
    await expect(client(infra.tokens.reader).setMonitoringPolicy({ policy })).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it('returns the default policy, stores a new one with defaults filled in, and names a bad field', async () => {
    const reader = client(infra.tokens.reader);
    const writer = client(infra.tokens.writer);
    const defaults = await reader.getMonitoringPolicy({ modelName: 'fraud' });
    expect(defaults.policy).toMatchObject({ modelName: 'fraud', windowSize: 500, minWindowSize: 100, driftShareThreshold: 0.5, maxAccuracyDrop: 0.05, minLabelled: 50 });
    expect(defaults.policy?.windowDuration).toMatchObject({ seconds: 3600 });

    const stored = await writer.setMonitoringPolicy({
      policy: monitorV1.MonitoringPolicy.fromPartial({
        modelName: 'fraud',
        windowSize: 200,
        featureTests: [{ feature: 'amount', test: monitorV1.DriftTest.DRIFT_TEST_PSI }],
      }),
    });
    expect(stored.policy).toMatchObject({ windowSize: 200, minWindowSize: 100, featureTests: [{ feature: 'amount', test: monitorV1.DriftTest.DRIFT_TEST_PSI, threshold: 0.2 }] });
    expect((await reader.getMonitoringPolicy({ modelName: 'fraud' })).policy).toMatchObject({ windowSize: 200 });

    await expect(
      writer.setMonitoringPolicy({ policy: monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud', windowSize: 50, minWindowSize: 80 }) }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: 'policy.minWindowSize: must not exceed windowSize' });
    await expect(reader.getModelHealth({ modelName: 'Bad Name' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'modelName: must match [a-z][a-z0-9_-]{0,62}',
    });
  });

  it('answers NOT_FOUND for a model it has never seen and an empty alert list', async () => {
    const reader = client(infra.tokens.reader);
    await expect(reader.getModelHealth({ modelName: 'unknown' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(reader.getDriftReport({ modelName: 'unknown', reportId: '' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(await reader.listAlerts(monitorV1.ListAlertsRequest.fromPartial({}))).toMatchObject({ alerts: [], page: { nextPageToken: '' } });
  });
});
