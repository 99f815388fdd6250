import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  commonV1,
  datasetOfIngestTopic,
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  ingestionV1,
  RecordsQuarantinedEvent,
  Topics,
} from '@flywheel/contracts';
import { type ConsumedBatch, EventPublisher, NonRetriableError } from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import {
  type CallerIdentity,
  Clock,
  InjectConfig,
  invalidArgument,
  JsonLogger,
  type Page,
  pageOf,
  type PageResponseLike,
} from '@flywheel/platform';
import { datasetVersionKey, type ObjectKey, ObjectStore } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { contractToProto, type DatasetDefinition, sameDefinition } from './dataset-contract';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { DatasetsException, DatasetsExceptionCode, datasetNotFound } from './datasets.exception';
import { type IngestionConfig } from '../ingestion.config';
import { DatasetMetrics } from './dataset-metrics';
import { datasetToProto, decodeSummary, encodeSummary, quarantineToProto, versionToProto } from './datasets.mapper';
import { DatasetsRepository } from './datasets.repository';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';
import {
  GrpcRecord,
  type IncomingRecord,
  KafkaRecord,
  type PackedRecords,
  quarantineEntry,
  type Rejection,
  type Screened,
  screened as attach,
  stagedRecords,
  rowAt,
} from './record-batch';
import { type Incoming, ViolationCode } from './record-validation';
import { contractChangeProblems } from './contract-evolution';
import { type UnregisteredTopicEntity } from './unregistered-topic.entity';
import { IngestionCompute } from './ingestion-compute';
import { splitStaged, type StagedSlice, type StagedVersion, VERSION_CONTENT_TYPE, VERSION_FILE } from './version-file';
import { planVersions, type StagedBatchRef, type VersionPlan } from './version-plan';
import { ownedCopy, StagedTexts } from './staged-texts';

export const CommitTrigger = ingestionV1.CommitTrigger;
export type CommitTrigger = ingestionV1.CommitTrigger;

/** Rejections a summary carries back to the caller; the quarantine keeps them all. */
const MAX_REJECTIONS = 100;
/** Records per RecordsQuarantined event (the contract's limit). */
const MAX_RECORDS_PER_EVENT = 500;
/** A RecordsQuarantined event is cut before this size: a quarter of Apache Kafka's default message limit. */
const MAX_EVENT_BYTES = 256 * 1024;
/** Versions of a backlog built at once (fewer when versions are large: their records are in memory together). */
const MAX_VERSIONS_AHEAD = 4;
const MAX_ROWS_AHEAD = 200_000;
/** How long a definition read for a batch is trusted: an UpdateDataset on another replica reaches this one within it. */
const DEFINITION_TTL_MS = 5_000;
/** Quarantined records judged again per transaction. */
const REPLAY_CHUNK = 1_000;

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

export type { IncomingRecord };

export interface Update {
  readonly dataset: DatasetEntity;
  /** False when the definition was already this one. */
  readonly changed: boolean;
}

export interface ReplayRequest {
  /** Quarantine entry ids; null replays the records still waiting, oldest first, up to `limit`. */
  readonly ids: readonly string[] | null;
  readonly limit: number;
  readonly commitNow: boolean;
}

export interface ReplayResult {
  readonly replayed: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly skippedIds: string[];
  readonly committed: DatasetVersionEntity | undefined;
  readonly remaining: number;
}

/** One gRPC batch: an Ingest call's rows, or one chunk of a stream. */
export interface GrpcBatch {
  /** Its rows' Row messages, packed: decoded and judged on a compute thread. */
  readonly rows: PackedRecords;
  /** The caller's batch id, or one made up for the call: rows are quarantined as `grpc:<batch>/<index>`. */
  readonly batch: string;
  /** Index of the first row in the call (a stream's chunks go on from the last). */
  readonly firstIndex: number;
}

/**
 * The ingestion use cases. Every state change and the events it causes share one transaction;
 * accepted records are staged in `pending_batches` and move into a version atomically, so a crash
 * at any point loses nothing and a redelivery adds nothing. Batches are validated before their
 * transaction and written with a statement per table, never locking the dataset row: that lock
 * belongs to version commits alone.
 */
