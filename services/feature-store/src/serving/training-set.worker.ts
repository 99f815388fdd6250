// The threads of TrainingSetThreads: each task writes the CSV text of one part of a training set.
import { serveWorkerTasks } from '@flywheel/platform';
import { writeTrainingSetPart } from './training-set-threads';

serveWorkerTasks(writeTrainingSetPart, (bytes) => [bytes.buffer as ArrayBuffer]);
