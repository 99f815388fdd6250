// A worker for worker-tasks.spec.ts: squares a number, refuses negative ones, dies on request,
// fills memory or spins on request, and returns a sequence in a buffer that moves back.
import { serveWorkerTasks } from '../worker-tasks';
import { threadId } from 'node:worker_threads';

export type ArithmeticTask =
  | { kind: 'square'; value: number }
  | { kind: 'die' }
  | { kind: 'thread' }
  | { kind: 'hoard' }
  | { kind: 'spin'; ms: number }
  | { kind: 'sequence'; length: number }
  | { kind: 'last-sequence-bytes' };

/** The last sequence returned: its buffer is empty here once it moved to the main thread. */
let lastSequence: Float64Array | undefined;

/** Keeps every array reachable until the heap limit ends the thread. */
function hoard(): never {
  const kept: number[][] = [];
  for (;;) kept.push(Array.from({ length: 1 << 16 }, (_, i) => i + kept.length));
}

serveWorkerTasks(
  (task: ArithmeticTask) => {
    switch (task.kind) {
      case 'square':
        if (task.value < 0) throw new RangeError(`value: ${task.value} is negative`);
        return task.value * task.value;
      case 'thread':
        return threadId;
      case 'die':
        return process.exit(3);
      case 'hoard':
        return hoard();
      case 'spin': {
        // Busy, as a long synchronous fit is: nothing but stopping the thread ends it early.
        const until = Date.now() + task.ms;
        while (Date.now() < until);
        return task.ms;
      }
      case 'sequence':
        lastSequence = Float64Array.from({ length: task.length }, (_, i) => i);
        return lastSequence;
      case 'last-sequence-bytes':
        return lastSequence?.byteLength ?? -1;
    }
  },
  (result) => (result instanceof Float64Array ? [result.buffer as ArrayBuffer] : []),
);
