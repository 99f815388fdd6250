/**
 * Commits that changed a table, as they happen: what a background loop waits for instead of
 * asking the database again and again whether something is there for it.
 */
export abstract class TableChanges {
  /**
   * Calls `listener` after each commit (by any process) that inserted, updated or deleted rows
   * of `table` (which must carry the trigger of {@link notifyOnChangeSql}), and also whenever the
   * notifications may have been interrupted (a lost connection), since a change can have been
   * missed meanwhile. A loop that hears it checks the table; returns how to stop listening.
   */
  abstract onChange(table: string, listener: () => void): () => void;
}

/** No notifications at all: the loops fall back on their slow polls (unit tests, a read-only tool). */
export class NoTableChanges extends TableChanges {
  onChange(): () => void {
    return () => undefined;
  }
}

/** Changes announced by hand, for tests of the loops that listen. */
export class ManualTableChanges extends TableChanges {
  private readonly listeners = new Map<string, Set<() => void>>();

  onChange(table: string, listener: () => void): () => void {
    const set = this.listeners.get(table) ?? new Set();
    set.add(listener);
    this.listeners.set(table, set);
    return () => set.delete(listener);
  }

  /** As if another process had committed a change to `table`. */
  announce(table: string): void {
    for (const listener of [...(this.listeners.get(table) ?? [])]) listener();
  }

  listening(table: string): number {
    return this.listeners.get(table)?.size ?? 0;
  }
}
