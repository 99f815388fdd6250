import { Inject, Injectable } from '@nestjs/common';
import { ingestionV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';

/** A committed dataset version as the feature store knows it from the ingestion event. */
export interface DatasetVersionRecord {
  readonly dataset: string;
  readonly version: number;
  readonly objectKey: string;
  readonly objectSha256: string;
  readonly contentType: string;
  readonly rowCount: number;
  readonly contract: ingestionV1.DataContract;
  /** The DatasetVersionCommitted event it came from: the cause of what it leads to. */
  readonly eventId: string;
  readonly committedAt: Date | null;
}

/** Datasets and their versions, learnt from ingestion's events (port; Postgres below). */
export abstract class DatasetCatalogRepository {
  abstract upsertDataset(manager: EntityManager, name: string, contract: ingestionV1.DataContract): Promise<void>;
  abstract findDataset(name: string): Promise<ingestionV1.DataContract | undefined>;
  /** False when the version was already recorded. */
  abstract recordVersion(manager: EntityManager, record: DatasetVersionRecord): Promise<boolean>;
  /** Versions in [from, to], ascending; `to` null for no upper bound. */
  abstract listVersions(dataset: string, from: number, to: number | null): Promise<DatasetVersionRecord[]>;
}

interface VersionRow {
  dataset: string;
  version: number;
  object_key: string;
  object_sha256: string;
  content_type: string;
  row_count: string;
  contract: unknown;
  event_id: string;
  committed_at: Date | null;
}

@Injectable()
export class PostgresDatasetCatalogRepository extends DatasetCatalogRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async upsertDataset(manager: EntityManager, name: string, contract: ingestionV1.DataContract): Promise<void> {
    await manager.query(
      `INSERT INTO datasets (name, contract, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET contract = EXCLUDED.contract, updated_at = now()`,
      [name, JSON.stringify(contract)],
    );
  }

  async findDataset(name: string): Promise<ingestionV1.DataContract | undefined> {
    const rows: Array<{ contract: unknown }> = await this.dataSource.query(`SELECT contract FROM datasets WHERE name = $1`, [name]);
    return rows.length ? ingestionV1.DataContract.fromPartial(rows[0].contract as ingestionV1.DataContract) : undefined;
  }

  async recordVersion(manager: EntityManager, record: DatasetVersionRecord): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO dataset_versions (dataset, version, object_key, object_sha256, content_type, row_count, contract, event_id, committed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (dataset, version) DO NOTHING RETURNING 1`,
      [
        record.dataset,
        record.version,
        record.objectKey,
        record.objectSha256,
        record.contentType,
        record.rowCount,
        JSON.stringify(record.contract),
        record.eventId,
        record.committedAt,
      ],
    );
    return rows.length === 1;
  }

  async listVersions(dataset: string, from: number, to: number | null): Promise<DatasetVersionRecord[]> {
    const rows: VersionRow[] = await this.dataSource.query(
      `SELECT * FROM dataset_versions WHERE dataset = $1 AND version >= $2 AND ($3::int IS NULL OR version <= $3) ORDER BY version`,
      [dataset, from, to],
    );
    return rows.map((row) => ({
      dataset: row.dataset,
      version: row.version,
      objectKey: row.object_key,
      objectSha256: row.object_sha256,
      contentType: row.content_type,
      rowCount: Number(row.row_count),
      contract: ingestionV1.DataContract.fromPartial(row.contract as ingestionV1.DataContract),
      eventId: row.event_id,
      committedAt: row.committed_at,
    }));
  }
}
