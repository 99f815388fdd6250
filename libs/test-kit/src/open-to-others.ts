import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every entry at or below `root` that another user could read, write or enter (any group or
 * other permission bit), with its mode: what a test of private data expects to be empty.
 * Links are listed as they are, not followed.
 */
export function entriesOpenToOthers(root: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if ((stat.mode & 0o077) !== 0 && !stat.isSymbolicLink()) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}
