/**
 * Helper threads for one synchronous call — a fit building its histograms, a batch scoring its
 * rows — as scikit-learn's OpenMP loops use every core. The calling thread drives them without
 * the event loop: commands go through a shared Int32Array (Atomics.wait/notify) and the buffers
 * of a call (a session) reach the helpers as a message they read synchronously
 * (receiveMessageOnPort). The helpers start once per thread that calls and then wait,
 * unreferenced, for the next session.
 */
import { extname, join } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
// Imported for its type alone (nothing of it runs here): a compiler that follows imports — the
// service image build — compiles the helpers' file along with this one.
import { type HelperWork } from './helper-threads.worker';
import { type GbdtLoss } from './hist-gradient-boosting';

/** What a helper thread holds between commands (helper-threads.worker.ts). */
export type HelperState = HelperWork | null;

/** Slots of the control array. */
export const Control = {
  /** Bumped by every command; helpers wait for it to change. */
  Sequence: 0,
  /** Helpers still working on the current command. */
  Pending: 1,
  Command: 2,
  /** Build: the first row of the node's partition; Score: the rows in the block. */
  Start: 3,
  Stop: 4,
  IsRoot: 5,
  /** Which histogram of the arena to fill. */
  Slot: 6,
  /** Helpers that have started. */
  Ready: 7,
  /** Set by a helper whose command threw. */
  Failed: 8,
  /** Helpers taking part in the current session: those of a higher index ignore its commands. */
  Active: 9,
  /** Build: the first feature no thread has claimed yet; Gradients: the first block of rows. */
  NextClaim: 10,
  /** Build: features a thread claims at once. */
  Chunk: 11,
  Length: 12,
} as const;

export const Command = {
  /** Build a node's histograms for the helper's block of features. */
  Build: 1,
  /** Read the next session's buffers from the port. */
  Session: 2,
  /** Drop the session's buffers. */
  EndSession: 3,
  /** Score the helper's share of the block's rows. */
  Score: 4,
  /** Compute the gradients, hessians and loss of the row blocks the helper claims. */
  Gradients: 5,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** What a helper reads at the start of a fit. */
export interface HistogramSession {
  readonly kind: 'histograms';
  readonly bins: SharedArrayBuffer;
  readonly rows: SharedArrayBuffer;
  readonly gradients: SharedArrayBuffer;
  readonly hessians: SharedArrayBuffer;
  readonly partition: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
  readonly nRows: number;
  readonly nFeatures: number;
  readonly loss: GbdtLoss;
  readonly y: SharedArrayBuffer;
  readonly raw: SharedArrayBuffer;
  readonly blockLoss: SharedArrayBuffer;
}

/** What a helper reads at the start of a batch scored by a forest. */
export interface ForestSession {
  readonly kind: 'forest';
  readonly baseline: number;
  readonly roots: SharedArrayBuffer;
  readonly links: SharedArrayBuffer;
  readonly threshold: SharedArrayBuffer;
  readonly missingRight: SharedArrayBuffer;
  readonly value: SharedArrayBuffer;
  /** The block's model inputs, column after column, `blockRows` each. */
  readonly columns: SharedArrayBuffer;
  /** The block's scores. */
  readonly out: SharedArrayBuffer;
  readonly width: number;
  readonly blockRows: number;
}

export type SessionMessage = HistogramSession | ForestSession;

export interface HelperData {
  readonly control: SharedArrayBuffer;
  readonly port: MessagePort;
  /** 0 for the first helper started. */
  readonly index: number;
}

/** How long a command may take a helper before the call gives up on it (a helper that died). */
const HELPER_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 15_000;
const LOADER = '@swc-node/register';

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
}

/** The helpers of this thread, shared by its calls (each is synchronous, so one at a time). */
let helpers: Helper[] = [];
let control: Int32Array | null = null;

/** Starts helpers until there are `count`; the control array, or null when they cannot start. */
export function startHelpers(count: number): Int32Array | null {
  control ??= new Int32Array(new SharedArrayBuffer(Control.Length * 4));
  if (helpers.length >= count) return control;
  const file = join(__dirname, `helper-threads.worker${extname(__filename)}`);
  const inherited = process.execArgv.some((arg) => arg.includes(LOADER));
  const execArgv = file.endsWith('.ts') && !inherited ? [...process.execArgv, '--require', LOADER] : undefined;
  while (helpers.length < count) {
    const { port1, port2 } = new MessageChannel();
    const data: HelperData = { control: control.buffer as SharedArrayBuffer, port: port2, index: helpers.length };
    const worker = new Worker(file, { workerData: data, transferList: [port2], ...(execArgv ? { execArgv } : {}) });
    worker.unref();
    // A helper that fails shows as a call that falls back to one thread, not as an unhandled error.
    worker.on('error', () => undefined);
    helpers.push({ worker, port: port1 });
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let ready = Atomics.load(control, Control.Ready); ready < helpers.length; ready = Atomics.load(control, Control.Ready)) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(control, Control.Ready, ready, left) === 'timed-out') {
      for (const h of helpers) void h.worker.terminate();
      helpers = [];
      control = null;
      return null;
    }
  }
  return control;
}

/** Sends `command` to the first `count` helpers; the others (started for a call with more threads) sit it out. */
function broadcast(ctl: Int32Array, command: Command, count: number): void {
  Atomics.store(ctl, Control.Command, command);
  Atomics.store(ctl, Control.Active, count);
  Atomics.store(ctl, Control.Pending, count);
  Atomics.add(ctl, Control.Sequence, 1);
  Atomics.notify(ctl, Control.Sequence);
}

function awaitHelpers(ctl: Int32Array): void {
  const deadline = Date.now() + HELPER_TIMEOUT_MS;
  for (let pending = Atomics.load(ctl, Control.Pending); pending !== 0; pending = Atomics.load(ctl, Control.Pending)) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(ctl, Control.Pending, pending, left) === 'timed-out') {
      throw new Error(`a helper thread did not answer within ${HELPER_TIMEOUT_MS / 1000} s`);
    }
  }
  if (Atomics.exchange(ctl, Control.Failed, 0) !== 0) throw new Error('a helper thread failed');
}

/** Runs `command` on the first `count` helpers while this thread does `own` share, and waits for them. */
export function together(ctl: Int32Array, command: Command, count: number, own: () => void): void {
  broadcast(ctl, command, count);
  try {
    own();
  } finally {
    awaitHelpers(ctl);
  }
}

/** Hands helper k `sessions[k]` and waits until every one has read its own. */
export function beginSession(ctl: Int32Array, sessions: readonly SessionMessage[]): void {
  sessions.forEach((session, k) => helpers[k].port.postMessage(session));
  broadcast(ctl, Command.Session, sessions.length);
  awaitHelpers(ctl);
}

/** Ends a session: the helpers let go of its buffers and wait for the next one. */
export function endSession(ctl: Int32Array, count: number): void {
  broadcast(ctl, Command.EndSession, count);
  awaitHelpers(ctl);
}

/** Part `k` of `parts` of `n` items (features, rows): as even as whole items allow. */
export function evenPart(k: number, parts: number, n: number): { from: number; to: number } {
  return { from: Math.floor((k * n) / parts), to: Math.floor(((k + 1) * n) / parts) };
}

/** Stops this thread's helpers (tests; a process that exits needs nothing). */
export async function stopHelperThreads(): Promise<void> {
  const stopping = helpers;
  helpers = [];
  control = null;
  await Promise.all(stopping.map((h) => h.worker.terminate()));
}
