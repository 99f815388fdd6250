import { Inject, Injectable } from '@nestjs/common';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, In } from 'typeorm';
import { type StoredValue, type StoredValues } from '../feature-views/feature-values';
import { type DatasetHistory, type FeatureHistory, type FeatureRecord, HistoryTooLargeError } from '../serving/point-in-time';
import { MaterialisationEntity } from './materialisation.entity';
import { OfflineFeatureEntity } from './offline-feature.entity';
import { OnlineFeatureEntity } from './online-feature.entity';

export interface MaterialisationStats {
  readonly rowCount: number;
  readonly entityCount: number;
  readonly skippedRows: number;
  readonly snapshotKey: string | null;
  readonly snapshotSha256: string | null;
  readonly eventTimeStart: Date | null;
  readonly eventTimeEnd: Date | null;
}

export interface OnlineRecord {
  readonly entityKey: string;
  readonly eventTime: Date;
  readonly values: StoredValues;
}

/** The offline and online stores and the materialisation ledger (port; TypeORM below). */
export abstract class FeatureStoresRepository {
  /**
   * Claims (view revision, dataset version) in the caller's transaction. False: it was
   * materialised already (or by a concurrent transaction that then committed) — skip it.
   */
  abstract claim(manager: EntityManager, view: string, revision: number, datasetVersion: number): Promise<boolean>;
  abstract complete(
    manager: EntityManager,
    view: string,
    revision: number,
    datasetVersion: number,
    stats: MaterialisationStats,
  ): Promise<void>;
  /** Dataset versions already materialised for a revision, ascending. */
  abstract materialisedVersions(view: string, revision: number): Promise<number[]>;
  abstract appendOffline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void>;
  /**
   * Upserts the latest record of each entity (one per entity); a record older than the stored
   * one, in `compareRecords` order, leaves it in place.
   */
  abstract upsertOnline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void>;
  abstract readOnline(view: string, revision: number, entityKeys: readonly string[]): Promise<Map<string, OnlineRecord>>;
  /**
   * Offline records of the given entities with event time at or before each entity's bound
   * (epoch ms), with the named features. Throws {@link HistoryTooLargeError} past `maxRecords`.
   */
  abstract readHistory(
    view: string,
    revision: number,
    bounds: ReadonlyMap<string, number>,
    features: readonly string[],
    maxRecords: number,
  ): Promise<FeatureHistory>;
  /** How many offline records came from dataset versions in the range, with event time in its window. */
  abstract countDatasetRecords(view: string, revision: number, range: DatasetRange): Promise<number>;
  /**
   * A dataset spine with its history, with the named features: the range's records in the
   * dataset's order, then every other record, from any version, of their entities with event
   * time before the window's end.
   */
  abstract readDatasetHistory(
    view: string,
    revision: number,
    range: DatasetRange,
    features: readonly string[],
    /**
     * Records each version of the range holds at most (its rows, as the dataset catalog says),
     * by version: where a large read is split in parts, without asking PostgreSQL.
     */
    versionSizes: ReadonlyMap<number, number>,
    /** Most records, the spine's and the others, to read: past them, {@link HistoryTooLargeError}. */
    maxRecords: number,
  ): Promise<DatasetHistory>;
}

/** Dataset versions [versionFrom, versionTo] and event times in [start, end) (epoch ms; null: open). */
export interface DatasetRange {
  readonly versionFrom: number;
  readonly versionTo: number;
  readonly start: number | null;
  readonly end: number | null;
}

/** A {@link DatasetRange} as conditions on the offline store's rows `alias`, numbering parameters from `first`. */
function rangeConditions(alias: string, first: number): string {
  const [from, to, start, end] = [first, first + 1, first + 2, first + 3];
  return `${alias}.dataset_version BETWEEN $${from} AND $${to}
    AND ($${start}::float8 IS NULL OR ${alias}.event_time >= to_timestamp($${start}::float8 / 1000))
    AND ($${end}::float8 IS NULL OR ${alias}.event_time < to_timestamp($${end}::float8 / 1000))`;
}

