import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MAX_LEVELS_UP = 8;
const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The version of the training code a run records: the configured value, else the git commit
 * of the checkout this runs from (read from `.git`, no process started), else the package version.
 */
export function codeVersion(configured: string | undefined, startDir: string = __dirname): string {
  if (configured) return configured;
  return gitCommit(startDir) ?? `@flywheel/trainer-service@${packageVersion()}`;
}

function gitCommit(startDir: string): string | null {
  let dir = startDir;
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const head = join(dir, '.git', 'HEAD');
    if (existsSync(head)) return resolveHead(join(dir, '.git'), readFileSync(head, 'utf8').trim());
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function resolveHead(gitDir: string, head: string): string | null {
  if (COMMIT.test(head)) return head;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (!ref) return null;
  const loose = join(gitDir, ref);
  if (existsSync(loose)) {
    const commit = readFileSync(loose, 'utf8').trim();
    return COMMIT.test(commit) ? commit : null;
  }
  const packed = join(gitDir, 'packed-refs');
  if (!existsSync(packed)) return null;
  for (const line of readFileSync(packed, 'utf8').split('\n')) {
    const [commit, name] = line.trim().split(' ');
    if (name === ref && commit && COMMIT.test(commit)) return commit;
  }
  return null;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? '0.0.0';
}
