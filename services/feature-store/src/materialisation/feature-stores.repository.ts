import { Inject, Injectable } from '@nestjs/common';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, In } from 'typeorm';
import { type StoredValues } from '../feature-views/feature-values';
import { type FeatureHistory, type FeatureRecord } from '../serving/point-in-time';
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
  /** Offline records of the given entities with event time at or before each entity's bound (epoch ms). */
  abstract readHistory(view: string, revision: number, bounds: ReadonlyMap<string, number>): Promise<FeatureHistory>;
  /** How many offline records came from dataset versions in the range, with event time in its window. */
  abstract countDatasetRecords(view: string, revision: number, range: DatasetRange): Promise<number>;
  /**
   * A dataset spine with its history in one read: every offline record, from any version, of the
   * entities that have a record in the range, with event time before the window's end; in no
   * particular order.
   */
  abstract readDatasetHistory(view: string, revision: number, range: DatasetRange): Promise<FeatureHistory>;
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

interface HistoryRow {
  entity_key: string;
  /** Epoch milliseconds: a float parses far faster than a timestamp's text. */
  event_ms: number;
  dataset_version: number;
  row_index: number;
  values: StoredValues;
}

// Entities per history query: one round trip for most training sets, a bounded statement for any.
const HISTORY_ENTITIES_PER_QUERY = 20_000;
const HISTORY_COLUMNS = `o.entity_key, (extract(epoch FROM o.event_time) * 1000)::float8 AS event_ms, o.dataset_version, o.row_index, o."values"`;

/** Offline rows gathered into a {@link FeatureHistory}, query by query. */
class HistoryBuilder {
  private readonly batches: (readonly HistoryRow[])[] = [];

  add(rows: readonly HistoryRow[]): void {
    this.batches.push(rows);
  }

  build(): FeatureHistory {
    const total = this.batches.reduce((n, rows) => n + rows.length, 0);
    const entityKeys = new Array<string>(total);
    const eventTimes = new Float64Array(total);
    const datasetVersions = new Int32Array(total);
    const rowIndexes = new Int32Array(total);
    const values = new Array<StoredValues>(total);
    let k = 0;
    for (const rows of this.batches) {
      for (const r of rows) {
        entityKeys[k] = r.entity_key;
        eventTimes[k] = r.event_ms;
        datasetVersions[k] = r.dataset_version;
        rowIndexes[k] = r.row_index;
        values[k++] = r.values;
      }
    }
    return { entityKeys, eventTimes, datasetVersions, rowIndexes, values };
  }
}

@Injectable()
export class TypeOrmFeatureStoresRepository extends FeatureStoresRepository {
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

  async readHistory(view: string, revision: number, bounds: ReadonlyMap<string, number>): Promise<FeatureHistory> {
    const history = new HistoryBuilder();
    for (const chunk of chunks([...bounds.entries()], HISTORY_ENTITIES_PER_QUERY)) {
      // Raw: a join against the (entity, bound) pairs sent as two arrays; the builder has no such source.
      const rows = await queryRows<HistoryRow>(
        this.dataSource.manager,
        `SELECT ${HISTORY_COLUMNS}
         FROM unnest($3::text[], $4::float8[]) AS s(e, t)
         JOIN offline_features o ON o.feature_view = $1 AND o.revision = $2 AND o.entity_key = s.e
           AND o.event_time <= to_timestamp(s.t / 1000)`,
        [view, revision, chunk.map(([e]) => e), chunk.map(([, t]) => t)],
      );
      history.add(rows);
    }
    return history.build();
  }

  async countDatasetRecords(view: string, revision: number, range: DatasetRange): Promise<number> {
    const [row] = await queryRows<{ count: string }>(
      this.dataSource.manager,
      `SELECT count(*) AS count FROM offline_features s WHERE s.feature_view = $1 AND s.revision = $2 AND ${rangeConditions('s', 3)}`,
      [view, revision, ...rangeParameters(range)],
    );
    return Number(row?.count ?? 0);
  }

  async readDatasetHistory(view: string, revision: number, range: DatasetRange): Promise<FeatureHistory> {
    // Raw: the builder cannot say "entities with a record in the range" as a semi-join.
    const rows = await queryRows<HistoryRow>(
      this.dataSource.manager,
      `SELECT ${HISTORY_COLUMNS}
       FROM offline_features o
       WHERE o.feature_view = $1 AND o.revision = $2
         AND ($6::float8 IS NULL OR o.event_time < to_timestamp($6::float8 / 1000))
         AND o.entity_key IN (
           SELECT s.entity_key FROM offline_features s WHERE s.feature_view = $1 AND s.revision = $2 AND ${rangeConditions('s', 3)})`,
      [view, revision, ...rangeParameters(range)],
    );
    const history = new HistoryBuilder();
    history.add(rows);
    return history.build();
  }
}
