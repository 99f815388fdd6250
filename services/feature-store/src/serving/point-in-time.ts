import { type StoredValues } from '../feature-views/feature-values';

/** One materialised record of a feature view: the offline store's row. */
export interface FeatureRecord {
  readonly entityKey: string;
  readonly eventTime: Date;
  readonly datasetVersion: number;
  /** Position of the record in its dataset version. */
  readonly rowIndex: number;
  readonly values: StoredValues;
}

/** A row of a training set's spine: which entity, as of when. */
export interface SpineRow {
  readonly entityKey: string;
  readonly timestamp: Date;
}

/**
 * The order in which records of one entity supersede each other: by event time; between equal
 * event times, the later dataset version, then the later row, wins. The online store's upsert
 * uses the same order, so online and offline agree on what "latest" means.
 */
export function compareRecords(a: FeatureRecord, b: FeatureRecord): number {
  return a.eventTime.getTime() - b.eventTime.getTime() || a.datasetVersion - b.datasetVersion || a.rowIndex - b.rowIndex;
}

/**
 * The as-of join: for each spine row, the latest record of its entity whose event time is at or
 * before the row's timestamp, or null. Never a record from after the timestamp — however late
 * it arrived (a later dataset version) — so a training set sees only what was true back then.
 */
export function pointInTimeJoin(spine: readonly SpineRow[], history: Iterable<FeatureRecord>): Array<FeatureRecord | null> {
  const byEntity = new Map<string, FeatureRecord[]>();
  for (const record of history) {
    const list = byEntity.get(record.entityKey);
    if (list) list.push(record);
    else byEntity.set(record.entityKey, [record]);
  }
  for (const list of byEntity.values()) list.sort(compareRecords);
  return spine.map((row) => {
    const list = byEntity.get(row.entityKey);
    if (!list) return null;
    // Last index whose event time is <= the timestamp; ties on event time are ordered by
    // version and row, so the last one is the winner.
    const limit = row.timestamp.getTime();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].eventTime.getTime() <= limit) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : list[lo - 1];
  });
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
