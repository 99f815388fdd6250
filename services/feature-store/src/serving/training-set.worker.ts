// The threads of TrainingSetThreads: each task writes the CSV text of one part of a training set,
// or profiles some of its columns.
import { serveWorkerTasks } from '@flywheel/platform';
import { runTrainingSetTask } from './training-set-threads';

serveWorkerTasks(runTrainingSetTask, (result) => (result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : []));
