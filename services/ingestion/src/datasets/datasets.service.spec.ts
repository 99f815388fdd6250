import { createHash } from 'node:crypto';
import {
  commonV1,
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  type EventType,
  ingestionV1,
  RecordsQuarantinedEvent,
} from '@flywheel/contracts';
import { type EventPublisher } from '@flywheel/messaging';
import { type TransactionRunner } from '@flywheel/persistence';
import { JsonLogger, ManualClock, PlatformMetrics } from '@flywheel/platform';
import { type ObjectKey, type ObjectStore } from '@flywheel/storage';
import { type EntityManager } from 'typeorm';
import { type DatasetDefinition } from './dataset-contract';
import { DatasetMetrics } from './dataset-metrics';
import { type DatasetVersionEntity } from './dataset-version.entity';
import { type DatasetEntity } from './dataset.entity';
import { DatasetsExceptionCode } from './datasets.exception';
import {
  type AcceptedKey,
  type BatchClaim,
  type DatasetLock,
  DatasetsRepository,
  type NewQuarantinedRecord,
  type NewVersion,
} from './datasets.repository';
import { DatasetsService, type GrpcBatch } from './datasets.service';
import { type IngestionConfig } from '../ingestion.config';
import { type StoredSummary } from './ingest-batch.entity';
import { type QuarantinedRecordEntity } from './quarantined-record.entity';
import { type Record_ } from './record-validation';
import { packRecords, type StagedRecords } from './record-batch';
import { type UnregisteredTopicEntity } from './unregistered-topic.entity';
import { type IngestionCompute, InThreadIngestionCompute, WorkerIngestionCompute } from './ingestion-compute';
import { type StagedBatchRef } from './version-plan';

const { ColumnType } = commonV1;

/** The port kept in memory, with the semantics of the tables (offsets, sequence numbers, keys). */
class MemoryDatasets extends DatasetsRepository {
  readonly datasets = new Map<string, DatasetEntity>();
  /** Staged batches, oldest first; ids count up from 1. */
  readonly staged: Array<{ id: string; dataset: string; origin: string; records: Record_[]; receivedAt: Date }> = [];
  /** Batch texts read back by the service (removed or split without the text at hand). */
  readBack = 0;
  private nextBatch = 1;
  readonly keys = new Map<string, string>();
  readonly versions: DatasetVersionEntity[] = [];
  readonly quarantined: QuarantinedRecordEntity[] = [];
  readonly batches = new Map<string, StoredSummary>();
  readonly offsets = new Map<string, bigint>();

  constructor(private readonly clock: ManualClock) {
    super();
  }

  /** Staged records one by one, oldest first, with their batch's origin. */
  get pending(): Array<{ dataset: string; origin: string; values: Record_ }> {
    return this.staged.flatMap((b) => b.records.map((values) => ({ dataset: b.dataset, origin: b.origin, values })));
  }

  findDataset(_m: EntityManager, name: string, _lock?: DatasetLock): Promise<DatasetEntity | undefined> {
    const found = this.datasets.get(name);
    return Promise.resolve(found && { ...found });
  }

  insertDataset(_m: EntityManager, d: DatasetDefinition, ownerTeam: string): Promise<boolean> {
    if (this.datasets.has(d.name)) return Promise.resolve(false);
    this.datasets.set(d.name, { ...d, ownerTeam, createdAt: this.clock.now(), latestVersion: 0, cumulativeRows: 0 });
    return Promise.resolve(true);
  }

  updateDataset(_m: EntityManager, d: DatasetDefinition): Promise<void> {
    const stored = this.datasets.get(d.name)!;
    this.datasets.set(d.name, {
      ...stored,
      description: d.description,
      contract: d.contract,
      maxRows: d.maxRows,
      maxIntervalMs: d.maxIntervalMs,
    });
    return Promise.resolve();
  }

  listDatasets(_m: EntityManager, after: string | undefined, limit: number): Promise<DatasetEntity[]> {
    return Promise.resolve(
      [...this.datasets.values()]
        .filter((d) => after === undefined || d.name > after)
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .slice(0, limit),
    );
  }

  datasetNames(): Promise<string[]> {
    return Promise.resolve([...this.datasets.keys()].sort());
  }

