import { type StoredValue, type StoredValues } from '../feature-views/feature-values';

/** One materialised record of a feature view: the offline store's row. */
export interface FeatureRecord {
  readonly entityKey: string;
  readonly eventTime: Date;
  readonly datasetVersion: number;
  /** Position of the record in its dataset version. */
  readonly rowIndex: number;
  readonly values: StoredValues;
}

/**
 * The order in which records of one entity supersede each other: by event time; between equal
 * event times, the later dataset version, then the later row, wins. The online store's upsert
 * uses the same order, so online and offline agree on what "latest" means.
 */
export function compareRecords(a: FeatureRecord, b: FeatureRecord): number {
  return a.eventTime.getTime() - b.eventTime.getTime() || a.datasetVersion - b.datasetVersion || a.rowIndex - b.rowIndex;
}

/** Stored records of a feature view as a join reads them, column by column. */
export interface FeatureHistory {
  readonly entityKeys: readonly string[];
  /** Event times, epoch milliseconds. */
  readonly eventTimes: Float64Array;
  readonly datasetVersions: Int32Array;
  readonly rowIndexes: Int32Array;
  /** Each feature read, its value in every record (null where the record has none). */
  readonly features: ReadonlyMap<string, readonly StoredValue[]>;
}

/**
 * A training set would read more offline records (its spine's and their entities' history)
 * than the feature store allows one set (TRAINING_SET_MAX_HISTORY_RECORDS): thrown once that
 * many are read, so no more is held.
 */
export class HistoryTooLargeError extends Error {
  constructor(readonly maxRecords: number) {
    super(`the training set reads more than ${maxRecords} offline records`);
  }
}

/**
 * A dataset spine with its history: the range's own records come first, `spineSize` of them in
 * the dataset's order (by version, then row); after them, the other records of their entities
 * that the as-of join may pick.
 */
export interface DatasetHistory {
  readonly spineSize: number;
  readonly history: FeatureHistory;
}

/** What the as-of join found for each spine row. */
export interface AsOfMatches {
  /** The index in the history of the record the row takes, or -1. */
  readonly records: Int32Array;
  /**
   * The index of the first history record of the row's entity, or -1 if it has none: one index
   * per entity, so rows with equal indexes have equal keys (the key column coded by the history's keys).
   */
  readonly entities: Int32Array;
}

/**
 * The as-of join: for spine row i (entity `keys[i]` as of `times[i]`, epoch ms), the index in
 * `history` of the entity's latest record whose event time is at or before that time, or -1.
 * Never a record from after the time — however late it arrived (a later dataset version) — so a
 * training set sees only what was true back then.
 */
export function asOfJoin(keys: readonly string[], times: ArrayLike<number>, history: FeatureHistory): AsOfMatches {
  const { entityKeys, eventTimes, datasetVersions, rowIndexes } = history;
  // Each entity's first record, and the others chained from it through `nextOf`: most entities
  // of a dataset spine have one record, and no list is made for them (50,000 short arrays were
  // most of the join's time).
  const firstOf = new Map<string, number>();
  const nextOf = new Int32Array(entityKeys.length).fill(-1);
  const firstsOfMany: number[] = [];
  for (let r = 0; r < entityKeys.length; r++) {
    const first = firstOf.get(entityKeys[r]);
    if (first === undefined) {
      firstOf.set(entityKeys[r], r);
      continue;
    }
    if (nextOf[first] === -1) firstsOfMany.push(first);
    nextOf[r] = nextOf[first];
    nextOf[first] = r;
  }
  // compareRecords' order, on the columns.
  const supersedes = (a: number, b: number) =>
    eventTimes[a] - eventTimes[b] || datasetVersions[a] - datasetVersions[b] || rowIndexes[a] - rowIndexes[b];
  const ordered = new Map<number, number[]>();
  for (const first of firstsOfMany) {
    const list: number[] = [];
    for (let r = first; r !== -1; r = nextOf[r]) list.push(r);
    ordered.set(first, list.sort(supersedes));
  }
  const matches = new Int32Array(keys.length);
  const entities = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const first = firstOf.get(keys[i]);
    const limit = times[i];
    if (first === undefined) {
      matches[i] = -1;
      entities[i] = -1;
      continue;
    }
    entities[i] = first;
    if (nextOf[first] === -1) {
      matches[i] = eventTimes[first] <= limit ? first : -1;
      continue;
    }
    // Last index whose event time is <= the time; ties on event time are ordered by version and
    // row, so the last one is the winner.
    const list = ordered.get(first)!;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (eventTimes[list[mid]] <= limit) lo = mid + 1;
      else hi = mid;
    }
    matches[i] = lo === 0 ? -1 : list[lo - 1];
  }
  return { records: matches, entities };
}

/** The latest record per entity of one batch, for the online store. */
export function latestPerEntity(records: Iterable<FeatureRecord>): FeatureRecord[] {
  const latest = new Map<string, FeatureRecord>();
  for (const record of records) {
    const current = latest.get(record.entityKey);
    if (!current || compareRecords(record, current) > 0) latest.set(record.entityKey, record);
  }
  return [...latest.values()];
}
