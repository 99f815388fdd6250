import { isMainThread, parentPort, type ResourceLimits, Worker } from 'node:worker_threads';

/** What goes to a worker and back: values the structured clone algorithm copies. */
interface TaskMessage<T> {
  readonly id: number;
  readonly request: T;
}

type ReplyMessage<T> =
  | { readonly id: number; readonly ok: true; readonly result: T }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack: string | undefined };

const LOADER = '@swc-node/register';

/**
 * A worker thread running `file`, a module of this code base: compiled code (.js) starts as
 * is, TypeScript sources (development, tests) with the loader the services run under.
 * `resourceLimits` bound its heap: past them the thread dies, not the process.
 */
export function startWorkerThread(file: string, resourceLimits?: ResourceLimits): Worker {
  const inherited = process.execArgv.some((arg) => arg.includes(LOADER));
  const execArgv = file.endsWith('.ts') && !inherited ? ['--require', LOADER] : undefined;
  return new Worker(file, { ...(execArgv ? { execArgv } : {}), ...(resourceLimits ? { resourceLimits } : {}) });
}

interface Pending<Result> {
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** One thread and the tasks it holds. */
interface Thread<Result> {
  readonly worker: Worker;
  readonly pending: Map<number, Pending<Result>>;
}

/**
 * Runs CPU-heavy tasks on worker threads, so the event loop that serves gRPC, Kafka and the
 * database stays free and other cores do the work. Each task goes to the thread holding the
 * fewest. A thread that dies fails the tasks it held with the reason and is replaced when
 * needed; a task that throws fails alone.
 */
export class WorkerTasks<Request, Result> {
  private readonly threads: Array<Thread<Result>> = [];
  private nextId = 0;

  /**
   * `file` calls {@link serveWorkerTasks} with the handler; `name` says what it is in errors;
   * `resourceLimits` bound each thread's memory (a thread past them dies: its tasks fail).
   */
  constructor(
    private readonly file: string,
    private readonly name: string,
    private readonly size = 1,
    private readonly resourceLimits?: ResourceLimits,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`${name}: a pool needs at least one thread, got ${size}`);
  }

  /** Starts every thread now (otherwise tasks do, as needed): loading their modules takes a moment. */
  warm(): void {
    while (this.threads.length < this.size) this.startThread();
  }

  /** Runs a task; `transfer` lists buffers of the request that move to the worker instead of being copied. */
  run(request: Request, transfer: readonly ArrayBuffer[] = []): Promise<Result> {
    const idle = this.threads.reduce<Thread<Result> | undefined>(
      (best, t) => (!best || t.pending.size < best.pending.size ? t : best),
      undefined,
    );
    const thread = idle && (idle.pending.size === 0 || this.threads.length >= this.size) ? idle : this.startThread();
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // A worker holds the process open only while it has work.
      thread.worker.ref();
      thread.worker.postMessage({ id, request } satisfies TaskMessage<Request>, [...transfer]);
    });
  }

  /** Stops the threads; tasks still running fail. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const thread of threads) this.failAll(thread, new Error(`${this.name} worker stopped`));
  }

  private startThread(): Thread<Result> {
    const thread: Thread<Result> = { worker: startWorkerThread(this.file, this.resourceLimits), pending: new Map() };
    const { worker, pending } = thread;
    worker.unref();
    worker.on('message', (reply: ReplyMessage<Result>) => {
      const task = pending.get(reply.id);
      if (!task) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if (reply.ok) {
        task.resolve(reply.result);
      } else {
        const error = new Error(reply.message);
        if (reply.stack) error.stack = reply.stack;
        task.reject(error);
      }
    });
    const lost = (reason: string) => {
      const index = this.threads.indexOf(thread);
      if (index < 0) return;
      this.threads.splice(index, 1);
      this.failAll(thread, new Error(`${this.name} worker ${reason}`));
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.threads.push(thread);
    return thread;
  }

  private failAll(thread: Thread<Result>, error: Error): void {
    const tasks = [...thread.pending.values()];
    thread.pending.clear();
    for (const task of tasks) task.reject(error);
  }
}

/**
 * The worker's side of {@link WorkerTasks}: answers each task with what `handle` returns or
 * throws; `transfer` lists buffers of a result that move back instead of being copied.
 */
export function serveWorkerTasks<Request, Result>(
  handle: (request: Request) => Result | Promise<Result>,
  transfer: (result: Result) => readonly ArrayBuffer[] = () => [],
): void {
  if (isMainThread || !parentPort) throw new Error('serveWorkerTasks runs in a worker thread');
  const port = parentPort;
  port.on('message', (task: TaskMessage<Request>) => {
    void (async () => {
      try {
        const result = await handle(task.request);
        port.postMessage({ id: task.id, ok: true, result } satisfies ReplyMessage<Result>, [...transfer(result)]);
      } catch (error) {
        const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined };
        port.postMessage({ id: task.id, ok: false, message, stack } satisfies ReplyMessage<Result>);
      }
    })();
  });
}
