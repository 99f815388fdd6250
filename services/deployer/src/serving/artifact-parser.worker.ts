// The worker thread of WorkerArtifactParser.
import { compactModelFromBytes, transferablesOf } from '@flywheel/ml';
import { serveWorkerTasks } from '@flywheel/platform';

serveWorkerTasks((bytes: Uint8Array) => compactModelFromBytes(bytes), transferablesOf);