@Injectable()
export class DatasetsService {
  private readonly definitions = new Map<string, { definition: DatasetDefinition; until: number }>();
  /** Per dataset, what the row-count trigger knows of its pending records (see afterStaged). */
  private readonly tallies = new Map<string, PendingTally>();
  private readonly stagedListeners: Array<(due: Date) => void> = [];
  /** Texts of batches staged here, so that cutting them reads nothing back. */
  private readonly stagedTexts = new StagedTexts();

  constructor(
    @Inject(DatasetsRepository) private readonly repository: DatasetsRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(ObjectStore) private readonly store: ObjectStore,
    @Inject(IngestionCompute) private readonly compute: IngestionCompute,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: IngestionConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(DatasetMetrics) private readonly metrics: DatasetMetrics,
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
      await this.repository.forgetUnregistered(manager, Topics.ingestTopic(definition.name));
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
        `dataset "${definition.name}" is already registered with a different definition (UpdateDataset relaxes its contract)`,
        DatasetsExceptionCode.DATASET_ALREADY_EXISTS,
        { dataset: definition.name },
      );
    }
    return existing;
  }

  /**
   * Changes a dataset's description, contract or commit policy. The contract may only be
   * relaxed (see contractChangeProblems): what was accepted before stays valid, and records
   * quarantined under the old contract can be replayed against the new one.
   */
  async update(definition: DatasetDefinition, caller: CallerIdentity | undefined, options: { validateOnly: boolean }): Promise<Update> {
    const update = await this.transactions.run(async (manager) => {
      // Locked: a version cut meanwhile is built under one contract or the other, never a mix.
      const existing = await this.repository.findDataset(manager, definition.name, 'update');
      if (!existing) throw datasetNotFound(definition.name);
      const problems = contractChangeProblems(existing.contract, definition.contract);
      if (problems.length > 0) {
        throw new DatasetsException(`dataset "${definition.name}": ${problems.join('; ')}`, DatasetsExceptionCode.CONTRACT_CHANGE_REFUSED, {
          dataset: definition.name,
          problems,
        });
      }
      if (sameDefinition(existing, definition)) return { dataset: existing, changed: false };
      const changed: DatasetEntity = {
        ...existing,
        description: definition.description,
        contract: definition.contract,
        maxRows: definition.maxRows,
        maxIntervalMs: definition.maxIntervalMs,
      };
      if (options.validateOnly) return { dataset: changed, changed: true };
      await this.repository.updateDataset(manager, definition);
      await this.publisher.publish(
        manager,
        DatasetUpdatedEvent,
        {
          dataset: datasetToProto(changed),
          previousContract: contractToProto(existing.contract),
          actor: { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '', service: '' },
        },
        { key: definition.name },
      );
      return { dataset: changed, changed: true };
    });
    if (update.changed && !options.validateOnly) this.definitions.delete(definition.name);
    return update;
  }

  /**
   * Judges quarantined records again against the dataset's contract as it is now, a chunk per
   * transaction: each chunk's records are locked, judged, staged or quarantined again (as new
   * entries whose origin is `replay:<id>`) and marked replayed together, so a record is
   * replayed once however often or concurrently this is called.
   */
  async replayQuarantine(name: string, request: ReplayRequest): Promise<ReplayResult> {
    const totals = { replayed: 0, accepted: 0, quarantined: 0, duplicates: 0 };
    const seen = new Set<string>();
    let dataset: DatasetDefinition | undefined;
    for (;;) {
      const want = request.ids === null ? Math.min(REPLAY_CHUNK, request.limit - totals.replayed) : REPLAY_CHUNK;
      if (want <= 0) break;
      const chunk = await this.transactions.run(async (manager) => {
        dataset = await this.require(manager, name);
        const claimed = await this.repository.claimForReplay(manager, name, request.ids, want);
        if (claimed.length === 0) return undefined;
        return { claimed, ...(await this.replayChunk(manager, dataset, claimed)) };
      });
      if (!chunk) break;
      for (const row of chunk.claimed) seen.add(row.id);
      totals.replayed += chunk.claimed.length;
      totals.accepted += chunk.accepted;
      totals.quarantined += chunk.quarantined;
      totals.duplicates += chunk.duplicates;
      this.metrics.recordQuarantined(name, chunk.quarantined);
      this.afterStaged(dataset!, chunk.accepted);
      if (request.ids !== null || chunk.claimed.length < want) break;
    }
    const committed = request.commitNow && totals.accepted > 0 ? await this.commitNow(name) : undefined;
    const remaining = await this.transactions.run((manager) => this.repository.countWaiting(manager, name));
    return { ...totals, skippedIds: (request.ids ?? []).filter((id) => !seen.has(id)), committed, remaining };
  }

  private async replayChunk(
    manager: EntityManager,
    dataset: DatasetDefinition,
    claimed: readonly QuarantinedRecordEntity[],
  ): Promise<{ accepted: number; quarantined: number; duplicates: number }> {
    // The stored text is the record as received unless it had to be altered to be stored (invalid
    // UTF-8, NUL characters, lone surrogates replaced): such a record cannot be replayed as sent.
    const bytes = claimed.map((row) => Buffer.from(row.raw, 'utf8'));
    const intact = claimed.map((row, i) => createHash('sha256').update(bytes[i]!).digest('hex') === row.rawSha256);
    const judgedAt = claimed.flatMap((_, i) => (intact[i] ? [i] : []));
    const verdicts = await this.compute.judge(
      dataset.contract,
      judgedAt.map((i) => bytes[i]!),
    );
    const recordOf = (i: number): IncomingRecord => ({
      origin: `replay:${claimed[i]!.id}`,
      index: i,
      incoming: { kind: 'json', bytes: bytes[i]! } satisfies Incoming,
    });
    const judged = attach(verdicts, (at) => recordOf(judgedAt[at]!));
    const altered: Rejection[] = claimed.flatMap((_, i) =>
      intact[i]
        ? []
        : [
            {
              record: recordOf(i),
              violations: [
                {
                  field: '',
                  code: ViolationCode.VIOLATION_CODE_MALFORMED,
                  message:
                    'the record was stored altered (invalid UTF-8, NUL characters or lone surrogates replaced) and cannot be replayed as received',
                },
              ],
            },
          ],
    );
    const written = await this.write(
      manager,
      dataset,
      { ...judged, rejections: [...judged.rejections, ...altered] },
      `replay:${claimed[0]!.id}`,
    );
    const outcome = new Array<number>(claimed.length).fill(ingestionV1.ReplayOutcome.REPLAY_OUTCOME_ACCEPTED);
    for (const { index } of written.quarantined) outcome[index] = ingestionV1.ReplayOutcome.REPLAY_OUTCOME_QUARANTINED;
    for (const at of written.duplicateAt) outcome[judgedAt[at]!] = ingestionV1.ReplayOutcome.REPLAY_OUTCOME_DUPLICATE;
    for (const value of new Set(outcome))
      await this.repository.markReplayed(
        manager,
        claimed.filter((_, i) => outcome[i] === value).map((row) => row.id),
        value,
      );
    return { accepted: written.staged, quarantined: written.quarantined.length, duplicates: written.duplicates };
  }

  get(name: string): Promise<DatasetEntity> {
    return this.transactions.run((manager) => this.require(manager, name));
  }

  async list(page: Page<string>): Promise<Listed<DatasetEntity>> {
    const rows = await this.transactions.run((manager) => this.repository.listDatasets(manager, page.after, page.size + 1));
    return pageOf(rows, page, (last) => last.name);
  }

  /** Ingest topics receiving records that no registered dataset owns. */
  listUnregisteredTopics(): Promise<UnregisteredTopicEntity[]> {
    return this.transactions.run((manager) => this.repository.listUnregistered(manager));
  }

  /** Counts records of a topic no dataset owns, once they are in its dead-letter topic. */
  recordUnregistered(topic: string, records: number): Promise<void> {
    return this.transactions.run((manager) => this.repository.recordUnregistered(manager, topic, records));
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
  async listQuarantine(dataset: string, page: Page<number>, includeReplayed = false): Promise<Listed<QuarantinedRecordEntity>> {
    const rows = await this.transactions.run(async (manager) => {
      await this.require(manager, dataset);
      return this.repository.listQuarantined(manager, dataset, page.after, page.size + 1, includeReplayed);
    });
    return pageOf(rows, page, (last) => Number(last.seq));
  }

  /**
   * One gRPC batch (an Ingest call or one chunk of a stream) in one transaction. A batch id
   * seen before returns the summary it produced then, without a second effect. The summary is
   * the wire message because that is what is stored and replayed, byte for byte.
   */
  async ingestBatch(name: string, batch: GrpcBatch, options: { batchId: string; commitNow: boolean }): Promise<ingestionV1.IngestSummary> {
    const dataset = await this.definitionOf(name);
    if (!dataset) throw datasetNotFound(name);
    const { rows, batch: batchName, firstIndex } = batch;
    const judged = await this.compute.judgeRows(dataset.contract, rows);
    if ('undecodableAt' in judged) {
      throw invalidArgument(`rows[${firstIndex + judged.undecodableAt}]`, `is not a valid ${commonV1.Row.$type} message: ${judged.reason}`);
    }
    const screened = attach(judged, (at) => new GrpcRecord(batchName, firstIndex + at, () => rowAt(rows, at)));
    const outcome = await this.transactions.run(async (manager) => {
      if (options.batchId) {
        const claim = await this.repository.claimBatch(manager, name, options.batchId);
        if (!claim.claimed) return { summary: decodeSummary(claim.summary), staged: 0, quarantined: 0, versions: [] };
      }
      const written = await this.write(manager, dataset, screened, `grpc:${options.batchId || `${batchName}/${firstIndex}`}`);
      // The caller learns of a version its own records filled, so the check runs in its transaction too.
      const versions =
        written.staged > 0 && this.tallyOf(name).estimate + written.staged >= dataset.maxRows
          ? (await this.cutVersions(manager, name, CommitTrigger.COMMIT_TRIGGER_MAX_ROWS, 'wait', { onlyFull: true })).versions
          : [];
      if (options.commitNow)
        versions.push(...(await this.cutVersions(manager, name, CommitTrigger.COMMIT_TRIGGER_REQUESTED, 'wait')).versions);
      const committed = versions[versions.length - 1];
      const summary: ingestionV1.IngestSummary = {
        accepted: written.staged,
        quarantined: written.quarantined.length,
        duplicates: written.duplicates,
        rejections: written.quarantined.slice(0, MAX_REJECTIONS).map(({ index, row }) => ({ index, record: this.sampleOf(row) })),
        committedVersion: committed && versionToProto(committed),
      };
      if (options.batchId) await this.repository.saveBatchSummary(manager, name, options.batchId, encodeSummary(summary));
      return { summary, staged: written.staged, quarantined: written.quarantined.length, versions };
    });
    this.metrics.recordQuarantined(name, outcome.quarantined);
    this.metrics.recordCommitted(name, outcome.versions);
    this.afterStaged(dataset, outcome.staged);
    return outcome.summary;
  }

  /** Commits whatever is pending now (the end of a stream with `commit_now`): the last version cut, if any. */
  async commitNow(name: string): Promise<DatasetVersionEntity | undefined> {
    const versions = await this.transactions.run(async (manager) => {
      if (!(await this.repository.findDataset(manager, name))) throw datasetNotFound(name);
      return (await this.cutVersions(manager, name, CommitTrigger.COMMIT_TRIGGER_REQUESTED, 'wait')).versions;
    });
    this.metrics.recordCommitted(name, versions);
    return versions[versions.length - 1];
  }

  /**
   * A batch of raw records of one partition of `flywheel.ingest.<dataset>`, in one transaction
   * that also advances the partition's stored offset: records below it were applied before (a
   * redelivery) and are skipped, so each record counts once without a row per record.
   */
  async ingestKafkaBatch(batch: ConsumedBatch): Promise<void> {
    const name = datasetOfIngestTopic(batch.topic);
    const dataset = name ? await this.definitionOf(name) : undefined;
    if (!name || !dataset) throw new NonRetriableError(`topic ${batch.topic} belongs to no registered dataset`);
    // Judged before the transaction, on a compute thread; a redelivered batch is judged again.
    const verdicts = await this.compute.judge(
      dataset.contract,
      batch.records.map((r) => r.value),
    );
    const where = `kafka:${batch.topic}/${batch.partition}/`;
    const last = BigInt(batch.records[batch.records.length - 1]!.offset);
    const { staged, quarantined } = await this.transactions.run(async (manager) => {
      const next = await this.repository.lockOffset(manager, batch.topic, batch.partition, name);
      if (last < next) return { staged: 0, quarantined: 0 };
      const from = batch.records.findIndex((r) => BigInt(r.offset) >= next);
      const screened = attach(
        verdicts,
        (at) => new KafkaRecord(where, batch.records[at]!.offset, { kind: 'json', bytes: batch.records[at]!.value }),
        from,
      );
      const origin = `${where}${batch.records[from]!.offset}-${last}`;
      const written = await this.write(manager, dataset, screened, origin);
      await this.repository.advanceOffset(manager, batch.topic, batch.partition, last + 1n);
      return { staged: written.staged, quarantined: written.quarantined.length };
    });
    this.metrics.recordQuarantined(name, quarantined);
    this.afterStaged(dataset, staged);
  }

  /** Commits every dataset whose oldest pending record has waited its interval; returns the versions cut. */
  async commitDue(): Promise<number> {
    const names = await this.transactions.run((manager) => this.repository.datasetsDueForCommit(manager, this.clock.now()));
    let committed = 0;
    for (const name of names) {
      // A dataset locked by another commit is being committed already.
      const { versions } = await this.transactions.run((manager) =>
        this.cutVersions(manager, name, CommitTrigger.COMMIT_TRIGGER_MAX_INTERVAL, 'skip-locked'),
      );
      this.metrics.recordCommitted(name, versions);
      committed += versions.length;
    }
    return committed;
  }

  /** When the next dataset falls due for an interval commit; undefined when nothing is pending. */
  nextCommitDue(): Promise<Date | undefined> {
    return this.transactions.run((manager) => this.repository.nextCommitDue(manager));
  }

  /** Calls `listener` with the time records just staged fall due, so a commit timer can wake for them. */
  onStaged(listener: (due: Date) => void): void {
    this.stagedListeners.push(listener);
  }

  /** Commits everything pending (graceful shutdown): versions in Postgres and S3 instead of staged rows. */
  async commitAllPending(): Promise<number> {
    const names = await this.transactions.run((manager) => this.repository.datasetsWithPending(manager));
    let committed = 0;
    for (const name of names) {
      const { versions } = await this.transactions.run((manager) =>
        this.cutVersions(manager, name, CommitTrigger.COMMIT_TRIGGER_REQUESTED, 'wait'),
      );
      this.metrics.recordCommitted(name, versions);
      committed += versions.length;
    }
    return committed;
  }

  private async require(manager: EntityManager, name: string): Promise<DatasetEntity> {
    const row = await this.repository.findDataset(manager, name);
    if (!row) throw datasetNotFound(name);
    return row;
  }

  /**
   * A dataset's definition (contract and commit policy) for judging batches, read at most once
   * per DEFINITION_TTL_MS: definitions change rarely (UpdateDataset), so batches need no query.
   */
  private async definitionOf(name: string): Promise<DatasetDefinition | undefined> {
    const now = this.clock.now().getTime();
    const known = this.definitions.get(name);
    if (known && known.until > now) return known.definition;
    const found = await this.transactions.run((manager) => this.repository.findDataset(manager, name));
    if (found) this.definitions.set(name, { definition: found, until: now + DEFINITION_TTL_MS });
    return found;
  }

  /**
   * Stages a screened batch and quarantines what failed, without locking the dataset: records
   * whose unique key was accepted before with the same values are dropped as duplicates, with
   * other values quarantined. Two batches racing with one new key: the later one fails and its
   * retry sees the key.
   */
  private async write(manager: EntityManager, dataset: DatasetDefinition, screened: Screened, origin: string): Promise<Written> {
    const { verdicts } = screened;
    const rejections = [...screened.rejections];
    let kept = screened.kept;
    let duplicates = 0;
    const duplicateAt: number[] = [];
    if (verdicts.keys !== null) {
      const keys = verdicts.keys;
      const shas = verdicts.shas!;
      const keyColumns = dataset.contract.uniqueKey.join(',');
      const candidates = kept ?? Array.from(verdicts.accepted, (_, i) => i);
      const known = await this.repository.findKeys(
        manager,
        dataset.name,
        candidates.map((i) => keys[i]!),
      );
      const fresh: number[] = [];
      for (const i of candidates) {
        const previous = known.get(keys[i]!);
        if (previous === shas[i]) {
          duplicates++;
          duplicateAt.push(verdicts.accepted[i]!);
          continue;
        }
        if (previous !== undefined) {
          rejections.push({
            record: screened.acceptedRecord(i),
            violations: [
              {
                field: keyColumns,
                code: ViolationCode.VIOLATION_CODE_DUPLICATE_KEY,
                message: `${keyColumns}: key ${keys[i]} was already accepted with different values`,
              },
            ],
          });
          continue;
        }
        known.set(keys[i]!, shas[i]!);
        fresh.push(i);
      }
      kept = fresh;
      const raced = await this.repository.insertKeys(
        manager,
        dataset.name,
        fresh.map((i) => ({ key: keys[i]!, sha: shas[i]! })),
      );
      if (raced.length > 0)
        throw new Error(`${raced.length} unique key(s) of ${dataset.name} were accepted by a concurrent batch; retrying`);
    }
    const records = stagedRecords(verdicts, kept);
    const id = await this.repository.stagePending(manager, dataset.name, origin, records);
    // Kept before the commit: a cut that can see the batch finds its text here.
    if (id !== null) this.stagedTexts.keep(id, records.text);
    rejections.sort((a, b) => a.record.index - b.record.index);
    return { staged: records.count, duplicates, duplicateAt, quarantined: await this.quarantine(manager, dataset.name, rejections) };
  }

  private async quarantine(manager: EntityManager, dataset: string, rejections: readonly Rejection[]): Promise<Quarantined[]> {
    if (rejections.length === 0) return [];
    const rows = await this.repository.insertQuarantined(manager, dataset, rejections.map(quarantineEntry));
    // Events carry samples and go out in pieces of bounded size: whatever the records were, no
    // event can exceed the broker's limit and block the outbox.
    let chunk: ingestionV1.QuarantinedRecord[] = [];
    let chunkBytes = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const countsByCode: Record<string, number> = {};
      for (const record of chunk) {
        for (const violation of record.violations) {
          const name = ingestionV1.ViolationCode[violation.code] ?? String(violation.code);
          countsByCode[name] = (countsByCode[name] ?? 0) + 1;
        }
      }
      await this.publisher.publish(manager, RecordsQuarantinedEvent, { dataset, records: chunk, countsByCode }, { key: dataset });
      chunk = [];
      chunkBytes = 0;
    };
    for (const row of rows) {
      const record = this.sampleOf(row);
      const bytes = approximateSize(record);
      if (chunk.length >= MAX_RECORDS_PER_EVENT || (chunk.length > 0 && chunkBytes + bytes > MAX_EVENT_BYTES)) await flush();
      chunk.push(record);
      chunkBytes += bytes;
    }
    await flush();
    return rows.map((row, i) => ({ index: rejections[i]!.record.index, row }));
  }

  private sampleOf(row: QuarantinedRecordEntity): ingestionV1.QuarantinedRecord {
    return quarantineToProto(row, this.config.INGEST_QUARANTINE_SAMPLE_BYTES);
  }

  private tallyOf(name: string): PendingTally {
    let tally = this.tallies.get(name);
    if (!tally) this.tallies.set(name, (tally = { estimate: Number.POSITIVE_INFINITY, staged: 0, cutting: undefined, again: false }));
    return tally;
  }

  /**
   * After a transaction staged records: wakes the commit timer for when they fall due, and runs
   * the row-count trigger — once `max_rows` may be pending, versions of exactly `max_rows` are
   * cut while that many are. Pending records are counted only then: in between, the tally adds
   * what this process staged to the last count. Records staged by another replica are found by
   * the next count or the interval trigger. The cut runs after the commit (so the last batch
   * to commit sees every record before it) and beside the consumers, one per dataset at a
   * time: building and storing a version never holds up the next batch.
   */
  private afterStaged(dataset: DatasetDefinition, count: number): void {
    if (count === 0) return;
    const due = new Date(this.clock.now().getTime() + dataset.maxIntervalMs);
    for (const listener of this.stagedListeners) listener(due);
    const tally = this.tallyOf(dataset.name);
    tally.staged += count;
    tally.estimate += count;
    if (tally.estimate < dataset.maxRows) return;
    if (tally.cutting) {
      tally.again = true;
      return;
    }
    tally.cutting = this.cutFull(dataset, tally).finally(() => (tally.cutting = undefined));
  }

  private async cutFull(dataset: DatasetDefinition, tally: PendingTally): Promise<void> {
    do {
      tally.again = false;
      const mark = tally.staged;
      try {
        const { pending, versions } = await this.transactions.run((manager) =>
          this.cutVersions(manager, dataset.name, CommitTrigger.COMMIT_TRIGGER_MAX_ROWS, 'wait', { onlyFull: true }),
        );
        this.metrics.recordCommitted(dataset.name, versions);
        // Records staged while counting may be in the count too: the tally errs high, never low.
        tally.estimate = (pending ?? Number.POSITIVE_INFINITY) + (tally.staged - mark);
      } catch (error) {
        // The next batch or the interval trigger tries again.
        this.logger.entry('error', 'a full version could not be cut', { dataset: dataset.name, error: (error as Error).message });
        return;
      }
    } while (tally.again && tally.estimate >= dataset.maxRows);
  }

  /** Resolves once no version is being cut in the background (before shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.tallies.values()].map((t) => t.cutting));
  }

  /**
   * Cuts versions of at most `max_rows` each from what is pending, oldest first, under the
   * dataset's row lock (commits take turns; producers never wait for them). With `onlyFull`,
   * only full versions are cut, and `pending` is what is left; otherwise everything visible
   * now is taken. Versions go through a pipeline: planned from the staged batches' sizes,
   * built on the compute threads and stored in the object store as soon as built, up to
   * MAX_VERSIONS_AHEAD at once, and recorded in order — so a backlog's last version is
   * planned while the ones before it are still being built.
   */
  private async cutVersions(
    manager: EntityManager,
    name: string,
    trigger: CommitTrigger,
    lock: 'wait' | 'skip-locked',
    options: { onlyFull?: boolean } = {},
  ): Promise<{ versions: DatasetVersionEntity[]; pending?: number }> {
    let dataset = await this.repository.findDataset(manager, name, lock === 'wait' ? 'update' : 'update-skip-locked');
    const versions: DatasetVersionEntity[] = [];
    if (!dataset) return { versions };
    const onlyFull = options.onlyFull ?? false;
    const { contract, maxRows } = dataset;
    const maxAhead = Math.max(1, Math.min(MAX_VERSIONS_AHEAD, Math.floor(MAX_ROWS_AHEAD / maxRows)));
    const ahead: Array<Promise<StoredVersion>> = [];
    let numbered = dataset.latestVersion;
    let pending: number | undefined;
    // Whether another look at the staged batches may find a version to cut: after a plan that
    // found none, only once a version is recorded (time for more batches to arrive); never
    // after taking everything visible (`onlyFull` false and a short last version).
    let look = true;
    let taken = false;
    for (;;) {
      if (look && !taken && ahead.length < maxAhead) {
        const batches = await this.repository.listPending(manager, name);
        const plan = planVersions(batches, { maxRows, maxVersions: maxAhead - ahead.length, onlyFull });
        pending = plan.left;
        if (plan.versions.length === 0) {
          look = false;
        } else {
          const slices = await this.takePlanned(manager, name, plan, batches);
          const round = slices.map((slice) => {
            const number = ++numbered;
            return this.compute.build(contract, slice).then((built) => this.storeVersion(name, number, built));
          });
          // Recorded in order below; a later one failing meanwhile must not count as unhandled.
          for (const stored of round) stored.catch(() => undefined);
          ahead.push(...round);
          taken = !onlyFull && plan.versions[plan.versions.length - 1]!.rows < maxRows;
          continue;
        }
      }
      const next = ahead.shift();
      if (!next) return { versions, pending };
      const result = await this.record(manager, dataset, trigger, await next);
      versions.push(result.version);
      dataset = result.dataset;
      look = true;
    }
  }

  /**
   * Takes a plan's batches out of staging — their texts from memory when this process staged
   * them, else from the table — and rewrites a split batch to the records past the plan, before
   * any other plan reads it. Returns what each planned version is built from. A text given as
   * bytes moves to the thread that builds from it, so one that two versions share is copied for
   * the second; every slice is made before any build starts.
   */
  private async takePlanned(
    manager: EntityManager,
    name: string,
    plan: VersionPlan,
    batches: readonly StagedBatchRef[],
  ): Promise<StagedSlice[]> {
    const atHand = this.stagedTexts.take(plan.split === null ? plan.consumed : [...plan.consumed, plan.split]);
    const staged = new Map<string, string | Buffer>(atHand);
    const removed = await this.repository.removePending(manager, name, plan.consumed, new Set(atHand.keys()));
    for (const [id, text] of removed) if (text !== null) staged.set(id, text);
    if (plan.split !== null) {
      const text = atHand.get(plan.split)?.toString('utf8') ?? (await this.repository.readPending(manager, name, plan.split));
      const { head, rest } = splitStaged(text, plan.splitTaken);
      const count = batches.find((b) => b.id === plan.split)!.rowCount - plan.splitTaken;
      await this.repository.keepPending(manager, name, plan.split, { json: rest, count });
      staged.set(plan.split, head);
    }
    const handedOut = new Set<string>();
    const textOf = (id: string) => {
      const text = staged.get(id)!;
      if (typeof text === 'string' || !handedOut.has(id)) {
        handedOut.add(id);
        return text;
      }
      return ownedCopy(text);
    };
    return plan.versions.map((version) => ({ staged: version.batchIds.map(textOf), skip: version.skip, limit: version.rows }));
  }

  /**
   * Writes a built version's CSV object (its sha256 recorded). An object written by a cut that
   * then rolls back is overwritten by the next attempt at the same version number, never
   * referenced.
   */
  private async storeVersion(dataset: string, number: number, built: StagedVersion): Promise<StoredVersion> {
    const key = datasetVersionKey(dataset, number, VERSION_FILE);
    const stored = await this.store.put(key, built.file.body, {
      contentType: VERSION_CONTENT_TYPE,
      sha256: built.file.sha256,
      metadata: { dataset, version: String(number) },
    });
    return { number, key, sha256: stored.sha256, size: stored.size, built };
  }

  /**
   * Records a stored version as the dataset's next one: the version row, the totals and the
   * DatasetVersionCommitted event, in the caller's transaction.
   */
  private async record(
    manager: EntityManager,
    dataset: DatasetEntity,
    trigger: CommitTrigger,
    { number, key, sha256, size, built: { file, rowCount } }: StoredVersion,
  ): Promise<{ version: DatasetVersionEntity; dataset: DatasetEntity }> {
    if (number !== dataset.latestVersion + 1) throw new Error(`version ${number} of ${dataset.name} recorded out of order`);
    const quarantinedCount = await this.repository.assignQuarantined(manager, dataset.name, number);
    const row = await this.repository.insertVersion(manager, {
      dataset: dataset.name,
      version: number,
      rowCount,
      cumulativeRows: dataset.cumulativeRows + rowCount,
      objectKey: key,
      sha256,
      sizeBytes: size,
      contentType: VERSION_CONTENT_TYPE,
      profile: file.profile,
      eventTimeStart: file.eventTimeRange?.start ?? null,
      eventTimeEnd: file.eventTimeRange?.end ?? null,
      trigger,
      quarantinedCount,
    });
    const updated = await this.repository.completeCommit(manager, dataset.name, number, rowCount);
    await this.publisher.publish(
      manager,
      DatasetVersionCommittedEvent,
      { dataset: dataset.name, version: versionToProto(row), contract: contractToProto(dataset.contract) },
      { key: dataset.name },
    );
    return { version: row, dataset: updated };
  }
}

