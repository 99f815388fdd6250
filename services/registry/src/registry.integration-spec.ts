import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  AliasMovedEvent,
  decodeEvent,
  encodeEvent,
  type EventEnvelope,
  EventTypeRegistry,
  GrpcServices,
  ModelVersionRegisteredEvent,
  PromotionRefusedEvent,
  registryV1,
  RunCompletedEvent,
  Topics,
  type trainerV1,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { MinioObjectStore } from '@flywheel/storage';
import {
  type FlywheelRun,
  grpcError,
  readRecords,
  runFlywheel,
  type ServiceInfrastructure,
  startServiceInfrastructure,
  waitFor,
} from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { RunRegistrar } from './promotion/run-registrar';
import { startRegistryService } from './registry.app';
import { type RegistryConfig } from './registry.config';
import { claimsTable, runCompleted, storeHoldout, storeModel, withCorruptedLabels } from './testing/run-fixtures';

jest.setTimeout(180_000);

type Client = GrpcClient<registryV1.RegistryServiceController>;
const { AuditAction, AliasMoveCause } = registryV1;
const registryEvents = new EventTypeRegistry().register(ModelVersionRegisteredEvent, AliasMovedEvent, PromotionRefusedEvent);

describe('registry service', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<RegistryConfig>;
  let store: MinioObjectStore;
  let kafka: Kafka;
  let producer: Producer;
  const clients: Client[] = [];
  let reader: Client;
  let writer: Client;
  let promoter: Client;
  let anonymous: Client;

  const client = (token?: string): Client => {
    const c = createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    service = await startRegistryService(await infra.serviceEnv('registry'));
    store = new MinioObjectStore({ ...infra.s3, bucket: 'flywheel', region: 'us-east-1' });
    await store.ensureBucket();
    kafka = new Kafka({ clientId: 'registry-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    reader = client(infra.tokens.reader);
    writer = client(infra.tokens.writer);
    promoter = client(infra.tokens.promoter);
    anonymous = client();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await producer?.disconnect();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  /** Publishes a RunCompleted as the trainer does (protobuf value, CloudEvents headers); returns its event id. */
  async function publishRun(data: trainerV1.RunCompleted, id: string = randomUUID()): Promise<string> {
    const record = encodeEvent(RunCompletedEvent, {
      id,
      source: 'flywheel/trainer',
      time: new Date(),
      key: data.modelName,
      causationId: null,
      traceparent: null,
      data,
    });
    await producer.send({
      topic: Topics.trainerEvents,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: record.headers }],
    });
    return id;
  }

  async function registryEventsOf(model: string, atLeast: number): Promise<EventEnvelope[]> {
    let events: EventEnvelope[] = [];
    await waitFor(
      async () => {
        const total = await countTopic();
        if (total === 0) return false;
        events = (await readRecords(kafka, Topics.registryEvents, total))
          .map((r) => decodeEvent(r, registryEvents))
          .filter((e) => e.key === model);
        return events.length >= atLeast;
      },
      30_000,
      `${atLeast} registry events of ${model}`,
    );
    return events;
  }

  async function countTopic(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(Topics.registryEvents)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Runs the `flywheel` command as a user would, with the token in FLYWHEEL_TOKEN. */
  function flywheel(args: string[], token: string): Promise<FlywheelRun> {
    return runFlywheel([...args, '--address', service.grpcAddress], { FLYWHEEL_TOKEN: token });
  }

  describe('foundation', () => {
    it('is healthy: HTTP /healthz checks the database, Kafka and the object store', async () => {
      const response = await fetch(`${service.httpUrl}/healthz`);
      const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(response.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(Object.keys(body.checks).sort()).toEqual(['database', 'grpc', 'kafka', 'object-store', 'outbox']);
    });

    it('refuses a call without a token (UNAUTHENTICATED) and a writer moving an alias (PERMISSION_DENIED)', async () => {
      expect((await grpcError(anonymous.listModels({ page: undefined }))).code).toBe(status.UNAUTHENTICATED);
      await writer.createModel({ name: 'auth-model', description: 'auth', tags: {} });
      const denied = await grpcError(writer.setAlias({ modelName: 'auth-model', alias: 'production', version: 1, reason: '' }));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect((await grpcError(reader.createModel({ name: 'nope', description: '', tags: {} }))).code).toBe(status.PERMISSION_DENIED);
    });

    it('creates a model idempotently, owned by the caller’s team, and names a bad field', async () => {
      const first = await writer.createModel({ name: 'churn', description: 'who leaves', tags: { team: 'growth' } });
      expect(first.created).toBe(true);
      expect(first.model).toMatchObject({ name: 'churn', description: 'who leaves', ownerTeam: 'fraud', latestVersion: 0 });
      const again = await writer.createModel({ name: 'churn', description: 'who leaves', tags: { team: 'growth' } });
      expect(again.created).toBe(false);
      expect((await grpcError(writer.createModel({ name: 'churn', description: 'other', tags: {} }))).code).toBe(status.ALREADY_EXISTS);

      const bad = await grpcError(writer.createModel({ name: 'Bad Name', description: '', tags: {} }));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details).toBe('name: must match [a-z][a-z0-9_-]{0,62}');

      const listed = await reader.listModels({ page: { pageSize: 1, pageToken: '' } });
      expect(listed.models).toHaveLength(1);
      expect(listed.page?.nextPageToken).not.toBe('');
      expect((await reader.getModel({ name: 'churn' })).model?.tags).toEqual({ team: 'growth' });
      expect((await grpcError(reader.getModel({ name: 'missing' }))).code).toBe(status.NOT_FOUND);
    });
  });

  describe('promotion by policy, with real artifacts', () => {
    const model = 'fraud';
    const features = ['x1', 'x2'];
    let v1EventId: string;
    let v2EventId: string;
    let v3EventId: string;

    it('registers the first run as v1 with its lineage, and v1 becomes production', async () => {
      // The champion sees one of the two informative features; the holdout is recent data.
      const champion = await storeModel(store, model, 'run-1', claimsTable(600, 1), ['x1']);
      const holdout1 = await storeHoldout(store, 'run-1', claimsTable(300, 2));
      v1EventId = await publishRun(runCompleted(model, champion, holdout1, ['x1']));
      await waitFor(
        async () => (await reader.getModel({ name: model }).catch(() => undefined))?.model?.aliases.production === 1,
        30_000,
        'v1 production',
      );

      const v1 = (await reader.getModelVersion({ modelName: model, alias: 'production' })).version;
      expect(v1).toMatchObject({ modelName: model, version: 1, runId: 'run-1', metric: 'roc_auc', aliases: ['production'] });
      expect(v1?.artifact).toEqual(champion.artifact);
      const lineage = (await reader.getLineage({ modelName: model, version: 1 })).lineage;
      expect(lineage).toMatchObject({
        runId: 'run-1',
        dataset: 'claims',
        datasetVersionTo: 3,
        featureView: 'claims-view',
        featureViewRevision: 2,
        seed: 7,
      });

      const events = await registryEventsOf(model, 2);
      const moved = events.find((e) => e.type === AliasMovedEvent.typeName) as EventEnvelope<registryV1.AliasMoved>;
      expect(moved.causationId).toBe(v1EventId);
      expect(moved.data).toMatchObject({
        alias: 'production',
        fromVersion: 0,
        toVersion: 1,
        cause: AliasMoveCause.ALIAS_MOVE_CAUSE_FIRST_VERSION,
      });
      expect(moved.data.actor).toEqual({ team: '', tokenId: '', service: 'registry' });
      expect(moved.data.target?.lineage?.featureView).toBe('claims-view');
      expect(moved.data.target?.artifact?.sha256).toBe(champion.artifact.sha256);
    });

    it('refuses a worse challenger (trained on corrupted labels), recording both metrics, an audit row and PromotionRefused', async () => {
      const worse = await storeModel(store, model, 'run-2', withCorruptedLabels(claimsTable(600, 3), 4), features);
      const holdout = await storeHoldout(store, 'run-2', claimsTable(300, 5));
      // First a redelivery of v1's event and a re-send of run-1 under a new event id; being
      // keyed by model, they are handled before v2 (checked in the next test).
      const champion = (await reader.getModelVersion({ modelName: model, version: 1 })).version;
      const again = { runId: 'run-1', artifact: champion!.artifact!, metrics: champion!.metrics };
      await publishRun(runCompleted(model, again, holdout, ['x1']), v1EventId);
      await publishRun(runCompleted(model, again, holdout, ['x1']));
      v2EventId = await publishRun(runCompleted(model, worse, holdout, features));

      let refused: registryV1.AuditEntry | undefined;
      await waitFor(
        async () => {
          refused = (await reader.listAuditLog({ modelName: model, action: AuditAction.AUDIT_ACTION_PROMOTION_REFUSED, page: undefined }))
            .entries[0];
          return refused !== undefined;
        },
        30_000,
        'refusal audited',
      );
      expect(refused).toMatchObject({ version: 2, alias: 'production', previousVersion: 1, actor: { service: 'registry' } });
      expect(refused?.reasons.join(' ')).toMatch(/roc_auc .* is below champion v1/);
      const comparison = refused?.comparison;
      expect(comparison?.metric).toBe('roc_auc');
      expect(comparison?.higherIsBetter).toBe(true);
      expect(comparison?.championValue).toBeGreaterThan(0.75);
      expect(comparison?.challengerValue).toBeLessThan(0.65);
      expect(comparison?.holdout?.data?.key).toBe(holdout.data?.key);

      const events = await registryEventsOf(model, 4);
      const refusal = events.find((e) => e.type === PromotionRefusedEvent.typeName) as EventEnvelope<registryV1.PromotionRefused>;
      expect(refusal.causationId).toBe(v2EventId);
      expect(refusal.data).toMatchObject({ championVersion: 1, challengerVersion: 2, alias: 'production' });
      expect(refusal.data.comparison?.championValue).toBeCloseTo(comparison?.championValue ?? NaN, 12);
      expect(refusal.data.policy).toMatchObject({ autoPromote: true, alias: 'production', minHoldoutRows: 100 });
      expect(refused?.eventId).toBe(refusal.id);

      expect((await reader.getModel({ name: model })).model).toMatchObject({ latestVersion: 2, aliases: { production: 1 } });
    });

    it('has one version per run however often the run is delivered', async () => {
      const versions = (await reader.listModelVersions({ modelName: model, page: undefined })).versions;
      expect(versions.map((v) => [v.version, v.runId])).toEqual([
        [2, 'run-2'],
        [1, 'run-1'],
      ]);
      const events = await registryEventsOf(model, 4);
      expect(events.filter((e) => e.type === ModelVersionRegisteredEvent.typeName)).toHaveLength(2);
    });

    it('promotes a better challenger with AliasMoved carrying the comparison and the full target', async () => {
      const better = await storeModel(store, model, 'run-3', claimsTable(600, 6), features);
      const holdout = await storeHoldout(store, 'run-3', claimsTable(300, 7));
      v3EventId = await publishRun(runCompleted(model, better, holdout, features));
      await waitFor(async () => (await reader.getModel({ name: model })).model?.aliases.production === 3, 30_000, 'v3 production');

      const events = await registryEventsOf(model, 6);
      const moved = events.filter((e) => e.type === AliasMovedEvent.typeName).map((e) => e as EventEnvelope<registryV1.AliasMoved>);
      const promotion = moved.find((e) => e.data.toVersion === 3);
      expect(promotion?.causationId).toBe(v3EventId);
      expect(promotion?.data).toMatchObject({
        alias: 'production',
        fromVersion: 1,
        cause: AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY,
      });
      const comparison = promotion?.data.comparison;
      expect(comparison?.challengerValue).toBeGreaterThan(comparison?.championValue ?? Infinity);
      expect(comparison?.relativeImprovement).toBeGreaterThanOrEqual(0.01);
      expect(promotion?.data.reasons.join(' ')).toMatch(/roc_auc .* beats champion v1/);
      expect(promotion?.data.target).toMatchObject({ version: 3, runId: 'run-3', aliases: ['production'] });
      expect(promotion?.data.target?.holdout?.data?.sha256).toBe(holdout.data?.sha256);

      const history = (await reader.getLineage({ modelName: model, version: 3 })).history;
      expect(history.map((h) => h.action)).toEqual([AuditAction.AUDIT_ACTION_VERSION_REGISTERED, AuditAction.AUDIT_ACTION_ALIAS_SET]);
      expect(history[1].comparison?.championValue).toBe(comparison?.championValue);
    });

    it('lets a promoter move and remove aliases by hand, audited with the caller’s team', async () => {
      const set = await promoter.setAlias({ modelName: model, alias: 'staging', version: 2, reason: 'shadow test' });
      expect(set).toMatchObject({ previousVersion: 0, model: { aliases: { production: 3, staging: 2 } } });
      const back = await promoter.setAlias({ modelName: model, alias: 'production', version: 1, reason: 'incident 42' });
      expect(back.previousVersion).toBe(3);
      const removed = await promoter.deleteAlias({ modelName: model, alias: 'staging', reason: 'done' });
      expect(removed.previousVersion).toBe(2);

      const audit = (
        await reader.listAuditLog({ modelName: model, action: AuditAction.AUDIT_ACTION_UNSPECIFIED, page: { pageSize: 3, pageToken: '' } })
      ).entries;
      expect(audit.map((a) => [a.action, a.alias, a.version, a.actor?.team])).toEqual([
        [AuditAction.AUDIT_ACTION_ALIAS_DELETED, 'staging', 2, 'release'],
        [AuditAction.AUDIT_ACTION_ALIAS_SET, 'production', 1, 'release'],
        [AuditAction.AUDIT_ACTION_ALIAS_SET, 'staging', 2, 'release'],
      ]);
      expect(audit[1].reasons).toEqual(['incident 42']);

      const events = await registryEventsOf(model, 9);
      const manual = events.filter(
        (e) => e.type === AliasMovedEvent.typeName && (e.data as registryV1.AliasMoved).cause === AliasMoveCause.ALIAS_MOVE_CAUSE_MANUAL,
      );
      expect(
        manual.map((e) => [(e.data as registryV1.AliasMoved).alias, (e.data as registryV1.AliasMoved).toVersion, e.causationId]),
      ).toEqual([
        ['staging', 2, null],
        ['production', 1, null],
        ['staging', 0, null],
      ]);
      expect((await grpcError(promoter.setAlias({ modelName: model, alias: 'production', version: 9, reason: '' }))).code).toBe(
        status.NOT_FOUND,
      );
    });

    it('is driven by the flywheel command: models versions, promote, audit (tables and --json)', async () => {
      const versions = await flywheel(['models', 'versions', model, '--json'], infra.tokens.reader);
      expect(versions.code).toBe(0);
      expect((JSON.parse(versions.stdout) as registryV1.ModelVersion[]).map((v) => [v.version, v.aliases])).toEqual([
        [3, []],
        [2, []],
        [1, ['production']],
      ]);
      const denied = await flywheel(['models', 'promote', model, '3'], infra.tokens.writer);
      expect({ code: denied.code, stderr: denied.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('permission denied') });
      const promoted = await flywheel(['models', 'promote', model, '3', '--reason', 'incident 42 resolved'], infra.tokens.promoter);
      expect(promoted.stdout).toBe(`${model} production: v1 → v3\n`);
      const audit = await flywheel(['models', 'audit', model, '--limit', '1'], infra.tokens.reader);
      expect(audit.stdout.split('\n')[2]).toMatch(/release\s+alias set\s+3\s+production\s+-\s+-\s+incident 42 resolved/);
    });

    it('stores and applies a model’s own promotion policy', async () => {
      const bad = await grpcError(
        promoter.setPromotionPolicy({
          policy: {
            modelName: model,
            autoPromote: true,
            alias: '',
            metric: 'auc',
            minAbsoluteImprovement: -1,
            minRelativeImprovement: 0,
            minHoldoutRows: 0,
          },
        }),
      );
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details).toContain('policy.metric: must be empty or one of');
      expect(bad.details).toContain('policy.min_absolute_improvement: must be a finite number ≥ 0');

      const stored = await promoter.setPromotionPolicy({
        policy: {
          modelName: model,
          autoPromote: false,
          alias: '',
          metric: 'log_loss',
          minAbsoluteImprovement: 0.02,
          minRelativeImprovement: 0,
          minHoldoutRows: 0,
        },
      });
      expect(stored.policy).toMatchObject({
        alias: 'production',
        metric: 'log_loss',
        minHoldoutRows: 100,
        autoPromote: false,
        autoDeploy: true,
      });
      expect((await reader.getPromotionPolicy({ modelName: model })).policy).toEqual(stored.policy);
      // Stored (auto_deploy column) and read back, not only resolved.
      const experiments = await promoter.setPromotionPolicy({ policy: { ...stored.policy!, autoDeploy: false } });
      expect(experiments.policy?.autoDeploy).toBe(false);
      expect((await reader.getPromotionPolicy({ modelName: model })).policy?.autoDeploy).toBe(false);
    });
  });

  it('judges two runs of one model handled at the same time one after the other (the model row is locked)', async () => {
    const champion = await storeModel(store, 'racer', 'race-1', claimsTable(600, 11), ['x1', 'x2']);
    const holdout = await storeHoldout(store, 'race-1', claimsTable(300, 12));
    await writer.createModel({ name: 'racer', description: 'race', tags: {} });
    const registrar = service.app.get(RunRegistrar);
    const dataSource = service.app.get(DataSource);
    const envelope = (runId: string): EventEnvelope<trainerV1.RunCompleted> => ({
      id: randomUUID(),
      source: 'flywheel/trainer',
      type: RunCompletedEvent.typeName,
      time: new Date(),
      key: 'racer',
      causationId: null,
      traceparent: null,
      data: runCompleted('racer', { ...champion, runId }, holdout, ['x1', 'x2']),
    });
    // Hold the model row so that both registrations are under way before either can proceed.
    const blocker = dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM models WHERE name = 'racer' FOR UPDATE`);
    const pending = Promise.all(
      ['race-a', 'race-b'].map((runId) => dataSource.transaction((manager) => registrar.register(envelope(runId), manager))),
    );
    await waitFor(
      async () =>
        (
          await dataSource.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        )[0].n === 2,
      15_000,
      'both registrations waiting on the model row',
    );
    await blocker.commitTransaction();
    await blocker.release();
    const outcomes = await pending;
    expect(outcomes.map((o) => (o.kind === 'registered' ? o.promotion : o.kind)).sort()).toEqual(['promoted', 'refused']);
    const audit = (await reader.listAuditLog({ modelName: 'racer', action: AuditAction.AUDIT_ACTION_UNSPECIFIED, page: undefined }))
      .entries;
    expect(audit.filter((a) => a.action === AuditAction.AUDIT_ACTION_ALIAS_SET)).toHaveLength(1);
    // The same artifact twice: the second only ties the first on the same rows.
    expect(audit.find((a) => a.action === AuditAction.AUDIT_ACTION_PROMOTION_REFUSED)?.reasons[0]).toMatch(/only ties champion v/);
  });
});
