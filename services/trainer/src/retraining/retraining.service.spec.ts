import { commonV1, trainerV1 } from '@flywheel/contracts';
import { ManualClock } from '@flywheel/platform';
import { type TrainerEvents } from '../system/trainer-events';
import { fakeLockingTransactions, InMemoryRetrainingRepository, RecordingEvents } from '../testing/retraining-fakes';
import { type DecisionRecord } from './retraining.repository';
import { RetrainingService, type RetrainingTrigger } from './retraining.service';

const MINUTE = 60_000;

const lastSpec = trainerV1.ModelSpec.fromPartial({
  modelName: 'fraud',
  featureView: 'claims-features',
  label: 'is_fraud',
  algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
  metric: 'accuracy',
});

describe('RetrainingService', () => {
  let repository: InMemoryRetrainingRepository;
  let events: RecordingEvents;
  let clock: ManualClock;
  let service: RetrainingService;
  let eventNumber = 0;

  const transactions = fakeLockingTransactions;

  const drift = (modelName = 'fraud'): RetrainingTrigger => ({
    eventId: `drift-${++eventNumber}`,
    eventType: 'flywheel.monitor.v1.DriftDetected',
    modelName,
    kind: 'drift',
    summary: 'drift on amount',
  });
  const decide = (trigger: RetrainingTrigger): Promise<DecisionRecord | null> =>
    transactions.run((manager) => service.decide(manager, trigger));

  beforeEach(() => {
    repository = new InMemoryRetrainingRepository();
    events = new RecordingEvents();
    clock = new ManualClock('2025-03-10T08:00:00.000Z');
    service = new RetrainingService(repository, transactions, events as unknown as TrainerEvents, clock);
    repository.policies.set('fraud', {
      modelName: 'fraud',
      enabled: true,
      cooldownMs: 30 * MINUTE,
      dailyBudget: 2,
      minNewRows: 100,
      spec: null,
      onDrift: true,
      onPerformanceDegraded: true,
    });
    repository.lastSuccesses.set('fraud', { runId: 'run-0', spec: lastSpec, dataset: 'claims', datasetVersionTo: 3 });
    repository.datasetVersions.push({ dataset: 'claims', version: 3, rowCount: 1000 }, { dataset: 'claims', version: 4, rowCount: 250 });
  });

  it('turns a burst of concurrent triggers into one TrainModel, recording every decision', async () => {
    const triggers = Array.from({ length: 10 }, () => drift());
    const decisions = await Promise.all(triggers.map((trigger) => decide(trigger)));
    const acted = decisions.filter((d) => d?.outcome === 'ACTED');
    expect(acted).toHaveLength(1);
    expect(repository.decisions).toHaveLength(10);
    expect(events.decided).toHaveLength(10);
    expect(events.commands).toHaveLength(1);
    const [{ command, causationId }] = events.commands as [(typeof events.commands)[number]];
    expect(causationId).toBe(acted[0]!.triggerEventId);
    expect(command).toMatchObject({
      trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
      decisionId: acted[0]!.id,
      spec: lastSpec,
    });
    expect(acted[0]).toMatchObject({ newRows: 250, runsToday: 0, runId: expect.any(String) });
    for (const declined of decisions.filter((d) => d?.outcome === 'DECLINED')) {
      expect(declined!.declineReasons).toEqual([
        trainerV1.DeclineReason.DECLINE_REASON_COOLDOWN,
        trainerV1.DeclineReason.DECLINE_REASON_ALREADY_RUNNING,
      ]);
    }
  });

  it('decides a redelivered trigger once', async () => {
    const trigger = drift();
    expect(await decide(trigger)).not.toBeNull();
    expect(await decide(trigger)).toBeNull();
    expect(repository.decisions).toHaveLength(1);
  });

  it('retrains again after the cooldown, then stops at the daily budget until the next UTC day', async () => {
    expect((await decide(drift()))!.outcome).toBe('ACTED');
    clock.advance(29 * MINUTE);
    expect((await decide(drift()))!.declineReasons).toContain(trainerV1.DeclineReason.DECLINE_REASON_COOLDOWN);
    // Past the cooldown and the pending window of the first command, nothing holds it back.
    clock.advance(61 * MINUTE + 1);
    expect((await decide(drift()))!.outcome).toBe('ACTED');
    clock.advance(61 * MINUTE + 1);
    const overBudget = (await decide(drift()))!;
    expect(overBudget.declineReasons).toEqual([trainerV1.DeclineReason.DECLINE_REASON_BUDGET_EXHAUSTED]);
    expect(overBudget.runsToday).toBe(2);
    clock.set('2025-03-11T00:00:00.000Z');
    expect((await decide(drift()))!.outcome).toBe('ACTED');
  });

  it('waits for enough new data since the last run', async () => {
    repository.datasetVersions.pop();
    repository.datasetVersions.push({ dataset: 'claims', version: 4, rowCount: 60 });
    const declined = (await decide(drift()))!;
    expect(declined).toMatchObject({
      outcome: 'DECLINED',
      newRows: 60,
      declineReasons: [trainerV1.DeclineReason.DECLINE_REASON_NOT_ENOUGH_NEW_DATA],
    });
    await transactions.run((manager) =>
      service.recordDatasetVersion(manager, { dataset: 'claims', version: 5, rowCount: 40, commitTime: null }),
    );
    expect((await decide(drift()))!).toMatchObject({ outcome: 'ACTED', newRows: 100 });
  });

  it('prefers the spec of the policy, and declines without any spec', async () => {
    const policySpec = { ...lastSpec, metric: 'roc_auc' };
    repository.policies.set('fraud', { ...repository.policies.get('fraud')!, spec: policySpec, minNewRows: 0 });
    await decide(drift());
    expect(events.commands[0]!.command.spec).toEqual(policySpec);

    repository.policies.set('other', { ...repository.policies.get('fraud')!, modelName: 'other', spec: null });
    expect((await decide(drift('other')))!.declineReasons).toEqual([trainerV1.DeclineReason.DECLINE_REASON_NO_SPEC]);
  });
});