  private dueTimes(): Array<{ name: string; due: number }> {
    return [...this.datasets.values()].flatMap((d) => {
      const oldest = this.staged.find((b) => b.dataset === d.name);
      return oldest ? [{ name: d.name, due: oldest.receivedAt.getTime() + d.maxIntervalMs }] : [];
    });
  }

  datasetsDueForCommit(_m: EntityManager, now: Date): Promise<string[]> {
    return Promise.resolve(this.dueTimes().flatMap((d) => (d.due <= now.getTime() ? [d.name] : [])));
  }

  nextCommitDue(): Promise<Date | undefined> {
    const times = this.dueTimes().map((d) => d.due);
    return Promise.resolve(times.length ? new Date(Math.min(...times)) : undefined);
  }

  datasetsWithPending(): Promise<string[]> {
    return Promise.resolve(this.dueTimes().map((d) => d.name));
  }

  async completeCommit(m: EntityManager, dataset: string, version: number, rowCount: number): Promise<DatasetEntity> {
    const d = this.datasets.get(dataset)!;
    Object.assign(d, { latestVersion: version, cumulativeRows: d.cumulativeRows + rowCount });
    return (await this.findDataset(m, dataset))!;
  }

  stagePending(_m: EntityManager, dataset: string, origin: string, records: StagedRecords): Promise<string | null> {
    if (records.count === 0) return Promise.resolve(null);
    const values = JSON.parse(records.text.toString('utf8')) as Record_[];
    expect(values).toHaveLength(records.count);
    const id = String(this.nextBatch++);
    this.staged.push({ id, dataset, origin, records: values, receivedAt: this.clock.now() });
    return Promise.resolve(id);
  }

  listPending(_m: EntityManager, dataset: string): Promise<StagedBatchRef[]> {
    return Promise.resolve(this.staged.filter((b) => b.dataset === dataset).map((b) => ({ id: b.id, rowCount: b.records.length })));
  }

  removePending(
    _m: EntityManager,
    dataset: string,
    ids: readonly string[],
    known: ReadonlySet<string>,
  ): Promise<Map<string, string | null>> {
    const removed = this.staged.filter((b) => b.dataset === dataset && ids.includes(b.id));
    this.staged.splice(0, this.staged.length, ...this.staged.filter((b) => !removed.includes(b)));
    this.readBack += removed.filter((b) => !known.has(b.id)).length;
    return Promise.resolve(new Map(removed.map((b) => [b.id, known.has(b.id) ? null : JSON.stringify(b.records)])));
  }

  readPending(_m: EntityManager, dataset: string, id: string): Promise<string> {
    this.readBack++;
    return Promise.resolve(JSON.stringify(this.staged.find((b) => b.dataset === dataset && b.id === id)!.records));
  }

  keepPending(_m: EntityManager, dataset: string, id: string, rest: { json: string; count: number }): Promise<void> {
    const batch = this.staged.find((b) => b.dataset === dataset && b.id === id)!;
    batch.records = JSON.parse(rest.json) as Record_[];
    expect(batch.records).toHaveLength(rest.count);
    return Promise.resolve();
  }

  findKeys(_m: EntityManager, dataset: string, keys: readonly string[]): Promise<Map<string, string>> {
    return Promise.resolve(
      new Map(keys.flatMap((k) => (this.keys.has(`${dataset}/${k}`) ? [[k, this.keys.get(`${dataset}/${k}`)!] as const] : []))),
    );
  }

  insertKeys(_m: EntityManager, dataset: string, keys: readonly AcceptedKey[]): Promise<string[]> {
    const raced = keys.filter((k) => this.keys.has(`${dataset}/${k.key}`)).map((k) => k.key);
    for (const k of keys) if (!raced.includes(k.key)) this.keys.set(`${dataset}/${k.key}`, k.sha);
    return Promise.resolve(raced);
  }

  lockOffset(_m: EntityManager, topic: string, partition: number): Promise<bigint> {
    return Promise.resolve(this.offsets.get(`${topic}/${partition}`) ?? 0n);
  }

  advanceOffset(_m: EntityManager, topic: string, partition: number, next: bigint): Promise<void> {
    this.offsets.set(`${topic}/${partition}`, next);
    return Promise.resolve();
  }

