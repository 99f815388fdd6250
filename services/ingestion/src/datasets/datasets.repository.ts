import { Injectable } from '@nestjs/common';
import { queryRows } from '@flywheel/persistence';
import { type EntityManager, In, IsNull, LessThan, MoreThan } from 'typeorm';
import { type DatasetDefinition } from './dataset-contract';
import { DatasetVersionEntity } from './dataset-version.entity';
import { DatasetEntity } from './dataset.entity';
import { IngestBatchEntity, type StoredSummary } from './ingest-batch.entity';
import { IngestOffsetEntity } from './ingest-offset.entity';
import { PendingBatchEntity } from './pending-batch.entity';
import { UnregisteredTopicEntity } from './unregistered-topic.entity';
import { QuarantinedRecordEntity } from './quarantined-record.entity';
import { type Violation } from './record-validation';
import { type StagedRecords } from './record-batch';
import { type StagedBatchRef } from './version-plan';

export interface AcceptedKey {
  readonly key: string;
  readonly sha: string;
}

export type NewVersion = Omit<DatasetVersionEntity, 'committedAt'>;

export interface NewQuarantinedRecord {
  readonly id: string;
  readonly raw: string;
  readonly rawSizeBytes: number;
  readonly rawSha256: string;
  readonly violations: readonly Violation[];
  readonly origin: string;
}

export type DatasetLock = 'none' | 'update' | 'update-skip-locked';

/** A gRPC batch id: new (this call applies it), or applied before with this summary. */
export type BatchClaim = { readonly claimed: true } | { readonly claimed: false; readonly summary: StoredSummary };

/**
 * Ingestion's state. Every method takes the caller's `EntityManager`, so a use case stages or
 * quarantines records, advances its offset, cuts a version and publishes its events in one
 * transaction.
 */
export abstract class DatasetsRepository {
  // Datasets.
  abstract findDataset(manager: EntityManager, name: string, lock?: DatasetLock): Promise<DatasetEntity | undefined>;
  /** False when a dataset of that name already exists (a concurrent registration won). */
  abstract insertDataset(manager: EntityManager, definition: DatasetDefinition, ownerTeam: string): Promise<boolean>;
  /** Stores a dataset's new description, contract and commit policy. */
  abstract updateDataset(manager: EntityManager, definition: DatasetDefinition): Promise<void>;
  /** Datasets by name after `after`, at most `limit`. */
  abstract listDatasets(manager: EntityManager, after: string | undefined, limit: number): Promise<DatasetEntity[]>;
  abstract datasetNames(manager: EntityManager): Promise<string[]>;
  /** Datasets whose oldest pending record has waited at least their interval at `now`, most overdue first. */
  abstract datasetsDueForCommit(manager: EntityManager, now: Date): Promise<string[]>;
  /** When the next dataset falls due (its oldest pending record's arrival plus its interval); undefined when nothing is pending. */
  abstract nextCommitDue(manager: EntityManager): Promise<Date | undefined>;
  abstract datasetsWithPending(manager: EntityManager): Promise<string[]>;
  /** Records the version: the dataset's latest version and cumulative rows. */
  abstract completeCommit(manager: EntityManager, dataset: string, version: number, rowCount: number): Promise<DatasetEntity>;

  // Records waiting for the next version.
  /** Stages accepted records as one batch; returns its id (null when there were none). */
  abstract stagePending(manager: EntityManager, dataset: string, origin: string, records: StagedRecords): Promise<string | null>;
  /** Staged batches visible now (records staged by transactions still running are not), oldest first. */
  abstract listPending(manager: EntityManager, dataset: string): Promise<StagedBatchRef[]>;
  /** Removes staged batches, returning each one's records (a JSON array) by id — null for those in `known` (their text is at hand). */
  abstract removePending(
    manager: EntityManager,
    dataset: string,
    ids: readonly string[],
    known: ReadonlySet<string>,
  ): Promise<Map<string, string | null>>;
  /** A staged batch's records (a JSON array), locked until the transaction ends. */
  abstract readPending(manager: EntityManager, dataset: string, id: string): Promise<string>;
  /** What stays of a batch that a version took part of: its records past it. */
  abstract keepPending(manager: EntityManager, dataset: string, id: string, rest: { json: string; count: number }): Promise<void>;