function rangeParameters(range: DatasetRange): unknown[] {
  return [range.versionFrom, range.versionTo, range.start, range.end];
}

// Rows per statement: large enough to amortise round trips, few enough that one INSERT's
// parameters (seven per row) stay under PostgreSQL's limit of 65535.
const CHUNK = 5000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function recordsJson(records: readonly FeatureRecord[]): string {
  return JSON.stringify(
    records.map((r) => ({ e: r.entityKey, t: r.eventTime.toISOString(), v: r.datasetVersion, r: r.rowIndex, val: r.values })),
  );
}

/** One page of offline records as PostgreSQL aggregates it: each column one JSON array (null for no rows). */
interface HistoryPage {
  readonly entity_keys: string[] | null;
  /** Epoch milliseconds: a float parses far faster than a timestamp's text. */
  readonly event_ms: number[] | null;
  readonly dataset_versions: number[] | null;
  readonly row_indexes: number[] | null;
  /** Each record's values whole: PostgreSQL writes a jsonb once per record, far cheaper than once per feature. */
  readonly values: StoredValues[] | null;
}

/**
 * `o.event_time` in epoch milliseconds, exactly: the double nearest the instant's microseconds
 * divided by 1000. Through numeric arithmetic that costs PostgreSQL a third of a training set's
 * read; within 2^31 seconds of 1970 (the years 1902 to 2038), the double seconds of date_part,
 * scaled and rounded to whole microseconds, are the same number at a fraction of the cost.
 */
const EPOCH_MS = `CASE WHEN abs(date_part('epoch', o.event_time)) < 2147483648
  THEN round(date_part('epoch', o.event_time) * 1000000) / 1000
  ELSE (extract(epoch FROM o.event_time) * 1000)::float8 END`;

/**
 * A page's columns from the offline rows `o`, each aggregated into one JSON array: the records
 * then cost one JSON.parse per column (pg parses `json` so) rather than a row object each. The
 * arrays list the records in one order, whichever it is; no reader depends on it for correctness.
 */
const HISTORY_AGGREGATES = `json_agg(o.entity_key) AS entity_keys,
  json_agg(${EPOCH_MS}) AS event_ms,
  json_agg(o.dataset_version) AS dataset_versions, json_agg(o.row_index) AS row_indexes, json_agg(o."values") AS "values"`;

// Entities per history query: one round trip for most training sets, a bounded statement for any.
const HISTORY_ENTITIES_PER_QUERY = 20_000;

// Records per page, whatever the read: each column of a page is one JSON text, which must stay
// far below V8's longest string (2^29 characters) whatever the keys and values hold.
const HISTORY_PAGE_RECORDS = 200_000;

// A dataset read of at least twice this many records is split in parts read side by side, at
// most this many parts: two cores' worth.
const DATASET_PART_MIN_RECORDS = 10_000;
const DATASET_READ_PARTS = 2;
// The first part is two thirds the size of each other one: it arrives first, and the event loop
// parses it while PostgreSQL still writes the rest (a 50,000-record set in two parts: 40/60
// ended the read 10-12 ms sooner than halves).
const DATASET_FIRST_PART_WEIGHT = 2;
const DATASET_PART_WEIGHT = 3;

/**
 * The keys after which each part of a dataset read starts (the first after (0, -1)), from the
 * records each version holds at most (`versionSizes`, by version): as many parts as `minRecords`
 * fills twice over, up to {@link DATASET_READ_PARTS}, cut where their shares of the records fall
 * by row index. Versions that hold fewer (rows without an entity or a time, a narrower event-time
 * window) only make the parts less even; every record is in exactly one part whatever the sizes.
 */