  insertVersion(_m: EntityManager, version: NewVersion): Promise<DatasetVersionEntity> {
    const row = { ...version, committedAt: this.clock.now() };
    this.versions.push(row);
    return Promise.resolve(row);
  }

  findVersion(_m: EntityManager, dataset: string, version: number): Promise<DatasetVersionEntity | undefined> {
    return Promise.resolve(this.versions.find((v) => v.dataset === dataset && v.version === version));
  }

  listVersions(_m: EntityManager, dataset: string, before: number | undefined, limit: number): Promise<DatasetVersionEntity[]> {
    return Promise.resolve(
      this.versions
        .filter((v) => v.dataset === dataset && (before === undefined || v.version < before))
        .reverse()
        .slice(0, limit),
    );
  }

  insertQuarantined(_m: EntityManager, dataset: string, records: readonly NewQuarantinedRecord[]): Promise<QuarantinedRecordEntity[]> {
    const rows = records.map((r, i) => ({
      ...r,
      violations: [...r.violations],
      seq: String(this.quarantined.length + i + 1),
      dataset,
      quarantinedAt: this.clock.now(),
      version: null,
      replayedAt: null,
      replayOutcome: 0,
    }));
    this.quarantined.push(...rows);
    return Promise.resolve(rows);
  }

  assignQuarantined(_m: EntityManager, dataset: string, version: number): Promise<number> {
    const open = this.quarantined.filter((q) => q.dataset === dataset && q.version === null);
    for (const q of open) q.version = version;
    return Promise.resolve(open.length);
  }

  listQuarantined(
    _m: EntityManager,
    dataset: string,
    before: number | undefined,
    limit: number,
    includeReplayed: boolean,
  ): Promise<QuarantinedRecordEntity[]> {
    return Promise.resolve(
      this.quarantined
        .filter(
          (q) => q.dataset === dataset && (before === undefined || Number(q.seq) < before) && (includeReplayed || q.replayedAt === null),
        )
        .reverse()
        .slice(0, limit),
    );
  }

  claimForReplay(_m: EntityManager, dataset: string, ids: readonly string[] | null, limit: number): Promise<QuarantinedRecordEntity[]> {
    return Promise.resolve(
      this.quarantined
        .filter((q) => q.dataset === dataset && q.replayedAt === null && (ids === null || ids.includes(q.id)))
        .slice(0, limit),
    );
  }

  markReplayed(_m: EntityManager, ids: readonly string[], outcome: number): Promise<void> {
    for (const q of this.quarantined) if (ids.includes(q.id)) Object.assign(q, { replayedAt: this.clock.now(), replayOutcome: outcome });
    return Promise.resolve();
  }

  countWaiting(_m: EntityManager, dataset: string): Promise<number> {
    return Promise.resolve(this.quarantined.filter((q) => q.dataset === dataset && q.replayedAt === null).length);
  }

  readonly unregistered = new Map<string, UnregisteredTopicEntity>();

  recordUnregistered(_m: EntityManager, topic: string, records: number): Promise<void> {
    const known = this.unregistered.get(topic);
    const now = this.clock.now();
    this.unregistered.set(topic, {
      topic,
      deadLettered: (known?.deadLettered ?? 0) + records,
      firstSeen: known?.firstSeen ?? now,
      lastSeen: now,
    });
    return Promise.resolve();
  }

  listUnregistered(): Promise<UnregisteredTopicEntity[]> {
    return Promise.resolve([...this.unregistered.values()]);
  }

  forgetUnregistered(_m: EntityManager, topic: string): Promise<void> {
    this.unregistered.delete(topic);
    return Promise.resolve();
  }

  claimBatch(_m: EntityManager, dataset: string, batchId: string): Promise<BatchClaim> {
    const stored = this.batches.get(`${dataset}/${batchId}`);
    if (stored) return Promise.resolve({ claimed: false, summary: stored });
    this.batches.set(`${dataset}/${batchId}`, { proto: '' });
    return Promise.resolve({ claimed: true });
  }

