import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  datasetOfIngestTopic,
  DatasetRegisteredEvent,
  DatasetVersionCommittedEvent,
  ingestionV1,
  RecordsQuarantinedEvent,
} from '@flywheel/contracts';
import { type ConsumedRecord, EventPublisher, NonRetriableError } from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import { type CallerIdentity, Clock, type Page, pageOf, type PageResponseLike } from '@flywheel/platform';
import { datasetVersionKey, ObjectStore } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { contractToProto, type DatasetDefinition, sameDefinition } from './dataset-contract';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { DatasetsException, DatasetsExceptionCode, datasetNotFound } from './datasets.exception';
import { datasetToProto, decodeSummary, encodeSummary, quarantineToProto, versionToProto } from './datasets.mapper';
import { DatasetsRepository, type NewPendingRecord, type NewQuarantinedRecord } from './datasets.repository';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';
import { contentHash, type Incoming, rawText, uniqueKeyOf, validateIncoming, ViolationCode, type Violation } from './record-validation';
import { buildVersionFile, VERSION_CONTENT_TYPE, VERSION_FILE } from './version-file';

export const CommitTrigger = ingestionV1.CommitTrigger;
export type CommitTrigger = ingestionV1.CommitTrigger;

/** Rejections a summary carries back to the caller; the quarantine keeps them all. */
const MAX_REJECTIONS = 100;
/** Records per RecordsQuarantined event (the contract's limit). */
const MAX_RECORDS_PER_EVENT = 500;

export interface Registration {
  readonly dataset: DatasetEntity;
  /** False when an identical dataset was already registered. */
  readonly created: boolean;
}

/** One page of a list and the token of the next. */
export interface Listed<T> {
  readonly items: T[];
  readonly page: PageResponseLike;
}

export interface IncomingRecord {
  /** `kafka:<topic>/<partition>/<offset>` or `grpc:<batch>/<index>`: identifies the record across redelivery. */
  readonly origin: string;
  /** Index reported in rejections (position in the request or stream). */
  readonly index: number;
  readonly incoming: Incoming;
}

/**
 * The ingestion use cases. Every state change and the events it causes share one transaction;
 * accepted records are staged in `pending_rows` and move into a version atomically, so a crash
 * at any point loses nothing and a redelivery adds nothing.
 */
