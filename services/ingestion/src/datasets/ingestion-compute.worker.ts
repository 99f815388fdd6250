// The worker thread of WorkerIngestionCompute.
import { serveWorkerTasks } from '@flywheel/platform';
import { runComputeTask } from './ingestion-compute';

serveWorkerTasks(runComputeTask);
