import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything the development servers keep on disk (secrets, tokens, logs, objects, Kafka
 * segments) is for the user who started them alone: another account on the same machine must
 * not read a model or a dataset because a file happened to be created 0644.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Defence in depth behind the explicit modes: whatever this process (or a library it uses)
 * creates without a mode gets no group or other bits. Call it first thing in a server's main.
 */
export function keepNewFilesPrivate(): void {
  process.umask(0o077);
}

/**
 * Removes group and other bits from `root` and everything below it (links are not followed),
 * for data folders written by a version that created them readable by all. Returns how many
 * entries it changed.
 */
export function makeTreePrivate(root: string): number {
  let changed = 0;
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) {
      chmodSync(path, stat.mode & 0o7700);
      changed++;
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return changed;
}
