import { randomUUID } from 'node:crypto';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import {
  AliasMovedEvent,
  commonV1,
  ConsumedEvents,
  decodeEvent,
  deployerV1,
  dlqTopic,
  encodeEvent,
  type EventEnvelope,
  GrpcServices,
  inferenceV2,
  OpenInferenceService,
  registryV1,
  Topics,
} from '@flywheel/contracts';
import { DeadLetterHeaders } from '@flywheel/messaging';
import { loadModel, type ModelArtifact } from '@flywheel/ml';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { MinioObjectStore, modelArtifactKey } from '@flywheel/storage';
import { freePort } from '@flywheel/test-kit';
import {
  countRecords,
  eventually,
  grpcError,
  readRecords,
  type ServiceInfrastructure,
  startServiceInfrastructure,
} from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startDeployerService } from './deployer.app';
import { type DeployerConfig } from './deployer.config';
import { deepTreesArtifact, FakeModelRegistry, fraudArtifact } from './testing/fakes';
import { storeFraudVersion } from './testing/stored-versions';

jest.setTimeout(180_000);

type DeployerClient = GrpcClient<deployerV1.DeployerServiceController>;
const Change = deployerV1.DeploymentChange;

const claim = (amount: number, region = 'north'): commonV1.Row => ({
  values: { amount: { numberValue: amount }, region: { stringValue: region } },
});

