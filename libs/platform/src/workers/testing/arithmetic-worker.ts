// A worker for worker-tasks.spec.ts: squares a number, refuses negative ones, dies on request.
import { serveWorkerTasks } from '../worker-tasks';
import { threadId } from 'node:worker_threads';

export type ArithmeticTask = { kind: 'square'; value: number } | { kind: 'die' } | { kind: 'thread' };

serveWorkerTasks((task: ArithmeticTask) => {
  switch (task.kind) {
    case 'square':
      if (task.value < 0) throw new RangeError(`value: ${task.value} is negative`);
      return task.value * task.value;
    case 'thread':
      return threadId;
    case 'die':
      process.exit(3);
  }
});