export function datasetReadStarts(versionSizes: ReadonlyMap<number, number>, minRecords: number): Array<[number, number]> {
  const versions = [...versionSizes.keys()].sort((a, b) => a - b);
  const total = versions.reduce((sum, v) => sum + versionSizes.get(v)!, 0);
  const parts = Math.max(1, Math.min(DATASET_READ_PARTS, Math.floor(total / minRecords)));
  const starts: Array<[number, number]> = [[0, -1]];
  const weight = (partsBefore: number) => DATASET_FIRST_PART_WEIGHT + DATASET_PART_WEIGHT * (partsBefore - 1);
  let before = 0;
  let v = 0;
  for (let part = 1; part < parts; part++) {
    // Records in the parts before this one.
    const cut = Math.floor((total * weight(part)) / weight(parts));
    while (before + versionSizes.get(versions[v])! <= cut) before += versionSizes.get(versions[v++])!;
    starts.push([versions[v], cut - before - 1]);
  }
  return starts;
}

/**
 * Offline records gathered page by page into a {@link FeatureHistory} of the named features;
 * a page that takes them past `maxRecords` throws {@link HistoryTooLargeError}.
 */
class HistoryBuilder {
  private readonly pages: HistoryPage[] = [];
  size = 0;

  constructor(private readonly maxRecords: number) {}

  add(page: HistoryPage | undefined): void {
    const n = page?.entity_keys?.length ?? 0;
    if (!page || n === 0) return;
    if (this.size + n > this.maxRecords) throw new HistoryTooLargeError(this.maxRecords);
    this.pages.push(page);
    this.size += n;
  }

  build(features: readonly string[]): FeatureHistory {
    // concat, not flatMap: 0.2 ms against 5 ms for 50,000 keys in two pages.
    const entityKeys = ([] as string[]).concat(...this.pages.map((page) => page.entity_keys!));
    const eventTimes = new Float64Array(this.size);
    const datasetVersions = new Int32Array(this.size);
    const rowIndexes = new Int32Array(this.size);
    const columns = features.map(() => new Array<StoredValue>(this.size));
    let at = 0;
    for (const page of this.pages) {
      eventTimes.set(page.event_ms!, at);
      datasetVersions.set(page.dataset_versions!, at);
      rowIndexes.set(page.row_indexes!, at);
      const values = page.values!;
      for (let f = 0; f < features.length; f++) {
        const name = features[f];
        const column = columns[f];
        for (let i = 0; i < values.length; i++) column[at + i] = values[i][name] ?? null;
      }
      at += values.length;
    }
    return { entityKeys, eventTimes, datasetVersions, rowIndexes, features: new Map(features.map((name, f) => [name, columns[f]])) };
  }
}

/**
 * The history with its first `spineSize` records in the dataset's order (by version, then row);
 * the same history when they are so already, as PostgreSQL hands them over.
 */
export function spineFirstInOrder(history: FeatureHistory, spineSize: number): FeatureHistory {
  const { datasetVersions: v, rowIndexes: r } = history;
  let ordered = true;
  for (let i = 1; i < spineSize && ordered; i++) ordered = v[i - 1] < v[i] || (v[i - 1] === v[i] && r[i - 1] < r[i]);
  if (ordered) return history;
  const order = Int32Array.from(v.keys());
  order.subarray(0, spineSize).sort((a, b) => v[a] - v[b] || r[a] - r[b]);
  const gather = <T, Out extends { [i: number]: T }>(from: ArrayLike<T>, out: Out): Out => {
    for (let i = 0; i < order.length; i++) out[i] = from[order[i]];
    return out;
  };
  const n = order.length;
  return {
    entityKeys: gather(history.entityKeys, new Array<string>(n)),
    eventTimes: gather(history.eventTimes, new Float64Array(n)),
    datasetVersions: gather(v, new Int32Array(n)),
    rowIndexes: gather(r, new Int32Array(n)),
    features: new Map([...history.features].map(([name, values]) => [name, gather(values, new Array<StoredValue>(n))])),
  };
}

