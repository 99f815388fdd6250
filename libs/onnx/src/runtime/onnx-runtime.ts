import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
// Imported for its type alone (nothing of it runs here): a compiler that follows imports — the
// service image build — compiles the process's file along with this one.
import { type handle } from './onnx-runtime.process';
import { type RuntimeAnswer, type RuntimeMessage, type RuntimeReply, type RuntimeRequest, type TensorData } from './onnx-runtime.types';

/** A request to the runtime's process, as its handler takes it. */
type ProcessRequest = Parameters<typeof handle>[0];

export interface OnnxRuntimeOptions {
  /** Most milliseconds one load or run may take; past them the runtime's process is stopped and started again. */
  readonly timeoutMs?: number;
  /** Heap bound of the runtime's process (its V8 heap; the graphs' native memory is not bounded by it). */
  readonly maxHeapMb?: number;
}

/** A graph loaded in the runtime, with the names of its inputs and outputs. */
export interface OnnxSession {
  readonly id: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The graph's bytes: a restarted runtime lost its sessions and loads them again from these. */
  readonly bytes: Uint8Array;
}

const LOADER = '@swc-node/register';

interface Pending {
  readonly resolve: (reply: RuntimeReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer?: NodeJS.Timeout;
}

/**
 * onnxruntime-node in a child process. Its load and run are synchronous native calls, and its
 * module can be loaded once per process, so they run there: off the event loop, one at a time.
 * A call past its time stops the process (every call waiting fails with the reason); the next
 * call starts a new one, and a run that finds its session gone loads it again from its bytes.
 */
export class OnnxRuntime {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextSession = 1;
  private nextMessage = 1;
  private closed = false;

  constructor(private readonly options: OnnxRuntimeOptions = {}) {}

  /** The runtime's process id while it runs (what an operator looks for in `ps`). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Loads a graph; onnxruntime's own error (an unknown operator, a bad shape) rejects. */
  async load(bytes: Uint8Array): Promise<OnnxSession> {
    const id = this.nextSession++;
    const reply = await this.call({ kind: 'load', session: id, bytes });
    if (reply.kind !== 'loaded') throw new Error(`ONNX runtime answered ${reply.kind} to a load`);
    return { id, inputNames: reply.inputNames, outputNames: reply.outputNames, bytes };
  }

  /**
   * Runs a loaded graph on `feeds` and returns every output: onnxruntime-node 1.23 answers a
   * subset of outputs under the wrong names (onnxruntime issue 26865), so none is asked for alone.
   */
  async run(session: OnnxSession, feeds: Readonly<Record<string, TensorData>>): Promise<Readonly<Record<string, TensorData>>> {
    const request: RuntimeRequest = { kind: 'run', session: session.id, feeds };
    let reply: RuntimeReply;
    try {
      reply = await this.call(request);
    } catch (error) {
      if (!(error as Error).message.includes(`session ${session.id} is not loaded`)) throw error;
      await this.call({ kind: 'load', session: session.id, bytes: session.bytes });
      reply = await this.call(request);
    }
    if (reply.kind !== 'ran') throw new Error(`ONNX runtime answered ${reply.kind} to a run`);
    return reply.outputs;
  }

  async release(session: OnnxSession): Promise<void> {
    if (this.child) await this.call({ kind: 'release', session: session.id });
  }

  /** Stops the runtime's process; calls waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop('stopped');
  }

  private call(body: ProcessRequest): Promise<RuntimeReply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('ONNX runtime stopped'));
      const child = this.start();
      const id = this.nextMessage++;
      const { timeoutMs } = this.options;
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => this.stop(`stopped: a ${body.kind} ran past ${timeoutMs} ms`), timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // The process holds the service open only while it has work.
      child.ref();
      child.send({ id, body } satisfies RuntimeMessage<RuntimeRequest>);
    });
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const ts = __filename.endsWith('.ts');
    const inherited = process.execArgv.some((arg) => arg.includes(LOADER));
    const execArgv = [
      ...(ts && !inherited ? ['--require', LOADER] : ts ? process.execArgv.filter((a) => !a.startsWith('--inspect')) : []),
      ...(this.options.maxHeapMb ? [`--max-old-space-size=${this.options.maxHeapMb}`] : []),
    ];
    const child = fork(join(__dirname, `onnx-runtime.process${ts ? '.ts' : '.js'}`), [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.unref();
    child.on('message', (answer: RuntimeAnswer<RuntimeReply>) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      clearTimeout(pending.timer);
      if (this.pending.size === 0) child.unref();
      if (answer.ok) pending.resolve(answer.result);
      else pending.reject(new Error(answer.message));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.stop(`exited (${signal ?? `code ${code}`})`);
    });
    this.child = child;
    return child;
  }

  /** Stops the process; every call waiting fails with `reason`. */
  private stop(reason: string): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`ONNX runtime ${reason}`));
    }
  }
}
