import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** A `grpc.health.v1.Health` client on one channel, as load balancers and Kubernetes probes call it. */
export interface GrpcHealthClient {
  /** The serving status of `service` ("" for the server as a whole), e.g. `SERVING`. */
  check(service?: string): Promise<string>;
  close(): void;
}

const healthDefinition = grpc.loadPackageDefinition(loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

export function grpcHealthClient(address: string, timeoutMs = 5000): GrpcHealthClient {
  const client = new healthDefinition.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return {
    check: (service = '') =>
      new Promise((resolve, reject) =>
        client.Check({ service }, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: { status: string }) =>
          error ? reject(error) : resolve(response.status),
        ),
      ),
    close: () => client.close(),
  };
}

/** One health check on a channel of its own. */
export async function grpcHealth(address: string, service = ''): Promise<string> {
  const client = grpcHealthClient(address);
  try {
    return await client.check(service);
  } finally {
    client.close();
  }
}