  saveBatchSummary(_m: EntityManager, dataset: string, batchId: string, summary: StoredSummary): Promise<void> {
    this.batches.set(`${dataset}/${batchId}`, summary);
    return Promise.resolve();
  }
}

const definition: DatasetDefinition = {
  name: 'claims',
  description: 'insurance claims',
  contract: {
    columns: [
      { name: 'claim_id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
      { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: 1000, allowedValues: [], description: '' },
    ],
    uniqueKey: ['claim_id'],
    eventTimeColumn: '',
  },
  maxRows: 3,
  maxIntervalMs: 60_000,
};

/** Rows as they come off the wire: Row messages packed end to end. */
function grpcRecords(batch: string, values: ReadonlyArray<{ claim_id: string; amount: number }>): GrpcBatch {
  const rows = values.map((v) =>
    commonV1.Row.encode({ values: { claim_id: { stringValue: v.claim_id }, amount: { numberValue: v.amount } } }).finish(),
  );
  return { rows: packRecords(rows), batch, firstIndex: 0 };
}

/** Each version's claim ids, read from its CSV object. */
function claimIdsByVersion(repository: MemoryDatasets, objects: ReadonlyMap<string, Buffer>): string[][] {
  return repository.versions.map((version) =>
    objects
      .get(version.objectKey)!
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]!),
  );
}