/** A built version whose object is in the store, waiting to be recorded. */
interface StoredVersion {
  readonly number: number;
  readonly key: ObjectKey;
  readonly sha256: string;
  readonly size: number;
  readonly built: StagedVersion;
}

interface PendingTally {
  /** Pending records as last counted, plus those staged here since; infinite until first counted. */
  estimate: number;
  /** Records staged here so far (marks which were staged during a count). */
  staged: number;
  /** The background cut running now, if any. */
  cutting: Promise<void> | undefined;
  /** More records were staged while it ran: look again when it ends. */
  again: boolean;
}

interface Quarantined {
  /** Position in the request (gRPC) or offset (Kafka). */
  readonly index: number;
  readonly row: QuarantinedRecordEntity;
}

interface Written {
  readonly staged: number;
  readonly duplicates: number;
  /** Positions (in the judged batch) of the duplicates. */
  readonly duplicateAt: number[];
  readonly quarantined: Quarantined[];
}

/** Bytes a quarantined record adds to an event, near enough to keep events bounded. */
function approximateSize(record: ingestionV1.QuarantinedRecord): number {
  let bytes = 128 + record.raw.length * 3 + record.origin.length;
  for (const v of record.violations) bytes += 16 + v.field.length * 3 + v.message.length * 3;
  return bytes;
}
