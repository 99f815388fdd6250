import { commonV1, TrainModelCommand, trainerV1 } from '@flywheel/contracts';
import { NonRetriableError } from '@flywheel/messaging';
import { ManualClock } from '@flywheel/platform';
import { RetrainingService } from '../retraining/retraining.service';
import { type TrainerEvents } from '../system/trainer-events';
import { fakeLockingTransactions, InMemoryRetrainingRepository, RecordingEvents } from '../testing/retraining-fakes';
import { type TrainCommand } from './runs.service';
import { TrainCommandGate } from './train-command-gate';

const spec = (modelName: string) =>
  trainerV1.ModelSpec.fromPartial({
    modelName,
    featureView: 'claims-features',
    label: 'is_fraud',
    algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
    metric: 'accuracy',
  });

describe('TrainCommandGate', () => {
  let repository: InMemoryRetrainingRepository;
  let events: RecordingEvents;
  let retraining: RetrainingService;
  let gate: TrainCommandGate;
  let eventNumber = 0;

  const command = (fields: Partial<TrainCommand> & { modelName?: string }): TrainCommand => ({
    eventId: `command-${++eventNumber}`,
    sender: 'scheduler',
    spec: spec(fields.modelName ?? 'fraud'),
    trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
    decisionId: '',
    reason: 'weekly retraining',
    ...fields,
  });
  const admit = (c: TrainCommand) => fakeLockingTransactions.run((manager) => gate.admit(manager, c));

  beforeEach(() => {
    repository = new InMemoryRetrainingRepository();
    events = new RecordingEvents();
    retraining = new RetrainingService(
      repository,
      fakeLockingTransactions,
      events as unknown as TrainerEvents,
      new ManualClock('2026-03-10T08:00:00.000Z'),
    );
    gate = new TrainCommandGate(retraining);
    repository.policies.set('fraud', {
      modelName: 'fraud',
      enabled: true,
      cooldownMs: 60 * 60_000,
      dailyBudget: 3,
      minNewRows: 0,
      spec: null,
      onDrift: true,
      onPerformanceDegraded: true,
    });
  });

  it('refuses a command for a model the trainer does not know, naming the command and its sender', async () => {
    const forged = command({ modelName: 'evil', eventId: 'forged-1', sender: 'intruder' });
    await expect(admit(forged)).rejects.toThrow(
      'TrainModel forged-1 from intruder refused: the trainer knows no model evil (no retraining policy, no successful run)',
    );
    await expect(admit(forged)).rejects.toBeInstanceOf(NonRetriableError);
    expect(repository.decisions).toHaveLength(0);
  });

  it('refuses a model name no run can be recorded under', async () => {
    await expect(admit(command({ modelName: 'Not A Model' }))).rejects.toThrow('spec.model_name must match');
  });

  it("judges another system's command by the model's policy: the first is admitted, the next declined by the cooldown", async () => {
    const first = await admit(command({}));
    expect(first).toEqual({ runId: expect.any(String), decisionId: expect.any(String) });
    expect(repository.decisions[0]).toMatchObject({
      id: first!.decisionId,
      outcome: 'ACTED',
      runId: first!.runId,
      triggerEventType: TrainModelCommand.typeName,
      reasons: expect.arrayContaining(['TrainModel from scheduler: weekly retraining']),
    });
    // The command's own run carries it out: the policy sends no second command.
    expect(events.commands).toHaveLength(0);

    expect(await admit(command({}))).toBeNull();
    expect(repository.decisions[1]).toMatchObject({
      outcome: 'DECLINED',
      declineReasons: expect.arrayContaining([trainerV1.DeclineReason.DECLINE_REASON_COOLDOWN]),
    });
    expect(events.decided).toHaveLength(2);
  });

  it('declines every command while the policy is disabled', async () => {
    repository.policies.set('fraud', { ...repository.policies.get('fraud')!, enabled: false });
    expect(await admit(command({}))).toBeNull();
    expect(repository.decisions[0]).toMatchObject({
      outcome: 'DECLINED',
      reasons: expect.arrayContaining(['the retraining policy of fraud is disabled']),
    });
  });

  it("admits the policy's own command under its decision's run, and refuses one naming no such decision or another model", async () => {
    const decision = await fakeLockingTransactions.run((manager) =>
      retraining.decide(
        manager,
        { eventId: 'drift-1', eventType: 'flywheel.monitor.v1.DriftDetected', modelName: 'fraud', kind: 'drift', summary: 'drift' },
        undefined,
      ),
    );
    // The policy needs a spec to act on: give it the last run's.
    expect(decision?.outcome).toBe('DECLINED');
    repository.lastSuccesses.set('fraud', { runId: 'run-0', spec: spec('fraud'), dataset: null, datasetVersionTo: null });
    const acted = await fakeLockingTransactions.run((manager) =>
      retraining.decide(manager, {
        eventId: 'drift-2',
        eventType: 'flywheel.monitor.v1.DriftDetected',
        modelName: 'fraud',
        kind: 'drift',
        summary: 'drift',
      }),
    );
    const byPolicy = { trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY, sender: 'trainer' };
    expect(await admit(command({ ...byPolicy, decisionId: acted!.id }))).toEqual({ runId: acted!.runId, decisionId: acted!.id });

    const unknown = '6f1c1f0e-5b7a-4c8e-9d2e-3a1b2c3d4e5f';
    await expect(admit(command({ ...byPolicy, decisionId: unknown }))).rejects.toThrow(
      `decision "${unknown}" is not one the retraining policy made to retrain fraud`,
    );
    await expect(admit(command({ ...byPolicy, decisionId: decision!.id }))).rejects.toThrow('is not one the retraining policy made');
    repository.policies.set('churn', { ...repository.policies.get('fraud')!, modelName: 'churn' });
    await expect(admit(command({ ...byPolicy, decisionId: acted!.id, modelName: 'churn' }))).rejects.toThrow(
      'is not one the retraining policy made to retrain churn',
    );
  });
});
