import { Injectable } from '@nestjs/common';
import { type EntityManager, In, LessThan, LessThanOrEqual, MoreThan } from 'typeorm';
import { type DatasetDefinition } from './dataset-contract';
import { DatasetVersionEntity } from './dataset-version.entity';
import { DatasetEntity } from './dataset.entity';
import { IngestBatchEntity, type StoredSummary } from './ingest-batch.entity';
import { PendingRowEntity } from './pending-row.entity';
import { QuarantinedRecordEntity } from './quarantined-record.entity';
import { RecordKeyEntity } from './record-key.entity';
import { type Record_, type Violation } from './record-validation';

export interface PendingRecord {
  readonly id: string;
  readonly values: Record_;
}

export interface NewPendingRecord {
  readonly origin: string;
  readonly values: Record_;
  readonly eventTime: Date | null;
}

export interface AcceptedKey {
  readonly key: string;
  readonly sha: string;
}

export type NewVersion = Omit<DatasetVersionEntity, 'committedAt'>;

export interface NewQuarantinedRecord {
  readonly id: string;
  readonly raw: string;
  readonly violations: readonly Violation[];
  readonly origin: string;
}

export type DatasetLock = 'none' | 'update' | 'update-skip-locked';

/** Rows per multi-row statement: keeps the bind parameters of one statement well under pg's limit. */
const ROWS_PER_STATEMENT = 1000;

/**
 * Ingestion's state. Every method takes the caller's `EntityManager`, so a use case locks the
 * dataset, stages or quarantines records, cuts a version and publishes its events in one
 * transaction.
 */
export abstract class DatasetsRepository {
  // Datasets.
  abstract findDataset(manager: EntityManager, name: string, lock?: DatasetLock): Promise<DatasetEntity | undefined>;
  /** False when a dataset of that name already exists (a concurrent registration won). */
  abstract insertDataset(manager: EntityManager, definition: DatasetDefinition, ownerTeam: string): Promise<boolean>;
  /** Datasets by name after `after`, at most `limit`. */
  abstract listDatasets(manager: EntityManager, after: string | undefined, limit: number): Promise<DatasetEntity[]>;
  abstract datasetNames(manager: EntityManager): Promise<string[]>;
  /** Datasets whose oldest pending record has waited at least their interval, oldest first. */
  abstract datasetsDueForCommit(manager: EntityManager, now: Date): Promise<string[]>;
  abstract datasetsWithPending(manager: EntityManager): Promise<string[]>;
  /** Adds staged and quarantined records to the dataset's counters; returns the updated dataset. */
  abstract addPendingCounts(manager: EntityManager, dataset: string, pending: number, quarantined: number): Promise<DatasetEntity>;

  // Records waiting for the next version.
  /** Stages accepted records; a record whose origin is already staged is skipped. Returns how many were new. */
  abstract addPending(manager: EntityManager, dataset: string, records: readonly NewPendingRecord[]): Promise<number>;
  /** The oldest pending records, at most `limit`. */
  abstract takePending(manager: EntityManager, dataset: string, limit: number): Promise<PendingRecord[]>;
  /** Removes committed records and brings the dataset's counters in line; returns the updated dataset. */
  abstract completeCommit(
    manager: EntityManager,
    dataset: string,
    version: number,
    lastPendingId: string,
    rowCount: number,
  ): Promise<DatasetEntity>;

