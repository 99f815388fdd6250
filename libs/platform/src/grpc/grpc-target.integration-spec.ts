import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath, service as healthService } from 'grpc-health-check';
import { type GrpcTarget, parseGrpcTarget, withUnavailableRetries } from './grpc-target';

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: string }) => void): void;
}

/** A server answering health checks, which counts the calls it got; the first `unavailable` it answers UNAVAILABLE. */
async function replica(unavailable = 0): Promise<{ server: grpc.Server; address: string; calls: () => number }> {
  let calls = 0;
  const server = new grpc.Server();
  const unimplemented = (call: { destroy?: () => void }) => call.destroy?.();
  server.addService(healthService, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<{ status: string }>) => {
      calls++;
      if (calls <= unavailable) callback({ code: grpc.status.UNAVAILABLE, details: 'restarting' });
      else callback(null, { status: 'SERVING' });
    },
    Watch: unimplemented,
    List: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, address: `127.0.0.1:${port}`, calls: () => calls };
}

function healthClient(address: string | GrpcTarget): HealthClient {
  const definition = grpc.loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (target: string, credentials: grpc.ChannelCredentials, options: object) => HealthClient } } };
  };
  const { target, serviceConfig } = typeof address === 'string' ? parseGrpcTarget(address) : address;
  return new definition.grpc.health.v1.Health(target, grpc.credentials.createInsecure(), {
    ...(serviceConfig && { 'grpc.service_config': serviceConfig }),
  });
}

const check = (client: HealthClient) =>
  new Promise<string>((resolve, reject) =>
    client.Check({ service: '' }, (error, response) => (error ? reject(error) : resolve(response.status))),
  );

describe('a client of replicas (grpc-js channel)', () => {
  const servers: grpc.Server[] = [];
  afterAll(() => servers.forEach((s) => s.forceShutdown()));

  it('sends the calls to an ip:port,ip:port address round robin over both replicas, and to one host:port all to it', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    servers.push(a.server, b.server);
    const both = healthClient(`${a.address},${b.address}`);
    try {
      for (let i = 0; i < 40; i++) expect(await check(both)).toBe('SERVING');
    } finally {
      both.close();
    }
    // Round robin over two ready replicas: alternate calls, so an even split (give or take the
    // calls made while the second connection was still being made).
    expect(a.calls() + b.calls()).toBe(40);
    expect(Math.min(a.calls(), b.calls())).toBeGreaterThanOrEqual(15);

    const [aBefore, bBefore] = [a.calls(), b.calls()];
    const one = healthClient(a.address);
    try {
      for (let i = 0; i < 10; i++) await check(one);
    } finally {
      one.close();
    }
    expect([a.calls() - aBefore, b.calls() - bBefore]).toEqual([10, 0]);
  });

  it('sends a call that ends UNAVAILABLE again, up to three times in all, when the client asks for retries', async () => {
    const twice = await replica(2);
    const always = await replica(Number.POSITIVE_INFINITY);
    servers.push(twice.server, always.server);
    const retrying = (address: string) => healthClient(withUnavailableRetries(parseGrpcTarget(address), 'grpc.health.v1.Health'));

    const plain = healthClient(twice.address);
    try {
      await expect(check(plain)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      plain.close();
    }
    const client = retrying(twice.address);
    try {
      // The plain client's call was the first failure; this one fails once more, then is answered.
      expect(await check(client)).toBe('SERVING');
      expect(twice.calls()).toBe(3);
    } finally {
      client.close();
    }
    const hopeless = retrying(always.address);
    try {
      await expect(check(hopeless)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'restarting' });
      expect(always.calls()).toBe(3);
    } finally {
      hopeless.close();
    }
  });
});
