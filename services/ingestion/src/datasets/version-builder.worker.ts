// The worker thread of WorkerVersionBuilder.
import { serveWorkerTasks } from '@flywheel/platform';
import { type VersionBuildTask } from './version-builder';
import { buildFromStaged, type StagedVersion } from './version-file';

serveWorkerTasks<VersionBuildTask, StagedVersion>((task) => buildFromStaged(task.contract, task));