  // Unique keys already accepted.
  /** The content hash of each of `keys` already accepted. */
  abstract findKeys(manager: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>>;
  /** Records accepted keys; returns those another transaction recorded first (none, unless producers race). */
  abstract insertKeys(manager: EntityManager, dataset: string, keys: readonly AcceptedKey[]): Promise<string[]>;

  // Offsets of the raw topics.
  /** Locks the partition's offset row (created at `initial` if new) and returns the next offset to apply. */
  abstract lockOffset(manager: EntityManager, topic: string, partition: number, dataset: string): Promise<bigint>;
  abstract advanceOffset(manager: EntityManager, topic: string, partition: number, next: bigint): Promise<void>;

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
  /** Attributes the quarantined records not yet in a version's window to `version`; returns how many. */
  abstract assignQuarantined(manager: EntityManager, dataset: string, version: number): Promise<number>;
  /** Quarantined records newest first, below sequence `before`, at most `limit`; replayed ones only when asked. */
  abstract listQuarantined(
    manager: EntityManager,
    dataset: string,
    before: number | undefined,
    limit: number,
    includeReplayed: boolean,
  ): Promise<QuarantinedRecordEntity[]>;
  /**
   * Locks up to `limit` records still waiting in quarantine (those of `ids`, or any), oldest
   * first, for a replay; records another replay holds are skipped, so no record is replayed twice.
   */
  abstract claimForReplay(
    manager: EntityManager,
    dataset: string,
    ids: readonly string[] | null,
    limit: number,
  ): Promise<QuarantinedRecordEntity[]>;
  /** Marks records replayed, with their outcome. */
  abstract markReplayed(manager: EntityManager, ids: readonly string[], outcome: number): Promise<void>;
  /** How many records of a dataset wait in quarantine. */
  abstract countWaiting(manager: EntityManager, dataset: string): Promise<number>;

  // Ingest topics without a dataset.
  /** Counts records of a topic no dataset owns (dead-lettered). */
  abstract recordUnregistered(manager: EntityManager, topic: string, records: number): Promise<void>;
  abstract listUnregistered(manager: EntityManager): Promise<UnregisteredTopicEntity[]>;
  /** The topic now has its dataset. */
  abstract forgetUnregistered(manager: EntityManager, topic: string): Promise<void>;

  // gRPC batches already applied.
  /**
   * Claims a batch id for this call; a concurrent call with the same id waits until the first
   * one ends, then finds it applied.
   */
  abstract claimBatch(manager: EntityManager, dataset: string, batchId: string): Promise<BatchClaim>;
  abstract saveBatchSummary(manager: EntityManager, dataset: string, batchId: string, summary: StoredSummary): Promise<void>;
}

@Injectable()
export class TypeOrmDatasetsRepository extends DatasetsRepository {
  async findDataset(manager: EntityManager, name: string, lock: DatasetLock = 'none'): Promise<DatasetEntity | undefined> {
    // FOR NO KEY UPDATE, not FOR UPDATE: every staged, quarantined or offset row holds a
    // KEY SHARE lock on its dataset through its foreign key, which FOR UPDATE would wait for
    // (and deadlock with two batches that both reach the row-count trigger).
    const found = await manager.findOne(DatasetEntity, {
      where: { name },
      ...(lock === 'update' ? { lock: { mode: 'for_no_key_update' } } : {}),
      ...(lock === 'update-skip-locked' ? { lock: { mode: 'for_no_key_update', onLocked: 'skip_locked' } } : {}),
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

  async updateDataset(manager: EntityManager, definition: DatasetDefinition): Promise<void> {
    await manager.update(
      DatasetEntity,
      { name: definition.name },
      {
        description: definition.description,
        contract: definition.contract,
        maxRows: definition.maxRows,
        maxIntervalMs: definition.maxIntervalMs,
      },
    );
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
    // Raw SQL: the lateral "oldest pending row" per dataset has no TypeORM form.
    const rows = await queryRows<{ name: string }>(manager, `SELECT name FROM (${OLDEST_PENDING}) d WHERE due <= $1 ORDER BY due`, [now]);
    return rows.map((r) => r.name);
  }

  async nextCommitDue(manager: EntityManager): Promise<Date | undefined> {
    const rows = await queryRows<{ due: Date | null }>(manager, `SELECT min(due) AS due FROM (${OLDEST_PENDING}) d`);
    return rows[0]?.due ?? undefined;
  }

  async datasetsWithPending(manager: EntityManager): Promise<string[]> {
    const rows = await queryRows<{ name: string }>(manager, `SELECT name FROM (${OLDEST_PENDING}) d ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async completeCommit(manager: EntityManager, dataset: string, version: number, rowCount: number): Promise<DatasetEntity> {
    await manager
      .createQueryBuilder()
      .update(DatasetEntity)
      .set({ latestVersion: version, cumulativeRows: () => 'cumulative_rows + :rowCount' })
      .where('name = :dataset', { dataset, rowCount })
      .execute();
    return manager.findOneByOrFail(DatasetEntity, { name: dataset });
  }

  async stagePending(manager: EntityManager, dataset: string, origin: string, { text, count }: StagedRecords): Promise<string | null> {
    if (count === 0) return null;
    // Raw SQL: the text goes as the UTF-8 bytes it already is (a binary parameter; PostgreSQL
    // checks the encoding) instead of being decoded to a string and encoded again.
    const rows = await queryRows<{ id: string }>(
      manager,
      `INSERT INTO pending_batches (dataset, origin, row_count, records) VALUES ($1, $2, $3, $4) RETURNING id`,
      [dataset, origin, count, text],
    );
    return rows[0]!.id;
  }

  async listPending(manager: EntityManager, dataset: string): Promise<StagedBatchRef[]> {
    const batches = await manager.find(PendingBatchEntity, {
      select: { id: true, rowCount: true },
      where: { dataset },
      order: { id: 'ASC' },
    });
    return batches.map((b) => ({ id: b.id, rowCount: b.rowCount }));
  }

  async removePending(
    manager: EntityManager,
    dataset: string,
    ids: readonly string[],
    known: ReadonlySet<string>,
  ): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    // Raw SQL: DELETE … RETURNING of many batches in one statement, without the texts at hand.
    const rows = await queryRows<{ id: string; records: string | null }>(
      manager,
      `DELETE FROM pending_batches WHERE dataset = $1 AND id = ANY($2::bigint[])
       RETURNING id, CASE WHEN id = ANY($3::bigint[]) THEN NULL ELSE records END AS records`,
      [dataset, ids, [...known]],
    );
    return new Map(rows.map((r) => [r.id, r.records]));
  }

  async readPending(manager: EntityManager, dataset: string, id: string): Promise<string> {
    const batch = await manager.findOneOrFail(PendingBatchEntity, { where: { dataset, id }, lock: { mode: 'pessimistic_write' } });
    return batch.records;
  }

  async keepPending(manager: EntityManager, dataset: string, id: string, rest: { json: string; count: number }): Promise<void> {
    await manager.update(PendingBatchEntity, { dataset, id }, { records: rest.json, rowCount: rest.count });
  }

  async findKeys(manager: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    // Raw SQL: one array parameter instead of one bind parameter per key.
    const rows = await queryRows<{ key: string; content_sha: string }>(
      manager,
      `SELECT key, content_sha FROM record_keys WHERE dataset = $1 AND key = ANY($2::text[])`,
      [dataset, keys],
    );
    return new Map(rows.map((r) => [r.key, r.content_sha]));
  }

  async insertKeys(manager: EntityManager, dataset: string, keys: readonly AcceptedKey[]): Promise<string[]> {
    if (keys.length === 0) return [];
    // Raw SQL: one statement per batch; sorted so that two racing batches lock keys in one order (no deadlock).
    const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const inserted = await queryRows<{ key: string }>(
      manager,
      `INSERT INTO record_keys (dataset, key, content_sha)
       SELECT $1, r.k, r.s FROM ROWS FROM (json_to_recordset($2::json) AS (k text, s text)) WITH ORDINALITY AS r(k, s, n) ORDER BY r.n
       ON CONFLICT (dataset, key) DO NOTHING RETURNING key`,
      [dataset, JSON.stringify(sorted.map((k) => ({ k: k.key, s: k.sha })))],
    );
    const fresh = new Set(inserted.map((r) => r.key));
    return sorted.filter((k) => !fresh.has(k.key)).map((k) => k.key);
  }

  async lockOffset(manager: EntityManager, topic: string, partition: number, dataset: string): Promise<bigint> {
    // Raw SQL: an upsert that locks the row and returns the stored offset in one round trip.
    const rows = await queryRows<{ next_offset: string }>(
      manager,
      `INSERT INTO ingest_offsets (topic, partition, dataset, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT (topic, partition) DO UPDATE SET updated_at = now() RETURNING next_offset`,
      [topic, partition, dataset],
    );
    return BigInt(rows[0]!.next_offset);
  }

  async advanceOffset(manager: EntityManager, topic: string, partition: number, next: bigint): Promise<void> {
    await manager.update(IngestOffsetEntity, { topic, partition }, { nextOffset: next.toString() });
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
    if (records.length === 0) return [];
    // Raw SQL: a whole batch as one JSON parameter; WITH ORDINALITY keeps the rows in the order given.
    const batch = JSON.stringify(
      records.map((r) => ({ id: r.id, raw: r.raw, size: r.rawSizeBytes, sha: r.rawSha256, violations: r.violations, origin: r.origin })),
    );
    const rows = await queryRows<{ seq: string; quarantined_at: Date }>(
      manager,
      `INSERT INTO quarantined_records (id, dataset, raw, raw_size_bytes, raw_sha256, violations, origin)
       SELECT r.id, $1, r.raw, r.size, r.sha, r.violations::jsonb, r.origin
       FROM ROWS FROM (json_to_recordset($2::json) AS (id uuid, raw text, size bigint, sha text, violations json, origin text))
         WITH ORDINALITY AS r(id, raw, size, sha, violations, origin, n)
       ORDER BY r.n
       RETURNING seq, quarantined_at`,
      [dataset, batch],
    );
    // seq comes from a sequence in insertion order, which ORDER BY r.n fixed.
    rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    return records.map((r, i) =>
      manager.create(QuarantinedRecordEntity, {
        ...r,
        violations: [...r.violations],
        dataset,
        seq: rows[i]!.seq,
        quarantinedAt: rows[i]!.quarantined_at,
        version: null,
      }),
    );
  }

  async assignQuarantined(manager: EntityManager, dataset: string, version: number): Promise<number> {
    const result = await manager.update(QuarantinedRecordEntity, { dataset, version: IsNull() }, { version });
    return result.affected ?? 0;
  }

  listQuarantined(
    manager: EntityManager,
    dataset: string,
    before: number | undefined,
    limit: number,
    includeReplayed: boolean,
  ): Promise<QuarantinedRecordEntity[]> {
    return manager.find(QuarantinedRecordEntity, {
      where: {
        dataset,
        ...(before === undefined ? {} : { seq: LessThan(String(before)) }),
        ...(includeReplayed ? {} : { replayedAt: IsNull() }),
      },
      order: { seq: 'DESC' },
      take: limit,
    });
  }

  claimForReplay(
    manager: EntityManager,
    dataset: string,
    ids: readonly string[] | null,
    limit: number,
  ): Promise<QuarantinedRecordEntity[]> {
    return manager.find(QuarantinedRecordEntity, {
      where: { dataset, replayedAt: IsNull(), ...(ids === null ? {} : { id: In([...ids]) }) },
      order: { seq: 'ASC' },
      take: limit,
      lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
    });
  }

  async markReplayed(manager: EntityManager, ids: readonly string[], outcome: number): Promise<void> {
    if (ids.length === 0) return;
    await manager.update(QuarantinedRecordEntity, { id: In([...ids]) }, { replayedAt: () => 'now()', replayOutcome: outcome });
  }

  countWaiting(manager: EntityManager, dataset: string): Promise<number> {
    return manager.count(QuarantinedRecordEntity, { where: { dataset, replayedAt: IsNull() } });
  }

  async recordUnregistered(manager: EntityManager, topic: string, records: number): Promise<void> {
    // Raw SQL: an upsert that adds to the stored count.
    await manager.query(
      `INSERT INTO unregistered_ingest_topics (topic, dead_lettered) VALUES ($1, $2)
       ON CONFLICT (topic) DO UPDATE SET dead_lettered = unregistered_ingest_topics.dead_lettered + EXCLUDED.dead_lettered, last_seen = now()`,
      [topic, records],
    );
  }

  listUnregistered(manager: EntityManager): Promise<UnregisteredTopicEntity[]> {
    return manager.find(UnregisteredTopicEntity, { order: { topic: 'ASC' } });
  }

  async forgetUnregistered(manager: EntityManager, topic: string): Promise<void> {
    await manager.delete(UnregisteredTopicEntity, { topic });
  }

  async claimBatch(manager: EntityManager, dataset: string, batchId: string): Promise<BatchClaim> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(IngestBatchEntity)
      .values({ dataset, batchId, summary: { proto: '' } })
      .orIgnore()
      .returning('batch_id')
      .updateEntity(false)
      .execute();
    if ((result.raw as unknown[]).length === 1) return { claimed: true };
    const found = await manager.findOneOrFail(IngestBatchEntity, { select: { summary: true }, where: { dataset, batchId } });
    return { claimed: false, summary: found.summary };
  }

  async saveBatchSummary(manager: EntityManager, dataset: string, batchId: string, summary: StoredSummary): Promise<void> {
    await manager.update(IngestBatchEntity, { dataset, batchId }, { summary });
  }
}

/** Each dataset with pending records, with when it falls due (the oldest record's arrival plus its interval). */
const OLDEST_PENDING = `
  SELECT d.name, o.received_at + d.max_interval_ms * interval '1 millisecond' AS due
  FROM datasets d
  CROSS JOIN LATERAL (SELECT received_at FROM pending_batches p WHERE p.dataset = d.name ORDER BY p.id LIMIT 1) o`;
