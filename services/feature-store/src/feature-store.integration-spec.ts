import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { status as GrpcCode, type ServiceError } from '@grpc/grpc-js';
import {
  commonV1,
  ConsumedEvents,
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  decodeEvent,
  encodeEvent,
  type EventType,
  featureStoreV1,
  FeaturesMaterialisedEvent,
  GrpcServices,
  ingestionV1,
  Topics,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { datasetVersionKey, MinioObjectStore, parseObjectKey } from '@flywheel/storage';
import { countRecords, eventually, readRecords, type ServiceInfrastructure, startServiceInfrastructure } from '@flywheel/testing';
import { parseCsv, cellValue, getColumn } from '@flywheel/ml';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { type FeatureStoreConfig } from './feature-store.config';
import { startFeatureStoreService } from './feature-store.app';

jest.setTimeout(120_000);

type FeatureStoreClient = GrpcClient<featureStoreV1.FeatureStoreServiceController>;
const { ColumnType } = commonV1;
const DATASET = 'claims';

const CONTRACT: ingestionV1.DataContract = ingestionV1.DataContract.fromPartial({
  columns: [
    { name: 'claim_id', type: ColumnType.COLUMN_TYPE_STRING, required: true },
    { name: 'customer_id', type: ColumnType.COLUMN_TYPE_STRING, required: true },
    { name: 'event_time', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true },
    { name: 'income', type: ColumnType.COLUMN_TYPE_DOUBLE },
    { name: 'is_fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN },
  ],
  uniqueKey: ['claim_id'],
  eventTimeColumn: 'event_time',
});

function grpcError(error: unknown): ServiceError {
  return error as ServiceError;
}

async function expectCode(call: Promise<unknown>, code: GrpcCode, details?: RegExp): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => grpcError(e),
  );
  expect(error?.code).toBe(code);
  if (details) expect(error?.details).toMatch(details);
  return error?.details ?? '';
}

