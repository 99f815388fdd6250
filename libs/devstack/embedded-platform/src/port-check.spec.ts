import { createServer, type Server } from 'node:net';
import { assertPortsFree } from './port-check';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('assertPortsFree', () => {
  it('names every taken port with what needs it and the variable that moves it, and passes free ones', async () => {
    const a = await listen();
    const b = await listen();
    const free = await listen();
    await new Promise((done) => free.server.close(done));
    try {
      await expect(
        assertPortsFree(
          [
            { port: a.port, what: 'the Kafka broker', variables: ['KAFKA_PORT'] },
            { port: free.port, what: 'PostgreSQL', variables: ['POSTGRES_PORT'] },
            { port: b.port, what: 'trainer gRPC', variables: ['FLYWHEEL_GRPC_BASE_PORT', 'TRAINER_GRPC_PORT'] },
            { port: 0, what: 'anything', variables: ['X'] },
          ],
          { settleMs: 0 },
        ),
      ).rejects.toThrow(
        `port ${a.port} (the Kafka broker) is in use: set KAFKA_PORT to move it; ` +
          `port ${b.port} (trainer gRPC) is in use: set FLYWHEEL_GRPC_BASE_PORT or TRAINER_GRPC_PORT to move it — is another Flywheel running?`,
      );
      await expect(assertPortsFree([{ port: free.port, what: 'PostgreSQL', variables: ['POSTGRES_PORT'] }])).resolves.toBeUndefined();
    } finally {
      a.server.close();
      b.server.close();
    }
  });

  it('waits up to its settle time for a port being let go of, and names one still held after it', async () => {
    const leaving = await listen();
    const staying = await listen();
    setTimeout(() => leaving.server.close(), 300);
    try {
      await expect(
        assertPortsFree([{ port: leaving.port, what: 'ingestion HTTP', variables: ['INGESTION_HTTP_PORT'] }], { settleMs: 5000 }),
      ).resolves.toBeUndefined();
      await expect(
        assertPortsFree([{ port: staying.port, what: 'deployer gRPC', variables: ['DEPLOYER_GRPC_PORT'] }], { settleMs: 300 }),
      ).rejects.toThrow(`port ${staying.port} (deployer gRPC) is in use`);
    } finally {
      staying.server.close();
    }
  });
});
