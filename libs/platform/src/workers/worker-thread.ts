import { parentPort, type ResourceLimits, Worker } from 'node:worker_threads';

/** What a worker thread posts once its modules have loaded; see {@link announceLoaded}. */
const LOADED = 'flywheel.worker-thread.loaded';

const LOADER = '@swc-node/register';

/**
 * How long a thread is given to load its modules: past it, the thread counts as failed (its pool
 * fails its task) and may be terminated, so a module that never finishes loading (a loop at its
 * top level) neither holds a task forever nor keeps a pool from closing.
 */
const LOADING_GRACE_MS = 60_000;

/**
 * A worker thread of this code base that is terminated only once it has loaded its modules.
 *
 * Node 20 aborts the whole process ("v8::Module::IsGraphAsync must be used on an instantiated
 * module") when a thread is terminated while it instantiates an ES module it `require()`s — and
 * the NestJS packages, loaded by most of our modules, ship only ES modules. A thread stopped
 * early (its task cancelled or past its time, its pool closed) therefore waits for the thread's
 * {@link announceLoaded} before it goes.
 */
export class WorkerThread {
  readonly worker: Worker;
  private readonly settled: Promise<boolean>;
  private terminating?: Promise<void>;

  /**
   * Starts `file`: compiled code (.js) as is, TypeScript sources (development, tests) with the
   * loader the services run under. `resourceLimits` bound its heap: past them the thread dies,
   * not the process. `loadingGraceMs`: see LOADING_GRACE_MS.
   */
  constructor(file: string, resourceLimits?: ResourceLimits, loadingGraceMs = LOADING_GRACE_MS) {
    const inherited = process.execArgv.some((arg) => arg.includes(LOADER));
    const execArgv = file.endsWith('.ts') && !inherited ? ['--require', LOADER] : undefined;
    this.worker = new Worker(file, { ...(execArgv ? { execArgv } : {}), ...(resourceLimits ? { resourceLimits } : {}) });
    this.settled = new Promise<boolean>((resolve) => {
      const grace = setTimeout(() => resolve(false), loadingGraceMs).unref();
      const onMessage = (message: unknown) => {
        if (message !== LOADED) return;
        this.worker.off('message', onMessage);
        clearTimeout(grace);
        resolve(true);
      };
      this.worker.on('message', onMessage);
      // A thread whose loading failed is gone already: nothing is left to wait for.
      this.worker.once('exit', () => {
        clearTimeout(grace);
        resolve(false);
      });
    });
  }

  /** True once the thread has loaded; false if it exited first or its loading grace ran out. */
  whenLoaded(): Promise<boolean> {
    return this.settled;
  }

  /** Messages from the thread, apart from its loading signal. */
  onMessage(listener: (message: unknown) => void): void {
    this.worker.on('message', (message: unknown) => {
      if (message !== LOADED) listener(message);
    });
  }

  /** Terminates the thread as soon as it has loaded (at once if it has). */
  terminate(): Promise<void> {
    this.terminating ??= (async () => {
      await this.settled;
      await this.worker.terminate();
    })();
    return this.terminating;
  }
}

/**
 * The thread's side of {@link WorkerThread}: called once every module it needs has loaded (at the
 * end of its entry file), after which it may be terminated safely.
 */
export function announceLoaded(): void {
  if (!parentPort) throw new Error('announceLoaded runs in a worker thread');
  parentPort.postMessage(LOADED);
}
