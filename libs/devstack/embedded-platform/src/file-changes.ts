import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** How long a burst of writes to one file is let settle before it is read (a write and its rename). */
const SETTLE_MS = 100;

const versionOf = (file: string): string => {
  try {
    const stat = statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
  } catch {
    return 'missing';
  }
};

/**
 * Calls `onChange` after `file` is written, replaced, created or removed. Watched through its
 * folder, since files are replaced by a rename (writePrivateFile, editors); no polling, so an
 * idle platform stays idle. Stop it with `stop()`.
 */
export function watchFileChanges(file: string, onChange: () => void): { stop(): Promise<void> } {
  let seen = versionOf(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = versionOf(file);
      if (now === seen) return;
      seen = now;
      onChange();
    }, SETTLE_MS);
    timer.unref();
  };
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(file)) settle();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // The folder cannot be watched: changes then take effect at the next start, as before.
  }
  return {
    async stop() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