  // Unique keys already accepted.
  /** The content hash of each of `keys` already accepted. */
  abstract findKeys(manager: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>>;
  abstract insertKeys(manager: EntityManager, dataset: string, keys: readonly AcceptedKey[]): Promise<void>;

  // Versions.
  abstract insertVersion(manager: EntityManager, version: NewVersion): Promise<DatasetVersionEntity>;
  abstract findVersion(manager: EntityManager, dataset: string, version: number): Promise<DatasetVersionEntity | undefined>;
  /** Versions newest first, below `before`, at most `limit`. */
  abstract listVersions(
    manager: EntityManager,
    dataset: string,
    before: number | undefined,
    limit: number,
  ): Promise<DatasetVersionEntity[]>;

  // Quarantine.
  /** Stores rejected records; returns them in the order given, with their sequence numbers. */
  abstract insertQuarantined(
    manager: EntityManager,
    dataset: string,
    records: readonly NewQuarantinedRecord[],
  ): Promise<QuarantinedRecordEntity[]>;
  /** Quarantined records newest first, below sequence `before`, at most `limit`. */
  abstract listQuarantined(
    manager: EntityManager,
    dataset: string,
    before: number | undefined,
    limit: number,
  ): Promise<QuarantinedRecordEntity[]>;

  // gRPC batches already applied.
  /** The stored summary of a batch already applied, if it was. */
  abstract findBatchSummary(manager: EntityManager, dataset: string, batchId: string): Promise<StoredSummary | undefined>;
  abstract insertBatch(manager: EntityManager, dataset: string, batchId: string, summary: StoredSummary): Promise<void>;
}

@Injectable()
export class TypeOrmDatasetsRepository extends DatasetsRepository {
  async findDataset(manager: EntityManager, name: string, lock: DatasetLock = 'none'): Promise<DatasetEntity | undefined> {
    const found = await manager.findOne(DatasetEntity, {
      where: { name },
      ...(lock === 'update' ? { lock: { mode: 'pessimistic_write' } } : {}),
      ...(lock === 'update-skip-locked' ? { lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' } } : {}),
    });
    return found ?? undefined;
  }

  async insertDataset(manager: EntityManager, definition: DatasetDefinition, ownerTeam: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(DatasetEntity)
      .values({
        name: definition.name,
        description: definition.description,
        contract: definition.contract,
        maxRows: definition.maxRows,
        maxIntervalMs: definition.maxIntervalMs,
        ownerTeam,
      })
      .orIgnore()
      .returning(['name'])
      .updateEntity(false)
      .execute();
    return (result.raw as unknown[]).length === 1;
  }

  listDatasets(manager: EntityManager, after: string | undefined, limit: number): Promise<DatasetEntity[]> {
    return manager.find(DatasetEntity, {
      where: after === undefined ? {} : { name: MoreThan(after) },
      order: { name: 'ASC' },
      take: limit,
    });
  }

  async datasetNames(manager: EntityManager): Promise<string[]> {
    const rows = await manager.find(DatasetEntity, { select: { name: true }, order: { name: 'ASC' } });
    return rows.map((r) => r.name);
  }

  async datasetsDueForCommit(manager: EntityManager, now: Date): Promise<string[]> {
    const rows = await manager
      .createQueryBuilder(DatasetEntity, 'dataset')
      .select('dataset.name', 'name')
      .where('dataset.pending_rows > 0')
      .andWhere(`dataset.pending_since + (dataset.max_interval_ms * interval '1 millisecond') <= :now`, { now })
      .orderBy('dataset.pending_since')
      .getRawMany<{ name: string }>();
    return rows.map((r) => r.name);
  }

  async datasetsWithPending(manager: EntityManager): Promise<string[]> {
    const rows = await manager.find(DatasetEntity, { select: { name: true }, where: { pendingRows: MoreThan(0) }, order: { name: 'ASC' } });
    return rows.map((r) => r.name);
  }

  async addPendingCounts(manager: EntityManager, dataset: string, pending: number, quarantined: number): Promise<DatasetEntity> {
    await manager
      .createQueryBuilder()
      .update(DatasetEntity)
      .set({
        pendingRows: () => 'pending_rows + :pending',
        quarantinedPending: () => 'quarantined_pending + :quarantined',
        pendingSince: () => 'CASE WHEN :pending > 0 THEN coalesce(pending_since, now()) ELSE pending_since END',
      })
      .where('name = :dataset', { dataset, pending, quarantined })
      .execute();
    return manager.findOneByOrFail(DatasetEntity, { name: dataset });
  }

  async addPending(manager: EntityManager, dataset: string, records: readonly NewPendingRecord[]): Promise<number> {
    let inserted = 0;
    for (const chunk of chunks(records)) {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(PendingRowEntity)
        .values(chunk.map((r) => ({ dataset, origin: r.origin, values: r.values, eventTime: r.eventTime })))
        // The only other unique constraint is the bigserial key: a conflict is an origin already staged.
        .orIgnore()
        .returning(['id'])
        .updateEntity(false)
        .execute();
      inserted += (result.raw as unknown[]).length;
    }
    return inserted;
  }

  async takePending(manager: EntityManager, dataset: string, limit: number): Promise<PendingRecord[]> {
    const rows = await manager.find(PendingRowEntity, {
      select: { id: true, values: true },
      where: { dataset },
      order: { id: 'ASC' },
      take: limit,
    });
    return rows.map((r) => ({ id: r.id, values: r.values }));
  }

  async completeCommit(
    manager: EntityManager,
    dataset: string,
    version: number,
    lastPendingId: string,
    rowCount: number,
  ): Promise<DatasetEntity> {
    await manager.delete(PendingRowEntity, { dataset, id: LessThanOrEqual(lastPendingId) });
    await manager
      .createQueryBuilder()
      .update(DatasetEntity)
      .set({
        latestVersion: version,
        cumulativeRows: () => 'cumulative_rows + :rowCount',
        pendingRows: () => 'pending_rows - :rowCount',
        quarantinedPending: 0,
        pendingSince: () => '(SELECT min(received_at) FROM pending_rows WHERE dataset = :dataset)',
      })
      .where('name = :dataset', { dataset, rowCount })
      .execute();
    return manager.findOneByOrFail(DatasetEntity, { name: dataset });
  }

  async findKeys(manager: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows = await manager.find(RecordKeyEntity, { where: { dataset, key: In([...keys]) } });
    return new Map(rows.map((r) => [r.key, r.contentSha]));
  }

  async insertKeys(manager: EntityManager, dataset: string, keys: readonly AcceptedKey[]): Promise<void> {
    for (const chunk of chunks(keys)) {
      await manager.insert(
        RecordKeyEntity,
        chunk.map((k) => ({ dataset, key: k.key, contentSha: k.sha })),
      );
    }
  }

  async insertVersion(manager: EntityManager, version: NewVersion): Promise<DatasetVersionEntity> {
    const entity = manager.create(DatasetVersionEntity, version);
    // The insert fills in committed_at, set by the database.
    await manager.insert(DatasetVersionEntity, entity);
    return entity;
  }

  async findVersion(manager: EntityManager, dataset: string, version: number): Promise<DatasetVersionEntity | undefined> {
    return (await manager.findOne(DatasetVersionEntity, { where: { dataset, version } })) ?? undefined;
  }

  listVersions(manager: EntityManager, dataset: string, before: number | undefined, limit: number): Promise<DatasetVersionEntity[]> {
    return manager.find(DatasetVersionEntity, {
      where: before === undefined ? { dataset } : { dataset, version: LessThan(before) },
      order: { version: 'DESC' },
      take: limit,
    });
  }

  async insertQuarantined(
    manager: EntityManager,
    dataset: string,
    records: readonly NewQuarantinedRecord[],
  ): Promise<QuarantinedRecordEntity[]> {
    const out: QuarantinedRecordEntity[] = [];
    for (const chunk of chunks(records)) {
      const entities = chunk.map((r) =>
        manager.create(QuarantinedRecordEntity, { id: r.id, dataset, raw: r.raw, violations: [...r.violations], origin: r.origin }),
      );
      // The insert fills in each record's seq and quarantined_at.
      await manager.insert(QuarantinedRecordEntity, entities);
      out.push(...entities);
    }
    return out;
  }

  listQuarantined(manager: EntityManager, dataset: string, before: number | undefined, limit: number): Promise<QuarantinedRecordEntity[]> {
    return manager.find(QuarantinedRecordEntity, {
      where: before === undefined ? { dataset } : { dataset, seq: LessThan(String(before)) },
      order: { seq: 'DESC' },
      take: limit,
    });
  }

  async findBatchSummary(manager: EntityManager, dataset: string, batchId: string): Promise<StoredSummary | undefined> {
    const found = await manager.findOne(IngestBatchEntity, { select: { summary: true }, where: { dataset, batchId } });
    return found?.summary;
  }

  async insertBatch(manager: EntityManager, dataset: string, batchId: string, summary: StoredSummary): Promise<void> {
    await manager.insert(IngestBatchEntity, { dataset, batchId, summary });
  }
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) yield items.slice(start, start + ROWS_PER_STATEMENT);
}