@Injectable()
export class TypeOrmFeatureStoresRepository extends FeatureStoresRepository {
  /** Records per page of a dataset read; {@link HISTORY_PAGE_RECORDS}, smaller in tests of the paging. */
  protected readonly pageRecords: number = HISTORY_PAGE_RECORDS;
  /** Records per part of a split dataset read at the least; {@link DATASET_PART_MIN_RECORDS}, smaller in tests. */
  protected readonly partMinRecords: number = DATASET_PART_MIN_RECORDS;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async claim(manager: EntityManager, view: string, revision: number, datasetVersion: number): Promise<boolean> {
    const result = await manager
      .getRepository(MaterialisationEntity)
      .createQueryBuilder()
      .insert()
      .values({ featureView: view, revision, datasetVersion })
      .orIgnore()
      .returning('dataset_version')
      .execute();
    return (result.raw as unknown[]).length === 1;
  }

  async complete(
    manager: EntityManager,
    view: string,
    revision: number,
    datasetVersion: number,
    stats: MaterialisationStats,
  ): Promise<void> {
    await manager
      .getRepository(MaterialisationEntity)
      .update({ featureView: view, revision, datasetVersion }, { ...stats, materialisedAt: () => 'now()' });
  }

  async materialisedVersions(view: string, revision: number): Promise<number[]> {
    const done = await this.dataSource.manager.getRepository(MaterialisationEntity).find({
      select: { datasetVersion: true },
      where: { featureView: view, revision },
      order: { datasetVersion: 'ASC' },
    });
    return done.map((m) => m.datasetVersion);
  }

  async appendOffline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void> {
    for (const chunk of chunks(records)) {
      await manager
        .getRepository(OfflineFeatureEntity)
        .createQueryBuilder()
        .insert()
        .values(
          chunk.map((r) => ({
            featureView: view,
            revision,
            datasetVersion: r.datasetVersion,
            rowIndex: r.rowIndex,
            entityKey: r.entityKey,
            eventTime: r.eventTime,
            values: r.values,
          })),
        )
        .orIgnore()
        .execute();
    }
  }

  async upsertOnline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void> {
    for (const chunk of chunks(records)) {
      // Raw: the conditional `ON CONFLICT … DO UPDATE … WHERE` (older records lose) has no builder form.
      await queryRows(
        manager,
        `INSERT INTO online_features AS o (feature_view, revision, entity_key, event_time, dataset_version, row_index, "values", updated_at)
         SELECT $1, $2, x.e, x.t, x.v, x.r, x.val, now()
         FROM jsonb_to_recordset($3::jsonb) AS x(e text, t timestamptz, v integer, r integer, val jsonb)
         ON CONFLICT (feature_view, revision, entity_key) DO UPDATE
           SET event_time = EXCLUDED.event_time, dataset_version = EXCLUDED.dataset_version,
               row_index = EXCLUDED.row_index, "values" = EXCLUDED."values", updated_at = now()
           WHERE (o.event_time, o.dataset_version, o.row_index) < (EXCLUDED.event_time, EXCLUDED.dataset_version, EXCLUDED.row_index)`,
        [view, revision, recordsJson(chunk)],
      );
    }
  }

  async readOnline(view: string, revision: number, entityKeys: readonly string[]): Promise<Map<string, OnlineRecord>> {
    const stored = await this.dataSource.manager.getRepository(OnlineFeatureEntity).find({
      select: { entityKey: true, eventTime: true, values: true },
      where: { featureView: view, revision, entityKey: In([...new Set(entityKeys)]) },
    });
    return new Map(stored.map((r) => [r.entityKey, { entityKey: r.entityKey, eventTime: r.eventTime, values: r.values }]));
  }

