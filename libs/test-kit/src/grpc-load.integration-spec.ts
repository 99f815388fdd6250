import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData, type ServerDuplexStream } from '@grpc/grpc-js';
import { LoadThread } from './grpc-load';

const identity = (bytes: Buffer) => bytes;

/** A grpc-js server whose unary method answers each request with its own bytes reversed, and whose stream echoes. */
async function startServer(): Promise<{ address: string; seen: Buffer[]; stop: () => Promise<void> }> {
  const seen: Buffer[] = [];
  const server = new Server();
  server.register(
    '/test.Load/Reverse',
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      seen.push(call.request);
      callback(null, Buffer.from(call.request).reverse());
    },
    identity,
    identity,
    'unary',
  );
  server.register(
    '/test.Load/Echo',
    (stream: ServerDuplexStream<Buffer, Buffer>) => stream.on('data', (b: Buffer) => stream.write(b)),
    identity,
    identity,
    'bidi',
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, seen, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

describe('LoadThread', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let load: LoadThread;

  beforeAll(async () => {
    server = await startServer();
    load = LoadThread.start();
  });

  afterAll(async () => {
    await load.close();
    await server.stop();
  });

  it('drives unary calls from its thread with the requests in turn, and then bidirectional streams', async () => {
    const requests = [Buffer.from('one'), Buffer.from('two')];
    const base = { address: server.address, requests, concurrency: 2, durationMs: 300 };
    const unary = await load.drive(false, { ...base, path: '/test.Load/Reverse' });
    expect(unary.errors).toBe(0);
    expect(unary.calls).toBeGreaterThan(10);
    expect(unary.p99Ms).toBeGreaterThanOrEqual(unary.p50Ms);
    expect(new Set(server.seen.map((b) => b.toString()))).toEqual(new Set(['one', 'two']));
    const streamed = await load.drive(true, { ...base, path: '/test.Load/Echo' });
    expect(streamed.errors).toBe(0);
    expect(streamed.calls).toBeGreaterThan(10);
  });

  it('counts the errors of a method the server does not have, with the first one', async () => {
    const figures = await load.drive(false, {
      address: server.address,
      requests: [Buffer.from('x')],
      concurrency: 1,
      durationMs: 100,
      path: '/test.Load/Nope',
    });
    expect(figures.calls).toBe(0);
    expect(figures.errors).toBeGreaterThan(0);
    expect(figures.firstError).toMatch(new RegExp(`^${status.UNIMPLEMENTED} UNIMPLEMENTED`));
  });
});
