import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import {
  AliasMovedEvent,
  commonV1,
  DatasetVersionCommittedEvent,
  DeploymentChangedEvent,
  deployerV1,
  DriftDetectedEvent,
  durationFromMillis,
  encodeEvent,
  featureStoreV1,
  FeaturesMaterialisedEvent,
  FeedbackEvent,
  GrpcServices,
  ingestionV1,
  monitorV1,
  PerformanceDegradedEvent,
  PromotionRefusedEvent,
  RecordsQuarantinedEvent,
  registryV1,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  Topics,
  trainerV1,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient } from '@flywheel/platform';
import { envPrefix, PlatformLauncher, SERVICES, type ServiceName } from '@flywheel/embedded-platform';
import { CHANNELS, type Claim, claimFeatures, ClaimsGenerator, type Regime, REGIONS } from './claims-generator';
import { EventStream, StepTimeout, type StreamedEvent } from './event-stream';
import { DATASET, FEATURE_VIEW, MODEL, type ScenarioOptions } from './scenario-options';
import { Timeline, toValue } from './timeline';


/** Which part of the story a prediction belongs to. */
export type Phase = 'before-shift' | 'after-shift' | 'recovered';

export interface ServedPrediction {
  claimId: string;
  phase: Phase;
  version: number;
  canary: boolean;
  correct: boolean;
}

export interface AccuracyFigure {
  phase: Phase;
  version: number;
  predictions: number;
  accuracy: number;
}

export interface ScenarioResult {
  dataDir: string;
  events: StreamedEvent[];
  predictions: ServedPrediction[];
  accuracy: AccuracyFigure[];
  malformedSent: number;
  validClaimsSent: number;
  /** Epoch ms of the first shifted claim, of the first drift event after it, and of the full rollout. */
  shiftAt: number;
  driftAt: number;
  rolledOutAt: number;
  summary: string[];
}

/** The scenario failed: what it was waiting for, and the end of the logs of the services concerned. */
export class ScenarioFailure extends Error {
  constructor(
    message: string,
    readonly logs: Record<string, string>,
    readonly dataDir: string,
  ) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}

const TICK_MS = 1000;
const PREDICT_CONCURRENCY = 16;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The closed loop, end to end, on a platform of its own: fresh data folder, free ports, the
 * embedded broker, PostgreSQL and S3, the six services as processes. Everything the scenario
 * learns about the platform it reads from the platform's events; everything it does goes
 * through the public contracts (gRPC, the raw ingest topic, the feedback topic).
 */
export class ClosedLoopScenario {
  private readonly timeline: Timeline;
  private readonly generator: ClaimsGenerator;
  private launcher?: PlatformLauncher;
  private stream?: EventStream;
  private producer?: Producer;
  private clients: Array<{ close(): void }> = [];
  private ingestion!: GrpcClient<ingestionV1.IngestionServiceController>;
  private featureStore!: GrpcClient<featureStoreV1.FeatureStoreServiceController>;
  private trainer!: GrpcClient<trainerV1.TrainerServiceController>;
  private registry!: GrpcClient<registryV1.RegistryServiceController>;
  private deployer!: GrpcClient<deployerV1.DeployerServiceController>;
  private monitor!: GrpcClient<monitorV1.MonitorServiceController>;
  private readonly predictions: ServedPrediction[] = [];
  private labelsDue: Claim[] = [];
  private predictErrors = 0;
  private lastPredictError = '';
  private validClaimsSent = 0;
  private malformedSent = 0;
  private crashed: { service: string; code: number | string; tail: string } | null = null;
  private aborted = false;
  readonly dataDir: string;
  private readonly ownsDataDir: boolean;

  constructor(
    private readonly options: ScenarioOptions,
    write: (line: string) => void,
  ) {
    this.timeline = new Timeline(write);
    this.generator = new ClaimsGenerator(options.seed);
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flywheel-demo-'));
  }

