import { randomUUID } from 'node:crypto';
import {
  AliasMovedEvent,
  commonV1,
  ConsumedEvents,
  decodeEvent,
  deployerV1,
  DeploymentChangedEvent,
  type EventType,
  FeedbackEvent,
  GrpcServices,
  monitorV1,
  PredictionLoggedEvent,
  registryV1,
  encodeEvent,
  Topics,
} from '@flywheel/contracts';
import { fitModel, loadModel, type ModelArtifact } from '@flywheel/ml';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { readRecords, startServiceInfrastructure, type ServiceInfrastructure, waitFor } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type Claim, claimRow, claimsTable, generateClaims } from '../test/claims-data';
import { startMonitorService } from './monitor.app';
import { type MonitorConfig } from './monitor.config';
import { encodeProfile } from './reference/profile-codec';

jest.setTimeout(180_000);

const MODEL = 'claims-fraud';
const WINDOW = 300;

describe('monitor in the loop (predictions, labels, drift, degradation, restart)', () => {
  let infra: ServiceInfrastructure;
  let env: Record<string, string>;
  let service: RunningService<MonitorConfig>;
  let kafka: Kafka;
  let producer: Producer;
  let artifact: ModelArtifact;
  let client: GrpcClient<monitorV1.MonitorServiceController>;

  const start = async () => {
    service = await startMonitorService(env, { handleSignals: false });
    client = createGrpcClient<monitorV1.MonitorServiceController>(GrpcServices.monitor, {
      address: service.grpcAddress,
      token: infra.tokens.reader,
    });
  };

  async function send<T>(topic: string, type: EventType<T>, key: string, data: T, id = randomUUID()): Promise<string> {
    const record = encodeEvent(type, { id, source: 'flywheel/test', time: new Date(), key, causationId: null, traceparent: null, data });
    await producer.send({ topic, acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] });
    return id;
  }

  /** Predicts each claim with the real model and logs it as the deployer would; returns the event ids. */
  async function logPredictions(claims: readonly Claim[], prefix: string): Promise<string[]> {
    const model = loadModel(artifact);
    const ids: string[] = [];
    for (const [i, claim] of claims.entries()) {
      const predicted = model.predictRow({
        amount: claim.amount,
        age: claim.age,
        tenure: claim.tenure,
        channel: claim.channel,
        region: claim.region,
      });
      const data = deployerV1.PredictionLogged.fromPartial({
        requestId: `${prefix}-${i}`,
        deployment: MODEL,
        modelName: MODEL,
        modelVersion: 1,
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        inputs: claimRow(claim),
        output: { numberValue: Number(predicted.prediction) },
        probability: predicted.probability,
        latencyMs: 1,
        predictTime: new Date(),
      });
      ids.push(await send(Topics.predictions, PredictionLoggedEvent, data.requestId, data));
    }
    return ids;
  }

  async function logLabels(claims: readonly Claim[], prefix: string, indices: Iterable<number>): Promise<void> {
    for (const i of indices) {
      await send(
        Topics.feedback,
        FeedbackEvent,
        `${prefix}-${i}`,
        monitorV1.Feedback.fromPartial({ requestId: `${prefix}-${i}`, label: { numberValue: claims[i].fraud }, labelTime: new Date() }),
      );
    }
  }

  const health = () => client.getModelHealth({ modelName: MODEL });
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    env = await infra.serviceEnv('monitor', { MONITOR_FOLD_INTERVAL_MS: '100' });
    kafka = new Kafka({ clientId: 'monitor-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    const training = generateClaims(2_000, 21);
    artifact = fitModel({
      table: claimsTable(training),
      label: 'fraud',
      algo: 'logreg',
      seed: 1,
      features: ['amount', 'age', 'tenure', 'channel', 'region'],
    });
    await start();
  });

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  it('takes the training profile from AliasMoved, detects the shift, the accuracy drop, and survives a restart mid-window', async () => {
    const writer = createGrpcClient<monitorV1.MonitorServiceController>(GrpcServices.monitor, {
      address: service.grpcAddress,
      token: infra.tokens.writer,
    });
    await writer.setMonitoringPolicy({
      policy: monitorV1.MonitoringPolicy.fromPartial({
        modelName: MODEL,
        windowSize: WINDOW,
        minWindowSize: 100,
        minLabelled: 50,
        driftShareThreshold: 0.3,
        maxAccuracyDrop: 0.05,
      }),
    });
    writer.close();

    const holdoutAccuracy = artifact.metrics.validation?.accuracy as number;
    const version = registryV1.ModelVersion.fromPartial({
      modelName: MODEL,
      version: 1,
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      metrics: { accuracy: holdoutAccuracy },
      metric: 'accuracy',
      lineage: {
        features: ['amount', 'age', 'tenure', 'channel', 'region'],
        label: 'fraud',
        trainingSet: { key: `training-sets/${MODEL}/1/data.csv`, sha256: 'a'.repeat(64), sizeBytes: 1, contentType: 'text/csv' },
        trainingProfile: encodeProfile(artifact.profile, {
          channel: commonV1.ColumnType.COLUMN_TYPE_STRING,
          region: commonV1.ColumnType.COLUMN_TYPE_STRING,
        }),
      },
    });
    await send(
      Topics.registryEvents,
      AliasMovedEvent,
      MODEL,
      registryV1.AliasMoved.fromPartial({ modelName: MODEL, alias: 'production', toVersion: 1, target: version, moveTime: new Date() }),
    );
    await send(
      Topics.deployerEvents,
      DeploymentChangedEvent,
      MODEL,
      deployerV1.DeploymentChanged.fromPartial({
        deployment: MODEL,
        modelName: MODEL,
        change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY,
        toVersion: 1,
        deploymentAfter: { name: MODEL, modelName: MODEL, stableVersion: 1, state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE },
        changeTime: new Date(),
      }),
    );
    await waitFor(async () => (await health().catch(() => null))?.modelVersion === 1, 30_000, 'reference and deployment known');
    expect((await health()).referenceAccuracy).toBeCloseTo(holdoutAccuracy, 12);

    // Window 1: the training distribution, two thirds of it labelled while the window is open.
    const before = generateClaims(WINDOW, 22);
    await logPredictions(before.slice(0, 200), 'before');
    await waitFor(async () => (await health()).windowPredictions === 200, 30_000, '200 predictions folded');
    await logLabels(before, 'before', range(0, 200));
    await waitFor(async () => (await health()).windowLabelled === 200, 30_000, '200 labels joined');
    const open = await health();
    expect(open.status).toBe(monitorV1.HealthStatus.HEALTH_STATUS_UNKNOWN);
    expect(open.accuracy).toBeGreaterThan(holdoutAccuracy - 0.05);
    await logPredictions(before.slice(200), 'before-rest');
    await waitFor(async () => (await health()).latestReport != null, 30_000, 'first window judged');
    const first = await health();
    expect(first.latestReport).toMatchObject({ datasetDrift: false, modelVersion: 1 });
    expect(first.status).toBe(monitorV1.HealthStatus.HEALTH_STATUS_HEALTHY);

    // Window 2: shifted. One label arrives before its prediction, ten never arrive.
    const after = generateClaims(WINDOW, 23, true);
    await logLabels(after, 'after', [0]);
    await logPredictions(after.slice(0, 150), 'after');
    await logLabels(after, 'after', range(1, 140));
    await waitFor(
      async () => {
        const h = await health();
        return h.windowPredictions === 150 && h.windowLabelled === 140;
      },
      30_000,
      'half of the shifted window folded with its labels',
    );

    // Restart mid-window: the summary and its labels come back from the database.
    client.close();
    await service.shutdown('restart in test');
    await start();
    expect(await health()).toMatchObject({ windowPredictions: 150, windowLabelled: 140 });

    // Predictions spread over partitions, so the one folded last (the window's 300th) closes it.
    const rest = await logPredictions(after.slice(150), 'after-rest');
    await waitFor(async () => (await health()).latestReport?.datasetDrift === true, 30_000, 'shifted window judged');

    const records = await readRecords(kafka, Topics.monitorEvents, 2, 30_000);
    const events = records.map((r) => decodeEvent(r, ConsumedEvents.all()));
    const drift = events.find((e) => e.type === 'flywheel.monitor.v1.DriftDetected');
    const degraded = events.find((e) => e.type === 'flywheel.monitor.v1.PerformanceDegraded');
    expect(events).toHaveLength(2);
    const driftData = drift?.data as monitorV1.DriftDetected;
    expect(drift).toMatchObject({ key: MODEL, source: 'flywheel/monitor' });
    expect(rest).toContain(drift?.causationId);
    expect([...driftData.driftedFeatures].sort()).toEqual(['amount', 'channel']);
    expect(
      driftData.report?.features
        .filter((f) => !f.drifted)
        .map((f) => f.feature)
        .sort(),
    ).toEqual(['age', 'region', 'tenure']);
    expect(driftData.report?.features.find((f) => f.feature === 'amount')).toMatchObject({
      referenceCount: expect.any(Number),
      currentCount: WINDOW,
      drifted: true,
    });
    expect(driftData.report?.currentProfile?.rowCount).toBe(WINDOW);
    expect(driftData.deployment).toBe(MODEL);

    // The restarted process judged the window: its /metrics shows the report, the share and the performance verdict.
    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    expect(metrics).toContain(`flywheel_drift_reports_total{model="${MODEL}",dataset_drift="true"} 1`);
    expect(metrics).toContain(`flywheel_drift_share{model="${MODEL}"} ${driftData.report!.driftedShare}`);
    for (const f of driftData.report!.features)
      expect(metrics).toContain(`flywheel_feature_drift_statistic{model="${MODEL}",feature="${f.feature}"} ${f.statistic}`);
    expect(metrics).toContain(`flywheel_model_performance_degraded{model="${MODEL}"} 1`);

    const degradedData = degraded?.data as monitorV1.PerformanceDegraded;
    expect(degraded).toMatchObject({ key: MODEL, causationId: drift?.causationId });
    expect(degradedData).toMatchObject({
      modelName: MODEL,
      modelVersion: 1,
      metric: 'accuracy',
      labelled: 140,
      reportId: driftData.report?.reportId,
    });
    expect(degradedData.referenceValue).toBeCloseTo(holdoutAccuracy, 12);
    expect(degradedData.currentValue).toBeLessThan(holdoutAccuracy - 0.05);

    const now = await health();
    expect(now).toMatchObject({ status: monitorV1.HealthStatus.HEALTH_STATUS_DEGRADED, windowPredictions: 0, windowLabelled: 0 });
    // The model answers "fraud" far more often after the shift: prediction drift too.
    expect(now.openAlerts.map((a) => a.kind).sort()).toEqual([
      monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
      monitorV1.AlertKind.ALERT_KIND_PREDICTION_DRIFT,
      monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED,
    ]);
    expect(driftData.report?.prediction).toMatchObject({ feature: 'prediction', drifted: true });
    expect(now.openAlerts.find((a) => a.kind === monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT)?.eventId).toBe(drift?.id);

    const latest = await client.getDriftReport({ modelName: MODEL, reportId: '' });
    expect(latest.report?.reportId).toBe(driftData.report?.reportId);
    const byId = await client.getDriftReport({ modelName: MODEL, reportId: first.latestReport?.reportId as string });
    expect(byId.report?.datasetDrift).toBe(false);
    const alerts = await client.listAlerts(monitorV1.ListAlertsRequest.fromPartial({ modelName: MODEL, page: { pageSize: 2 } }));
    expect(alerts.alerts).toHaveLength(2);
    expect(alerts.page?.nextPageToken).not.toBe('');
    const nextPage = await client.listAlerts(
      monitorV1.ListAlertsRequest.fromPartial({ modelName: MODEL, page: { pageSize: 2, pageToken: alerts.page?.nextPageToken } }),
    );
    expect(nextPage.alerts).toHaveLength(1);
    expect(nextPage.page?.nextPageToken).toBe('');

    // The shift persists: the next window is judged and recorded, but within the cooldown no new event is published.
    await logPredictions(generateClaims(WINDOW, 24, true), 'still-shifted');
    await waitFor(async () => (await health()).latestReport?.reportId !== driftData.report?.reportId, 30_000, 'third window judged');
    expect((await health()).latestReport?.datasetDrift).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    const all = await readRecords(kafka, Topics.monitorEvents, 2, 10_000);
    expect(all).toHaveLength(2);
  });
});