@Injectable()
export class DatasetsService {
  constructor(
    @Inject(DatasetsRepository) private readonly repository: DatasetsRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(ObjectStore) private readonly store: ObjectStore,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Registers a dataset; a repeated identical registration returns the stored one with `created: false`. */
  async register(definition: DatasetDefinition, caller: CallerIdentity | undefined): Promise<Registration> {
    return this.transactions.run(async (manager) => {
      const existing = await this.repository.findDataset(manager, definition.name);
      if (existing) return { dataset: this.sameOrConflict(existing, definition), created: false };
      if (!(await this.repository.insertDataset(manager, definition, caller?.team ?? ''))) {
        // A concurrent registration of the same name committed first.
        const winner = await this.repository.findDataset(manager, definition.name);
        return { dataset: this.sameOrConflict(winner!, definition), created: false };
      }
      const dataset = (await this.repository.findDataset(manager, definition.name))!;
      await this.publisher.publish(
        manager,
        DatasetRegisteredEvent,
        { dataset: datasetToProto(dataset), actor: { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '', service: '' } },
        { key: definition.name, causationId: null },
      );
      return { dataset, created: true };
    });
  }

  private sameOrConflict(existing: DatasetEntity, definition: DatasetDefinition): DatasetEntity {
    if (!sameDefinition(existing, definition)) {
      throw new DatasetsException(
        `dataset "${definition.name}" is already registered with a different definition`,
        DatasetsExceptionCode.DATASET_ALREADY_EXISTS,
        { dataset: definition.name },
      );
    }
    return existing;
  }

  get(name: string): Promise<DatasetEntity> {
    return this.transactions.run((manager) => this.require(manager, name));
  }

  async list(page: Page<string>): Promise<Listed<DatasetEntity>> {
    const rows = await this.transactions.run((manager) => this.repository.listDatasets(manager, page.after, page.size + 1));
    return pageOf(rows, page, (last) => last.name);
  }

  /** Versions of a dataset, newest first. */
  async listVersions(dataset: string, page: Page<number>): Promise<Listed<DatasetVersionEntity>> {
    const rows = await this.transactions.run(async (manager) => {
      await this.require(manager, dataset);
      return this.repository.listVersions(manager, dataset, page.after, page.size + 1);
    });
    return pageOf(rows, page, (last) => last.version);
  }

  /** A version of a dataset; version 0 is the latest. */
  async getVersion(dataset: string, version: number): Promise<DatasetVersionEntity> {
    const row = await this.transactions.run(async (manager) => {
      const found = await this.require(manager, dataset);
      const wanted = version === 0 ? found.latestVersion : version;
      return wanted > 0 ? this.repository.findVersion(manager, dataset, wanted) : undefined;
    });
    if (!row) {
      throw new DatasetsException(
        version === 0 ? `dataset "${dataset}" has no version yet` : `dataset "${dataset}" has no version ${version}`,
        DatasetsExceptionCode.VERSION_NOT_FOUND,
        { dataset, version },
      );
    }
    return row;
  }

  /** Quarantined records of a dataset, newest first. */
  async listQuarantine(dataset: string, page: Page<number>): Promise<Listed<QuarantinedRecordEntity>> {
    const rows = await this.transactions.run(async (manager) => {
      await this.require(manager, dataset);
      return this.repository.listQuarantined(manager, dataset, page.after, page.size + 1);
    });
    return pageOf(rows, page, (last) => Number(last.seq));
  }

  /**
   * One gRPC batch (an Ingest call or one chunk of a stream) in one transaction. A batch id
   * seen before returns the summary it produced then, without a second effect. The summary is
   * the wire message because that is what is stored and replayed, byte for byte.
   */
  async ingestBatch(
    dataset: string,
    records: readonly IncomingRecord[],
    options: { batchId: string; commitNow: boolean },
  ): Promise<ingestionV1.IngestSummary> {
    return this.transactions.run(async (manager) => {
      const locked = await this.repository.findDataset(manager, dataset, 'update');
      if (!locked) throw datasetNotFound(dataset);
      if (options.batchId) {
        const previous = await this.repository.findBatchSummary(manager, dataset, options.batchId);
        if (previous !== undefined) return decodeSummary(previous);
      }
      const summary = await this.ingest(manager, locked, records, options.commitNow);
      if (options.batchId) await this.repository.insertBatch(manager, dataset, options.batchId, encodeSummary(summary));
      return summary;
    });
  }

  /** Commits whatever is pending now (the end of a stream with `commit_now`). */
  async commitNow(dataset: string): Promise<DatasetVersionEntity | undefined> {
    return this.transactions.run(async (manager) => {
      const locked = await this.repository.findDataset(manager, dataset, 'update');
      if (!locked) throw datasetNotFound(dataset);
      return locked.pendingRows > 0
        ? (await this.commit(manager, locked, CommitTrigger.COMMIT_TRIGGER_REQUESTED, locked.pendingRows))?.version
        : undefined;
    });
  }

  /**
   * A raw record from `flywheel.ingest.<dataset>`, inside the consumer's transaction (which
   * also holds its processed-events row, keyed by topic/partition/offset).
   */
  async ingestRawRecord(record: ConsumedRecord, manager: EntityManager): Promise<void> {
    const dataset = datasetOfIngestTopic(record.topic);
    const locked = dataset ? await this.repository.findDataset(manager, dataset, 'update') : undefined;
    if (!locked) throw new NonRetriableError(`topic ${record.topic} belongs to no registered dataset`);

    await this.ingest(
      manager,
      locked,
      [
        {
          origin: `kafka:${record.topic}/${record.partition}/${record.offset}`,
          index: Number(record.offset),
          incoming: { kind: 'json', bytes: record.value },
        },
      ],
      false,
    );
  }

  /** Commits every dataset whose oldest pending record has waited its interval. */
  async commitDue(): Promise<number> {
    const names = await this.transactions.run((manager) => this.repository.datasetsDueForCommit(manager, this.clock.now()));
    let committed = 0;
    for (const name of names) committed += await this.commitAllOf(name, CommitTrigger.COMMIT_TRIGGER_MAX_INTERVAL, true);
    return committed;
  }

  /** Commits everything pending (graceful shutdown): versions in Postgres and S3 instead of staged rows. */
  async commitAllPending(): Promise<number> {
    const names = await this.transactions.run((manager) => this.repository.datasetsWithPending(manager));
    let committed = 0;
    for (const name of names) committed += await this.commitAllOf(name, CommitTrigger.COMMIT_TRIGGER_REQUESTED, false);
    return committed;
  }

  private async commitAllOf(name: string, trigger: CommitTrigger, onlyIfDue: boolean): Promise<number> {
    return this.transactions.run(async (manager) => {
      // Another replica (or an ingest) holding the row is committing it or will trip its own trigger.
      let dataset = await this.repository.findDataset(manager, name, 'update-skip-locked');
      if (!dataset || dataset.pendingRows === 0) return 0;
      if (onlyIfDue && (!dataset.pendingSince || dataset.pendingSince.getTime() + dataset.maxIntervalMs > this.clock.now().getTime() + 50))
        return 0;
      let versions = 0;
      while (dataset.pendingRows > 0) {
        const result = await this.commit(manager, dataset, trigger, Math.min(dataset.pendingRows, dataset.maxRows));
        if (!result) break;
        dataset = result.dataset;
        versions++;
      }
      return versions;
    });
  }

  private async require(manager: EntityManager, name: string): Promise<DatasetEntity> {
    const row = await this.repository.findDataset(manager, name);
    if (!row) throw datasetNotFound(name);
    return row;
  }

  /**
   * Validates records against the locked dataset's contract, stages the good ones, quarantines
   * the bad ones (table and event), then commits while the row-count limit is reached.
   */
  private async ingest(
    manager: EntityManager,
    dataset: DatasetEntity,
    records: readonly IncomingRecord[],
    commitNow: boolean,
  ): Promise<ingestionV1.IngestSummary> {
    const { contract } = dataset;
    const accepted: Array<NewPendingRecord & { key: string | null; sha: string }> = [];
    const rejected: Array<NewQuarantinedRecord & { index: number }> = [];
    let duplicates = 0;
    const reject = (record: IncomingRecord, violations: readonly Violation[]) =>
      rejected.push({ id: randomUUID(), raw: rawText(record.incoming), violations, origin: record.origin, index: record.index });

    const valid: Array<{ record: IncomingRecord; row: NewPendingRecord; key: string | null; sha: string }> = [];
    for (const record of records) {
      const result = validateIncoming(contract, record.incoming);
      if (!result.ok) {
        reject(record, result.violations);
        continue;
      }
      valid.push({
        record,
        row: { origin: record.origin, values: result.values, eventTime: result.eventTime },
        key: uniqueKeyOf(contract, result.values),
        sha: contentHash(contract, result.values),
      });
    }

    const known = await this.repository.findKeys(
      manager,
      dataset.name,
      valid.flatMap((v) => (v.key === null ? [] : [v.key])),
    );
    for (const candidate of valid) {
      if (candidate.key !== null) {
        const previous = known.get(candidate.key);
        if (previous === candidate.sha) {
          duplicates++;
          continue;
        }
        if (previous !== undefined) {
          reject(candidate.record, [
            {
              field: contract.uniqueKey.join(','),
              code: ViolationCode.VIOLATION_CODE_DUPLICATE_KEY,
              message: `${contract.uniqueKey.join(',')}: key ${candidate.key} was already accepted with different values`,
            },
          ]);
          continue;
        }
        known.set(candidate.key, candidate.sha);
      }
      accepted.push({ ...candidate.row, key: candidate.key, sha: candidate.sha });
    }

    const staged = await this.repository.addPending(manager, dataset.name, accepted);
    // A record whose origin was already staged is a redelivery of a record not yet committed.
    duplicates += accepted.length - staged;
    await this.repository.insertKeys(
      manager,
      dataset.name,
      accepted.flatMap((a) => (a.key === null ? [] : [{ key: a.key, sha: a.sha }])),
    );
    const quarantined = await this.quarantine(manager, dataset.name, rejected);

    let current = await this.repository.addPendingCounts(manager, dataset.name, staged, rejected.length);
    let committed: DatasetVersionEntity | undefined;
    while (current.pendingRows >= current.maxRows) {
      const result = await this.commit(manager, current, CommitTrigger.COMMIT_TRIGGER_MAX_ROWS, current.maxRows);
      if (!result) break;
      ({ version: committed, dataset: current } = result);
    }
    if (commitNow && current.pendingRows > 0) {
      committed = (await this.commit(manager, current, CommitTrigger.COMMIT_TRIGGER_REQUESTED, current.pendingRows))?.version ?? committed;
    }
    return {
      accepted: staged,
      quarantined: rejected.length,
      duplicates,
      rejections: quarantined.slice(0, MAX_REJECTIONS),
      committedVersion: committed && versionToProto(committed),
    };
  }

  private async quarantine(
    manager: EntityManager,
    dataset: string,
    rejected: ReadonlyArray<NewQuarantinedRecord & { index: number }>,
  ): Promise<ingestionV1.RecordRejection[]> {
    if (rejected.length === 0) return [];
    const rows = await this.repository.insertQuarantined(manager, dataset, rejected);
    const records = rows.map(quarantineToProto);
    for (let start = 0; start < records.length; start += MAX_RECORDS_PER_EVENT) {
      const chunk = records.slice(start, start + MAX_RECORDS_PER_EVENT);
      const countsByCode: Record<string, number> = {};
      for (const record of chunk) {
        for (const violation of record.violations) {
          const name = ingestionV1.ViolationCode[violation.code] ?? String(violation.code);
          countsByCode[name] = (countsByCode[name] ?? 0) + 1;
        }
      }
      await this.publisher.publish(manager, RecordsQuarantinedEvent, { dataset, records: chunk, countsByCode }, { key: dataset });
    }
    return records.map((record, i) => ({ index: rejected[i]!.index, record }));
  }

  /**
   * Moves the oldest `limit` pending records into the next version: the CSV object (its
   * sha256 recorded), the version row, the counters and the DatasetVersionCommitted event, in
   * the caller's transaction. An object written by a transaction that then rolls back is
   * overwritten by the next attempt at the same version number, never referenced.
   */
  private async commit(
    manager: EntityManager,
    dataset: DatasetEntity,
    trigger: CommitTrigger,
    limit: number,
  ): Promise<{ version: DatasetVersionEntity; dataset: DatasetEntity } | undefined> {
    const pending = await this.repository.takePending(manager, dataset.name, limit);
    if (pending.length === 0) return undefined;
    const number = dataset.latestVersion + 1;
    const file = buildVersionFile(
      dataset.contract,
      pending.map((p) => p.values),
    );
    const key = datasetVersionKey(dataset.name, number, VERSION_FILE);
    const stored = await this.store.put(key, file.body, {
      contentType: VERSION_CONTENT_TYPE,
      metadata: { dataset: dataset.name, version: String(number) },
    });
    const row = await this.repository.insertVersion(manager, {
      dataset: dataset.name,
      version: number,
      rowCount: pending.length,
      cumulativeRows: dataset.cumulativeRows + pending.length,
      objectKey: key,
      sha256: stored.sha256,
      sizeBytes: stored.size,
      contentType: VERSION_CONTENT_TYPE,
      profile: file.profile,
      eventTimeStart: file.eventTimeRange?.start ?? null,
      eventTimeEnd: file.eventTimeRange?.end ?? null,
      trigger,
      quarantinedCount: dataset.quarantinedPending,
    });
    const updated = await this.repository.completeCommit(manager, dataset.name, number, pending[pending.length - 1]!.id, pending.length);
    await this.publisher.publish(
      manager,
      DatasetVersionCommittedEvent,
      { dataset: dataset.name, version: versionToProto(row), contract: contractToProto(dataset.contract) },
      { key: dataset.name },
    );
    return { version: row, dataset: updated };
  }
}
