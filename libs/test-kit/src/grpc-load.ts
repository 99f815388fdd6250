import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Client, type ClientDuplexStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';

/** One load point: calls of one method at a fixed concurrency for a fixed time. */
export interface LoadPoint {
  /** A grpc-js channel target of a plaintext server: `host:port`, or `ipv4:a:p,b:p` for replicas. */
  readonly address: string;
  /** grpc-js channel options, e.g. `grpc.service_config` to balance calls over replicas. */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
  /** `/package.Service/Method`. */
  readonly path: string;
  /** Encoded requests, sent in turn (round robin): encoding must not bound the figure. */
  readonly requests: readonly Buffer[];
  /** Sent as `authorization: Bearer …` when given. */
  readonly token?: string;
  /** Calls in flight at every moment (unary), or streams open (streaming, one message in flight each). */
  readonly concurrency: number;
  readonly durationMs: number;
  /** Unrecorded calls before the clock starts, so connections and the server's code are warm. */
  readonly warmupMs?: number;
}

export interface LoadFigures {
  readonly calls: number;
  readonly errors: number;
  /** The first error's message, when there was one. */
  readonly firstError?: string;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * A thread of its own that drives load points (unary or bidirectional streams), one at a time:
 * what else the calling process runs (a benchmark's embedded Kafka broker and S3 server, say)
 * then neither delays the answers' arrival nor is counted in their latency. The thread lives
 * until closed, so the process's CPU figures (by thread, from /proc) keep counting it.
 */
export class LoadThread {
  private constructor(private readonly worker: Worker) {}

  static start(): LoadThread {
    const file = join(__dirname, `grpc-load.worker${extname(__filename)}`);
    const loader = file.endsWith('.ts') && !process.execArgv.some((arg) => arg.includes('@swc-node/register'));
    return new LoadThread(new Worker(file, loader ? { execArgv: ['--require', '@swc-node/register'] } : {}));
  }

  drive(streaming: boolean, point: LoadPoint): Promise<LoadFigures> {
    return new Promise<LoadFigures>((resolve, reject) => {
      const settle = (reply: { ok: true; figures: LoadFigures } | { ok: false; message: string }) => {
        this.worker.off('error', reject);
        this.worker.off('exit', exited);
        if (reply.ok) resolve(reply.figures);
        else reject(new Error(reply.message));
      };
      const exited = (code: number) => reject(new Error(`the load thread exited (${code}) before its figures`));
      this.worker.once('message', settle);
      this.worker.once('error', reject);
      this.worker.once('exit', exited);
      this.worker.postMessage({ streaming, point });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

function loadClient(point: LoadPoint): Client {
  return new Client(point.address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 << 20, ...point.channelOptions });
}

/**
 * Closed-loop load over one grpc-js channel: `concurrency` workers each send the next request as
 * soon as the previous answer arrives, so rps and latency are what the server sustains at that
 * concurrency (an open-loop generator would measure its own queue instead).
 */
export async function driveUnary(point: LoadPoint): Promise<LoadFigures> {
  const client = loadClient(point);
  const metadata = authorization(point.token);
  const call = (request: Buffer) =>
    new Promise<void>((done, fail) => {
      client.makeUnaryRequest(
        point.path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request,
        metadata,
        { deadline: Date.now() + 30_000 },
        (error: ServiceError | null) => (error ? fail(error) : done()),
      );
    });
  try {
    return await closedLoop(point, () => call);
  } finally {
    client.close();
  }
}

/**
 * Closed-loop load over bidirectional streams: `concurrency` streams, each writing its next
 * request when the answer to the previous one arrives. A latency is from write to answer.
 */
export async function driveBidiStream(point: LoadPoint): Promise<LoadFigures> {
  const client = loadClient(point);
  const metadata = authorization(point.token);
  const streams: Array<ClientDuplexStream<Buffer, Buffer>> = [];
  try {
    return await closedLoop(point, () => {
      const stream = client.makeBidiStreamRequest(
        point.path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        metadata,
      );
      streams.push(stream);
      let answered: { done: () => void; fail: (error: Error) => void } | undefined;
      stream.on('data', () => {
        const waiting = answered;
        answered = undefined;
        waiting?.done();
      });
      stream.on('error', (error: Error) => answered?.fail(error));
      return (request) =>
        new Promise<void>((done, fail) => {
          answered = { done, fail };
          stream.write(request);
        });
    });
  } finally {
    for (const stream of streams) stream.end();
    client.close();
  }
}

/**
 * Runs `concurrency` workers, each made by `workerOf` (a function sending one request and
 * settling when it is answered), for the warm-up and then for the measured time.
 */
async function closedLoop(point: LoadPoint, workerOf: () => (request: Buffer) => Promise<void>): Promise<LoadFigures> {
  const senders = Array.from({ length: point.concurrency }, () => workerOf());
  let next = 0;
  const phase = async (durationMs: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const end = Date.now() + durationMs;
    await Promise.all(
      senders.map(async (send) => {
        while (Date.now() < end) {
          const request = point.requests[next++ % point.requests.length]!;
          const start = process.hrtime.bigint();
          try {
            await send(request);
            if (record) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
          } catch (error) {
            errors++;
            firstError ??= (error as Error).message;
            // A failing server answers at once: do not turn the point into a busy loop of errors.
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }),
    );
    return { latencies, errors, firstError };
  };
  if ((point.warmupMs ?? 0) > 0) await phase(point.warmupMs!, false);
  const started = process.hrtime.bigint();
  const { latencies, errors, firstError } = await phase(point.durationMs, true);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { calls: latencies.length, errors, firstError, rps: latencies.length / seconds, p50Ms: quantile(0.5), p99Ms: quantile(0.99) };
}

function authorization(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}
