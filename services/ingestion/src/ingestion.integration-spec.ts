import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  commonV1,
  decodeEvent,
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  dlqTopic,
  type EventEnvelope,
  EventTypeRegistry,
  GrpcServices,
  ingestionV1,
  RecordsQuarantinedEvent,
  Topics,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { MinioObjectStore, parseObjectKey } from '@flywheel/storage';
import { unaryBytes } from '@flywheel/test-kit';
import {
  countRecords,
  grpcError,
  readRecords,
  runFlywheel,
  type ServiceInfrastructure,
  startServiceInfrastructure,
  waitFor,
} from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startIngestionService } from './ingestion.app';
import { type IngestionConfig } from './ingestion.config';

jest.setTimeout(120_000);

type Client = GrpcClient<ingestionV1.IngestionServiceController>;
const { ColumnType } = commonV1;
const { ViolationCode, CommitTrigger } = ingestionV1;
const registry = new EventTypeRegistry().register(
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  RecordsQuarantinedEvent,
);

const claimsContract: ingestionV1.DataContract = {
  columns: [
    { name: 'claim_id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: 'claim' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: 100_000, allowedValues: [], description: '' },
    { name: 'channel', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: ['web', 'phone'], description: '' },
    { name: 'items', type: ColumnType.COLUMN_TYPE_INTEGER, required: false, allowedValues: [], description: '' },
    { name: 'fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, allowedValues: [], description: '' },
    { name: 'filed_at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, allowedValues: [], description: '' },
  ],
  uniqueKey: ['claim_id'],
  eventTimeColumn: 'filed_at',
  maxRecordBytes: 0,
  maxValueBytes: 0,
};

function claim(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    claim_id: `c${n}`,
    amount: 100 + n,
    channel: n % 2 ? 'web' : 'phone',
    items: n % 5,
    fraud: n % 7 === 0,
    filed_at: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(),
    ...overrides,
  };
}

function row(values: Record<string, unknown>): commonV1.Row {
  const out: commonV1.Row = { values: {} };
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'number') out.values[name] = { numberValue: value };
    else if (typeof value === 'boolean') out.values[name] = { boolValue: value };
    else if (typeof value === 'string') out.values[name] = { stringValue: value };
    else out.values[name] = {};
  }
  return out;
}

