import * as fs from 'node:fs';
import * as path from 'node:path';
import { mkdirPrivate, openPrivate, TEMP_SUFFIX, unlinkIfExists, writeFileAtomic, writeFully } from './fs-util';

/** A consumer group's committed position on one partition. */
export interface CommittedOffset {
  offset: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

/**
 * Committed offsets of every consumer group. `commit` returns only once the entries are
 * written durably (they survive `kill -9` of the broker right after the answer is sent).
 */
export interface OffsetStore {
  commit(group: string, entries: OffsetCommitEntry[], timestamp: number): void;
  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined;
  listForGroup(group: string): Array<{ topic: string; partition: number } & CommittedOffset>;
  /** Groups that have at least one committed offset. */
  groups(): string[];
  deleteGroup(group: string): void;
  /** Drops every group's offsets for a deleted topic. */
  deleteTopic(topic: string): void;
  close(): void;
}

export interface FileOffsetStoreOptions {
  /** fsync every write (durability against power loss, not only against a process kill). */
  fsync?: boolean;
  /** Journal entries below which the journal is never rewritten. */
  compactAfterEntries?: number;
}

/** [topic, partition, offset, metadata, commit time when it differs from the line's] */
type JournalOffset = [string, number, number, string | null, number?];

/** One journal line: a commit, a group deletion or a topic deletion. */
type JournalRecord = { c: string; t?: number; o: JournalOffset[] } | { dg: string } | { dt: string };

const NEWLINE = 0x0a;

/**
 * Offsets kept in memory and journalled as JSON lines, one `writeSync` per change, so a commit
 * is in the file before it is acknowledged. Replay on open skips a torn last line; the journal
 * is rewritten (temp file + rename) once it holds far more entries than are live.
 */
export class FileOffsetStore implements OffsetStore {
  private readonly groupOffsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private journalEntries = 0;
  private liveEntries = 0;
  private fd = -1;

  private constructor(
    private readonly file: string,
    private readonly fsync: boolean,
    private readonly compactAfterEntries: number,
  ) {}

  static open(file: string, options: FileOffsetStoreOptions = {}): FileOffsetStore {
    const store = new FileOffsetStore(file, options.fsync ?? false, options.compactAfterEntries ?? 10_000);
    mkdirPrivate(path.dirname(file));
    unlinkIfExists(file + TEMP_SUFFIX);
    const data = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    let validEnd = 0;
    for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE, validEnd)) {
      store.replay(data.toString('utf8', validEnd, newline));
      validEnd = newline + 1;
    }
    // Appending after a torn line would glue the next record onto it.
    if (validEnd < data.length) fs.truncateSync(file, validEnd);
    store.fd = openPrivate(file, 'a');
    store.compactIfBloated();
    return store;
  }

  private replay(line: string): void {
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      // Only damage from outside the broker produces a whole line that does not parse.
      return;
    }
    if (typeof record !== 'object' || record === null) return;
    if ('c' in record && typeof record.c === 'string' && Array.isArray(record.o)) {
      for (const [topic, partition, offset, metadata, timestamp] of record.o) {
        this.set(record.c, topic, partition, { offset, metadata, commitTimestamp: timestamp ?? record.t ?? -1 });
      }
      this.journalEntries += record.o.length;
    } else if ('dg' in record && typeof record.dg === 'string') {
      this.removeGroup(record.dg);
      this.journalEntries++;
    } else if ('dt' in record && typeof record.dt === 'string') {
      this.removeTopic(record.dt);
      this.journalEntries++;
    }
  }

  commit(group: string, entries: OffsetCommitEntry[], timestamp: number): void {
    if (entries.length === 0) return;
    this.append({ c: group, t: timestamp, o: entries.map((e) => [e.topic, e.partition, e.offset, e.metadata]) });
    for (const e of entries) {
      this.set(group, e.topic, e.partition, { offset: e.offset, metadata: e.metadata, commitTimestamp: timestamp });
    }
    this.journalEntries += entries.length;
    this.compactIfBloated();
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const committed = this.groupOffsets.get(group)?.get(topic)?.get(partition);
    return committed && { ...committed };
  }

  listForGroup(group: string): Array<{ topic: string; partition: number } & CommittedOffset> {
    const result: Array<{ topic: string; partition: number } & CommittedOffset> = [];
    for (const [topic, partitions] of this.groupOffsets.get(group) ?? []) {
      for (const [partition, committed] of partitions) result.push({ topic, partition, ...committed });
    }
    return result;
  }

  groups(): string[] {
    return [...this.groupOffsets.keys()];
  }

  deleteGroup(group: string): void {
    if (!this.groupOffsets.has(group)) return;
    this.append({ dg: group });
    this.removeGroup(group);
    this.journalEntries++;
  }

  deleteTopic(topic: string): void {
    if (![...this.groupOffsets.values()].some((topics) => topics.has(topic))) return;
    this.append({ dt: topic });
    this.removeTopic(topic);
    this.journalEntries++;
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  private append(record: JournalRecord): void {
    if (this.fd < 0) throw new Error(`offset store ${this.file} is closed`);
    // One write per line: a crash can tear only the line being written, never an earlier one.
    writeFully(this.fd, Buffer.from(JSON.stringify(record) + '\n'), null);
    if (this.fsync) fs.fdatasyncSync(this.fd);
  }

  private set(group: string, topic: string, partition: number, committed: CommittedOffset): void {
    let topics = this.groupOffsets.get(group);
    if (!topics) this.groupOffsets.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    if (!partitions.has(partition)) this.liveEntries++;
    partitions.set(partition, committed);
  }

  private removeGroup(group: string): void {
    for (const partitions of this.groupOffsets.get(group)?.values() ?? []) this.liveEntries -= partitions.size;
    this.groupOffsets.delete(group);
  }

  private removeTopic(topic: string): void {
    for (const [group, topics] of this.groupOffsets) {
      const partitions = topics.get(topic);
      if (!partitions) continue;
      this.liveEntries -= partitions.size;
      topics.delete(topic);
      if (topics.size === 0) this.groupOffsets.delete(group);
    }
  }

  private compactIfBloated(): void {
    if (this.journalEntries < this.compactAfterEntries || this.journalEntries <= 2 * this.liveEntries) return;
    let text = '';
    for (const [group, topics] of this.groupOffsets) {
      const offsets: JournalOffset[] = [];
      for (const [topic, partitions] of topics) {
        for (const [partition, c] of partitions) offsets.push([topic, partition, c.offset, c.metadata, c.commitTimestamp]);
      }
      text += JSON.stringify({ c: group, o: offsets } satisfies JournalRecord) + '\n';
    }
    writeFileAtomic(this.file, text, this.fsync);
    fs.closeSync(this.fd);
    this.fd = openPrivate(this.file, 'a');
    this.journalEntries = this.liveEntries;
  }

  /** Entries in the journal file and entries live in memory (for monitoring compaction). */
  get journalStats(): { journalEntries: number; liveEntries: number } {
    return { journalEntries: this.journalEntries, liveEntries: this.liveEntries };
  }
}
