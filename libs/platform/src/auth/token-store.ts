import { statSync } from 'node:fs';
import { type CallerIdentity } from './caller-identity';
import { readTokensFile } from './token-file';
import { TokenIndex } from './tokens';

export interface TokenStoreOptions {
  /** How often the file's stat is polled for changes. */
  readonly pollIntervalMs?: number;
  readonly onReload?: (tokenCount: number) => void;
  /** A failed reload keeps the tokens already loaded; this hears why, once per bad version. */
  readonly onReloadError?: (error: Error) => void;
}

/** What identifies one version of the file on disk; `missing` while it does not exist. */
type FileVersion = string;

/**
 * The tokens file, loaded at boot and reloaded when it changes (a rotated Kubernetes Secret,
 * a token issued by the CLI) without a restart. Polling stat works across the symlink swaps
 * of mounted Secrets, where inotify watches go stale; comparing with the stat taken before
 * the last read means a change made at any moment, even during a load, is picked up.
 */
export class TokenStore {
  private index: TokenIndex = new TokenIndex([]);
  private loaded: FileVersion = 'missing';
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    private readonly options: TokenStoreOptions,
  ) {}

  /** Fails when the file is missing or malformed: a service must not start without its tokens. */
  static open(file: string, options: TokenStoreOptions = {}): TokenStore {
    const store = new TokenStore(file, options);
    store.reload();
    store.timer = setInterval(() => store.poll(), options.pollIntervalMs ?? 1000);
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
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
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