function setUp(compute: IngestionCompute = new InThreadIngestionCompute()) {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const repository = new MemoryDatasets(clock);
  const events: Array<{ type: string; data: unknown }> = [];
  const publisher = {
    publish: <T>(_m: EntityManager, type: EventType<T>, data: T) => {
      events.push({ type: type.typeName, data });
      return Promise.resolve();
    },
  } as unknown as EventPublisher;
  const transactions = { run: <T>(work: (m: EntityManager) => Promise<T>) => work({} as EntityManager) } as unknown as TransactionRunner;
  const objects = new Map<string, Buffer>();
  const store = {
    put: (key: ObjectKey, body: Buffer) => {
      objects.set(key, body);
      return Promise.resolve({ key, sha256: createHash('sha256').update(body).digest('hex'), size: body.length, etag: 'e' });
    },
  } as unknown as ObjectStore;
  const config = { INGEST_QUARANTINE_SAMPLE_BYTES: 256 } as IngestionConfig;
  const logger = new JsonLogger({ service: 'ingestion', level: 'fatal', write: () => undefined });
  const metrics = new PlatformMetrics({ defaultMetrics: false });
  const service = new DatasetsService(
    repository,
    transactions,
    publisher,
    store,
    compute,
    clock,
    config,
    logger,
    new DatasetMetrics(metrics),
  );
  /** The dataset's sample of a counter, as /metrics shows it (0 before it has one). */
  const counted = async (name: string, dataset = 'claims'): Promise<number> => {
    const line = (await metrics.registry.getSingleMetricAsString(name))
      .split('\n')
      .find((l) => l.startsWith(`${name}{dataset="${dataset}"} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  return { service, repository, events, objects, clock, counted };
}

describe('DatasetsService', () => {
  it('registers a dataset once, answers an identical registration with the stored one and refuses a different one', async () => {
    const { service, events, repository } = setUp();
    // Records that reached its topic before the registration are no longer "without a dataset" after it.
    await service.recordUnregistered('flywheel.ingest.claims', 3);
    expect((await service.listUnregisteredTopics()).map((t) => [t.topic, t.deadLettered])).toEqual([['flywheel.ingest.claims', 3]]);
    const first = await service.register(definition, { team: 'risk', tokenId: 't1', roles: [] } as never);
    expect(first).toMatchObject({ created: true, dataset: { name: 'claims', ownerTeam: 'risk', latestVersion: 0 } });
    expect(events.map((e) => e.type)).toEqual([DatasetRegisteredEvent.typeName]);
    expect(repository.unregistered.size).toBe(0);

    expect(await service.register(definition, undefined)).toMatchObject({ created: false, dataset: { name: 'claims', ownerTeam: 'risk' } });
    expect(events).toHaveLength(1);
    await expect(service.register({ ...definition, description: 'other' }, undefined)).rejects.toMatchObject({
      code: DatasetsExceptionCode.DATASET_ALREADY_EXISTS,
    });
  });

  it('stages good records, quarantines bad ones and commits a version when max_rows are pending', async () => {
    const { service, repository, events, objects, counted } = setUp();
    await service.register(definition, undefined);
    const summary = await service.ingestBatch(
      'claims',
      grpcRecords('b1', [
        { claim_id: 'a', amount: 1 },
        { claim_id: 'b', amount: 5000 },
        { claim_id: 'c', amount: 2 },
        { claim_id: 'd', amount: 3 },
      ]),
      { batchId: 'b1', commitNow: false },
    );
    expect(summary).toMatchObject({
      accepted: 3,
      quarantined: 1,
      duplicates: 0,
      committedVersion: { version: 1, rowCount: 3, quarantinedCount: 1 },
    });
    expect(summary.rejections).toEqual([
      { index: 1, record: expect.objectContaining({ violations: [expect.objectContaining({ field: 'amount' })] }) },
    ]);
    expect(events.map((e) => e.type)).toEqual([
      DatasetRegisteredEvent.typeName,
      RecordsQuarantinedEvent.typeName,
      DatasetVersionCommittedEvent.typeName,
    ]);
    const version = await service.getVersion('claims', 0);
    expect(version).toMatchObject({ version: 1, cumulativeRows: 3, trigger: ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_ROWS });
    expect(version.sha256).toBe(createHash('sha256').update(objects.get(version.objectKey)!).digest('hex'));
    expect(repository.pending).toHaveLength(0);
    expect(await counted('flywheel_dataset_rows_committed_total')).toBe(3);
    expect(await counted('flywheel_dataset_rows_quarantined_total')).toBe(1);

    // The same batch again: its first summary, no second effect.
    expect(
      await service.ingestBatch('claims', grpcRecords('b1', [{ claim_id: 'e', amount: 1 }]), { batchId: 'b1', commitNow: false }),
    ).toEqual(summary);
    expect(repository.pending).toHaveLength(0);
    // A key accepted with the same values is a duplicate; with other values, a violation.
    expect(
      await service.ingestBatch(
        'claims',
        grpcRecords('b2', [
          { claim_id: 'a', amount: 1 },
          { claim_id: 'c', amount: 9 },
        ]),
        { batchId: '', commitNow: false },
      ),
    ).toMatchObject({
      accepted: 0,
      duplicates: 1,
      quarantined: 1,
    });
    // The repeated batch counted nothing again; the conflicting key was one more quarantined record.
    expect(await counted('flywheel_dataset_rows_committed_total')).toBe(3);
    expect(await counted('flywheel_dataset_rows_quarantined_total')).toBe(2);
  });

  it('commits on the interval only once the oldest pending record has waited max_interval', async () => {
    const { service, clock, counted } = setUp();
    await service.register(definition, undefined);
    await service.ingestBatch('claims', grpcRecords('b1', [{ claim_id: 'a', amount: 1 }]), { batchId: '', commitNow: false });
    expect(await service.commitDue()).toBe(0);
    expect(await counted('flywheel_dataset_rows_committed_total')).toBe(0);
    clock.advance(60_000);
    expect(await service.commitDue()).toBe(1);
    expect(await counted('flywheel_dataset_rows_committed_total')).toBe(1);
    expect(await service.getVersion('claims', 1)).toMatchObject({
      rowCount: 1,
      trigger: ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_INTERVAL,
    });
  });

  it('pages versions newest first and tells a missing dataset from a missing version', async () => {
    const { service } = setUp();
    await expect(service.get('nope')).rejects.toMatchObject({ code: DatasetsExceptionCode.DATASET_NOT_FOUND });
    await service.register(definition, undefined);
    await expect(service.getVersion('claims', 0)).rejects.toMatchObject({ code: DatasetsExceptionCode.VERSION_NOT_FOUND });
    for (const batch of ['x', 'y']) {
      await service.ingestBatch('claims', grpcRecords(batch, [{ claim_id: batch, amount: 1 }]), { batchId: '', commitNow: true });
    }
    const first = await service.listVersions('claims', { size: 1, after: undefined });
    expect(first.items.map((v) => v.version)).toEqual([2]);
    expect(first.page.nextPageToken).not.toBe('');
    expect((await service.listVersions('claims', { size: 1, after: 2 })).items.map((v) => v.version)).toEqual([1]);
  });
  it('applies a Kafka batch once: a redelivered batch (below the stored offset) adds nothing, a new one goes on', async () => {
    const { service, repository, counted } = setUp();
    await service.register({ ...definition, maxRows: 100 }, undefined);
    const topic = 'flywheel.ingest.claims';
    const record = (offset: number, value: unknown) => ({
      topic,
      partition: 0,
      offset: String(offset),
      timestamp: '0',
      key: null,
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
      rawHeaders: {},
    });
    const first = { topic, partition: 0, records: [record(0, { claim_id: 'a', amount: 1 }), record(1, { claim_id: 'b', amount: -1 })] };
    await service.ingestKafkaBatch(first);
    expect(repository.pending.map((p) => [p.values.claim_id, p.origin])).toEqual([['a', `kafka:${topic}/0/0-1`]]);
    expect(repository.quarantined.map((q) => q.origin)).toEqual([`kafka:${topic}/0/1`]);
    expect(repository.offsets.get(`${topic}/0`)).toBe(2n);

    // Redelivered after a crash, overlapping the next records: only offset 2 is new.
    await service.ingestKafkaBatch({ topic, partition: 0, records: [...first.records, record(2, { claim_id: 'c', amount: 2 })] });
    expect(repository.pending.map((p) => [p.values.claim_id, p.origin])).toEqual([
      ['a', `kafka:${topic}/0/0-1`],
      ['c', `kafka:${topic}/0/2-2`],
    ]);
    expect(repository.quarantined).toHaveLength(1);
    expect(repository.offsets.get(`${topic}/0`)).toBe(3n);
    // The redelivered bad record was quarantined once, and counted once.
    expect(await counted('flywheel_dataset_rows_quarantined_total')).toBe(1);
  });

  it('relaxes a contract in place, judges the next batch by it, and refuses a change committed records might break', async () => {
    const { service, events, repository } = setUp();
    await service.register(definition, undefined);
    const [claimId, amount] = definition.contract.columns;
    const relaxed: DatasetDefinition = {
      ...definition,
      contract: { ...definition.contract, columns: [claimId!, { ...amount!, max: 10_000 }] },
    };
    // The batch before the change is judged by the registered contract (and the definition is now cached).
    expect(
      await service.ingestBatch('claims', grpcRecords('b0', [{ claim_id: 'a', amount: 5000 }]), { batchId: '', commitNow: false }),
    ).toMatchObject({ accepted: 0, quarantined: 1 });

    expect(await service.update(relaxed, undefined, { validateOnly: true })).toMatchObject({ changed: true });
    expect(repository.datasets.get('claims')!.contract.columns[1]!.max).toBe(1000);
    const caller = { team: 'risk', tokenId: 't1', roles: [] } as never;
    expect(await service.update(relaxed, caller, { validateOnly: false })).toMatchObject({ changed: true, dataset: { name: 'claims' } });
    expect(events.map((e) => e.type)).toContain(DatasetUpdatedEvent.typeName);
    const updated = events.find((e) => e.type === DatasetUpdatedEvent.typeName)!.data as ingestionV1.DatasetUpdated;
    expect(updated.previousContract!.columns[1]!.max).toBe(1000);
    expect(updated.dataset!.contract!.columns[1]!.max).toBe(10_000);
    expect(updated.actor).toMatchObject({ team: 'risk' });
    expect(
      await service.ingestBatch('claims', grpcRecords('b1', [{ claim_id: 'b', amount: 5000 }]), { batchId: '', commitNow: false }),
    ).toMatchObject({ accepted: 1, quarantined: 0 });
    expect(await service.update(relaxed, undefined, { validateOnly: false })).toMatchObject({ changed: false });

    await expect(
      service.update({ ...relaxed, contract: { ...relaxed.contract, columns: [claimId!, { ...amount!, max: 10 }] } }, undefined, {
        validateOnly: true,
      }),
    ).rejects.toMatchObject({
      code: DatasetsExceptionCode.CONTRACT_CHANGE_REFUSED,
      message: expect.stringContaining('contract.columns[1].max: can only be raised or removed (is 10000)'),
    });
    await expect(service.update({ ...relaxed, name: 'nope' }, undefined, { validateOnly: false })).rejects.toMatchObject({
      code: DatasetsExceptionCode.DATASET_NOT_FOUND,
    });
  });

  it('replays quarantined records once against the relaxed contract: accepted, duplicates and still-bad ones each marked', async () => {
    const { service, repository, events } = setUp();
    await service.register({ ...definition, maxRows: 100 }, undefined);
    const topic = 'flywheel.ingest.claims';
    const values = [
      Buffer.from(JSON.stringify({ claim_id: 'big', amount: 5000 })),
      // The same record again (a producer's retry): once the first is accepted, a duplicate.
      Buffer.from(JSON.stringify({ claim_id: 'big', amount: 5000 })),
      Buffer.from(JSON.stringify({ claim_id: 'odd', amount: 1, channel: 'web' })),
      // Invalid UTF-8: stored with the bytes replaced, so not the record as received.
      Buffer.concat([Buffer.from('{"claim_id":"bin","amount":'), Buffer.from([0xff]), Buffer.from('}')]),
    ];
    await service.ingestKafkaBatch({
      topic,
      partition: 0,
      records: values.map((value, i) => ({
        topic,
        partition: 0,
        offset: String(i),
        timestamp: '0',
        key: null,
        value,
        headers: {},
        rawHeaders: {},
      })),
    });
    expect(repository.quarantined).toHaveLength(4);
    const [claimId, amount] = definition.contract.columns;
    await service.update(
      { ...definition, maxRows: 100, contract: { ...definition.contract, columns: [claimId!, { ...amount!, max: 10_000 }] } },
      undefined,
      { validateOnly: false },
    );
    events.length = 0;

    const result = await service.replayQuarantine('claims', { ids: null, limit: 100_000, commitNow: true });
    expect(result).toMatchObject({ replayed: 4, accepted: 1, duplicates: 1, quarantined: 2, skippedIds: [], remaining: 2 });
    expect(result.committed).toMatchObject({ version: 1, rowCount: 1 });
    const [big, again, odd, bin] = repository.quarantined;
    const { REPLAY_OUTCOME_ACCEPTED, REPLAY_OUTCOME_DUPLICATE, REPLAY_OUTCOME_QUARANTINED } = ingestionV1.ReplayOutcome;
    expect([big, again, odd, bin].map((q) => q!.replayOutcome)).toEqual([
      REPLAY_OUTCOME_ACCEPTED,
      REPLAY_OUTCOME_DUPLICATE,
      REPLAY_OUTCOME_QUARANTINED,
      REPLAY_OUTCOME_QUARANTINED,
    ]);
    // The still-bad ones wait again as new entries, with today's reasons and where they came from.
    const waiting = (await service.listQuarantine('claims', { after: undefined, size: 10 })).items;
    expect(waiting.map((q) => [q.origin, q.violations.map((v) => v.code)])).toEqual([
      [`replay:${bin!.id}`, [ingestionV1.ViolationCode.VIOLATION_CODE_MALFORMED]],
      [`replay:${odd!.id}`, [ingestionV1.ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN]],
    ]);
    expect(waiting[0]!.violations[0]!.message).toContain('cannot be replayed as received');
    expect((await service.listQuarantine('claims', { after: undefined, size: 10 }, true)).items).toHaveLength(6);
    expect(events.map((e) => e.type)).toEqual([RecordsQuarantinedEvent.typeName, DatasetVersionCommittedEvent.typeName]);

    // A second replay finds only the new entries; ids already replayed are skipped, not replayed twice.
    const second = await service.replayQuarantine('claims', { ids: [big!.id, waiting[1]!.id], limit: 100_000, commitNow: false });
    expect(second).toMatchObject({ replayed: 1, accepted: 0, quarantined: 1, skippedIds: [big!.id], remaining: 2 });
    expect(repository.versions).toHaveLength(1);
  });

  it('quarantines a hostile Kafka record with a bounded sample, its size and sha256 in the event', async () => {
    const { service, events } = setUp();
    await service.register(definition, undefined);
    const value = Buffer.from(JSON.stringify({ claim_id: 'x', amount: 1, junk: 'y'.repeat(10_000) }));
    const topic = 'flywheel.ingest.claims';
    await service.ingestKafkaBatch({
      topic,
      partition: 1,
      records: [{ topic, partition: 1, offset: '7', timestamp: '0', key: null, value, headers: {}, rawHeaders: {} }],
    });
    const event = events.find((e) => e.type === RecordsQuarantinedEvent.typeName)!.data as ingestionV1.RecordsQuarantined;
    const [quarantined] = event.records;
    expect(quarantined).toMatchObject({
      rawTruncated: true,
      rawSizeBytes: value.length,
      rawSha256: createHash('sha256').update(value).digest('hex'),
      origin: `kafka:${topic}/1/7`,
    });
    expect(Buffer.byteLength(quarantined!.raw)).toBeLessThanOrEqual(256);
    expect(value.toString('utf8').startsWith(quarantined!.raw)).toBe(true);
  });

  it('tells the commit timer when staged records fall due', async () => {
    const { service, clock } = setUp();
    await service.register(definition, undefined);
    const dues: number[] = [];
    service.onStaged((due) => dues.push(due.getTime()));
    await service.ingestBatch('claims', grpcRecords('b1', [{ claim_id: 'a', amount: 1 }]), { batchId: '', commitNow: false });
    expect(dues).toEqual([clock.now().getTime() + definition.maxIntervalMs]);
    expect((await service.nextCommitDue())?.getTime()).toBe(clock.now().getTime() + definition.maxIntervalMs);
  });
  it('cuts full versions of a Kafka-fed dataset beside the consumer, exactly max_rows each, splitting batches where versions end', async () => {
    const { service, repository, objects, counted } = setUp();
    await service.register(definition, undefined);
    const topic = 'flywheel.ingest.claims';
    const records = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, offset) => ({
      topic,
      partition: 0,
      offset: String(offset),
      timestamp: '0',
      key: null,
      value: Buffer.from(JSON.stringify({ claim_id: id, amount: 1 })),
      headers: {},
      rawHeaders: {},
    }));
    await service.ingestKafkaBatch({ topic, partition: 0, records: records.slice(0, 4) });
    await service.ingestKafkaBatch({ topic, partition: 0, records: records.slice(4) });
    await service.settle();
    expect(repository.versions.map((v) => [v.rowCount, v.trigger])).toEqual([
      [3, ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_ROWS],
      [3, ingestionV1.CommitTrigger.COMMIT_TRIGGER_MAX_ROWS],
    ]);
    expect(repository.pending.map((p) => p.values.claim_id)).toEqual(['g']);
    expect(await counted('flywheel_dataset_rows_committed_total')).toBe(6);
    expect(claimIdsByVersion(repository, objects)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    // Cut from the texts the service staged; only what a cut rewrote (the rest of the first batch) is read back.
    expect(repository.readBack).toBe(1);
  });

  it('builds versions that share a staged batch on the compute threads, each from its own copy of the text', async () => {
    const compute = new WorkerIngestionCompute({ INGEST_COMPUTE_THREADS: 2 } as IngestionConfig);
    try {
      const { service, repository, objects } = setUp(compute);
      await service.register({ ...definition, maxRows: 2 }, undefined);
      // b1 fills version 1 and leaves c staged; b2 then gives three versions in one cut, all drawing on b2.
      await service.ingestBatch(
        'claims',
        grpcRecords(
          'b1',
          ['a', 'b', 'c'].map((id) => ({ claim_id: id, amount: 1 })),
        ),
        {
          batchId: '',
          commitNow: false,
        },
      );
      await service.ingestBatch(
        'claims',
        grpcRecords(
          'b2',
          ['d', 'e', 'f', 'g', 'h'].map((id) => ({ claim_id: id, amount: 1 })),
        ),
        {
          batchId: '',
          commitNow: true,
        },
      );
      await service.settle();
      expect(claimIdsByVersion(repository, objects)).toEqual([
        ['a', 'b'],
        ['c', 'd'],
        ['e', 'f'],
        ['g', 'h'],
      ]);
    } finally {
      compute.onModuleDestroy();
    }
  });
});