describe('ingestion service', () => {
  let infra: ServiceInfrastructure;
  let env: Record<string, string>;
  let service: RunningService<IngestionConfig> | undefined;
  let writer: Client;
  let reader: Client;
  let anonymous: Client;
  let kafka: Kafka;
  let producer: Producer;
  let store: MinioObjectStore;

  const boot = async () => {
    service = await startIngestionService(env, { handleSignals: false });
    writer = createGrpcClient(GrpcServices.ingestion, { address: service.grpcAddress, token: infra.tokens.writer });
    reader = createGrpcClient(GrpcServices.ingestion, { address: service.grpcAddress, token: infra.tokens.reader });
    anonymous = createGrpcClient(GrpcServices.ingestion, { address: service.grpcAddress });
  };
  const stop = async () => {
    for (const client of [writer, reader, anonymous]) client?.close();
    await service?.shutdown('test');
    service = undefined;
  };
  /** Every event published so far on the ingestion topic. */
  const events = async (): Promise<EventEnvelope[]> =>
    (await readRecords(kafka, Topics.ingestionEvents, await countRecords(kafka, Topics.ingestionEvents))).map((r) =>
      decodeEvent(r, registry),
    );
  /** Waits until the outbox relay has published a matching event. */
  const findEvent = async (match: (event: EventEnvelope) => boolean): Promise<EventEnvelope> => {
    let found: EventEnvelope | undefined;
    await waitFor(async () => (found = (await events()).find(match)) !== undefined, 20_000, 'event published');
    return found!;
  };
  /** The first column of every committed row of a dataset, across its versions. */
  const committedIds = async (dataset: string): Promise<string[]> => {
    const ids: string[] = [];
    for (const version of (await reader.listVersions({ dataset, page: { pageSize: 1000, pageToken: '' } })).versions) {
      const csv = (await store.get(parseObjectKey(version.object!.key), { expectedSha256: version.object!.sha256 })).toString('utf8');
      ids.push(
        ...csv
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',')[0]!),
      );
    }
    return ids.sort();
  };
  /** Commits what is staged (an empty batch with commit_now) until `count` rows are in versions. */
  const waitForCommitted = async (dataset: string, count: number) => {
    await waitFor(
      async () => {
        await writer.ingest({ dataset, rows: [], batchId: '', commitNow: true });
        return (
          (await reader.listVersions({ dataset, page: { pageSize: 1000, pageToken: '' } })).versions.reduce(
            (sum, v) => sum + v.rowCount,
            0,
          ) >= count
        );
      },
      30_000,
      `${count} records of ${dataset} committed`,
    );
  };
  const register = (name: string, policy?: ingestionV1.CommitPolicy, contract = claimsContract) =>
    writer.registerDataset({ name, description: `${name} data`, contract, commitPolicy: policy });

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    env = await infra.serviceEnv('ingestion', { INGEST_COMMIT_CHECK_MS: '100', INGEST_DATASET_SYNC_MS: '500' });
    await boot();
    kafka = new Kafka({ clientId: 'ingestion-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    store = new MinioObjectStore({
      endpoint: infra.s3.endpoint,
      accessKey: infra.s3.accessKey,
      secretKey: infra.s3.secretKey,
      bucket: 'flywheel',
      region: 'us-east-1',
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await stop();
    await infra?.stop();
  });

  describe('boot, health and auth', () => {
    it('reports healthy database, Kafka, object store and outbox on /healthz', async () => {
      const response = await fetch(`${service!.httpUrl}/healthz`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { checks: Record<string, { status: string }> };
      expect(Object.keys(body.checks).sort()).toEqual(['database', 'grpc', 'kafka', 'object-store', 'outbox']);
      expect(Object.values(body.checks).every((c) => c.status === 'up')).toBe(true);
    });

    it('refuses a call without a token and a write by a reader', async () => {
      expect((await grpcError(anonymous.listDatasets({ page: undefined }))).code).toBe(status.UNAUTHENTICATED);
      expect(
        (await grpcError(reader.registerDataset({ name: 'nope', description: '', contract: claimsContract, commitPolicy: undefined })))
          .code,
      ).toBe(status.PERMISSION_DENIED);
    });

    it('registers a dataset idempotently, serves it and publishes DatasetRegistered', async () => {
      const first = await register('claims_basic');
      expect(first.created).toBe(true);
      expect(first.dataset).toMatchObject({
        name: 'claims_basic',
        ownerTeam: 'fraud',
        ingestTopic: Topics.ingestTopic('claims_basic'),
        latestVersion: 0,
      });
      expect(first.dataset?.commitPolicy).toMatchObject({ maxRows: 10_000, maxInterval: { seconds: 60, nanos: 0 } });
      expect(first.dataset?.contract?.columns[1]).toMatchObject({ name: 'amount', min: 0, max: 100_000 });
      expect((await register('claims_basic')).created).toBe(false);
      const conflict = await grpcError(
        writer.registerDataset({ name: 'claims_basic', description: 'other', contract: claimsContract, commitPolicy: undefined }),
      );
      expect(conflict.code).toBe(status.ALREADY_EXISTS);
      expect((await reader.getDataset({ name: 'claims_basic' })).dataset?.name).toBe('claims_basic');
      expect((await reader.listDatasets({ page: undefined })).datasets.map((d) => d.name)).toContain('claims_basic');
      expect((await grpcError(reader.getDataset({ name: 'absent' }))).code).toBe(status.NOT_FOUND);
      const event = await findEvent((e) => e.type === DatasetRegisteredEvent.typeName && e.key === 'claims_basic');
      expect(event).toMatchObject({
        type: DatasetRegisteredEvent.typeName,
        key: 'claims_basic',
        data: { dataset: { name: 'claims_basic' }, actor: { team: 'fraud' } },
      });
    });

    it('rejects a bad contract with INVALID_ARGUMENT naming each field', async () => {
      const error = await grpcError(
        writer.registerDataset({
          name: 'Bad Name',
          description: '',
          contract: {
            columns: [
              { name: 'amount', type: ColumnType.COLUMN_TYPE_STRING, required: false, min: 1, allowedValues: [], description: '' },
              { name: 'amount', type: ColumnType.COLUMN_TYPE_UNSPECIFIED, required: false, allowedValues: [], description: '' },
            ],
            uniqueKey: ['missing'],
            eventTimeColumn: 'amount',
            maxRecordBytes: 0,
            maxValueBytes: 0,
          },
          commitPolicy: { maxRows: -1, maxInterval: undefined },
        }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      for (const field of [
        'name:',
        'contract.columns[0].min:',
        'contract.columns[1].name:',
        'contract.columns[1].type:',
        'contract.unique_key[0]:',
        'contract.event_time_column:',
        'commit_policy.max_rows:',
      ]) {
        expect(error.details).toContain(field);
      }
    });
    it('answers Ingest bytes with a row that is no Row message with INVALID_ARGUMENT naming the row, staging nothing of the call', async () => {
      await register('claims_bad_bytes', { maxRows: 1000, maxInterval: undefined });
      const good = commonV1.Row.encode(row(claim(1))).finish();
      const request = new BinaryWriter().tag(1, WireType.LengthDelimited).string('claims_bad_bytes');
      request.tag(2, WireType.LengthDelimited).bytes(good);
      // A map entry whose key announces 5 bytes and has none.
      request.tag(2, WireType.LengthDelimited).bytes(Uint8Array.from([0x0a, 0x02, 0x0a, 0x05]));
      const path = `/${GrpcServices.ingestion.packageName}.${GrpcServices.ingestion.serviceName}/Ingest`;
      const refused = await unaryBytes(service!.grpcAddress, path, Buffer.from(request.finish()), infra.tokens.writer);
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.details).toMatch(/^rows\[1\]: is not a valid flywheel\.common\.v1\.Row message: \S/);
      // The envelope itself cut short: the request as a whole.
      const cut = await unaryBytes(service!.grpcAddress, path, Buffer.from([0x0a, 0x09, 0x61]), infra.tokens.writer);
      expect(cut).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining('(request): is not a valid IngestRequest message'),
      });
      const summary = await writer.ingest({ dataset: 'claims_bad_bytes', rows: [row(claim(2))], batchId: '', commitNow: true });
      expect(summary.summary).toMatchObject({ accepted: 1, committedVersion: { version: 1, rowCount: 1 } });
      const metrics = await (await fetch(`${service!.httpUrl}/metrics`)).text();
      expect(metrics).toContain('flywheel_dataset_rows_committed_total{dataset="claims_bad_bytes"} 1');
    });
  });

  describe('validation, quarantine and versions', () => {
    it('quarantines malformed JSON and contract violations with field and reason while the good records commit', async () => {
      const topic = Topics.ingestTopic('claims_mixed');
      await register('claims_mixed', { maxRows: 3, maxInterval: undefined });
      const messages = [
        JSON.stringify(claim(1)),
        '{"claim_id": "c2", "amount": ',
        JSON.stringify(claim(3, { amount: 250_000 })),
        JSON.stringify(claim(4)),
        JSON.stringify(claim(5, { channel: 'fax', extra: 1 })),
        JSON.stringify(claim(6, { filed_at: 'yesterday' })),
        JSON.stringify(claim(7)),
      ];
      // One partition key keeps the order, so the three good ones form version 1.
      await producer.send({ topic, messages: messages.map((value) => ({ key: 'k', value })) });
      await waitFor(
        async () =>
          (await reader.listQuarantine({ dataset: 'claims_mixed', page: undefined, includeReplayed: false })).records.length === 4,
        30_000,
        'four quarantined',
      );
      await waitFor(async () => (await reader.getDataset({ name: 'claims_mixed' })).dataset?.latestVersion === 1, 30_000, 'version 1');

      const quarantined = (
        await reader.listQuarantine({ dataset: 'claims_mixed', page: undefined, includeReplayed: false })
      ).records.reverse();
      expect(quarantined.map((q) => q.violations.map((v) => [v.field, v.code]))).toEqual([
        [['', ViolationCode.VIOLATION_CODE_MALFORMED]],
        [['amount', ViolationCode.VIOLATION_CODE_OUT_OF_RANGE]],
        [
          ['extra', ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN],
          ['channel', ViolationCode.VIOLATION_CODE_NOT_ALLOWED],
        ],
        [['filed_at', ViolationCode.VIOLATION_CODE_WRONG_TYPE]],
      ]);
      expect(quarantined[1]!.violations[0]!.message).toBe('amount: 250000 is above max 100000');
      expect(quarantined[0]!.raw).toBe(messages[1]);
      expect(quarantined[0]!.origin).toMatch(/^kafka:flywheel\.ingest\.claims_mixed\/\d+\/1$/);

      const version = (await reader.getVersion({ dataset: 'claims_mixed', version: 1 })).version!;
      expect(version).toMatchObject({ rowCount: 3, cumulativeRowCount: 3, trigger: CommitTrigger.COMMIT_TRIGGER_MAX_ROWS });
      const csv = (await store.get(parseObjectKey(version.object!.key), { expectedSha256: version.object!.sha256 })).toString('utf8');
      expect(
        csv
          .trim()
          .split('\n')
          .map((line) => line.split(',')[0]),
      ).toEqual(['claim_id', 'c1', 'c4', 'c7']);

      await findEvent((e) => e.key === 'claims_mixed' && e.type === DatasetVersionCommittedEvent.typeName);
      const quarantineEvents = (await events()).filter((e) => e.key === 'claims_mixed' && e.type === RecordsQuarantinedEvent.typeName);
      // The rejects of one fetched batch travel together, each with its size and hash.
      const quarantinedRecords = quarantineEvents.flatMap((e) => (e.data as ingestionV1.RecordsQuarantined).records);
      expect(quarantinedRecords.map((r) => r.origin).sort()).toEqual(quarantined.map((q) => q.origin).sort());
      const counts: Record<string, number> = {};
      for (const e of quarantineEvents) {
        for (const [code, n] of Object.entries((e.data as ingestionV1.RecordsQuarantined).countsByCode))
          counts[code] = (counts[code] ?? 0) + n;
      }
      expect(counts).toEqual({
        VIOLATION_CODE_MALFORMED: 1,
        VIOLATION_CODE_OUT_OF_RANGE: 1,
        VIOLATION_CODE_UNKNOWN_COLUMN: 1,
        VIOLATION_CODE_NOT_ALLOWED: 1,
        VIOLATION_CODE_WRONG_TYPE: 1,
      });
      const malformed = quarantinedRecords.find((r) => r.origin === quarantined[0]!.origin)!;
      expect(malformed).toMatchObject({
        raw: messages[1],
        rawSizeBytes: Buffer.byteLength(messages[1]!),
        rawSha256: createHash('sha256').update(messages[1]!).digest('hex'),
        rawTruncated: false,
      });
    });

    it('relaxes the contract of claims_mixed in place and replays its quarantine once: the fixed records become a version', async () => {
      const [claimId, amount, channel, ...rest] = claimsContract.columns;
      const relaxed: ingestionV1.DataContract = {
        ...claimsContract,
        columns: [
          claimId!,
          { ...amount!, max: 500_000 },
          { ...channel!, allowedValues: ['web', 'phone', 'fax'] },
          ...rest,
          { name: 'extra', type: ColumnType.COLUMN_TYPE_INTEGER, required: false, allowedValues: [], description: 'added later' },
        ],
      };
      const update = (contract: ingestionV1.DataContract, validateOnly = false, client = writer) =>
        client.updateDataset({
          name: 'claims_mixed',
          description: 'claims_mixed data',
          contract,
          commitPolicy: { maxRows: 3, maxInterval: undefined },
          validateOnly,
        });
      const narrowed = await grpcError(
        update({ ...claimsContract, columns: [claimId!, { ...amount!, max: 10 }, channel!, ...rest] }, true),
      );
      expect(narrowed.code).toBe(status.FAILED_PRECONDITION);
      expect(narrowed.details).toContain('contract.columns[1].max: can only be raised or removed (is 100000)');
      expect((await grpcError(update(relaxed, false, reader))).code).toBe(status.PERMISSION_DENIED);
      expect((await update(relaxed, true)).changed).toBe(true);
      expect((await reader.getDataset({ name: 'claims_mixed' })).dataset!.contract!.columns).toHaveLength(6);
      expect(await update(relaxed)).toMatchObject({ changed: true, dataset: { contract: { columns: relaxed.columns } } });
      const updated = await findEvent((e) => e.key === 'claims_mixed' && e.type === DatasetUpdatedEvent.typeName);
      expect((updated.data as ingestionV1.DatasetUpdated).previousContract!.columns).toHaveLength(6);

      const hostile = await grpcError(
        writer.replayQuarantine({ dataset: 'claims_mixed', ids: ['1; DROP TABLE'], limit: 0, commitNow: false }),
      );
      expect(hostile.code).toBe(status.INVALID_ARGUMENT);
      expect(hostile.details).toContain('ids[0]');

      const replay = await writer.replayQuarantine({ dataset: 'claims_mixed', ids: [], limit: 0, commitNow: true });
      // c3 (amount) and c5 (channel, extra) pass now; the malformed text and c6's date do not.
      expect(replay).toMatchObject({ replayed: 4, accepted: 2, quarantined: 2, duplicates: 0, remaining: 2, skippedIds: [] });
      expect(replay.committedVersion).toMatchObject({ version: 2, rowCount: 2 });
      // Both versions' rows committed; the two records quarantined again count again.
      const metrics = await (await fetch(`${service!.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^flywheel_dataset_rows_quarantined_total\{dataset="claims_mixed"\} \d+$/m);
      expect(metrics).toMatch(/^flywheel_dataset_rows_committed_total\{dataset="claims_mixed"\} \d+$/m);
      const csv = (
        await store.get(parseObjectKey(replay.committedVersion!.object!.key), { expectedSha256: replay.committedVersion!.object!.sha256 })
      )
        .toString('utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe('claim_id,amount,channel,items,fraud,filed_at,extra');
      expect(csv.slice(1).map((line) => [line.split(',')[0], line.split(',')[6]])).toEqual([
        ['c3', ''],
        ['c5', '1'],
      ]);
      const waiting = (await reader.listQuarantine({ dataset: 'claims_mixed', page: undefined, includeReplayed: false })).records;
      expect(waiting.map((q) => q.origin.startsWith('replay:'))).toEqual([true, true]);
      const all = (await reader.listQuarantine({ dataset: 'claims_mixed', page: undefined, includeReplayed: true })).records;
      expect(all.filter((q) => q.replayOutcome === ingestionV1.ReplayOutcome.REPLAY_OUTCOME_ACCEPTED)).toHaveLength(2);
      expect(all.every((q) => q.origin.startsWith('replay:') || q.replayTime !== undefined)).toBe(true);
      // Replayed once: a second call finds only the two that failed again.
      expect(await writer.replayQuarantine({ dataset: 'claims_mixed', ids: [], limit: 0, commitNow: false })).toMatchObject({
        replayed: 2,
        accepted: 0,
        quarantined: 2,
        remaining: 2,
      });
    });

    it('sends records on an ingest topic with no dataset to its DLQ with the reason, shows the topic, and ingests once the dataset is registered', async () => {
      const topic = Topics.ingestTopic('claims_typo');
      await producer.send({ topic, messages: [{ value: JSON.stringify(claim(1)) }, { value: JSON.stringify(claim(2)) }] });
      await waitFor(
        async () =>
          (await reader.listDatasets({ page: undefined })).unregisteredTopics.some((t) => t.topic === topic && t.deadLettered === 2),
        30_000,
        'the unregistered topic counted',
      );
      const letters = await readRecords(kafka, dlqTopic(topic), 2);
      expect(letters.map((l) => l.value?.toString('utf8'))).toEqual([JSON.stringify(claim(1)), JSON.stringify(claim(2))]);
      expect(letters[0]!.headers['x-flywheel-error']).toBe(
        `no dataset "claims_typo" is registered: the record waits in ${dlqTopic(topic)} (register the dataset, then replay it)`,
      );
      const metrics = await (await fetch(`${service!.httpUrl}/metrics`)).text();
      expect(metrics).toContain(`flywheel_ingest_unregistered_records_total{topic="${topic}"} 2`);

      // Registered now: what comes next is ingested, what came before stays in the DLQ.
      await register('claims_typo', { maxRows: 1, maxInterval: undefined });
      await producer.send({ topic, messages: [{ value: JSON.stringify(claim(3)) }] });
      await waitFor(async () => (await reader.getDataset({ name: 'claims_typo' })).dataset?.latestVersion === 1, 30_000, 'version 1');
      expect(await committedIds('claims_typo')).toEqual(['c3']);
      expect((await reader.listDatasets({ page: undefined })).unregisteredTopics.map((t) => t.topic)).not.toContain(topic);
    });

    it('quarantines hostile records through Kafka with a reason each — none dead-lettered — and commits the good one behind them', async () => {
      const topic = Topics.ingestTopic('claims_hostile');
      await register('claims_hostile', { maxRows: 1, maxInterval: undefined });
      const good = Buffer.from(JSON.stringify(claim(1)));
      const hostile: Array<[string, Buffer]> = [
        ['a raw NUL byte', Buffer.concat([good, Buffer.from([0])])],
        ['invalid UTF-8', Buffer.concat([Buffer.from('{"claim_id": "c2'), Buffer.from([0xff]), Buffer.from('"}')])],
        ['JSON nested 100,000 deep', Buffer.from(`{"claim_id": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`)],
        ['an impossible date', Buffer.from(JSON.stringify(claim(3, { filed_at: '2026-02-30T00:00:00Z' })))],
        ['a NUL escape', Buffer.from(JSON.stringify(claim(4, { claim_id: 'c\u0000' })))],
      ];
      await producer.send({ topic, messages: [...hostile.map(([, value]) => ({ key: 'k', value })), { key: 'k', value: good }] });
      await waitFor(
        async () => (await reader.getDataset({ name: 'claims_hostile' })).dataset?.latestVersion === 1,
        30_000,
        'the good record committed',
      );
      const quarantined = (
        await reader.listQuarantine({ dataset: 'claims_hostile', page: undefined, includeReplayed: false })
      ).records.reverse();
      expect(quarantined.map((q) => q.violations.map((v) => v.message).join('; '))).toEqual([
        expect.stringContaining('not valid JSON'),
        'not valid UTF-8',
        'nested deeper than 32 levels',
        'filed_at: "2026-02-30T00:00:00Z" is not an RFC 3339 timestamp',
        'claim_id: contains a NUL character',
      ]);
      expect(await countRecords(kafka, Topics.dlqTopic(topic))).toBe(0);
    });

    it('commits by row count through Ingest, returning per-record reasons, with the sha256 of the object in the version and its event', async () => {
      await register('claims_rows', { maxRows: 4, maxInterval: undefined });
      const response = await writer.ingest({
        dataset: 'claims_rows',
        rows: [
          row(claim(1)),
          row(claim(2, { amount: -5 })),
          row(claim(3)),
          row(claim(4, { claim_id: undefined })),
          row(claim(5)),
          row(claim(6)),
          row(claim(7)),
        ],
        batchId: 'batch-1',
        commitNow: false,
      });
      expect(response.summary).toMatchObject({ accepted: 5, quarantined: 2, duplicates: 0 });
      expect(response.summary?.rejections.map((r) => [r.index, r.record?.violations[0]?.code, r.record?.origin])).toEqual([
        [1, ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, 'grpc:batch-1/1'],
        [3, ViolationCode.VIOLATION_CODE_MISSING_REQUIRED, 'grpc:batch-1/3'],
      ]);
      const version = response.summary!.committedVersion!;
      expect(version).toMatchObject({ version: 1, rowCount: 4, quarantinedCount: 2, trigger: CommitTrigger.COMMIT_TRIGGER_MAX_ROWS });
      expect(version.object?.key).toBe('datasets/claims_rows/v1/data.csv');
      expect(version.eventTimeRange?.start).toEqual(new Date(claim(1).filed_at as string));
      expect(version.eventTimeRange?.end).toEqual(new Date(Date.parse(claim(6).filed_at as string) + 1));
      const amount = version.profile!.columns.find((c) => c.name === 'amount')!;
      expect(amount).toMatchObject({ count: 4, nullCount: 0, numeric: { min: 101, max: 106 } });
      expect(version.profile!.columns.find((c) => c.name === 'channel')?.categorical?.distinctCount).toBe(2);

      const bytes = await store.get(parseObjectKey(version.object!.key), { expectedSha256: version.object!.sha256 });
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(version.object!.sha256);
      const committed = await findEvent((e) => e.key === 'claims_rows' && e.type === DatasetVersionCommittedEvent.typeName);
      const data = committed!.data as ingestionV1.DatasetVersionCommitted;
      expect(data.version?.object?.sha256).toBe(version.object!.sha256);
      expect(data.contract?.uniqueKey).toEqual(['claim_id']);

      // The same batch again has no second effect; a redelivered key is dropped; a changed one is quarantined.
      const again = await writer.ingest({ dataset: 'claims_rows', rows: [row(claim(1))], batchId: 'batch-1', commitNow: false });
      expect(again.summary).toMatchObject({ accepted: 5, quarantined: 2 });
      const redelivered = await writer.ingest({
        dataset: 'claims_rows',
        rows: [row(claim(1)), row(claim(7, { amount: 999 }))],
        batchId: 'batch-2',
        commitNow: true,
      });
      expect(redelivered.summary).toMatchObject({ accepted: 0, duplicates: 1, quarantined: 1 });
      expect(redelivered.summary?.rejections[0]?.record?.violations[0]).toMatchObject({
        field: 'claim_id',
        code: ViolationCode.VIOLATION_CODE_DUPLICATE_KEY,
      });
      expect(redelivered.summary?.committedVersion).toMatchObject({
        version: 2,
        rowCount: 1,
        trigger: CommitTrigger.COMMIT_TRIGGER_REQUESTED,
      });
      expect((await reader.listVersions({ dataset: 'claims_rows', page: undefined })).versions.map((v) => v.version)).toEqual([2, 1]);
    });

    it('commits by time when the row count is not reached', async () => {
      await register('claims_timed', { maxRows: 1000, maxInterval: { seconds: 1, nanos: 0 } });
      const response = await writer.ingest({
        dataset: 'claims_timed',
        rows: [row(claim(1)), row(claim(2))],
        batchId: '',
        commitNow: false,
      });
      expect(response.summary?.committedVersion ?? undefined).toBeUndefined();
      await waitFor(
        async () => (await reader.getDataset({ name: 'claims_timed' })).dataset?.latestVersion === 1,
        15_000,
        'interval commit',
      );
      expect((await reader.getVersion({ dataset: 'claims_timed', version: 0 })).version).toMatchObject({
        rowCount: 2,
        trigger: CommitTrigger.COMMIT_TRIGGER_MAX_INTERVAL,
      });
    });

    it('accepts a client stream and answers once it is half-closed', async () => {
      await register('claims_stream', { maxRows: 1000, maxInterval: undefined });
      const summary = await new Promise<ingestionV1.IngestStreamResponse>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${infra.tokens.writer}`);
        const raw = writer.raw as unknown as Record<
          string,
          (
            m: Metadata,
            cb: (e: ServiceError | null, r: ingestionV1.IngestStreamResponse) => void,
          ) => { write(m: unknown): void; end(): void }
        >;
        const call = raw.IngestStream!(metadata, (error, response) => (error ? reject(error) : resolve(response)));
        call.write({ dataset: 'claims_stream', rows: [row(claim(1)), row(claim(2, { items: 1.5 }))], batchId: 's1' });
        call.write({ rows: [row(claim(3))], commitNow: true });
        call.end();
      });
      expect(summary.summary).toMatchObject({ accepted: 2, quarantined: 1 });
      expect(summary.summary?.rejections[0]).toMatchObject({
        index: 1,
        record: { violations: [{ field: 'items', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE }] },
      });
      expect(summary.summary?.committedVersion).toMatchObject({ version: 1, rowCount: 2, trigger: CommitTrigger.COMMIT_TRIGGER_REQUESTED });
    });

    it('flywheel datasets ingest takes booleans as pandas writes them, and exits 3 when more rows are quarantined than allowed', async () => {
      await register('claims_cli', { maxRows: 1000, maxInterval: undefined });
      const dir = mkdtempSync(join(tmpdir(), 'flywheel-ingest-'));
      const ingest = (lines: string[], ...args: string[]) => {
        const file = join(dir, `${lines.length}-${args.length}-${Math.random()}.csv`);
        writeFileSync(file, ['claim_id,amount,fraud,filed_at', ...lines].join('\n'));
        return runFlywheel(['datasets', 'ingest', 'claims_cli', '--file', file, '--commit', ...args], {
          FLYWHEEL_TOKEN: infra.tokens.writer,
          INGESTION_GRPC_ADDRESS: service!.grpcAddress,
        });
      };
      const at = (n: number) => new Date(Date.UTC(2025, 0, 2, 0, n)).toISOString();
      try {
        // pandas' True/False are booleans, not a reason to quarantine.
        const pandas = await ingest([`p1,10,True,${at(1)}`, `p2,20,False,${at(2)}`, `p3,30,TRUE,${at(3)}`, `p4,40,0,${at(4)}`]);
        expect(pandas).toMatchObject({ code: 0, stderr: 'sent 4 of 4 rows\n' });
        expect(pandas.stdout).toMatch(/^rows\s+accepted\s+quarantined.*\n-.*\n\s*4\s+4\s+0\s+0\s+1\n$/);

        // Every row quarantined: the command says so and exits 3, by default.
        const none = await ingest([`q1,-5,true,${at(5)}`, `q2,abc,false,${at(6)}`]);
        expect(none.code).toBe(3);
        expect(none.stderr).toContain(
          "flywheel: datasets ingest: 2 of 2 rows were quarantined; see 'flywheel datasets quarantine claims_cli'\n",
        );
        // One of three is within a share of 0.5, and past a share of 0.2.
        const some = [`r1,1,true,${at(7)}`, `r2,-1,true,${at(8)}`, `r3,3,false,${at(9)}`];
        expect((await ingest(some, '--max-quarantine-share', '0.5')).code).toBe(0);
        const strict = await ingest(
          some.map((line) => line.replace('r', 's')),
          '--max-quarantine-share',
          '0.2',
        );
        expect(strict.code).toBe(3);
        expect(strict.stderr).toContain('1 of 3 rows were quarantined (33.3%, more than --max-quarantine-share 0.2)');
        expect((await ingest(some, '--max-quarantine-share', '2')).code).toBe(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('flywheel datasets replay takes back what a relaxed contract accepts and lists what still fails, once', async () => {
      const cli = (...args: string[]) =>
        runFlywheel(args, { FLYWHEEL_TOKEN: infra.tokens.writer, INGESTION_GRPC_ADDRESS: service!.grpcAddress });
      // claims_cli holds four quarantined rows from the test above: q1, r2 and s2 below the minimum amount, q2 not a number.
      expect((await reader.listQuarantine({ dataset: 'claims_cli', page: undefined, includeReplayed: false })).records).toHaveLength(4);
      const [claimId, amount, ...rest] = claimsContract.columns;
      await writer.updateDataset({
        name: 'claims_cli',
        description: 'claims_cli data',
        contract: { ...claimsContract, columns: [claimId!, { ...amount!, min: -10 }, ...rest] },
        commitPolicy: { maxRows: 1000, maxInterval: undefined },
        validateOnly: false,
      });

      const replay = await cli('datasets', 'replay', 'claims_cli', '--commit');
      expect(replay.code).toBe(0);
      expect(replay.stdout).toMatch(
        /^replayed\s+accepted\s+quarantined again\s+duplicates\s+still waiting\s+committed version\n-.*\n\s*4\s+3\s+1\s+0\s+1\s+\d+\n$/,
      );
      expect(replay.stderr).toContain("see 'flywheel datasets quarantine claims_cli'");

      const waiting = await cli('datasets', 'quarantine', 'claims_cli');
      expect(waiting.code).toBe(0);
      const lines = waiting.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(/replay:[0-9a-f-]{36}/);
      expect(lines[2]).toContain('amount');
      const everything = await cli('datasets', 'quarantine', 'claims_cli', '--all');
      expect(everything.stdout.match(/accepted \d{4}-/g)).toHaveLength(3);
      expect(everything.stdout.match(/quarantined again \d{4}-/g)).toHaveLength(1);

      // The same again: only the one that failed is judged, and a bad id is refused naming the flag's field.
      expect((await cli('datasets', 'replay', 'claims_cli')).stdout).toMatch(/\n\s*1\s+0\s+1\s+0\s+1\s+-\n$/);
      const bad = await cli('datasets', 'replay', 'claims_cli', '--id', 'not-an-id');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('ids[0]');
    });
  });

  describe('nothing lost, nothing duplicated', () => {
    const noKey: ingestionV1.DataContract = { ...claimsContract, uniqueKey: [] };

    it('drops a record produced twice under its unique key', async () => {
      const topic = Topics.ingestTopic('claims_twice');
      await register('claims_twice', { maxRows: 3, maxInterval: undefined });
      await producer.send({
        topic,
        messages: [claim(1), claim(1), claim(2), claim(3)].map((c) => ({ key: String(c.claim_id), value: JSON.stringify(c) })),
      });
      await waitFor(async () => (await reader.getDataset({ name: 'claims_twice' })).dataset?.latestVersion === 1, 30_000, 'version 1');
      const version = (await reader.getVersion({ dataset: 'claims_twice', version: 1 })).version!;
      const csv = (await store.get(parseObjectKey(version.object!.key), { expectedSha256: version.object!.sha256 })).toString('utf8');
      expect(
        csv
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',')[0])
          .sort(),
      ).toEqual(['c1', 'c2', 'c3']);
    });

    it('loses and duplicates nothing when the process is killed mid-stream', async () => {
      const topic = Topics.ingestTopic('claims_crash');
      await register('claims_crash', { maxRows: 7, maxInterval: { seconds: 3600, nanos: 0 } }, noKey);
      await stop();
      // The service as its own process, killed without any chance to finish or commit.
      const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts')], {
        cwd: join(__dirname, '../../..'),
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await waitFor(
          async () => (await fetch(`http://${env.HTTP_HOST}:${env.HTTP_PORT}/healthz`).catch(() => undefined))?.ok === true,
          60_000,
          'child healthy',
        );
        await producer.send({
          topic,
          messages: Array.from({ length: 40 }, (_, i) => ({ key: String(i % 3), value: JSON.stringify(claim(i)) })),
        });
        await waitFor(
          async () => {
            const metrics = await (await fetch(`http://${env.HTTP_HOST}:${env.HTTP_PORT}/metrics`)).text();
            return /flywheel_kafka_batch_records_total\{[^}]*topic="flywheel\.ingest\.claims_crash"[^}]*outcome="applied"\} ([1-9]\d*)/.test(
              metrics,
            );
          },
          30_000,
          'some records applied by the child',
        );
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      await boot();
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i % 3), value: JSON.stringify(claim(40 + i)) })),
      });
      await waitForCommitted('claims_crash', 60);
      expect(await committedIds('claims_crash')).toEqual(Array.from({ length: 60 }, (_, i) => `c${i}`).sort());
    });

    it('keeps every record exactly once across a restart mid-stream (no unique key: Kafka offsets)', async () => {
      const topic = Topics.ingestTopic('claims_restart');
      await register('claims_restart', { maxRows: 50, maxInterval: { seconds: 3600, nanos: 0 } }, noKey);
      await producer.send({
        topic,
        messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i % 3), value: JSON.stringify(claim(i)) })),
      });
      await waitFor(
        async () => {
          const response = await fetch(`${service!.httpUrl}/metrics`);
          return /flywheel_kafka_batch_records_total\{[^}]*topic="flywheel\.ingest\.claims_restart"[^}]*outcome="applied"\} ([1-9]\d*)/.test(
            await response.text(),
          );
        },
        30_000,
        'some records applied',
      );
      // Graceful stop commits what is pending; the rest is read again from the committed offsets.
      await stop();
      await boot();
      await producer.send({
        topic,
        messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i % 3), value: JSON.stringify(claim(30 + i)) })),
      });
      await waitForCommitted('claims_restart', 60);
      expect(await committedIds('claims_restart')).toEqual(Array.from({ length: 60 }, (_, i) => `c${i}`).sort());
    });
  });
});
