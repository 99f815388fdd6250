import { degraded, HealthRegistry } from './health-registry';
import { PlatformMetrics } from './platform-metrics';

describe('HealthRegistry', () => {
  it('is ok when every indicator passes, and reports what they return', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'database', check: async () => ({ migrations: 3 }) });
    registry.register({ name: 'kafka', check: () => undefined });
    expect(await registry.run()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'up', info: { migrations: 3 } }, kafka: { status: 'up' } },
    });
  });

  it('is in error when one indicator throws, rejects or hangs past its time limit', async () => {
    const registry = new HealthRegistry(50);
    registry.register({ name: 'database', check: () => Promise.reject(new Error('connection refused')) });
    registry.register({ name: 'kafka', check: () => new Promise(() => undefined) });
    registry.register({
      name: 'objectStore',
      check: () => {
        throw new Error('no bucket');
      },
    });
    registry.register({ name: 'fine', check: () => true });
    const report = await registry.run();
    expect(report.status).toBe('error');
    expect(report.checks.database).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(report.checks.kafka).toMatchObject({ status: 'down', error: 'no answer within 50 ms' });
    expect(report.checks.objectStore).toMatchObject({ status: 'down', error: 'no bucket' });
    expect(report.checks.fine.status).toBe('up');
  });

  it('is degraded, with the reason, when a check says so and none is down', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'database', check: () => undefined });
    registry.register({ name: 'outbox', check: () => degraded('1 event parked', { parked: 1 }) });
    expect(await registry.run()).toMatchObject({
      status: 'degraded',
      checks: { database: { status: 'up' }, outbox: { status: 'degraded', reason: '1 event parked', info: { parked: 1 } } },
    });
    registry.register({ name: 'kafka', check: () => Promise.reject(new Error('down')) });
    expect((await registry.run()).status).toBe('error');
  });

  it('refuses two indicators with one name', () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'database', check: () => undefined });
    expect(() => registry.register({ name: 'database', check: () => undefined })).toThrow(/already registered/);
  });
});

describe('PlatformMetrics', () => {
  it('labels gRPC calls by service, method and code', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    metrics.recordGrpcCall('/flywheel.registry.v1.RegistryService/SetAlias', 'OK', 0.004);
    metrics.recordGrpcCall('/flywheel.registry.v1.RegistryService/SetAlias', 'OK', 0.2);
    const { body } = await metrics.expose();
    expect(body).toContain('flywheel_grpc_requests_total{service="flywheel.registry.v1.RegistryService",method="SetAlias",code="OK"} 2');
    expect(body).toContain(
      'flywheel_grpc_request_duration_seconds_bucket{le="0.005",service="flywheel.registry.v1.RegistryService",method="SetAlias",code="OK"} 1',
    );
  });

  it('hands other libraries the same gauges however often they ask', () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    expect(metrics.kafkaConsumerLag()).toBe(metrics.kafkaConsumerLag());
    expect(metrics.outboxBacklog()).toBe(metrics.outboxBacklog());
  });
});