  async run(): Promise<ScenarioResult> {
    let ok = false;
    try {
      const result = await this.play();
      ok = true;
      return result;
    } catch (error) {
      throw this.failure(error);
    } finally {
      await this.stop();
      if (ok && this.ownsDataDir && !this.options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  private async play(): Promise<ScenarioResult> {
    const o = this.options;
    const t = this.timeline;
    await this.startPlatform();
    const events = this.stream!;

    // 1. The dataset with its data contract, the feature view, and the demo's short policies.
    t.step(`registering dataset "${DATASET}" with its data contract, feature view "${FEATURE_VIEW}", model "${MODEL}" and its policies`);
    await this.register();

    // 2. History: labelled claims through Kafka, with records that break the contract.
    const backfillStart = Date.now() - 3_600_000;
    const spacing = 3_600_000 / o.backfillClaims;
    const history = Array.from({ length: o.backfillClaims }, (_, i) => this.generator.next('before', new Date(backfillStart + i * spacing)));
    const malformed = this.generator.malformed(new Date());
    t.step(`streaming ${history.length} historical claims to ${Topics.ingestTopic(DATASET)} with kafkajs, and ${malformed.length} malformed records`);
    const half = Math.floor(history.length / 2);
    await this.produceClaims(history.slice(0, half));
    await this.produceRaw(malformed);
    await this.produceClaims(history.slice(half));
    await this.waitCommitted(history.length, malformed.length, ['ingestion', 'feature-store']);

    // 3. v1: trained on request, made production by the registry, served by the deployer.
    t.step(`training v1 (logistic regression on feature view "${FEATURE_VIEW}", holdout = most recent 20%)`);
    const submitted = await this.trainer.submitTraining({ spec: this.spec(null), requestId: `demo-v1-${o.seed}` });
    const runId = submitted.run?.runId ?? '';
    await events.waitFor(RunCompletedEvent, (r) => r.runId === runId, o.stepTimeoutMs, `run ${runId} of v1 to complete [trainer, feature-store]`, () => this.failOnRunFailure(runId));
    await events.waitFor(AliasMovedEvent, (a) => a.modelName === MODEL && a.alias === 'production' && a.toVersion === 1, o.stepTimeoutMs, 'v1 to become production (registry)', this.pause);
    await events.waitFor(
      DeploymentChangedEvent,
      (c) => c.deployment === MODEL && c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY && c.toVersion === 1,
      o.stepTimeoutMs,
      'v1 to be deployed (deployer)',
      this.pause,
    );

    // 4. Live traffic in the old world: predictions now, labels (and the labelled claims) later.
    t.step(`serving live claims: ${o.beforeShiftClaims} at ${o.claimsPerSecond}/s through Predict; labels follow on ${Topics.feedback} a second later`);
    await this.live('before', 'before-shift', () => false, o.beforeShiftClaims);
    t.note(`v1 live accuracy before the shift: ${fmt(this.accuracyOf('before-shift', 1))}`);

    // 5. The shift: the feature distributions and the relation between features and label change.
    const shiftAt = Date.now();
    t.step('SHIFT: claims move online and double in amount; fraud is now young claimants online, whatever the amount');
    const closed = () => this.rolloutOutcome() !== null;
    await this.live('after', 'after-shift', closed, o.maxShiftClaims, () => this.checkShiftProgress(shiftAt));
    const outcome = this.rolloutOutcome();
    if (outcome === null) throw new StepTimeout(this.missingStep(shiftAt).step, Date.now() - shiftAt);
    if (outcome.data.change !== deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED) {
      throw new Error(`the new version was rolled back instead of rolled out: ${outcome.data.reason}`);
    }
    const rolledOutAt = outcome.receivedAt;
    const newVersion = outcome.data.toVersion;

    // 6. Recovery: the new version answers everything.
    t.step(`v${newVersion} serves all traffic; ${o.afterRolloutClaims} more claims to measure the recovery`);
    await this.live('after', 'recovered', () => false, o.afterRolloutClaims);
    await this.deliverLabels();
    t.flushCommits();

    const drift = events.ofType(DriftDetectedEvent, (_d, e) => e.receivedAt >= shiftAt)[0];
    const result: ScenarioResult = {
      dataDir: this.dataDir,
      events: [...events.events],
      predictions: [...this.predictions],
      accuracy: this.accuracyTable(),
      malformedSent: this.malformedSent,
      validClaimsSent: this.validClaimsSent,
      shiftAt,
      driftAt: drift?.receivedAt ?? Number.NaN,
      rolledOutAt,
      summary: [],
    };
    result.summary = this.summary(result, newVersion);
    return result;
  }

  // ---------------------------------------------------------------- platform

  private async startPlatform(): Promise<void> {
    const o = this.options;
    const t = this.timeline;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The embedded defaults, whatever the shell says: this platform is the scenario's own.
    for (const name of ['KAFKA_BROKERS', 'POSTGRES_URL', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'FLYWHEEL_TOKENS_FILE', 'FLYWHEEL_GRPC_BASE_PORT', 'FLYWHEEL_HTTP_BASE_PORT']) {
      delete env[name];
    }
    for (const service of SERVICES) {
      delete env[`${envPrefix(service)}_DATABASE_URL`];
      env[`${envPrefix(service)}_GRPC_PORT`] = String(await freePort());
      env[`${envPrefix(service)}_HTTP_PORT`] = String(await freePort());
    }
    Object.assign(env, {
      FLYWHEEL_DATA_DIR: this.dataDir,
      KAFKA_PORT: String(await freePort()),
      POSTGRES_PORT: String(await freePort()),
      S3_PORT: String(await freePort()),
      // Short policies for a demo that lasts minutes, not days (each documented in the service's README).
      INGEST_COMMIT_CHECK_MS: '500',
      TRAINING_POLL_INTERVAL_MS: '500',
      MONITOR_ALERT_COOLDOWN_MS: '5000',
      MONITOR_FOLD_INTERVAL_MS: '500',
      CANARY_TRAFFIC_SHARE: String(o.canaryShare),
      CANARY_MIN_REQUESTS: String(o.canaryMinRequests),
      CANARY_MIN_LABELLED: String(Math.max(20, Math.floor(o.canaryMinRequests / 3))),
      CANARY_MAX_DURATION_MS: String(o.stepTimeoutMs),
      // Predictions take well under a millisecond; on a busy laptop a GC pause must not fail a canary.
      CANARY_LATENCY_FLOOR_MS: '5',
    });

    t.step(`starting Flywheel on its embedded defaults (data in ${this.dataDir})`);
    const launcher = new PlatformLauncher(env, (m) => t.note(m), (service, code, tail) => {
      this.crashed = { service, code, tail };
    });
    this.launcher = launcher;
    await launcher.start();
    const token = launcher.adminToken;
    if (!token) throw new Error(`the data folder ${this.dataDir} already had an admin token: the scenario needs a fresh one`);
    t.note(`all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s`);

    const address = (service: ServiceName) => launcher.endpoints.find((e) => e.name === service)!.address;
    const client = <C>(contract: (typeof GrpcServices)[keyof typeof GrpcServices], service: ServiceName) => {
      const c = createGrpcClient<C>(contract, { address: address(service), token, deadlineMs: 60_000 });
      this.clients.push(c);
      return c;
    };
    this.ingestion = client(GrpcServices.ingestion, 'ingestion');
    this.featureStore = client(GrpcServices.featureStore, 'feature-store');
    this.trainer = client(GrpcServices.trainer, 'trainer');
    this.registry = client(GrpcServices.registry, 'registry');
    this.deployer = client(GrpcServices.deployer, 'deployer');
    this.monitor = client(GrpcServices.monitor, 'monitor');

    const kafka = new Kafka({ clientId: 'flywheel-demo', brokers: [launcher.endpoints.find((e) => e.name === 'kafka')!.address], logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.stream = new EventStream(kafka);
    this.stream.onEvent((e) => t.event(e));
    await this.stream.start();
  }

  private async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    await this.producer?.disconnect().catch(() => undefined);
    await this.stream?.stop();
    if (this.launcher) {
      this.timeline.note('stopping the platform');
      await this.launcher.stop();
    }
  }

  // ---------------------------------------------------------------- setup

  private spec(trainingWindowMs: number | null): trainerV1.ModelSpec {
    return trainerV1.ModelSpec.fromPartial({
      modelName: MODEL,
      featureView: FEATURE_VIEW,
      label: 'is_fraud',
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
      // Weak regularisation: the rules are nearly separable and the retraining sees a few hundred rows.
      params: { C: { numberValue: 10 } },
      metric: 'accuracy',
      evaluation: { recentFraction: 0.2 },
      seed: this.options.seed,
      trainingWindow: trainingWindowMs === null ? undefined : durationFromMillis(trainingWindowMs),
    });
  }

  private async register(): Promise<void> {
    const o = this.options;
    const { ColumnType } = commonV1;
    const column = (name: string, type: commonV1.ColumnType, extra: Partial<ingestionV1.ColumnSpec> = {}) =>
      ingestionV1.ColumnSpec.fromPartial({ name, type, required: true, ...extra });
    await this.ingestion.registerDataset(
      ingestionV1.RegisterDatasetRequest.fromPartial({
        name: DATASET,
        description: 'Insurance claims with their investigated fraud outcome',
        contract: {
          columns: [
            column('claim_id', ColumnType.COLUMN_TYPE_STRING, { description: 'claim reference' }),
            column('claim_time', ColumnType.COLUMN_TYPE_TIMESTAMP, { description: 'when the claim was filed' }),
            column('amount', ColumnType.COLUMN_TYPE_DOUBLE, { min: 0, max: 1_000_000, description: 'claimed amount' }),
            column('claimant_age', ColumnType.COLUMN_TYPE_INTEGER, { min: 16, max: 110 }),
            column('policy_tenure_months', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 1200 }),
            column('prior_claims', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 100 }),
            column('channel', ColumnType.COLUMN_TYPE_STRING, { allowedValues: [...CHANNELS] }),
            column('region', ColumnType.COLUMN_TYPE_STRING, { allowedValues: [...REGIONS] }),
            column('is_fraud', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 1, description: '1 when the investigation found fraud' }),
          ],
          uniqueKey: ['claim_id'],
          eventTimeColumn: 'claim_time',
        },
        commitPolicy: { maxRows: 500, maxInterval: durationFromMillis(3000) },
      }),
    );
    const feature = (name: string, type: commonV1.ColumnType, source: { column?: string; expression?: string } = { column: name }) =>
      featureStoreV1.FeatureSpec.fromPartial({ name, type, ...source });
    await this.featureStore.applyFeatureView(
      featureStoreV1.ApplyFeatureViewRequest.fromPartial({
        name: FEATURE_VIEW,
        dataset: DATASET,
        entityKey: 'claim_id',
        eventTimeColumn: 'claim_time',
        description: 'Fraud features of a claim',
        features: [
          feature('amount', ColumnType.COLUMN_TYPE_DOUBLE),
          feature('log_amount', ColumnType.COLUMN_TYPE_DOUBLE, { expression: 'log1p(amount)' }),
          feature('claimant_age', ColumnType.COLUMN_TYPE_INTEGER),
          feature('policy_tenure_months', ColumnType.COLUMN_TYPE_INTEGER),
          feature('prior_claims', ColumnType.COLUMN_TYPE_INTEGER),
          feature('channel', ColumnType.COLUMN_TYPE_STRING),
          feature('region', ColumnType.COLUMN_TYPE_STRING),
        ],
      }),
    );
    await this.registry.createModel(registryV1.CreateModelRequest.fromPartial({ name: MODEL, description: 'Is a claim fraudulent?' }));
    await this.registry.setPromotionPolicy(
      registryV1.SetPromotionPolicyRequest.fromPartial({
        policy: { modelName: MODEL, autoPromote: true, alias: 'production', metric: 'accuracy', minAbsoluteImprovement: 0.02, minHoldoutRows: 50 },
      }),
    );
    // Retrain on drift once enough post-shift claims arrived, on those claims only (the training
    // window spans them at the scenario's rate), at most once per ten minutes.
    const windowMs = Math.round((o.retrainClaims / o.claimsPerSecond) * 1000);
    await this.trainer.setRetrainingPolicy(
      trainerV1.SetRetrainingPolicyRequest.fromPartial({
        policy: {
          modelName: MODEL,
          enabled: true,
          onDrift: true,
          onPerformanceDegraded: false,
          cooldown: durationFromMillis(600_000),
          dailyBudget: 3,
          minNewRows: o.beforeShiftClaims + o.retrainClaims,
          spec: this.spec(windowMs),
        },
      }),
    );
    await this.monitor.setMonitoringPolicy(
      monitorV1.SetMonitoringPolicyRequest.fromPartial({
        policy: {
          modelName: MODEL,
          windowSize: o.windowSize,
          minWindowSize: Math.floor(o.windowSize / 2),
          // p-value tests (KS for numbers, chi-square for categories), Bonferroni-corrected: a
          // window of a few hundred predictions must not cry wolf. Not the automatic Wasserstein
          // (chosen above 1000 reference rows): from the contract's histogram it is biased on a
          // low-cardinality number such as prior_claims and flags it with no drift at all.
          featureTests: [
            ...['amount', 'log_amount', 'claimant_age', 'policy_tenure_months', 'prior_claims'].map((feature) => ({ feature, test: monitorV1.DriftTest.DRIFT_TEST_KS })),
            ...['channel', 'region'].map((feature) => ({ feature, test: monitorV1.DriftTest.DRIFT_TEST_CHI_SQUARE })),
          ],
          driftShareThreshold: 0.3,
          correctForMultipleTests: true,
          maxAccuracyDrop: 0.05,
          minLabelled: 50,
        },
      }),
    );
    this.timeline.note(
      `policies: promotion margin +0.02 accuracy on ≥50 holdout rows; retraining on drift after ${o.beforeShiftClaims + o.retrainClaims} new rows, ` +
        `window ${(windowMs / 1000).toFixed(0)} s, cooldown 10 min; monitor windows of ${o.windowSize} predictions, KS/chi-square with Bonferroni, drift share 0.3; ` +
        `canary ${(o.canaryShare * 100).toFixed(0)}% for ${o.canaryMinRequests} requests`,
    );
  }

  // ---------------------------------------------------------------- data

  private async produceClaims(claims: readonly Claim[]): Promise<void> {
    for (let i = 0; i < claims.length; i += 500) {
      const chunk = claims.slice(i, i + 500);
      await this.producer!.send({ topic: Topics.ingestTopic(DATASET), messages: chunk.map((c) => ({ key: c.claim_id, value: JSON.stringify(c) })) });
    }
    this.validClaimsSent += claims.length;
  }

  private async produceRaw(values: readonly string[]): Promise<void> {
    await this.producer!.send({ topic: Topics.ingestTopic(DATASET), messages: values.map((value, i) => ({ key: `bad-${i}`, value })) });
    this.malformedSent += values.length;
  }

  /** Waits until every good record is in a committed version, every bad one quarantined, and the features materialised. */
  private async waitCommitted(rows: number, quarantined: number, services: ServiceName[]): Promise<void> {
    const events = this.stream!;
    const deadline = Date.now() + this.options.stepTimeoutMs;
    const committed = () => events.ofType(DatasetVersionCommittedEvent, (c) => c.dataset === DATASET);
    const check = async () => {
      this.failOnCrash();
      const total = Math.max(0, ...committed().map((c) => c.data.version?.cumulativeRowCount ?? 0));
      const bad = events.ofType(RecordsQuarantinedEvent, (q) => q.dataset === DATASET).reduce((n, e) => n + e.data.records.length, 0);
      const latest = Math.max(0, ...committed().map((c) => c.data.version?.version ?? 0));
      const materialised = events.ofType(FeaturesMaterialisedEvent, (m) => m.featureView === FEATURE_VIEW && m.datasetVersion === latest).length > 0;
      return { total, bad, latest, materialised };
    };
    for (;;) {
      const s = await check();
      if (s.total >= rows && s.bad >= quarantined && s.materialised) return;
      if (Date.now() > deadline) {
        throw new StepTimeout(
          `${rows} rows committed (have ${s.total}), ${quarantined} quarantined (have ${s.bad}), features of v${s.latest} materialised (${s.materialised}) [${services.join(', ')}]`,
          this.options.stepTimeoutMs,
        );
      }
      await sleep(200);
    }
  }

  /**
   * Live traffic at the scenario's rate, one tick a second: this tick's claims are predicted;
   * last tick's claims get their label on the feedback topic and go, labelled, to the dataset.
   */
  private async live(regime: Regime, phase: Phase, done: () => boolean, maxClaims: number, check?: () => void): Promise<void> {
    const perTick = Math.max(1, Math.round((this.options.claimsPerSecond * TICK_MS) / 1000));
    let sent = 0;
    while (sent < maxClaims && !done()) {
      this.failOnCrash();
      check?.();
      const started = Date.now();
      const claims = Array.from({ length: Math.min(perTick, maxClaims - sent) }, () => this.generator.next(regime, new Date()));
      await this.predictAll(claims, phase);
      await this.deliverLabels();
      this.labelsDue = claims;
      sent += claims.length;
      await sleep(Math.max(0, TICK_MS - (Date.now() - started)));
    }
  }

  private async predictAll(claims: readonly Claim[], phase: Phase): Promise<void> {
    for (let i = 0; i < claims.length; i += PREDICT_CONCURRENCY) {
      await Promise.all(claims.slice(i, i + PREDICT_CONCURRENCY).map((claim) => this.predict(claim, phase)));
    }
  }

  private async predict(claim: Claim, phase: Phase): Promise<void> {
    const features = Object.fromEntries(Object.entries(claimFeatures(claim)).map(([k, v]) => [k, toValue(v)]));
    try {
      const response = await this.deployer.predict(
        deployerV1.PredictRequest.fromPartial({ deployment: MODEL, requestId: claim.claim_id, features: { values: features } }),
        { deadlineMs: 10_000 },
      );
      const output = response.output;
      const predicted = String(output?.numberValue ?? output?.stringValue ?? output?.boolValue ?? '');
      this.predictions.push({
        claimId: claim.claim_id,
        phase,
        version: response.modelVersion,
        canary: response.canary,
        correct: Number(predicted) === claim.is_fraud || predicted === String(claim.is_fraud === 1),
      });
    } catch (error) {
      this.predictErrors++;
      this.lastPredictError = (error as Error).message;
      if (this.predictErrors % 50 === 1) this.timeline.note(`Predict failed (${this.predictErrors} so far): ${this.lastPredictError}`);
    }
  }

  /** Labels of the claims predicted a tick ago: to the monitor and deployer (feedback) and to the dataset. */
  private async deliverLabels(): Promise<void> {
    const due = this.labelsDue;
    this.labelsDue = [];
    if (due.length === 0) return;
    const now = new Date();
    await this.producer!.send({
      topic: Topics.feedback,
      messages: due.map((claim) => {
        const record = encodeEvent(FeedbackEvent, {
          id: randomUUID(),
          source: 'flywheel/demo',
          time: now,
          key: claim.claim_id,
          causationId: null,
          traceparent: null,
          data: { requestId: claim.claim_id, label: { numberValue: claim.is_fraud }, labelTime: now },
        });
        return { key: record.key, value: record.value, headers: record.headers };
      }),
    });
    await this.produceClaims(due);
  }

  // ---------------------------------------------------------------- the loop's progress

  private rolloutOutcome(): StreamedEvent<deployerV1.DeploymentChanged> | null {
    const { DEPLOYMENT_CHANGE_PROMOTED, DEPLOYMENT_CHANGE_ROLLED_BACK } = deployerV1.DeploymentChange;
    const final = (change: deployerV1.DeploymentChange) => change === DEPLOYMENT_CHANGE_PROMOTED || change === DEPLOYMENT_CHANGE_ROLLED_BACK;
    return this.stream!.ofType(DeploymentChangedEvent, (c) => c.deployment === MODEL && c.toVersion > 1 && final(c.change))[0] ?? null;
  }

  /** The first link of the chain after the shift that has not happened yet, and who owes it. */
  private missingStep(shiftAt: number): { step: string; services: ServiceName[] } {
    const events = this.stream!;
    const after = <T>(e: StreamedEvent<T>) => e.receivedAt >= shiftAt;
    if (events.ofType(DriftDetectedEvent, (_d, e) => after(e)).length === 0) return { step: 'the monitor to detect drift after the shift', services: ['monitor', 'deployer'] };
    const acted = events.ofType(RetrainingDecidedEvent, (d) => d.decision?.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED)[0];
    if (!acted) return { step: 'the retraining policy to act on the drift', services: ['trainer', 'ingestion'] };
    if (events.ofType(RunCompletedEvent, (_d, e) => after(e)).length === 0) return { step: 'the retraining run to complete', services: ['trainer', 'feature-store'] };
    if (events.ofType(AliasMovedEvent, (a, e) => after(e) && a.toVersion > 1).length === 0) return { step: 'the registry to promote the challenger', services: ['registry'] };
    return { step: 'the deployer to judge the canary', services: ['deployer'] };
  }

  /** Fails fast when the chain broke for good (a failed run, a refused promotion). */
  private checkShiftProgress(shiftAt: number): void {
    const events = this.stream!;
    const failed = events.ofType(RunFailedEvent, (_d, e) => e.receivedAt >= shiftAt)[0];
    if (failed) throw new Error(`the retraining run failed: ${failed.data.error}`);
    const refused = events.ofType(PromotionRefusedEvent, (_d, e) => e.receivedAt >= shiftAt)[0];
    if (refused) throw new Error(`the registry refused the challenger: ${refused.data.reasons.join('; ')}`);
    if (Date.now() - shiftAt > this.options.stepTimeoutMs * 3) throw new StepTimeout(this.missingStep(shiftAt).step, Date.now() - shiftAt);
  }

  private async failOnRunFailure(runId: string): Promise<void> {
    this.failOnCrash();
    const failed = this.stream!.ofType(RunFailedEvent, (r) => r.runId === runId)[0];
    if (failed) throw new Error(`run ${runId} failed (${trainerV1.FailureCode[failed.data.failureCode]}): ${failed.data.error}`);
    await sleep(100);
  }

  /** Stops the scenario at its next step (Ctrl-C). */
  abort(): void {
    this.aborted = true;
  }

  private readonly pause = async (): Promise<void> => {
    this.failOnCrash();
    await sleep(100);
  };

  private failOnCrash(): void {
    if (this.aborted) throw new Error('interrupted');
    if (this.crashed) throw new Error(`${this.crashed.service} stopped unexpectedly (${this.crashed.code})`);
  }

  private failure(error: unknown): ScenarioFailure {
    const logs: Record<string, string> = {};
    let services: ServiceName[] = [...SERVICES];
    if (this.crashed) services = [this.crashed.service as ServiceName];
    else if (error instanceof StepTimeout) {
      const named = SERVICES.filter((s) => error.step.includes(s));
      services = named.length > 0 ? named : this.stream ? this.missingStep(Date.now()).services : [...SERVICES];
    }
    for (const service of services) {
      const process = this.launcher?.services.find((s) => s.options.name === service);
      if (process) logs[service] = process.tail(25);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ScenarioFailure(message, logs, this.dataDir);
  }

  // ---------------------------------------------------------------- figures

  private accuracyOf(phase: Phase, version: number): number {
    const served = this.predictions.filter((p) => p.phase === phase && p.version === version);
    return served.length === 0 ? Number.NaN : served.filter((p) => p.correct).length / served.length;
  }

  private accuracyTable(): AccuracyFigure[] {
    const keys = new Map<string, { phase: Phase; version: number; n: number; correct: number }>();
    for (const p of this.predictions) {
      const key = `${p.phase}/${p.version}`;
      const entry = keys.get(key) ?? { phase: p.phase, version: p.version, n: 0, correct: 0 };
      entry.n++;
      if (p.correct) entry.correct++;
      keys.set(key, entry);
    }
    return [...keys.values()].map((e) => ({ phase: e.phase, version: e.version, predictions: e.n, accuracy: e.correct / e.n }));
  }

  private summary(result: ScenarioResult, newVersion: number): string[] {
    const events = this.stream!;
    const lines: string[] = [];
    const committed = events.ofType(DatasetVersionCommittedEvent, (c) => c.dataset === DATASET);
    const rows = Math.max(0, ...committed.map((c) => c.data.version?.cumulativeRowCount ?? 0));
    const quarantined = events.ofType(RecordsQuarantinedEvent, (q) => q.dataset === DATASET).reduce((n, e) => n + e.data.records.length, 0);
    lines.push(`data        ${rows} claims committed in ${committed.length} versions; ${quarantined} of ${result.malformedSent} malformed records quarantined`);
    const promoted = events.ofType(AliasMovedEvent, (a) => a.toVersion === newVersion)[0];
    const v1Holdout = events.ofType(AliasMovedEvent, (a) => a.toVersion === 1)[0]?.data.target?.metrics.accuracy;
    lines.push(`v1          holdout accuracy ${fmt(v1Holdout)}; live ${fmt(this.accuracyOf('before-shift', 1))} before the shift, ${fmt(this.accuracyOf('after-shift', 1))} after it`);
    const c = promoted?.data.comparison;
    const canary = this.accuracyOf('after-shift', newVersion);
    lines.push(
      `v${newVersion}          on the recent holdout ${fmt(c?.challengerValue)} vs v1 ${fmt(c?.championValue)}; live ${fmt(canary)} as canary, ` +
        `${fmt(this.accuracyOf('recovered', newVersion))} serving all traffic`,
    );
    const drift = events.ofType(DriftDetectedEvent, (_d, e) => e.receivedAt >= result.shiftAt)[0];
    if (drift) lines.push(`drift       ${drift.data.driftedFeatures.join(', ')} (steady: ${drift.data.report?.features.filter((f) => !f.drifted).map((f) => f.feature).join(', ')})`);
    const decisions = events.ofType(RetrainingDecidedEvent);
    const acted = decisions.find((d) => d.data.decision?.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED);
    const reasons = new Map<string, number>();
    for (const d of decisions) {
      for (const r of d.data.decision?.declineReasons ?? []) {
        const name = (trainerV1.DeclineReason[r] ?? String(r)).replace('DECLINE_REASON_', '').toLowerCase().replace(/_/g, ' ');
        reasons.set(name, (reasons.get(name) ?? 0) + 1);
      }
    }
    const declined = [...reasons].map(([name, n]) => `${n}× ${name}`).join(', ');
    const triggers = events.ofType(DriftDetectedEvent).length + events.ofType(PerformanceDegradedEvent).length;
    lines.push(`retraining  ${triggers} drift/degradation events → ${acted ? 1 : 0} retraining; declined: ${declined || 'none'}`);
    const secs = (from: number, to: number | undefined) => (to === undefined || Number.isNaN(to) ? '—' : `${((to - from) / 1000).toFixed(1)} s`);
    const canaryStart = events.ofType(DeploymentChangedEvent, (d) => d.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED)[0];
    lines.push(
      `timing      after the shift: drift detected ${secs(result.shiftAt, drift?.receivedAt)}, retraining decided ${secs(result.shiftAt, acted?.receivedAt)}, ` +
        `v${newVersion} promoted ${secs(result.shiftAt, promoted?.receivedAt)}, canary started ${secs(result.shiftAt, canaryStart?.receivedAt)}, ` +
        `serving all traffic ${secs(result.shiftAt, result.rolledOutAt)}`,
    );
    lines.push(`            ⇒ ${secs(result.shiftAt, result.rolledOutAt)} from drift onset to the new version serving all traffic`);
    if (this.predictErrors > 0) lines.push(`errors      ${this.predictErrors} Predict calls failed (last: ${this.lastPredictError})`);
    return lines;
  }
}

const fmt = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(3));

/** Runs the scenario; throws `ScenarioFailure` with the relevant logs when a step does not happen. */
export function runClosedLoopScenario(options: ScenarioOptions, write: (line: string) => void): Promise<ScenarioResult> {
  return new ClosedLoopScenario(options, write).run();
}
