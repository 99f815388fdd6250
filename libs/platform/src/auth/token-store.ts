import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import { type CallerIdentity } from './caller-identity';
import { readTokensFile } from './token-file';
import { TokenIndex } from './tokens';

export interface TokenStoreOptions {
  /** How often the file's stat is polled anyway, in case a change went unseen by the directory watch. */
  readonly pollIntervalMs?: number;
  readonly onReload?: (tokenCount: number) => void;
  /** A failed reload keeps the tokens already loaded; this hears why, once per bad version. */
  readonly onReloadError?: (error: Error) => void;
}

/** What identifies one version of the file on disk; `missing` while it does not exist. */
type FileVersion = string;

/** A revoked token stops working within this long even if no change event came. */
export const TOKENS_POLL_INTERVAL_MS = 10_000;

/**
 * The tokens file, loaded at boot and reloaded when it changes (a rotated Kubernetes Secret,
 * a token issued or revoked by the CLI) without a restart. The file's directory is watched, not
 * the file: a mounted Secret is swapped by renaming a symlink in that directory, which leaves a
 * watch on the file itself stale but shows up in the directory's events. Any event there makes
 * the store compare the file's stat with the stat taken before the last read (so a change made
 * at any moment, even during a load, is picked up); a slow stat poll covers a watch that cannot
 * be set up or misses an event (network file systems).
 */
export class TokenStore {
  private index: TokenIndex = new TokenIndex([]);
  private loaded: FileVersion = 'missing';
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly options: TokenStoreOptions,
  ) {}

  /** Fails when the file is missing or malformed: a service must not start without its tokens. */
  static open(file: string, options: TokenStoreOptions = {}): TokenStore {
    const store = new TokenStore(file, options);
    store.reload();
    store.watchDirectory();
    store.timer = setInterval(() => {
      store.watchDirectory();
      store.poll();
    }, options.pollIntervalMs ?? TOKENS_POLL_INTERVAL_MS);
    store.timer.unref();
    return store;
  }

  get tokenCount(): number {
    return this.index.size;
  }

  verify(token: string): CallerIdentity | undefined {
    const record = this.index.verify(token);
    return record && { tokenId: record.id, team: record.team, roles: record.roles };
  }

  reload(): void {
    const version = this.currentVersion();
    const content = readTokensFile(this.file);
    this.index = new TokenIndex(content.tokens);
    this.loaded = version;
    this.options.onReload?.(this.index.size);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** (Re)starts the directory watch; where it cannot be had, the poll alone keeps the tokens fresh. */
  private watchDirectory(): void {
    if (this.watcher || this.closed) return;
    try {
      const watcher = watch(dirname(this.file), { persistent: false }, () => this.poll());
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
    } catch {
      // The directory is gone or cannot be watched; the next poll tries again.
    }
  }

  private poll(): void {
    if (this.closed) return;
    const version = this.currentVersion();
    if (version === this.loaded) return;
    try {
      this.reload();
    } catch (error) {
      // Remember the bad version so it is reported once, not on every poll.
      this.loaded = version;
      this.options.onReloadError?.(error as Error);
    }
  }

  private currentVersion(): FileVersion {
    try {
      const stat = statSync(this.file);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    } catch {
      return 'missing';
    }
  }
}
