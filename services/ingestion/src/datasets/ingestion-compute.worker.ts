// The worker thread of WorkerIngestionCompute.
import { serveWorkerTasks } from '@flywheel/platform';
import { computeTransfer, runComputeTask } from './ingestion-compute';

serveWorkerTasks(runComputeTask, computeTransfer);
