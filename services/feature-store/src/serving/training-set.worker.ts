// The threads of TrainingSetThreads: each task writes one training set's CSV with its sha256.
import { serveWorkerTasks } from '@flywheel/platform';
import { writeTrainingSet } from './training-set-threads';

serveWorkerTasks(writeTrainingSet, (written) => [written.bytes.buffer as ArrayBuffer]);