describe('deployer service (Postgres, Kafka broker, S3; registry answers from memory)', () => {
  let infra: ServiceInfrastructure;
  let env: Record<string, string>;
  let service: RunningService<DeployerConfig>;
  let kafka: Kafka;
  let producer: Producer;
  const clients: DeployerClient[] = [];
  const artifacts = new Map<number, ModelArtifact>();
  const aliasMoves = new Map<number, string>();
  // The registry's answers: the deployer confirms every AliasMoved with it before serving.
  const registry = new FakeModelRegistry();

  const client = (token?: string): DeployerClient => {
    const c = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };

  /** Stores an artifact as the trainer would and returns the ModelVersion the registry would announce. */
  async function registerVersion(version: number, artifact: ModelArtifact): Promise<registryV1.ModelVersion> {
    artifacts.set(version, artifact);
    return storeFraudVersion(infra.s3, registry, version, artifact);
  }

  /** Moves production as the registry does: its alias first, then the event. */
  async function moveProduction(target: registryV1.ModelVersion, id: string = randomUUID()): Promise<string> {
    registry.register(target);
    registry.setAlias(target.modelName, 'production', target.version);
    const record = encodeEvent(AliasMovedEvent, {
      id,
      source: 'flywheel/registry',
      time: new Date(),
      key: target.modelName,
      causationId: null,
      traceparent: null,
      data: registryV1.AliasMoved.fromPartial({
        modelName: target.modelName,
        alias: 'production',
        toVersion: target.version,
        target,
        cause: registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY,
        actor: { service: 'registry' },
      }),
    });
    await producer.send({ topic: Topics.registryEvents, acks: -1, messages: [record] });
    aliasMoves.set(target.version, id);
    return id;
  }

  async function deploymentIs(check: (d: deployerV1.Deployment) => boolean, what: string): Promise<deployerV1.Deployment> {
    let last: deployerV1.Deployment | undefined;
    const ok = await eventually(async () => {
      last = await client(infra.tokens.reader)
        .getDeployment({ name: 'fraud' })
        .then(
          (r) => r.deployment ?? undefined,
          () => undefined,
        );
      return last !== undefined && check(last);
    }, 30_000);
    if (!ok) throw new Error(`deployment never became ${what}; last seen ${JSON.stringify(last)}`);
    return last!;
  }

  async function deploymentEvents(count: number): Promise<EventEnvelope<deployerV1.DeploymentChanged>[]> {
    const records = await readRecords(kafka, Topics.deployerEvents, count, 30_000);
    return records.map((r) => decodeEvent(r, ConsumedEvents.all()) as EventEnvelope<deployerV1.DeploymentChanged>);
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    env = await infra.serviceEnv('deployer', {
      CANARY_TRAFFIC_SHARE: '0.5',
      CANARY_MIN_REQUESTS: '20',
      ROLLOUT_EVALUATION_INTERVAL_MS: '100',
      // Loopback latencies jitter; these tests are about errors, not speed.
      CANARY_LATENCY_FLOOR_MS: '200',
      PREDICTION_LOG_LINGER_MS: '5',
      ROLLOUT_HISTORY_INTERVAL_MS: '200',
      // The loop makes six changes of `fraud`: the first is pruned.
      DEPLOYMENT_CHANGES_KEPT: '5',
    });
    service = await startDeployerService(env, { registry });
    kafka = new Kafka({ clientId: 'deployer-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await producer?.disconnect();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  describe('boot', () => {
    it('reports healthy with its database, Kafka, object store and prediction log checks', async () => {
      const response = await fetch(`${service.httpUrl}/healthz`);
      const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(response.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(Object.keys(body.checks).sort()).toEqual(['database', 'grpc', 'kafka', 'object-store', 'outbox', 'prediction-log']);
    });

    it('answers ListDeployments for a reader, refuses a call without a token and a reader rolling back', async () => {
      await expect(client(infra.tokens.reader).listDeployments({ page: { pageSize: 10, pageToken: '' } })).resolves.toEqual({
        deployments: [],
        page: { nextPageToken: '' },
      });
      expect((await grpcError(client().listDeployments({ page: undefined }))).code).toBe(GrpcStatus.UNAUTHENTICATED);
      const denied = await grpcError(client(infra.tokens.reader).rollback({ deployment: 'fraud', toVersion: 0, reason: '' }));
      expect(denied.code).toBe(GrpcStatus.PERMISSION_DENIED);
    });

    it('says what is wrong: an unknown deployment, a reader deploying, a bad canary policy', async () => {
      const missing = await grpcError(client(infra.tokens.reader).predict({ deployment: 'nothing', requestId: '', features: claim(1) }));
      expect(missing.code).toBe(GrpcStatus.NOT_FOUND);
      expect(missing.details).toBe('deployment "nothing" not found');
      const deploy = deployerV1.DeployRequest.fromPartial({ modelName: 'fraud', canaryPolicy: { trafficShare: 1.5 } });
      expect((await grpcError(client(infra.tokens.reader).deploy(deploy))).code).toBe(GrpcStatus.PERMISSION_DENIED);
      const invalid = await grpcError(client(infra.tokens.promoter).deploy(deploy));
      expect(invalid.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(invalid.details).toContain('canary_policy.traffic_share: must be between 0 and 1');
    });
  });

  describe('the loop', () => {
    it('deploys the first production version at 100% from its AliasMoved', async () => {
      await moveProduction(await registerVersion(1, fraudArtifact({ seed: 1 })));
      const deployment = await deploymentIs((d) => d.stableVersion === 1, 'stable on v1');
      expect(deployment).toMatchObject({
        name: 'fraud',
        modelName: 'fraud',
        alias: 'production',
        state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE,
        canaryVersion: 0,
        featureView: 'claims_features',
      });
    });

    it('dead-letters a forged AliasMoved the registry does not confirm, with the reason, and serves nothing for it', async () => {
      // Anyone able to write the registry's topic could send this: an artifact of their own under a new name.
      const store = new MinioObjectStore({ ...infra.s3, bucket: 'flywheel', region: 'us-east-1' });
      const key = modelArtifactKey('evil', 1, 'model.json');
      const put = await store.put(key, Buffer.from(JSON.stringify(fraudArtifact({ seed: 9 }))), { contentType: 'application/json' });
      const forged = encodeEvent(AliasMovedEvent, {
        id: randomUUID(),
        source: 'flywheel/registry',
        time: new Date(),
        key: 'evil',
        causationId: null,
        traceparent: null,
        data: registryV1.AliasMoved.fromPartial({
          modelName: 'evil',
          alias: 'production',
          toVersion: 1,
          target: { modelName: 'evil', version: 1, artifact: { key, sha256: put.sha256, sizeBytes: put.size } },
        }),
      });
      await producer.send({ topic: Topics.registryEvents, acks: -1, messages: [forged] });
      const [parked] = await readRecords(kafka, dlqTopic(Topics.registryEvents), 1, 30_000);
      expect(parked.headers[DeadLetterHeaders.error]).toMatch(
        /^AliasMoved .* from flywheel\/registry \(evil production → v1\) refused: the registry has no model "evil"$/,
      );
      expect(parked.headers[DeadLetterHeaders.attempts]).toBe('1');
      const missing = await grpcError(client(infra.tokens.reader).getDeployment({ name: 'evil' }));
      expect(missing.code).toBe(GrpcStatus.NOT_FOUND);
    });

    it("serves Predict over gRPC with the model's own prediction and logs it on flywheel.predictions", async () => {
      const reader = client(infra.tokens.reader);
      const requests = [claim(90, 'north'), claim(12, 'south'), claim(65, 'north')];
      const responses = [];
      for (const [i, features] of requests.entries()) {
        responses.push(await reader.predict({ deployment: 'fraud', requestId: `logged-${i}`, features }));
      }
      const model = loadModel(JSON.stringify(artifacts.get(1)));
      for (const [i, response] of responses.entries()) {
        const values = requests[i].values;
        const expected = model.predictRow({ amount: values.amount.numberValue!, region: values.region.stringValue! });
        expect(response).toMatchObject({
          requestId: `logged-${i}`,
          deployment: 'fraud',
          modelName: 'fraud',
          modelVersion: 1,
          canary: false,
          output: { numberValue: expected.prediction },
        });
        expect(response.probability).toBeCloseTo(expected.probabilities![1], 12);
        expect(response.latencyMs).toBeGreaterThan(0);
      }

      const logged = (await readRecords(kafka, Topics.predictions, 3, 30_000)).map((r) => ({
        key: r.key?.toString(),
        event: decodeEvent(r, ConsumedEvents.monitor()) as EventEnvelope<deployerV1.PredictionLogged>,
      }));
      const first = logged.find((l) => l.key === 'logged-0')!;
      expect(first.event).toMatchObject({ type: 'flywheel.deployer.v1.PredictionLogged', source: 'flywheel/deployer', key: 'logged-0' });
      expect(first.event.data).toMatchObject({
        requestId: 'logged-0',
        deployment: 'fraud',
        modelName: 'fraud',
        modelVersion: 1,
        canary: false,
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        inputs: requests[0],
        output: { numberValue: responses[0].output!.numberValue },
        latencyMs: responses[0].latencyMs,
      });
      expect(first.event.data.probability).toBeCloseTo(responses[0].probability!, 12);
      expect(first.event.data.predictTime).toBeInstanceOf(Date);
      expect(logged.map((l) => l.key).sort()).toEqual(['logged-0', 'logged-1', 'logged-2']);
    });

    it('keeps a history of the served version’s figures per interval in GetRolloutStatus, oldest first', async () => {
      const reader = client(infra.tokens.reader);
      const status = () => reader.getRolloutStatus({ deployment: 'fraud' });
      const stable = (s: deployerV1.GetRolloutStatusResponse) => s.history.filter((h) => h.version === 1);
      const sampled = (s: deployerV1.GetRolloutStatusResponse) => stable(s).reduce((sum, h) => sum + h.requests, 0);
      // Every request of the phase is in some interval: the samples add up to the live figures.
      const caughtUp = async (requests: number) => {
        let last: deployerV1.GetRolloutStatusResponse | undefined;
        const ok = await eventually(async () => {
          last = await status();
          return last.stable?.requests === requests && sampled(last) === requests;
        }, 10_000);
        if (!ok) throw new Error(`history never added up to ${requests} requests: ${JSON.stringify(last?.history)}`);
        return last!;
      };
      const before = (await caughtUp((await status()).stable!.requests)).stable!.requests;
      for (let i = 0; i < 5; i++) await reader.predict({ deployment: 'fraud', requestId: `history-a-${i}`, features: claim(i) });
      const first = await caughtUp(before + 5);
      for (let i = 0; i < 4; i++) await reader.predict({ deployment: 'fraud', requestId: `history-b-${i}`, features: claim(i) });
      const second = await caughtUp(before + 9);

      const samples = stable(second);
      expect(samples.length).toBeGreaterThanOrEqual(2);
      expect(samples.every((h) => h.role === deployerV1.VersionRole.VERSION_ROLE_STABLE && h.errors === 0 && h.requests >= 0)).toBe(true);
      const times = samples.map((h) => h.time!.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // The 4 later requests fell in samples taken after every sample that counted the first 5.
      const firstEnd = Math.max(...stable(first).map((h) => h.time!.getTime()));
      const later = samples.filter((h) => h.time!.getTime() > firstEnd);
      expect(later.reduce((sum, h) => sum + h.requests, 0)).toBe(4);
      const busy = samples.filter((h) => h.requests > 0);
      expect(busy.length).toBeGreaterThanOrEqual(2);
      for (const h of busy) expect(h.latencyP95Ms).toBeGreaterThanOrEqual(h.latencyP50Ms!);
      expect(samples.filter((h) => h.requests === 0).every((h) => h.latencyP50Ms === undefined)).toBe(true);
    });

    it('rejects inputs that violate the model signature with INVALID_ARGUMENT naming the field', async () => {
      const reader = client(infra.tokens.reader);
      const missing = await grpcError(
        reader.predict({ deployment: 'fraud', requestId: 'bad-1', features: { values: { region: { stringValue: 'north' } } } }),
      );
      expect(missing.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(missing.details).toBe('features.amount: is required by the model (numeric)');
      const mistyped = await grpcError(
        reader.predict({
          deployment: 'fraud',
          requestId: 'bad-2',
          features: { values: { amount: { stringValue: 'a lot' }, region: { stringValue: 'north' } } },
        }),
      );
      expect(mistyped.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(mistyped.details).toBe('features.amount: must be a number, got the string "a lot"');
    });

    it('answers the Open Inference Protocol over REST and gRPC with the predictions Predict gives, and refuses bad tensors naming the field', async () => {
      const reader = client(infra.tokens.reader);
      const amounts = [5, 40, 90];
      const regions = ['north', 'south', 'north'];
      const expected = [];
      for (const [i, amount] of amounts.entries())
        expected.push(await reader.predict({ deployment: 'fraud', requestId: `v2-ref-${i}`, features: claim(amount, regions[i]) }));
      const auth = { authorization: `Bearer ${infra.tokens.reader}`, 'content-type': 'application/json' };
      const rest = (path: string, body?: unknown, headers: Record<string, string> = auth) =>
        fetch(`${service.httpUrl}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });

      expect(await (await rest('/v2/health/ready', undefined, {})).json()).toEqual({ ready: true });
      expect(await (await rest('/v2/models/fraud/ready')).json()).toEqual({ name: 'fraud', ready: true });
      expect(await (await rest('/v2/models/fraud')).json()).toEqual({
        name: 'fraud',
        versions: ['1'],
        platform: 'flywheel',
        inputs: [
          { name: 'amount', datatype: 'FP64', shape: [-1] },
          { name: 'region', datatype: 'BYTES', shape: [-1] },
        ],
        outputs: [
          { name: 'predict', datatype: expect.any(String), shape: [-1] },
          { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
        ],
      });
      // One input per feature, as MLServer's pandas codec sends a data frame.
      const inferred = await rest('/v2/models/fraud/infer', {
        id: 'v2-batch',
        inputs: [
          { name: 'amount', shape: [3], datatype: 'FP64', data: amounts },
          { name: 'region', shape: [3, 1], datatype: 'BYTES', data: [['north'], ['south'], ['north']] },
        ],
      });
      expect(inferred.status).toBe(200);
      const body = (await inferred.json()) as {
        model_name: string;
        model_version: string;
        id: string;
        outputs: Array<{ name: string; data: unknown[] }>;
      };
      expect(body).toMatchObject({ model_name: 'fraud', model_version: '1', id: 'v2-batch' });
      const proba = body.outputs.find((o) => o.name === 'predict_proba')!.data as number[];
      expected.forEach((e, i) => expect(proba[2 * i + 1]).toBeCloseTo(e.probability!, 12));
      const predicted = body.outputs.find((o) => o.name === 'predict')!.data;
      expect(predicted).toEqual(expected.map((e) => e.output!.numberValue ?? e.output!.boolValue ?? e.output!.stringValue));

      // gRPC, the version pinned, the amounts as raw little-endian doubles and the regions as length-prefixed bytes.
      const inference = createGrpcClient<inferenceV2.GRPCInferenceServiceController>(OpenInferenceService, {
        address: service.grpcAddress,
        token: infra.tokens.reader,
      });
      const doubles = Buffer.alloc(8 * amounts.length);
      amounts.forEach((a, i) => doubles.writeDoubleLE(a, 8 * i));
      const strings = Buffer.concat(regions.map((r) => Buffer.concat([Buffer.from([r.length, 0, 0, 0]), Buffer.from(r)])));
      try {
        expect(await inference.serverLive({})).toEqual({ live: true });
        expect(await inference.modelReady({ name: 'fraud', version: '1' })).toEqual({ ready: true });
        expect(await inference.modelReady({ name: 'fraud', version: '7' })).toEqual({ ready: false });
        const answer = await inference.modelInfer(
          inferenceV2.ModelInferRequest.fromPartial({
            modelName: 'fraud',
            modelVersion: '1',
            id: 'v2-grpc',
            inputs: [
              { name: 'amount', datatype: 'FP64', shape: [3] },
              { name: 'region', datatype: 'BYTES', shape: [3] },
            ],
            outputs: [{ name: 'predict_proba' }],
            rawInputContents: [doubles, strings],
          }),
        );
        expect(answer).toMatchObject({ modelName: 'fraud', modelVersion: '1', id: 'v2-grpc' });
        expect(answer.outputs.map((o) => o.name)).toEqual(['predict_proba']);
        const grpcProba = answer.outputs[0]!.contents!.fp64Contents;
        expected.forEach((e, i) => expect(grpcProba[2 * i + 1]).toBeCloseTo(e.probability!, 12));
        const unknownFeature = await grpcError(
          inference.modelInfer(
            inferenceV2.ModelInferRequest.fromPartial({
              modelName: 'fraud',
              inputs: [{ name: 'amont', datatype: 'FP64', shape: [1], contents: { fp64Contents: [1] } }],
            }),
          ),
        );
        expect(unknownFeature.code).toBe(GrpcStatus.INVALID_ARGUMENT);
        expect(unknownFeature.details).toContain('inputs[0].name: the model has no feature "amont"');
        expect((await grpcError(inference.modelMetadata({ name: 'fraud', version: '9' }))).code).toBe(GrpcStatus.NOT_FOUND);
      } finally {
        inference.close();
      }

      // Hostile or wrong REST calls: each refused with the field and the status of its gRPC twin.
      const refused = async (path: string, body: unknown, headers?: Record<string, string>) => {
        const response = await rest(path, body, headers);
        return [response.status, ((await response.json()) as { error: string }).error];
      };
      expect(await refused('/v2/models/fraud/infer', { inputs: [] }, {})).toEqual([401, expect.stringContaining('missing API token')]);
      expect(
        await refused('/v2/models/fraud/infer', { inputs: [{ name: 'amount', shape: [2], datatype: 'FP64', data: [1, 2, 3] }] }),
      ).toEqual([400, 'inputs[0].data: holds 3 elements; shape [2] needs 2']);
      expect(await refused('/v2/models/fraud/infer', { inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', data: [1] }] })).toEqual([
        400,
        'features.region: is required by the model (categorical)',
      ]);
      expect(
        await refused('/v2/models/fraud/infer', {
          inputs: [{ name: 'amount', shape: [20_000], datatype: 'FP64', data: Array(20_000).fill(1) }],
        }),
      ).toEqual([400, expect.stringContaining('inputs: must hold 1 to 10000 rows')]);
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const deepResponse = await fetch(`${service.httpUrl}/v2/models/fraud/infer`, {
        method: 'POST',
        headers: auth,
        body: `{"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": ${deep}}]}`,
      });
      expect(deepResponse.status).toBe(400);
      expect(await refused('/v2/models/nobody/infer', { inputs: [{ name: 'a', shape: [1], datatype: 'FP64', data: [1] }] })).toEqual([
        404,
        expect.stringContaining('model "nobody" not found'),
      ]);
    });

    it('answers a PredictStream in order, one error response for a bad request without ending the stream', async () => {
      const raw = client(infra.tokens.reader).raw as unknown as {
        predictStream(metadata: Metadata): NodeJS.ReadWriteStream & { write(m: unknown): boolean; end(): void };
      };
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${infra.tokens.reader}`);
      const call = raw.predictStream(metadata);
      const received: deployerV1.PredictStreamResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (m: deployerV1.PredictStreamResponse) => received.push(m));
        call.on('end', resolve);
        call.on('error', reject);
      });
      call.write({ request: { deployment: 'fraud', requestId: 'stream-1', features: claim(80) } });
      call.write({ request: { deployment: 'fraud', requestId: 'stream-2', features: { values: { amount: { numberValue: 3 } } } } });
      call.write({ request: { deployment: 'fraud', requestId: '', features: claim(20, 'south') } });
      call.end();
      await done;
      expect(received).toHaveLength(3);
      expect(received[0].prediction).toMatchObject({ requestId: 'stream-1', modelVersion: 1 });
      expect(received[1].error).toEqual({
        requestId: 'stream-2',
        code: GrpcStatus.INVALID_ARGUMENT,
        message: 'features.region: is required by the model (categorical)',
      });
      expect(received[2].prediction?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('rolls back a canary that errors, automatically and with the reason, and ignores a redelivered move', async () => {
      // v2 needs a feature the traffic never sends: it fails every request routed to it.
      const v2 = await registerVersion(2, fraudArtifact({ seed: 2, extraFeature: 'device_score' }));
      const moveId = await moveProduction(v2);
      await deploymentIs((d) => d.canaryVersion === 2, 'a canary of v2');
      const status = await client(infra.tokens.reader).getRolloutStatus({ deployment: 'fraud' });
      expect(status.deployment).toMatchObject({
        state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
        stableVersion: 1,
        canaryVersion: 2,
        canaryTrafficShare: 0.5,
      });
      expect(status.summary).toMatch(/^waiting for traffic: canary v2 0\/20 requests/);

      const reader = client(infra.tokens.reader);
      for (let i = 0; i < 100; i++) {
        const response = await reader.predict({ deployment: 'fraud', requestId: `canary-a-${i}`, features: claim(i) });
        // Callers never see the failing canary: the stable version answers for it.
        expect(response.modelVersion).toBe(1);
      }
      await deploymentIs((d) => d.state === deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE && d.canaryVersion === 0, 'stable again');
      // On /metrics: the rollback counted, v1's traffic, and no series left of v2, which is no longer served.
      const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
      expect(metrics).toContain('flywheel_canary_conclusions_total{deployment="fraud",model="fraud",decision="rollback"} 1');
      expect(metrics).toMatch(/^flywheel_predictions_total\{deployment="fraud",model="fraud",version="1",canary="false"\} \d+$/m);
      expect(metrics).toMatch(/^flywheel_prediction_latency_seconds_count\{deployment="fraud",model="fraud",version="1"\} \d+$/m);
      expect(metrics).not.toMatch(/^flywheel_prediction[a-z_]*\{[^}]*version="2"/m);

      const events = await deploymentEvents(3);
      expect(events.map((e) => e.data.change)).toEqual([
        Change.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
        Change.DEPLOYMENT_CHANGE_CANARY_STARTED,
        Change.DEPLOYMENT_CHANGE_ROLLED_BACK,
      ]);
      const [initial, canaryStarted, rolledBack] = events;
      expect(initial.causationId).toBe(aliasMoves.get(1));
      expect(canaryStarted.causationId).toBe(moveId);
      expect(rolledBack.causationId).toBe(canaryStarted.id);
      expect(rolledBack.key).toBe('fraud');
      expect(rolledBack.data).toMatchObject({
        deployment: 'fraud',
        fromVersion: 1,
        toVersion: 1,
        reason: 'canary v2 rolled back: canary error rate 1.000 > stable 0.000 + 0.010',
        actor: { service: 'deployer' },
        canary: { version: 2, errorRate: 1 },
        stable: { version: 1, errors: 0 },
        deploymentAfter: { state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE, stableVersion: 1, canaryVersion: 0 },
      });
      expect(rolledBack.data.canary!.requests).toBeGreaterThanOrEqual(20);
      expect(rolledBack.data.checks).toContain('canary error rate 1.000 > stable 0.000 + 0.010 — FAILED');

      await moveProduction(v2, moveId);
      // The redelivery is seen (deduplicated) and changes nothing.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await client(infra.tokens.reader).getDeployment({ name: 'fraud' })).deployment).toMatchObject({
        stableVersion: 1,
        canaryVersion: 0,
      });
    });

    it('promotes a healthy canary, then rolls back by API to the previous version', async () => {
      await moveProduction(await registerVersion(3, fraudArtifact({ seed: 3 })));
      await deploymentIs((d) => d.canaryVersion === 3, 'a canary of v3');
      const reader = client(infra.tokens.reader);
      const versions = new Set<number>();
      for (let i = 0; i < 100; i++) {
        versions.add((await reader.predict({ deployment: 'fraud', requestId: `canary-b-${i}`, features: claim(i) })).modelVersion);
      }
      expect([...versions].sort()).toEqual([1, 3]);
      await deploymentIs((d) => d.stableVersion === 3 && d.canaryVersion === 0, 'stable on v3');

      const rolledBack = await client(infra.tokens.promoter).rollback({ deployment: 'fraud', toVersion: 0, reason: 'support calls' });
      expect(rolledBack.deployment).toMatchObject({ stableVersion: 1, canaryVersion: 0 });
      expect((await reader.predict({ deployment: 'fraud', requestId: 'after-rollback', features: claim(50) })).modelVersion).toBe(1);

      const events = await deploymentEvents(6);
      expect(events.slice(3).map((e) => [e.data.change, e.data.toVersion])).toEqual([
        [Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 3],
        [Change.DEPLOYMENT_CHANGE_PROMOTED, 3],
        [Change.DEPLOYMENT_CHANGE_ROLLED_BACK, 1],
      ]);
      expect(events[4].data.reason).toBe('canary v3 passed every check after ' + events[4].data.canary!.requests + ' requests');
      expect(events[5].causationId).toBeNull();
      expect(events[5].data).toMatchObject({ reason: 'rolled back from v3 to v1 by request: support calls', actor: { team: 'release' } });
    });

    it('lists the changes it published, newest first with their reasons, by deployment or model, a page at a time, the newest 5 kept', async () => {
      const reader = client(infra.tokens.reader);
      const published = (await deploymentEvents(6)).map((e) => e.data).reverse();
      const first = await reader.listDeploymentChanges({ deployment: 'fraud', modelName: '', page: { pageSize: 3, pageToken: '' } });
      expect(first.changes.map((c) => [c.change, c.toVersion, c.reason])).toEqual([
        [Change.DEPLOYMENT_CHANGE_ROLLED_BACK, 1, 'rolled back from v3 to v1 by request: support calls'],
        [Change.DEPLOYMENT_CHANGE_PROMOTED, 3, published[1].reason],
        [Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 3, 'v3 takes 50% of traffic as a canary against v1'],
      ]);
      expect(published[1].reason).toMatch(/^canary v3 passed every check after \d+ requests$/);
      const second = await reader.listDeploymentChanges({
        deployment: 'fraud',
        modelName: '',
        page: { pageSize: 3, pageToken: first.page!.nextPageToken },
      });
      // The initial deploy, the sixth change, was pruned when the last one was written.
      expect(second.changes.map((c) => [c.change, c.reason])).toEqual([
        [Change.DEPLOYMENT_CHANGE_ROLLED_BACK, 'canary v2 rolled back: canary error rate 1.000 > stable 0.000 + 0.010'],
        [Change.DEPLOYMENT_CHANGE_CANARY_STARTED, 'v2 takes 50% of traffic as a canary against v1'],
      ]);
      expect(second.page!.nextPageToken).toBe('');
      // Each kept whole, as its DeploymentChanged was published.
      expect([...first.changes, ...second.changes]).toEqual(published.slice(0, 5));
      const byModel = await reader.listDeploymentChanges({ deployment: '', modelName: 'fraud', page: undefined });
      expect(byModel.changes).toEqual(published.slice(0, 5));
      expect(await grpcError(reader.listDeploymentChanges({ deployment: '', modelName: '', page: undefined }))).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: 'deployment: is required unless model_name is given',
      });
    });

    it('serves from two replicas: one request id goes to the same version on both, and each prediction is logged once', async () => {
      // A second replica of the same deployer: its database, broker and store, its own ports and
      // name. Only the first judges canaries here (the second needs more requests than it gets).
      const second = await startDeployerService(
        {
          ...env,
          GRPC_PORT: String(await freePort()),
          HTTP_PORT: String(await freePort()),
          FLYWHEEL_INSTANCE_ID: 'deployer-2',
          CANARY_MIN_REQUESTS: '1000',
        },
        { registry },
      );
      const clientOf = (address: string) => {
        const c = createGrpcClient<deployerV1.DeployerServiceController>(GrpcServices.deployer, { address, token: infra.tokens.reader });
        clients.push(c);
        return c;
      };
      try {
        await moveProduction(await registerVersion(4, fraudArtifact({ seed: 4 })));
        await deploymentIs((d) => d.canaryVersion === 4, 'a canary of v4');
        const [one, two] = [clientOf(service.grpcAddress), clientOf(second.grpcAddress)];
        // The second replica hears of the canary through the deployments table's notification.
        const probes = Array.from({ length: 8 }, (_, i) => `replicas-probe-${i}`);
        const secondServesCanary = await eventually(async () => {
          const versions = await Promise.all(
            probes.map((requestId) => two.predict({ deployment: 'fraud', requestId, features: claim(5) })),
          );
          return versions.some((r) => r.modelVersion === 4);
        }, 15_000);
        expect(secondServesCanary).toBe(true);

        const routed: Array<[number, number]> = [];
        for (let i = 0; i < 12; i++) {
          const request = { deployment: 'fraud', requestId: `replicas-same-${i}`, features: claim(i) };
          routed.push([(await one.predict(request)).modelVersion, (await two.predict(request)).modelVersion]);
        }
        expect(routed.filter(([a, b]) => a !== b)).toEqual([]);
        expect(new Set(routed.map(([a]) => a))).toEqual(new Set([1, 4]));

        // Callers of both replicas at one address (round robin): every prediction logged once.
        const both = clientOf(`${service.grpcAddress},${second.grpcAddress}`);
        const ids = Array.from({ length: 6 }, (_, i) => `replicas-rr-${i}`);
        for (const requestId of ids) await both.predict({ deployment: 'fraud', requestId, features: claim(7) });
        let logged: string[] = [];
        const allLogged = await eventually(async () => {
          const records = await readRecords(kafka, Topics.predictions, await countRecords(kafka, Topics.predictions), 30_000);
          logged = records.map((r) => r.key?.toString() ?? '').filter((key) => key.startsWith('replicas-rr-'));
          return logged.length >= ids.length;
        }, 15_000);
        expect(allLogged).toBe(true);
        expect(logged.sort()).toEqual(ids);
      } finally {
        await second.shutdown('test finished');
      }
      // Concluded by hand, as the next test expects the deployment stable on v1.
      await client(infra.tokens.promoter).rollback({ deployment: 'fraud', toVersion: 0, reason: 'replicas checked' });
      await deploymentIs((d) => d.stableVersion === 1 && d.canaryVersion === 0, 'stable on v1');
    });

    it('serves the same deployment after a restart, its models reloaded from S3', async () => {
      await service.shutdown('restart');
      service = await startDeployerService(env, { registry });
      const deployment = (await client(infra.tokens.reader).getDeployment({ name: 'fraud' })).deployment;
      expect(deployment).toMatchObject({ stableVersion: 1, canaryVersion: 0, state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE });
      const response = await client(infra.tokens.reader).predict({ deployment: 'fraud', requestId: 'after-restart', features: claim(90) });
      const expected = loadModel(JSON.stringify(artifacts.get(1))).predictRow({ amount: 90, region: 'north' });
      expect(response).toMatchObject({ modelVersion: 1, output: { numberValue: expected.prediction } });
      const listed = await client(infra.tokens.reader).listDeployments({ page: undefined });
      expect(listed.deployments.map((d) => d.name)).toEqual(['fraud']);
    });
  });

  describe('a hostile artifact', () => {
    it('fails its deployment within seconds with the reason, while /healthz and Predict on another deployment keep answering', async () => {
      // ~60 MB of trees that are chains of 20 000 splits: parsing it on the event loop stalled it for seconds.
      const bytes = deepTreesArtifact(60 * 1024 * 1024);
      const store = new MinioObjectStore({ ...infra.s3, bucket: 'flywheel', region: 'us-east-1' });
      const key = modelArtifactKey('bomb', 1, 'model.json');
      const upload = () => store.put(key, bytes, { contentType: 'application/json' });
      // A kept-alive socket can meet the S3 server closing it as idle (ECONNRESET on the first
      // write); that race is no part of this test, so the upload is tried once more.
      const put = await upload().catch((error: Error) => (/ECONNRESET/.test(error.message) ? upload() : Promise.reject(error)));
      const target = registryV1.ModelVersion.fromPartial({
        modelName: 'bomb',
        version: 1,
        artifact: { key, sha256: put.sha256, sizeBytes: put.size, contentType: 'application/json' },
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        lineage: { featureView: 'claims_features' },
      });

      const reader = client(infra.tokens.reader);
      let probing = true;
      let worstHealthMs = 0;
      let healthy = 0;
      let predictions = 0;
      const probe = (async () => {
        while (probing) {
          const started = performance.now();
          const response = await fetch(`${service.httpUrl}/healthz`);
          await response.arrayBuffer();
          worstHealthMs = Math.max(worstHealthMs, performance.now() - started);
          if (response.status === 200) healthy++;
          const prediction = await reader.predict({ deployment: 'fraud', requestId: `beside-${predictions}`, features: claim(60) });
          if (prediction.modelVersion === 1) predictions++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      await moveProduction(target);
      // Parked at once: no retry changes the artifact.
      // The forged move above was parked there first.
      const letters = await readRecords(kafka, dlqTopic(Topics.registryEvents), 2, 60_000);
      const letter = letters.find((l) => l.key?.toString() === 'bomb')!;
      probing = false;
      await probe;
      expect(letter.headers['x-flywheel-error']).toBe(
        'model bomb v1 cannot be deployed: artifact rejected: model artifact over its limits: ' +
          'model.trees[0]: tree depth 20000, over the limit of 512 (maxTreeDepth)',
      );
      expect(letter.headers['x-flywheel-attempts']).toBe('1');
      expect((await grpcError(reader.getDeployment({ name: 'bomb' }))).code).toBe(GrpcStatus.NOT_FOUND);

      expect(healthy).toBeGreaterThan(0);
      expect(predictions).toBe(healthy);
      // The one timing this test asserts, generously: it is the behaviour under test.
      expect(worstHealthMs).toBeLessThan(1000);
    });
  });
});
