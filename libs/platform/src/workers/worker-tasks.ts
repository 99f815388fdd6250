import { isMainThread, parentPort, type ResourceLimits } from 'node:worker_threads';
import { announceLoaded, WorkerThread } from './worker-thread';

/** What goes to a worker and back: values the structured clone algorithm copies. */
interface TaskMessage<T> {
  readonly id: number;
  readonly request: T;
}

type ReplyMessage<T> =
  | { readonly id: number; readonly ok: true; readonly result: T }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack: string | undefined };

export interface TaskOptions {
  /** Buffers of the request that move to the worker instead of being copied. */
  readonly transfer?: readonly ArrayBuffer[];
  /**
   * Most milliseconds the task may run once a thread (its modules loaded) has taken it: past them
   * its thread is stopped and the task fails saying so (a synchronous task cannot be interrupted
   * otherwise).
   */
  readonly timeoutMs?: number;
  /** Aborted, the task fails saying it was cancelled: taken off the queue, or its thread stopped. */
  readonly signal?: AbortSignal;
}

interface Task<Request, Result> {
  readonly request: Request;
  readonly options: TaskOptions;
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** One thread and the task it runs. */
interface Thread<Request, Result> {
  readonly thread: WorkerThread;
  running?: { readonly id: number; readonly task: Task<Request, Result>; timer?: NodeJS.Timeout };
}

/**
 * Runs CPU-heavy tasks on worker threads, so the event loop that serves gRPC, Kafka and the
 * database stays free and other cores do the work. A thread runs one task at a time; tasks wait
 * here, in order, for a free thread. A thread that dies (or outgrows its memory, or runs a task
 * past its time) fails that task with the reason and is replaced when needed; a task that
 * throws fails alone.
 */
export class WorkerTasks<Request, Result> {
  private readonly threads: Array<Thread<Request, Result>> = [];
  private readonly waiting: Array<Task<Request, Result>> = [];
  /** Threads lost and being terminated (which waits for their loading): closing waits for them too. */
  private readonly stopping = new Set<Promise<void>>();
  private nextId = 0;
  private closed = false;

  /**
   * `file` calls {@link serveWorkerTasks} with the handler; `name` says what it is in errors;
   * `resourceLimits` bound each thread's memory (a thread past them dies: its task fails).
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

  /** Runs a task on the first free thread (`options.transfer`: buffers that move instead of being copied). */
  run(request: Request, options: TaskOptions = {}): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      if (this.closed) return reject(new Error(`${this.name} worker stopped`));
      const { signal } = options;
      if (signal?.aborted) return reject(new Error(`${this.name} task cancelled`));
      const onAbort = () => this.cancel(task);
      const task: Task<Request, Result> = {
        request,
        options,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(task);
      this.dispatch();
    });
  }

  /** A cancelled task: off the queue if it waits, its thread stopped if it runs. */
  private cancel(task: Task<Request, Result>): void {
    const waiting = this.waiting.indexOf(task);
    if (waiting >= 0) {
      this.waiting.splice(waiting, 1);
      task.reject(new Error(`${this.name} task cancelled`));
      return;
    }
    const thread = this.threads.find((t) => t.running?.task === task);
    if (thread) this.lose(thread, 'stopped: its task was cancelled');
  }

  /** Stops the threads; tasks running or waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    const waiting = this.waiting.splice(0);
    await Promise.all([...threads.map((t) => t.thread.terminate()), ...this.stopping]);
    const stopped = new Error(`${this.name} worker stopped`);
    for (const thread of threads) this.finish(thread)?.reject(stopped);
    for (const task of waiting) task.reject(stopped);
  }

  /** Hands waiting tasks to free threads, starting threads up to the pool's size. */
  private dispatch(): void {
    while (this.waiting.length > 0) {
      const thread = this.threads.find((t) => !t.running) ?? (this.threads.length < this.size ? this.startThread() : undefined);
      if (!thread) return;
      const task = this.waiting.shift()!;
      const id = this.nextId++;
      const { timeoutMs, transfer = [] } = task.options;
      const running: NonNullable<Thread<Request, Result>['running']> = { id, task };
      thread.running = running;
      // The budget is the task's: a thread still loading its modules has not begun it.
      if (timeoutMs !== undefined) {
        void thread.thread.whenLoaded().then((loaded) => {
          if (!loaded || thread.running !== running) return;
          running.timer = setTimeout(() => this.lose(thread, `ran past its time budget of ${formatSeconds(timeoutMs)}`), timeoutMs);
        });
      }
      // A worker holds the process open only while it has work.
      thread.thread.worker.ref();
      thread.thread.worker.postMessage({ id, request: task.request } satisfies TaskMessage<Request>, [...transfer]);
    }
  }

  private startThread(): Thread<Request, Result> {
    const thread: Thread<Request, Result> = { thread: new WorkerThread(this.file, this.resourceLimits) };
    const { worker } = thread.thread;
    worker.unref();
    thread.thread.onMessage((message) => {
      const reply = message as ReplyMessage<Result>;
      if (thread.running?.id !== reply.id) return;
      const task = this.finish(thread)!;
      worker.unref();
      if (reply.ok) {
        task.resolve(reply.result);
      } else {
        const error = new Error(reply.message);
        if (reply.stack) error.stack = reply.stack;
        task.reject(error);
      }
      this.dispatch();
    });
    worker.on('error', (error) => this.lose(thread, `failed: ${error.message}`));
    worker.on('exit', (code) => this.lose(thread, `exited with code ${code}`));
    // A thread that exited was lost above, with its reason; one still loading past its grace is lost here.
    void thread.thread.whenLoaded().then((loaded) => {
      if (!loaded) this.lose(thread, 'did not finish loading its modules in time');
    });
    this.threads.push(thread);
    return thread;
  }

  /** The thread's task, taken off it. */
  private finish(thread: Thread<Request, Result>): Task<Request, Result> | undefined {
    const running = thread.running;
    thread.running = undefined;
    clearTimeout(running?.timer);
    return running?.task;
  }

  /** A thread that died or must die: its task fails with the reason, and the waiting go on elsewhere. */
  private lose(thread: Thread<Request, Result>, reason: string): void {
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    const task = this.finish(thread);
    const stopped = thread.thread.terminate().finally(() => this.stopping.delete(stopped));
    this.stopping.add(stopped);
    task?.reject(new Error(`${this.name} worker ${reason}`));
    // After what is happening now (one abort cancelling several tasks), not in the middle of it.
    queueMicrotask(() => {
      if (!this.closed) this.dispatch();
    });
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * The worker's side of {@link WorkerTasks}, called at the end of the worker's entry file (its
 * imports loaded): answers each task with what `handle` returns or throws; `transfer` lists
 * buffers of a result that move back instead of being copied.
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
  announceLoaded();
}