  async readHistory(
    view: string,
    revision: number,
    bounds: ReadonlyMap<string, number>,
    features: readonly string[],
    maxRecords: number,
  ): Promise<FeatureHistory> {
    const history = new HistoryBuilder(maxRecords);
    const pending = chunks([...bounds.entries()], HISTORY_ENTITIES_PER_QUERY);
    // A group of entities whose records do not fit a page is halved, down to one entity, whose
    // records are then paged by time: no page holds more than a page and one record.
    for (let group = pending.pop(); group; group = pending.pop()) {
      // Raw: a join against the (entity, bound) pairs sent as two arrays; the builder has no such source.
      const [page] = await queryRows<HistoryPage>(
        this.dataSource.manager,
        `SELECT ${HISTORY_AGGREGATES}
         FROM (SELECT o.* FROM unnest($3::text[], $4::float8[]) AS s(e, t)
               JOIN offline_features o ON o.feature_view = $1 AND o.revision = $2 AND o.entity_key = s.e
                 AND o.event_time <= to_timestamp(s.t / 1000)
               LIMIT $5) o`,
        [view, revision, group.map(([e]) => e), group.map(([, t]) => t), this.pageRecords + 1],
      );
      const size = page?.entity_keys?.length ?? 0;
      if (size <= this.pageRecords) history.add(page);
      else if (group.length > 1) pending.push(group.slice(0, group.length >> 1), group.slice(group.length >> 1));
      else await this.readEntityPages(view, revision, group[0], history);
    }
    return history.build(features);
  }

  /**
   * One entity's records up to its bound, a page at a time in (event time, version, row) order
   * (a range scan of the as-of index); each page starts after the key that ends the one before,
   * its time carried as PostgreSQL's text so not a microsecond is lost.
   */
  private async readEntityPages(view: string, revision: number, [entity, bound]: [string, number], history: HistoryBuilder): Promise<void> {
    let after: [string, number, number] | null = null;
    for (;;) {
      // Raw: keyset paging into aggregates, with the page's last key; the builder has no such shape.
      const [page]: Array<HistoryPage & { last_key: [string, number, number] | null }> = await queryRows(
        this.dataSource.manager,
        `WITH page AS (
           SELECT * FROM offline_features o
           WHERE o.feature_view = $1 AND o.revision = $2 AND o.entity_key = $3 AND o.event_time <= to_timestamp($4::float8 / 1000)
             AND ($5::timestamptz IS NULL OR (o.event_time, o.dataset_version, o.row_index) > ($5::timestamptz, $6, $7))
           ORDER BY o.event_time, o.dataset_version, o.row_index LIMIT $8)
         SELECT ${HISTORY_AGGREGATES},
           (SELECT json_build_array(p.event_time::text, p.dataset_version, p.row_index) FROM page p
            ORDER BY p.event_time DESC, p.dataset_version DESC, p.row_index DESC LIMIT 1) AS last_key
         FROM page o`,
        [view, revision, entity, bound, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, this.pageRecords],
      );
      history.add(page);
      if ((page?.entity_keys?.length ?? 0) < this.pageRecords || !page?.last_key) return;
      after = page.last_key;
    }
  }

  async countDatasetRecords(view: string, revision: number, range: DatasetRange): Promise<number> {
    const [row] = await queryRows<{ count: string }>(
      this.dataSource.manager,
      `SELECT count(*) AS count FROM offline_features s WHERE s.feature_view = $1 AND s.revision = $2 AND ${rangeConditions('s', 3)}`,
      [view, revision, ...rangeParameters(range)],
    );
    return Number(row?.count ?? 0);
  }