describe('feature-store service (Postgres, Kafka broker, S3)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<FeatureStoreConfig>;
  let env: Record<string, string>;
  let kafka: Kafka;
  let producer: Producer;
  let objects: MinioObjectStore;
  let db: Client;
  const clients: FeatureStoreClient[] = [];
  const client = (token?: string): FeatureStoreClient => {
    const c = createGrpcClient<featureStoreV1.FeatureStoreServiceController>(GrpcServices.featureStore, {
      address: service.grpcAddress,
      token,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    // Small enough for this suite's five rows to pass them: four rows to a spine, four records read.
    env = await infra.serviceEnv('feature-store', { TRAINING_SET_MAX_ROWS: '4', TRAINING_SET_MAX_HISTORY_RECORDS: '4' });
    // Nobody to ask: datasets are learnt from events in this suite.
    delete env.FLYWHEEL_SERVICE_TOKEN;
    service = await startFeatureStoreService(env, { handleSignals: false });
    kafka = new Kafka({ clientId: 'feature-store-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    objects = new MinioObjectStore({
      endpoint: infra.s3.endpoint,
      accessKey: infra.s3.accessKey,
      secretKey: infra.s3.secretKey,
      bucket: 'flywheel',
      region: 'us-east-1',
    });
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await db?.end();
    await producer?.disconnect();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  async function produce<T>(type: EventType<T>, key: string, data: T, id: string = randomUUID()): Promise<string> {
    const record = encodeEvent(type, {
      id,
      source: 'flywheel/ingestion',
      time: new Date(),
      key,
      causationId: null,
      traceparent: null,
      data,
    });
    await producer.send({
      topic: Topics.ingestionEvents,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: record.headers }],
    });
    return id;
  }

  async function registerDataset(): Promise<void> {
    await produce(
      DatasetRegisteredEvent,
      DATASET,
      ingestionV1.DatasetRegistered.fromPartial({ dataset: { name: DATASET, contract: CONTRACT } }),
    );
    await eventually(async () => (await db.query(`SELECT 1 FROM datasets WHERE name = $1`, [DATASET])).rowCount === 1, 30_000);
  }

  /** Puts a CSV dataset version into S3 and returns the DatasetVersionCommitted that announces it. */
  async function commitVersion(version: number, rows: string[]): Promise<ingestionV1.DatasetVersionCommitted> {
    const csv = `claim_id,customer_id,event_time,amount,income,is_fraud\n${rows.join('\n')}\n`;
    const put = await objects.put(datasetVersionKey(DATASET, version, 'data.csv'), Buffer.from(csv), { contentType: 'text/csv' });
    return ingestionV1.DatasetVersionCommitted.fromPartial({
      dataset: DATASET,
      version: {
        dataset: DATASET,
        version,
        rowCount: rows.length,
        object: { key: put.key, sha256: put.sha256, sizeBytes: put.size, contentType: 'text/csv' },
        commitTime: new Date(),
      },
      contract: CONTRACT,
    });
  }

  it('serves health over HTTP and gRPC, and answers an authorised call', async () => {
    const health = await fetch(`${service.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { checks: Record<string, { status: string }> };
    expect(Object.keys(report.checks).sort()).toEqual(['database', 'grpc', 'kafka', 'object-store', 'outbox']);
    expect(Object.values(report.checks).every((c) => c.status === 'up')).toBe(true);
    expect(service.grpcHealth.status).toBe('SERVING');
    const listed = await client(infra.tokens.reader).listFeatureViews({ dataset: '', page: undefined });
    expect(listed.featureViews).toEqual([]);
  });

  it('refuses a call without a token and a write by a reader', async () => {
    await expectCode(client().listFeatureViews({ dataset: '', page: undefined }), GrpcCode.UNAUTHENTICATED);
    await expectCode(
      client(infra.tokens.reader).applyFeatureView(featureStoreV1.ApplyFeatureViewRequest.fromPartial({ name: 'x', dataset: DATASET })),
      GrpcCode.PERMISSION_DENIED,
    );
  });

  it('applies a view over a dataset it learnt from DatasetRegistered, validates it and versions changes', async () => {
    await registerDataset();
    const writer = client(infra.tokens.writer);
    const request = featureStoreV1.ApplyFeatureViewRequest.fromPartial({
      name: 'claim-features',
      dataset: DATASET,
      entityKey: 'customer_id',
      eventTimeColumn: 'event_time',
      features: [
        { name: 'amount', column: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE },
        { name: 'amount_to_income', expression: 'amount / income', type: ColumnType.COLUMN_TYPE_DOUBLE },
        { name: 'log_amount', expression: 'log1p(abs(amount))' },
        { name: 'big_claim', expression: 'amount >= 1000' },
      ],
      onlineTtl: { seconds: 3600, nanos: 0 },
      description: 'claims per customer',
    });
    const first = await writer.applyFeatureView(request);
    expect(first.changed).toBe(true);
    expect(first.featureView?.revision).toBe(1);
    expect(first.featureView?.features.map((f) => f.type)).toEqual([
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_DOUBLE,
      ColumnType.COLUMN_TYPE_BOOLEAN,
    ]);
    const again = await writer.applyFeatureView(request);
    expect(again).toMatchObject({ changed: false, featureView: { revision: 1 } });

    const details = await expectCode(
      writer.applyFeatureView({ ...request, features: [{ name: 'evil', expression: 'process.exit(1)', type: 0, description: '' }] }),
      GrpcCode.INVALID_ARGUMENT,
    );
    expect(details).toContain('features[0].expression');
    expect(details).toContain('feature "evil"');
    await expectCode(writer.applyFeatureView({ ...request, dataset: 'unknown' }), GrpcCode.FAILED_PRECONDITION, /not registered/);

    const fetched = await client(infra.tokens.reader).getFeatureView({ name: 'claim-features', revision: 0 });
    expect(fetched.featureView?.onlineTtl).toEqual({ seconds: 3600, nanos: 0 });
    await expectCode(client(infra.tokens.reader).getFeatureView({ name: 'nope', revision: 0 }), GrpcCode.NOT_FOUND);
  });

  it('materialises a DatasetVersionCommitted once, even when it is delivered twice, and publishes FeaturesMaterialised', async () => {
    const event = await commitVersion(1, [
      'c1,alice,2025-01-01T10:00:00.000Z,100,1000,false',
      'c2,alice,2025-01-01T12:00:00.000Z,2000,1000,true',
      'c3,bob,2025-01-01T11:00:00.000Z,50,0,false',
    ]);
    const id = await produce(DatasetVersionCommittedEvent, DATASET, event);
    // Redelivered as is, and re-sent by a producer under a new event id: neither has an effect.
    await produce(DatasetVersionCommittedEvent, DATASET, event, id);
    await produce(DatasetVersionCommittedEvent, DATASET, event);
    // Same key, same partition: once this marker is applied, the three before it were handled.
    await produce(
      DatasetRegisteredEvent,
      DATASET,
      ingestionV1.DatasetRegistered.fromPartial({ dataset: { name: 'marker', contract: CONTRACT } }),
    );
    await eventually(async () => (await db.query(`SELECT 1 FROM datasets WHERE name = 'marker'`)).rowCount === 1, 30_000);
    const outbox = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE headers->>'ce_type' = $1`, [
      FeaturesMaterialisedEvent.typeName,
    ]);
    expect(outbox.rows[0].n).toBe(1);
    const published = await readRecords(kafka, Topics.featureStoreEvents, 2, 30_000);
    const types = published.map((r) => decodeEvent(r, ConsumedEvents.all()));
    const materialised = types.filter((e) => e.type === FeaturesMaterialisedEvent.typeName);
    expect(materialised).toHaveLength(1);
    expect(materialised[0].causationId).toBe(id);
    expect(materialised[0].data).toMatchObject({ featureView: 'claim-features', datasetVersion: 1, rowCount: 3, entityCount: 2 });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM offline_features`);
    expect(rows[0].n).toBe(3);

    const snapshot = (materialised[0].data as featureStoreV1.FeaturesMaterialised).offlineObject!;
    const csv = await objects.get(parseObjectKey(snapshot.key), { expectedSha256: snapshot.sha256 });
    expect(parseCsv(csv).nRows).toBe(3);
  });

  it('serves the latest online values; an older late row does not overwrite them', async () => {
    const reader = client(infra.tokens.reader);
    const late = await commitVersion(2, ['c4,alice,2025-01-01T09:00:00.000Z,7,1000,false', 'c5,carol,2025-01-01T09:00:00.000Z,8,10,false']);
    await produce(DatasetVersionCommittedEvent, DATASET, late);
    await eventually(async () => (await db.query(`SELECT 1 FROM materialisations WHERE dataset_version = 2`)).rowCount === 1, 30_000);
    const online = await reader.getOnlineFeatures({ featureView: 'claim-features', entityKeys: ['alice', 'dave'], features: [] });
    // Event times are in 2025 and the TTL is an hour: alice's values are expired by now.
    expect(online.results.map((r) => r.status)).toEqual([
      featureStoreV1.OnlineStatus.ONLINE_STATUS_EXPIRED,
      featureStoreV1.OnlineStatus.ONLINE_STATUS_MISSING,
    ]);
    const stored = await db.query(`SELECT "values" FROM online_features WHERE entity_key = 'alice'`);
    expect(stored.rows[0].values.amount).toBe(2000);
    await expectCode(
      reader.getOnlineFeatures({ featureView: 'claim-features', entityKeys: ['alice'], features: ['nope'] }),
      GrpcCode.INVALID_ARGUMENT,
      /features\[0\]/,
    );
  });

  it('returns point-in-time-correct historical features as a training set in S3', async () => {
    const reader = client(infra.tokens.reader);
    const response = await reader.getHistoricalFeatures(
      featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
        featureView: 'claim-features',
        features: ['amount', 'big_claim'],
        entityRows: {
          rows: [
            { entityKey: 'alice', timestamp: new Date('2025-01-01T08:00:00.000Z'), extra: { values: { label: { numberValue: 0 } } } },
            { entityKey: 'alice', timestamp: new Date('2025-01-01T09:30:00.000Z'), extra: { values: { label: { numberValue: 1 } } } },
            { entityKey: 'alice', timestamp: new Date('2025-01-01T11:00:00.000Z'), extra: { values: { label: { numberValue: 0 } } } },
            { entityKey: 'alice', timestamp: new Date('2025-01-01T12:00:00.000Z'), extra: { values: { label: { numberValue: 1 } } } },
            { entityKey: 'bob', timestamp: new Date('2025-01-01T10:59:59.999Z'), extra: { values: {} } },
          ],
        },
      }),
    );
    expect(response.columns).toEqual(['customer_id', 'event_time', 'label', 'amount', 'big_claim']);
    expect(response.rowCount).toBe(5);
    expect(response).toMatchObject({ dataset: DATASET, datasetVersionFrom: 1, datasetVersionTo: 2, featureViewRevision: 1 });
    const set = response.trainingSet!;
    const bytes = await objects.get(parseObjectKey(set.key), { expectedSha256: set.sha256 });
    const table = parseCsv(bytes);
    const amounts = Array.from({ length: table.nRows }, (_, i) => cellValue(getColumn(table, 'amount'), i));
    // 08:00 nothing yet; 09:30 the late-arriving 09:00 row (v2); 11:00 the 10:00 row; 12:00 the 12:00 row; bob before his first row.
    expect(amounts).toEqual([null, 7, 100, 2000, null]);
    expect(Array.from({ length: table.nRows }, (_, i) => cellValue(getColumn(table, 'big_claim'), i))).toEqual([
      null,
      'false',
      'false',
      'true',
      null,
    ]);
    expect(response.profile?.rowCount).toBe(5);
    // The profile describes the set's own columns, in its order: the key counted by entity, the text feature by value.
    const profiled = new Map(response.profile!.columns.map((c) => [c.name, c]));
    expect([...profiled.keys()]).toEqual(response.columns);
    expect(profiled.get('customer_id')).toMatchObject({
      count: 5,
      nullCount: 0,
      categorical: {
        distinctCount: 2,
        topValues: [
          { value: 'alice', count: 4 },
          { value: 'bob', count: 1 },
        ],
        otherCount: 0,
      },
    });
    expect(profiled.get('big_claim')).toMatchObject({
      count: 3,
      nullCount: 2,
      categorical: {
        distinctCount: 2,
        topValues: [
          { value: 'false', count: 2 },
          { value: 'true', count: 1 },
        ],
        otherCount: 0,
      },
    });
    expect(profiled.get('amount')?.numeric).toMatchObject({ min: 7, max: 2000 });

    // Entity keys reach PostgreSQL as an array parameter: quotes, braces, commas and backslashes stay keys.
    const hostileKeys = ['a"b,{c}', 'NULL', '\\\\x', 'alice'];
    const hostile = await reader.getHistoricalFeatures(
      featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
        featureView: 'claim-features',
        features: ['amount'],
        entityRows: { rows: hostileKeys.map((entityKey) => ({ entityKey, timestamp: new Date('2025-01-01T12:00:00.000Z') })) },
      }),
    );
    const hostileSet = parseCsv(
      await objects.get(parseObjectKey(hostile.trainingSet!.key), { expectedSha256: hostile.trainingSet!.sha256 }),
      {
        schema: { customer_id: 'categorical' },
        missing: [''],
      },
    );
    expect(Array.from({ length: hostileSet.nRows }, (_, i) => cellValue(getColumn(hostileSet, 'customer_id'), i))).toEqual(hostileKeys);
    // Keys with no records as well as one with: each counted once.
    expect(hostile.profile?.columns[0]).toMatchObject({ name: 'customer_id', count: 4, categorical: { distinctCount: 4, otherCount: 0 } });
    expect(Array.from({ length: hostileSet.nRows }, (_, i) => cellValue(getColumn(hostileSet, 'amount'), i))).toEqual([
      null,
      null,
      null,
      2000,
    ]);

    // The dataset's rows in version and row order, each with its own label and the as-of features:
    // v1's 10:00 row is not given v2's late 09:00 row (older), and no row sees a later one.
    const spineRows = [
      ['alice', '2025-01-01T10:00:00.000Z', 'false', 100],
      ['alice', '2025-01-01T12:00:00.000Z', 'true', 2000],
      ['bob', '2025-01-01T11:00:00.000Z', 'false', 50],
      ['alice', '2025-01-01T09:00:00.000Z', 'false', 7],
      ['carol', '2025-01-01T09:00:00.000Z', 'false', 8],
    ] as const;
    const rowsOf = async (set: featureStoreV1.GetHistoricalFeaturesResponse) => {
      const t = parseCsv(await objects.get(parseObjectKey(set.trainingSet!.key), { expectedSha256: set.trainingSet!.sha256 }));
      return Array.from({ length: t.nRows }, (_, i) =>
        ['customer_id', 'event_time', 'is_fraud', 'amount'].map((c) => cellValue(getColumn(t, c), i)),
      );
    };
    const datasetSpine = (spec: Partial<featureStoreV1.DatasetSpine>) =>
      reader.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: 'claim-features',
          datasetSpine: { extraColumns: ['is_fraud'], ...spec },
        }),
      );
    const v1 = await datasetSpine({ datasetVersionTo: 1 });
    expect(v1).toMatchObject({ rowCount: 3, datasetVersionFrom: 1, datasetVersionTo: 1 });
    expect(v1.columns).toEqual(['customer_id', 'event_time', 'is_fraud', 'amount', 'amount_to_income', 'log_amount', 'big_claim']);
    expect(await rowsOf(v1)).toEqual(spineRows.slice(0, 3));
    // The same rows given as entity rows make the same set, byte for byte.
    const asEntityRows = await reader.getHistoricalFeatures(
      featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
        featureView: 'claim-features',
        entityRows: {
          rows: spineRows.slice(0, 3).map(([entityKey, time, fraud]) => ({
            entityKey,
            timestamp: new Date(time),
            extra: { values: { is_fraud: { boolValue: fraud === 'true' } } },
          })),
        },
      }),
    );
    expect(asEntityRows.trainingSet?.sha256).toBe(v1.trainingSet?.sha256);
    const v2 = await datasetSpine({ datasetVersionFrom: 2 });
    expect(v2).toMatchObject({ rowCount: 2, datasetVersionFrom: 2, datasetVersionTo: 2 });
    expect(await rowsOf(v2)).toEqual(spineRows.slice(3));
    // Both versions hold five rows, more than this suite's TRAINING_SET_MAX_ROWS, but the window
    // holds two: counted, then read.
    const morning = await datasetSpine({
      eventTimeRange: { start: new Date('2025-01-01T10:00:00.000Z'), end: new Date('2025-01-01T12:00:00.000Z') },
    });
    expect(await rowsOf(morning)).toEqual([spineRows[0], spineRows[2]]);
    // A label the view also has as a feature, with every feature asked for, comes from the spine
    // and is left out of the features; named as a feature too, it clashes.
    const labelled = await datasetSpine({ datasetVersionTo: 1, extraColumns: ['amount'] });
    expect(labelled.columns).toEqual(['customer_id', 'event_time', 'amount', 'amount_to_income', 'log_amount', 'big_claim']);
    await expectCode(
      reader.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: 'claim-features',
          features: ['amount', 'log_amount'],
          datasetSpine: { datasetVersionTo: 1, extraColumns: ['amount'] },
        }),
      ),
      GrpcCode.INVALID_ARGUMENT,
      /datasetSpine.extraColumns: column "amount" clashes with feature "amount"/,
    );
    // Five rows in all, one more than this suite's TRAINING_SET_MAX_ROWS: refused before anything is read.
    await expectCode(datasetSpine({}), GrpcCode.RESOURCE_EXHAUSTED, /more than 4 rows; narrow the version or event-time range/);
    // Entity rows whose history is every record, one more than TRAINING_SET_MAX_HISTORY_RECORDS.
    await expectCode(
      reader.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: 'claim-features',
          entityRows: {
            rows: ['alice', 'bob', 'carol'].map((entityKey) => ({
              entityKey,
              timestamp: new Date('2030-01-01T00:00:00.000Z'),
              extra: { values: {} },
            })),
          },
        }),
      ),
      GrpcCode.RESOURCE_EXHAUSTED,
      /more than 4 offline records up to their times \(TRAINING_SET_MAX_HISTORY_RECORDS\); ask for fewer entities/,
    );
    await expectCode(
      reader.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: 'claim-features',
          datasetSpine: { extraColumns: ['nope'] },
        }),
      ),
      GrpcCode.INVALID_ARGUMENT,
      /datasetSpine.extraColumns\[0\]/,
    );
  });

  it('backfills a changed definition as a new revision from the versions already known', async () => {
    const writer = client(infra.tokens.writer);
    const applied = await writer.applyFeatureView(
      featureStoreV1.ApplyFeatureViewRequest.fromPartial({
        name: 'claim-features',
        dataset: DATASET,
        entityKey: 'customer_id',
        eventTimeColumn: 'event_time',
        features: [{ name: 'double_amount', expression: '2 * amount' }],
      }),
    );
    expect(applied).toMatchObject({ changed: true, featureView: { revision: 2 } });
    await eventually(async () => (await db.query(`SELECT 1 FROM materialisations WHERE revision = 2`)).rowCount === 2, 30_000);
    const online = await client(infra.tokens.reader).getOnlineFeatures({
      featureView: 'claim-features',
      entityKeys: ['carol'],
      features: [],
    });
    expect(online.featureViewRevision).toBe(2);
    expect(online.results[0]).toMatchObject({
      status: featureStoreV1.OnlineStatus.ONLINE_STATUS_PRESENT,
      values: { values: { double_amount: { numberValue: 16 } } },
    });
    // Backfilled version by version, the late 09:00 row of v2 still loses to alice's 12:00 row of v1.
    const alice = await client(infra.tokens.reader).getOnlineFeatures({
      featureView: 'claim-features',
      entityKeys: ['alice'],
      features: [],
    });
    expect(alice.results[0]).toMatchObject({
      status: featureStoreV1.OnlineStatus.ONLINE_STATUS_PRESENT,
      eventTime: new Date('2025-01-01T12:00:00.000Z'),
      values: { values: { double_amount: { numberValue: 4000 } } },
    });
  });

  it('answers the flywheel features commands', async () => {
    const flywheel = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [resolve(__dirname, '../../../libs/cli/bin/flywheel.js'), 'features', ...args, '--address', service.grpcAddress],
        {
          env: { ...process.env, FLYWHEEL_TOKEN: infra.tokens.reader },
          timeout: 60_000,
        },
      );
    const views = await flywheel('views');
    expect(views.stdout).toMatch(/^view\s+revision\s+dataset\s+entity/);
    expect(views.stdout).toMatch(/claim-features\s+2\s+claims\s+customer_id\s+1\s+never expires\s+v2/);
    const online = JSON.parse((await flywheel('online', 'claim-features', 'carol', 'nobody', '--json')).stdout);
    // Statuses by name, values as plain JSON, nothing of the wire's own bookkeeping.
    expect(online).toEqual({
      featureView: 'claim-features',
      revision: 2,
      results: [
        {
          entityKey: 'carol',
          status: 'present',
          eventTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
          expireTime: null,
          values: expect.objectContaining({ double_amount: expect.any(Number) }),
        },
        { entityKey: 'nobody', status: 'missing', eventTime: null, expireTime: null, values: {} },
      ],
    });
    const shown = await flywheel('show', 'claim-features', '--revision', '1');
    expect(shown.stdout).toContain('log1p(abs(amount))');
  });

  it('serves online values from its cache until a materialisation says they changed, then the new ones', async () => {
    const reader = client(infra.tokens.reader);
    const carol = async () =>
      (await reader.getOnlineFeatures({ featureView: 'claim-features', entityKeys: ['carol'], features: [] })).results[0]?.values?.values
        .double_amount?.numberValue;
    expect(await carol()).toBe(16);
    const materialisedBefore = await countRecords(kafka, Topics.featureStoreEvents);
    await produce(DatasetVersionCommittedEvent, DATASET, await commitVersion(3, ['c6,carol,2025-01-01T10:00:00.000Z,30,10,false']));
    await readRecords(kafka, Topics.featureStoreEvents, materialisedBefore + 1, 30_000);
    // The event is out: the store's own consumer of it makes the cache forget the view.
    expect(await eventually(async () => (await carol()) === 60, 10_000)).toBe(true);
  });

  it('learns a column added to a dataset from DatasetUpdated, so a view may use it', async () => {
    const relaxed = ingestionV1.DataContract.fromPartial({
      ...CONTRACT,
      columns: [...CONTRACT.columns, { name: 'region', type: ColumnType.COLUMN_TYPE_STRING }],
    });
    await produce(
      DatasetUpdatedEvent,
      DATASET,
      ingestionV1.DatasetUpdated.fromPartial({ dataset: { name: DATASET, contract: relaxed }, previousContract: CONTRACT }),
    );
    expect(
      await eventually(async () => {
        const row = await db.query(`SELECT contract FROM datasets WHERE name = $1`, [DATASET]);
        return (row.rows[0].contract as ingestionV1.DataContract).columns.some((c) => c.name === 'region');
      }, 30_000),
    ).toBe(true);
  });
});
