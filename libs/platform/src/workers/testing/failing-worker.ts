// A worker for worker-tasks.spec.ts whose loading fails, as one with a module that throws does.
import { serveWorkerTasks } from '../worker-tasks';

throw new Error('a module of this worker failed to load');

serveWorkerTasks((value: number) => value);
