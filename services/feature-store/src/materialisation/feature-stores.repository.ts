import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type StoredValues } from '../feature-views/feature-values';
import { type FeatureRecord } from '../serving/point-in-time';

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

/** The offline and online stores and the materialisation ledger (port; Postgres below). */
export abstract class FeatureStoresRepository {
  /**
   * Claims (view revision, dataset version) in the caller's transaction. False: it was
   * materialised already (or by a concurrent transaction that then committed) — skip it.
   */
  abstract claim(manager: EntityManager, view: string, revision: number, datasetVersion: number): Promise<boolean>;
  abstract complete(manager: EntityManager, view: string, revision: number, datasetVersion: number, stats: MaterialisationStats): Promise<void>;
  /** Dataset versions already materialised for a revision, ascending. */
  abstract materialisedVersions(view: string, revision: number): Promise<number[]>;
  abstract appendOffline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void>;
  /**
   * Upserts the latest record of each entity (one per entity); a record older than the stored
   * one, in `compareRecords` order, leaves it in place.
   */
  abstract upsertOnline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void>;
  abstract readOnline(view: string, revision: number, entityKeys: readonly string[]): Promise<Map<string, OnlineRecord>>;
  /** Offline records of the given entities with event time at or before each entity's bound. */
  abstract readHistory(view: string, revision: number, bounds: ReadonlyMap<string, Date>): Promise<FeatureRecord[]>;
}

// Rows per statement: large enough to amortise round trips, small enough for one JSON parameter.
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

interface RecordRow {
  entity_key: string;
  event_time: Date;
  dataset_version: number;
  row_index: number;
  values: StoredValues;
}

@Injectable()
export class PostgresFeatureStoresRepository extends FeatureStoresRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async claim(manager: EntityManager, view: string, revision: number, datasetVersion: number): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO materialisations (feature_view, revision, dataset_version) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [view, revision, datasetVersion],
    );
    return rows.length === 1;
  }

  async complete(manager: EntityManager, view: string, revision: number, datasetVersion: number, stats: MaterialisationStats): Promise<void> {
    await manager.query(
      `UPDATE materialisations SET row_count = $4, entity_count = $5, skipped_rows = $6, snapshot_key = $7, snapshot_sha256 = $8,
         event_time_start = $9, event_time_end = $10, materialised_at = now()
       WHERE feature_view = $1 AND revision = $2 AND dataset_version = $3`,
      [view, revision, datasetVersion, stats.rowCount, stats.entityCount, stats.skippedRows, stats.snapshotKey, stats.snapshotSha256, stats.eventTimeStart, stats.eventTimeEnd],
    );
  }

  async materialisedVersions(view: string, revision: number): Promise<number[]> {
    const rows: Array<{ dataset_version: number }> = await this.dataSource.query(
      `SELECT dataset_version FROM materialisations WHERE feature_view = $1 AND revision = $2 ORDER BY dataset_version`,
      [view, revision],
    );
    return rows.map((r) => r.dataset_version);
  }

  async appendOffline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void> {
    for (const chunk of chunks(records)) {
      await manager.query(
        `INSERT INTO offline_features (feature_view, revision, dataset_version, row_index, entity_key, event_time, "values")
         SELECT $1, $2, x.v, x.r, x.e, x.t, x.val
         FROM jsonb_to_recordset($3::jsonb) AS x(e text, t timestamptz, v integer, r integer, val jsonb)
         ON CONFLICT DO NOTHING`,
        [view, revision, recordsJson(chunk)],
      );
    }
  }

  async upsertOnline(manager: EntityManager, view: string, revision: number, records: readonly FeatureRecord[]): Promise<void> {
    for (const chunk of chunks(records)) {
      await manager.query(
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
    const rows: RecordRow[] = await this.dataSource.query(
      `SELECT entity_key, event_time, "values" FROM online_features
       WHERE feature_view = $1 AND revision = $2 AND entity_key = ANY($3::text[])`,
      [view, revision, [...new Set(entityKeys)]],
    );
    return new Map(rows.map((r) => [r.entity_key, { entityKey: r.entity_key, eventTime: r.event_time, values: r.values }]));
  }

  async readHistory(view: string, revision: number, bounds: ReadonlyMap<string, Date>): Promise<FeatureRecord[]> {
    const out: FeatureRecord[] = [];
    for (const chunk of chunks([...bounds.entries()], 1000)) {
      const rows: RecordRow[] = await this.dataSource.query(
        `SELECT o.entity_key, o.event_time, o.dataset_version, o.row_index, o."values"
         FROM jsonb_to_recordset($3::jsonb) AS s(e text, t timestamptz)
         JOIN offline_features o ON o.feature_view = $1 AND o.revision = $2 AND o.entity_key = s.e AND o.event_time <= s.t`,
        [view, revision, JSON.stringify(chunk.map(([e, t]) => ({ e, t: t.toISOString() })))],
      );
      for (const r of rows) {
        out.push({ entityKey: r.entity_key, eventTime: r.event_time, datasetVersion: r.dataset_version, rowIndex: r.row_index, values: r.values });
      }
    }
    return out;
  }
}
