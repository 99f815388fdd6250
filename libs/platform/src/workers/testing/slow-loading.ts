import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long slow-loading-worker.ts takes to load. */
export const SLOW_WORKER_LOAD_MS = 600;

/**
 * The file slow-loading-worker.ts writes once loaded. A worker gets the process's own
 * environment, not a test's copy of it, so the path is derived from the process id.
 */
export function slowLoadingWorkerMarker(): string {
  return join(tmpdir(), `flywheel-slow-loading-worker-${process.pid}`);
}
