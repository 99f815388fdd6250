import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Contract, type DatasetDefinition } from './dataset-contract';
import { type Cell, type Record_, type Violation } from './record-validation';

export interface DatasetRow extends DatasetDefinition {
  readonly ownerTeam: string;
  readonly createdAt: Date;
  readonly latestVersion: number;
  readonly cumulativeRows: number;
  readonly pendingRows: number;
  readonly pendingSince: Date | null;
  readonly quarantinedPending: number;
}

export interface PendingRow {
  readonly id: string;
  readonly values: Record_;
}

export interface NewPendingRow {
  readonly origin: string;
  readonly values: Record_;
  readonly eventTime: Date | null;
}

export interface VersionRow {
  readonly dataset: string;
  readonly version: number;
  readonly rowCount: number;
  readonly cumulativeRows: number;
  readonly objectKey: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly contentType: string;
  readonly profile: unknown;
  readonly eventTimeStart: Date | null;
  readonly eventTimeEnd: Date | null;
  readonly trigger: number;
  readonly committedAt: Date;
  readonly quarantinedCount: number;
}

export interface QuarantineRow {
  readonly seq: number;
  readonly id: string;
  readonly dataset: string;
  readonly raw: string;
  readonly violations: readonly Violation[];
  readonly origin: string;
  readonly quarantinedAt: Date;
}

export interface NewQuarantineRow {
  readonly id: string;
  readonly raw: string;
  readonly violations: readonly Violation[];
  readonly origin: string;
}

type Raw = Record<string, unknown>;

/** Ingestion's tables, through the caller's transaction (`manager`), in plain SQL. */
@Injectable()
export class DatasetsRepository {
  async find(manager: EntityManager, name: string, lock: 'none' | 'update' | 'update-skip-locked' = 'none'): Promise<DatasetRow | undefined> {
    const suffix = lock === 'update' ? ' FOR UPDATE' : lock === 'update-skip-locked' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows: Raw[] = await manager.query(`SELECT * FROM datasets WHERE name = $1${suffix}`, [name]);
    return rows[0] ? toDataset(rows[0]) : undefined;
  }

