// A worker for worker-tasks.spec.ts that takes SLOW_WORKER_LOAD_MS to load, as a worker
// requiring many modules on a busy machine does, then writes slowLoadingWorkerMarker(): proof
// that it was left to finish loading.
import { writeFileSync } from 'node:fs';
import { serveWorkerTasks } from '../worker-tasks';
import { SLOW_WORKER_LOAD_MS, slowLoadingWorkerMarker } from './slow-loading';

Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_WORKER_LOAD_MS);
writeFileSync(slowLoadingWorkerMarker(), 'loaded');

serveWorkerTasks((value: number) => value * value);