  async readDatasetHistory(
    view: string,
    revision: number,
    range: DatasetRange,
    features: readonly string[],
    versionSizes: ReadonlyMap<number, number>,
    maxRecords: number,
  ): Promise<DatasetHistory> {
    const parameters = [view, revision, ...rangeParameters(range)];
    // The other records of the spine's entities a join may pick: outside the range, before the
    // window's end. Asked for only when there are any: without fresh statistics (just after a
    // materialisation) the planner would probe the index once per entity of the range.
    const ofView = `s.feature_view = $1 AND s.revision = $2 AND ($6::float8 IS NULL OR s.event_time < to_timestamp($6::float8 / 1000))`;
    const startsAfter = `$5::float8 IS NOT NULL AND s.event_time < to_timestamp($5::float8 / 1000)`;
    const outside = `${ofView} AND (s.dataset_version < $3 OR s.dataset_version > $4 OR (${startsAfter}))`;
    // Raw: existence tests, which the builder cannot make of conditions this shape. One test per
    // side of the range, each an index range: as one condition with ORs, PostgreSQL visited every
    // record of the view (8.5 ms of a core for 50,000, taken from the reads beside it). Asked
    // meanwhile, on a connection of its own.
    const anyOutside = queryRows<{ any: boolean }>(
      this.dataSource.manager,
      `SELECT EXISTS (SELECT 1 FROM offline_features s WHERE ${ofView} AND s.dataset_version < $3)
        OR EXISTS (SELECT 1 FROM offline_features s WHERE ${ofView} AND s.dataset_version > $4)
        OR EXISTS (SELECT 1 FROM offline_features s WHERE ${ofView} AND ${startsAfter}) AS any`,
      parameters,
    );
    anyOutside.catch(() => undefined);
    // A large range is read in parts side by side: PostgreSQL runs each on its own backend, so
    // on its own core. The range's records come first, in the dataset's order.
    const starts = datasetReadStarts(versionSizes, this.partMinRecords);
    const inRange = `s.feature_view = $1 AND s.revision = $2 AND ${rangeConditions('s', 3)}`;
    // Each part's pages kept apart, then added part by part: the spine stays in the dataset's order.
    const read = starts.map((): HistoryPage[] => []);
    await Promise.all(
      starts.map((after, i) => this.readPages(inRange, parameters, after, starts[i + 1] ?? null, (page) => read[i].push(page))),
    );
    const history = new HistoryBuilder(maxRecords);
    for (const pages of read) for (const page of pages) history.add(page);
    const spineSize = history.size;
    const [{ any }] = await anyOutside;
    if (any) {
      const ofSpineEntities = `${outside} AND s.entity_key IN (
        SELECT r.entity_key FROM offline_features r WHERE r.feature_view = $1 AND r.revision = $2 AND ${rangeConditions('r', 3)})`;
      await this.readPages(ofSpineEntities, parameters, [0, -1], null, (page) => history.add(page));
    }
    return { spineSize, history: spineFirstInOrder(history.build(features), spineSize) };
  }

  /**
   * The offline records `s` that match `where` (its parameters first), with keys after `after`
   * and up to `upTo` (null: to the end), a page at a time in primary-key order (an index range
   * scan), each handed to `onPage`; each page starts after the largest key of the one before.
   */
  private async readPages(
    where: string,
    parameters: readonly unknown[],
    after: [number, number],
    upTo: [number, number] | null,
    onPage: (page: HistoryPage) => void,
  ): Promise<void> {
    const n = parameters.length;
    for (;;) {
      // Raw: keyset paging into aggregates; the builder cannot aggregate a limited, ordered subquery.
      const [page] = await queryRows<HistoryPage>(
        this.dataSource.manager,
        `SELECT ${HISTORY_AGGREGATES}
         FROM (SELECT * FROM offline_features s
               WHERE ${where}
                 AND (s.dataset_version, s.row_index) > ($${n + 1}, $${n + 2})
                 AND ($${n + 3}::integer IS NULL OR (s.dataset_version, s.row_index) <= ($${n + 3}, $${n + 4}))
               ORDER BY s.dataset_version, s.row_index LIMIT $${n + 5}) o`,
        [...parameters, after[0], after[1], upTo?.[0] ?? null, upTo?.[1] ?? null, this.pageRecords],
      );
      const size = page?.entity_keys?.length ?? 0;
      if (size > 0) onPage(page!);
      if (size < this.pageRecords) return;
      after = largestKey(page!);
    }
  }
}

/** The largest (version, row) key of a page. */
function largestKey(page: HistoryPage): [number, number] {
  const versions = page.dataset_versions!;
  const rows = page.row_indexes!;
  let best = 0;
  for (let i = 1; i < versions.length; i++)
    if (versions[i] > versions[best] || (versions[i] === versions[best] && rows[i] > rows[best])) best = i;
  return [versions[best], rows[best]];
}