  /** False when a dataset of that name already exists (a concurrent registration won). */
  async insert(manager: EntityManager, definition: DatasetDefinition, ownerTeam: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO datasets (name, description, contract, max_rows, max_interval_ms, owner_team)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING 1`,
      [definition.name, definition.description, JSON.stringify(definition.contract), definition.maxRows, definition.maxIntervalMs, ownerTeam],
    );
    return rows.length === 1;
  }

  async list(manager: EntityManager, after: string | undefined, limit: number): Promise<DatasetRow[]> {
    const rows: Raw[] = await manager.query(`SELECT * FROM datasets WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2`, [after ?? null, limit]);
    return rows.map(toDataset);
  }

  async names(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ name: string }> = await manager.query(`SELECT name FROM datasets ORDER BY name`);
    return rows.map((r) => r.name);
  }

  /** Datasets whose oldest pending record has waited at least their interval. */
  async dueForCommit(manager: EntityManager, now: Date): Promise<string[]> {
    const rows: Array<{ name: string }> = await manager.query(
      `SELECT name FROM datasets WHERE pending_rows > 0 AND pending_since + (max_interval_ms * interval '1 millisecond') <= $1 ORDER BY pending_since`,
      [now],
    );
    return rows.map((r) => r.name);
  }

  async withPending(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ name: string }> = await manager.query(`SELECT name FROM datasets WHERE pending_rows > 0 ORDER BY name`);
    return rows.map((r) => r.name);
  }

  /** Stages accepted records; a record whose origin is already staged is skipped. Returns how many were new. */
  async addPending(manager: EntityManager, dataset: string, rows: readonly NewPendingRow[]): Promise<number> {
    let inserted = 0;
    for (let start = 0; start < rows.length; start += 1000) {
      const chunk = rows.slice(start, start + 1000);
      const result: unknown[] = await manager.query(
        `INSERT INTO pending_rows (dataset, origin, values, event_time)
         SELECT $1, o, v::jsonb, e FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS t(o, v, e)
         ON CONFLICT (dataset, origin) DO NOTHING RETURNING 1`,
        [dataset, chunk.map((r) => r.origin), chunk.map((r) => JSON.stringify(r.values)), chunk.map((r) => r.eventTime)],
      );
      inserted += result.length;
    }
    return inserted;
  }

  async findKeys(manager: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows: Array<{ key: string; content_sha: string }> = await manager.query(
      `SELECT key, content_sha FROM record_keys WHERE dataset = $1 AND key = ANY($2::text[])`,
      [dataset, keys],
    );
    return new Map(rows.map((r) => [r.key, r.content_sha]));
  }

  async insertKeys(manager: EntityManager, dataset: string, entries: ReadonlyArray<{ key: string; sha: string }>): Promise<void> {
    for (let start = 0; start < entries.length; start += 1000) {
      const chunk = entries.slice(start, start + 1000);
      await manager.query(
        `INSERT INTO record_keys (dataset, key, content_sha) SELECT $1, k, s FROM unnest($2::text[], $3::text[]) AS t(k, s)`,
        [dataset, chunk.map((e) => e.key), chunk.map((e) => e.sha)],
      );
    }
  }

  async addCounts(manager: EntityManager, dataset: string, pending: number, quarantined: number): Promise<DatasetRow> {
    const rows = updated(await manager.query(
      `UPDATE datasets SET pending_rows = pending_rows + $2, quarantined_pending = quarantined_pending + $3,
         pending_since = CASE WHEN $2 > 0 THEN coalesce(pending_since, now()) ELSE pending_since END
       WHERE name = $1 RETURNING *`,
      [dataset, pending, quarantined],
    ));
    return toDataset(rows[0]!);
  }

  /** The oldest pending records, at most `limit`. */
  async takePending(manager: EntityManager, dataset: string, limit: number): Promise<PendingRow[]> {
    const rows: Array<{ id: string; values: Record<string, Cell> }> = await manager.query(
      `SELECT id, values FROM pending_rows WHERE dataset = $1 ORDER BY id LIMIT $2`,
      [dataset, limit],
    );
    return rows.map((r) => ({ id: String(r.id), values: r.values }));
  }

  /** Removes committed records and brings the dataset's counters in line; returns the updated dataset. */
  async completeCommit(manager: EntityManager, dataset: string, version: number, lastPendingId: string, rowCount: number): Promise<DatasetRow> {
    await manager.query(`DELETE FROM pending_rows WHERE dataset = $1 AND id <= $2`, [dataset, lastPendingId]);
    const rows = updated(await manager.query(
      `UPDATE datasets SET latest_version = $2, cumulative_rows = cumulative_rows + $3, pending_rows = pending_rows - $3,
         quarantined_pending = 0,
         pending_since = (SELECT min(received_at) FROM pending_rows WHERE dataset = $1)
       WHERE name = $1 RETURNING *`,
      [dataset, version, rowCount],
    ));
    return toDataset(rows[0]!);
  }

  async insertVersion(manager: EntityManager, row: Omit<VersionRow, 'committedAt'>): Promise<VersionRow> {
    const rows: Raw[] = await manager.query(
      `INSERT INTO dataset_versions (dataset, version, row_count, cumulative_rows, object_key, sha256, size_bytes, content_type,
         profile, event_time_start, event_time_end, trigger, quarantined_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13) RETURNING *`,
      [row.dataset, row.version, row.rowCount, row.cumulativeRows, row.objectKey, row.sha256, row.sizeBytes, row.contentType,
        JSON.stringify(row.profile), row.eventTimeStart, row.eventTimeEnd, row.trigger, row.quarantinedCount],
    );
    return toVersion(rows[0]!);
  }

  async listVersions(manager: EntityManager, dataset: string, before: number | undefined, limit: number): Promise<VersionRow[]> {
    const rows: Raw[] = await manager.query(
      `SELECT * FROM dataset_versions WHERE dataset = $1 AND ($2::int IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`,
      [dataset, before ?? null, limit],
    );
    return rows.map(toVersion);
  }

  async getVersion(manager: EntityManager, dataset: string, version: number): Promise<VersionRow | undefined> {
    const rows: Raw[] = await manager.query(`SELECT * FROM dataset_versions WHERE dataset = $1 AND version = $2`, [dataset, version]);
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async insertQuarantine(manager: EntityManager, dataset: string, records: readonly NewQuarantineRow[]): Promise<QuarantineRow[]> {
    const out: QuarantineRow[] = [];
    for (let start = 0; start < records.length; start += 1000) {
      const chunk = records.slice(start, start + 1000);
      const rows: Raw[] = await manager.query(
        `INSERT INTO quarantined_records (id, dataset, raw, violations, origin)
         SELECT i, $1, r, v::jsonb, o FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(i, r, v, o, n)
         ORDER BY n RETURNING *`,
        [dataset, chunk.map((r) => r.id), chunk.map((r) => r.raw), chunk.map((r) => JSON.stringify(r.violations)), chunk.map((r) => r.origin)],
      );
      out.push(...rows.map(toQuarantine));
    }
    return out;
  }

  async listQuarantine(manager: EntityManager, dataset: string, before: number | undefined, limit: number): Promise<QuarantineRow[]> {
    const rows: Raw[] = await manager.query(
      `SELECT * FROM quarantined_records WHERE dataset = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
      [dataset, before ?? null, limit],
    );
    return rows.map(toQuarantine);
  }

