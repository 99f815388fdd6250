import {
  commonV1,
  ConsumedEvents,
  decodeEvent,
  DriftDetectedEvent,
  type EventEnvelope,
  GrpcServices,
  monitorV1,
  PerformanceDegradedEvent,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  TrainModelCommand,
  trainerV1,
  Topics,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { countRecords, readRecords, type ServiceInfrastructure, startServiceInfrastructure, waitFor } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { claimsCsv, FEATURE_VIEW, objectStoreOf, producedEvent, StoredTrainingSetFeatureStore } from '../testing/claims-training-set';
import { startTrainerService } from '../trainer.app';
import { type TrainerConfig } from '../trainer.config';

jest.setTimeout(120_000);

const BURST = 10;

describe('retraining policy (PostgreSQL, Kafka broker, S3)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<TrainerConfig>;
  let kafka: Kafka;
  let producer: Producer;
  let client: GrpcClient<trainerV1.TrainerServiceController>;

  async function read(topic: string): Promise<EventEnvelope[]> {
    const count = await countRecords(kafka, topic);
    return count === 0 ? [] : (await readRecords(kafka, topic, count)).map((record) => decodeEvent(record, ConsumedEvents.all()));
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    const env = await infra.serviceEnv('trainer', { TRAINING_POLL_INTERVAL_MS: '200' });
    const objects = objectStoreOf(env);
    const featureStore = new StoredTrainingSetFeatureStore();
    await featureStore.publish(objects, claimsCsv(200));
    service = await startTrainerService(env, { featureStore });
    client = createGrpcClient<trainerV1.TrainerServiceController>(GrpcServices.trainer, {
      address: service.grpcAddress,
      token: infra.tokens.admin,
    });
    kafka = new Kafka({ clientId: 'retraining-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  it('turns a burst of drift events into exactly one TrainModel within the cooldown, and records every decision', async () => {
    await client.setRetrainingPolicy({
      policy: trainerV1.RetrainingPolicy.fromPartial({
        modelName: 'fraud',
        enabled: true,
        cooldown: { seconds: 600, nanos: 0 },
        dailyBudget: 3,
        onDrift: true,
        onPerformanceDegraded: true,
        spec: {
          featureView: FEATURE_VIEW,
          label: 'is_fraud',
          algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
          evaluation: { recentFraction: 0.25 },
        },
      }),
    });

    // Keys spread the burst over the topic's partitions, so the consumer handles several at
    // once and only the model's row lock keeps their decisions apart.
    const drifts = Array.from({ length: BURST }, (_, i) =>
      producedEvent(
        DriftDetectedEvent,
        monitorV1.DriftDetected.fromPartial({
          report: { reportId: `report-${i}`, modelName: 'fraud', modelVersion: 1, driftedShare: 0.5, driftShareThreshold: 0.3 },
          driftedFeatures: ['amount', 'age'],
          deployment: 'fraud',
        }),
        `fraud-${i}`,
        'flywheel/monitor',
      ),
    );
    await producer.send({ topic: Topics.monitorEvents, messages: drifts });

    let decisions: trainerV1.RetrainingDecision[] = [];
    await waitFor(
      async () => {
        decisions = (await client.listRetrainingDecisions({ modelName: 'fraud', page: undefined })).decisions;
        return decisions.length === BURST;
      },
      30_000,
      `${BURST} decisions`,
    );
    const acted = decisions.filter((d) => d.outcome === trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED);
    expect(acted).toHaveLength(1);
    const decision = acted[0]!;
    expect(decision.reasons[0]).toBe('drift on amount, age (share 0.50 ≥ 0.30)');
    expect(decision.cooldownUntil!.getTime() - decision.decideTime!.getTime()).toBe(600_000);
    for (const declined of decisions.filter((d) => d !== decision)) {
      expect(declined.outcome).toBe(trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED);
      expect(declined.declineReasons).toContain(trainerV1.DeclineReason.DECLINE_REASON_COOLDOWN);
      expect(declined.triggerEventType).toBe(DriftDetectedEvent.typeName);
    }
    expect(new Set(decisions.map((d) => d.triggerEventId))).toEqual(new Set(drifts.map((d) => d.id)));

    // One command, caused by the drift event the policy acted on.
    let commands: EventEnvelope[] = [];
    await waitFor(async () => (commands = await read(Topics.trainerCommands)).length >= 1, 20_000, 'the TrainModel command');
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ type: TrainModelCommand.typeName, key: 'fraud', causationId: decision.triggerEventId });
    expect(commands[0]!.data).toMatchObject({
      trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
      decisionId: decision.decisionId,
      spec: { modelName: 'fraud' },
    });

    // The command becomes the run the decision named, and its RunCompleted names the command.
    let run: trainerV1.Run | undefined;
    await waitFor(
      async () => {
        run = (await client.getRun({ runId: decision.runId }).catch(() => ({ run: undefined }))).run;
        return run?.status === trainerV1.RunStatus.RUN_STATUS_SUCCEEDED;
      },
      60_000,
      'the policy run to succeed',
    );
    expect(run).toMatchObject({
      trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
      causeEventId: commands[0]!.id,
      actor: { service: 'trainer' },
    });

    let trainerEvents: EventEnvelope[] = [];
    await waitFor(
      async () => (trainerEvents = await read(Topics.trainerEvents)).some((e) => e.type === RunCompletedEvent.typeName),
      20_000,
      'RunCompleted',
    );
    expect(trainerEvents.find((e) => e.type === RunCompletedEvent.typeName)!.causationId).toBe(commands[0]!.id);
    const decided = trainerEvents.filter((e) => e.type === RetrainingDecidedEvent.typeName);
    expect(decided).toHaveLength(BURST);
    for (const event of decided) {
      const data = (event.data as trainerV1.RetrainingDecided).decision!;
      expect(event.causationId).toBe(data.triggerEventId);
    }
  });

  it('declines degraded performance within the cooldown, with its reasons', async () => {
    const degraded = producedEvent(
      PerformanceDegradedEvent,
      monitorV1.PerformanceDegraded.fromPartial({
        modelName: 'fraud',
        modelVersion: 1,
        metric: 'accuracy',
        currentValue: 0.62,
        referenceValue: 0.9,
        maxDrop: 0.05,
        labelled: 400,
      }),
      'fraud',
      'flywheel/monitor',
    );
    await producer.send({ topic: Topics.monitorEvents, messages: [degraded] });
    let decision: trainerV1.RetrainingDecision | undefined;
    await waitFor(
      async () => {
        decision = (await client.listRetrainingDecisions({ modelName: 'fraud', page: undefined })).decisions.find(
          (d) => d.triggerEventId === degraded.id,
        );
        return decision !== undefined;
      },
      20_000,
      'the decision on PerformanceDegraded',
    );
    expect(decision).toMatchObject({
      outcome: trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED,
      declineReasons: [trainerV1.DeclineReason.DECLINE_REASON_COOLDOWN],
      triggerEventType: PerformanceDegradedEvent.typeName,
      runsToday: 1,
    });
    expect(decision!.reasons[0]).toBe(
      'accuracy 0.6200 against 0.9000 on the holdout (largest tolerated drop 0.05, 400 labelled predictions)',
    );
  });
});
