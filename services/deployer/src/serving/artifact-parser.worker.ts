// The worker thread of WorkerArtifactParser.
import { getHeapStatistics } from 'node:v8';
import { compactModelFromBytes, DEFAULT_ARTIFACT_LIMITS, transferablesOf } from '@flywheel/ml';
import { serveWorkerTasks } from '@flywheel/platform';

// Half this thread's heap (MODEL_ARTIFACT_WORKER_HEAP_MB) for what JSON.parse builds: the rest
// holds the text and the validated model. An artifact that would take more is refused before
// parsing, since a parse past the heap limit can abort the whole process, not just this thread.
const maxParsedBytes = getHeapStatistics().heap_size_limit / 2;

serveWorkerTasks((bytes: Uint8Array) => compactModelFromBytes(bytes, DEFAULT_ARTIFACT_LIMITS, maxParsedBytes), transferablesOf);