  async findBatch(manager: EntityManager, dataset: string, batchId: string): Promise<unknown> {
    const rows: Array<{ summary: unknown }> = await manager.query(`SELECT summary FROM ingest_batches WHERE dataset = $1 AND batch_id = $2`, [dataset, batchId]);
    return rows[0]?.summary;
  }

  async insertBatch(manager: EntityManager, dataset: string, batchId: string, summary: unknown): Promise<void> {
    await manager.query(`INSERT INTO ingest_batches (dataset, batch_id, summary) VALUES ($1, $2, $3::jsonb)`, [dataset, batchId, JSON.stringify(summary)]);
  }
}

/** TypeORM answers an UPDATE … RETURNING with `[rows, affected]`, unlike an INSERT or a SELECT. */
function updated(result: unknown): Raw[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as Raw[]) : (result as Raw[]);
}

function toDataset(r: Raw): DatasetRow {
  return {
    name: String(r.name),
    description: String(r.description),
    contract: r.contract as Contract,
    maxRows: Number(r.max_rows),
    maxIntervalMs: Number(r.max_interval_ms),
    ownerTeam: String(r.owner_team),
    createdAt: r.created_at as Date,
    latestVersion: Number(r.latest_version),
    cumulativeRows: Number(r.cumulative_rows),
    pendingRows: Number(r.pending_rows),
    pendingSince: (r.pending_since as Date | null) ?? null,
    quarantinedPending: Number(r.quarantined_pending),
  };
}

function toVersion(r: Raw): VersionRow {
  return {
    dataset: String(r.dataset),
    version: Number(r.version),
    rowCount: Number(r.row_count),
    cumulativeRows: Number(r.cumulative_rows),
    objectKey: String(r.object_key),
    sha256: String(r.sha256),
    sizeBytes: Number(r.size_bytes),
    contentType: String(r.content_type),
    profile: r.profile,
    eventTimeStart: (r.event_time_start as Date | null) ?? null,
    eventTimeEnd: (r.event_time_end as Date | null) ?? null,
    trigger: Number(r.trigger),
    committedAt: r.committed_at as Date,
    quarantinedCount: Number(r.quarantined_count),
  };
}

function toQuarantine(r: Raw): QuarantineRow {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    dataset: String(r.dataset),
    raw: String(r.raw),
    violations: r.violations as Violation[],
    origin: String(r.origin),
    quarantinedAt: r.quarantined_at as Date,
  };
}
