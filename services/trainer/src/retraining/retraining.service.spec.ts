import { commonV1, trainerV1 } from '@flywheel/contracts';
import { type TransactionRunner } from '@flywheel/persistence';
import { type EntityManager } from 'typeorm';
import { ManualClock } from '@flywheel/platform';
import { type TrainerEvents } from '../system/trainer-events';
import { type PolicySettings } from './retraining-policy';
import { type DecisionRecord, type LastSuccess, RetrainingRepository } from './retraining.repository';
import { RetrainingService, type RetrainingTrigger } from './retraining.service';

const MINUTE = 60_000;

/** A fake transaction: holds the model locks it took until it ends, as a row lock would. */
interface FakeManager {
  releases: Array<() => void>;
}

/** The repository in memory, with a per-model lock that makes concurrent deciders wait like `SELECT … FOR UPDATE`. */
class InMemoryRetrainingRepository extends RetrainingRepository {
  policies = new Map<string, PolicySettings>();
  decisions: DecisionRecord[] = [];
  lastSuccesses = new Map<string, LastSuccess>();
  datasetVersions: Array<{ dataset: string; version: number; rowCount: number }> = [];
  private readonly locks = new Map<string, Promise<void>>();

  async lockModel(manager: EntityManager, modelName: string): Promise<void> {
    const fake = manager as unknown as FakeManager;
    const previous = this.locks.get(modelName) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.locks.set(
      modelName,
      previous.then(() => held),
    );
    fake.releases.push(release);
    await previous;
  }
  async hasDecided(_m: EntityManager, modelName: string, eventId: string): Promise<boolean> {
    return this.decisions.some((d) => d.modelName === modelName && d.triggerEventId === eventId);
  }
  async policy(_m: EntityManager, modelName: string): Promise<PolicySettings | null> {
    return this.policies.get(modelName) ?? null;
  }
  async savePolicy(_m: EntityManager, policy: PolicySettings): Promise<void> {
    this.policies.set(policy.modelName, policy);
  }
  async lastSuccess(_m: EntityManager, modelName: string): Promise<LastSuccess | null> {
    return this.lastSuccesses.get(modelName) ?? null;
  }
  async lastActedAt(_m: EntityManager, modelName: string): Promise<Date | null> {
    const acted = this.acted(modelName).map((d) => d.decidedAt.getTime());
    return acted.length > 0 ? new Date(Math.max(...acted)) : null;
  }
  async actedSince(_m: EntityManager, modelName: string, since: Date): Promise<number> {
    return this.acted(modelName).filter((d) => d.decidedAt >= since).length;
  }
  async rowsAfter(_m: EntityManager, dataset: string, version: number | null): Promise<number> {
    return this.datasetVersions.filter((v) => v.dataset === dataset && v.version > (version ?? 0)).reduce((sum, v) => sum + v.rowCount, 0);
  }
  async inFlight(_m: EntityManager, modelName: string, pendingSince: Date): Promise<boolean> {
    // No command becomes a run here: an acted decision counts as in flight for the pending window.
    return this.acted(modelName).some((d) => d.decidedAt >= pendingSince);
  }
  async saveDecision(_m: EntityManager, decision: DecisionRecord): Promise<void> {
    // Let other deciders interleave here if the lock did not hold them back.
    await new Promise((resolve) => setImmediate(resolve));
    this.decisions.push(decision);
  }
  async runIdOfDecision(_m: EntityManager, decisionId: string): Promise<string | null> {
    return this.decisions.find((d) => d.id === decisionId)?.runId ?? null;
  }
  async listDecisions(): Promise<DecisionRecord[]> {
    return [...this.decisions].reverse();
  }
  async recordDatasetVersion(_m: EntityManager, dataset: string, version: number, rowCount: number): Promise<void> {
    this.datasetVersions.push({ dataset, version, rowCount });
  }
  private acted(modelName: string): DecisionRecord[] {
    return this.decisions.filter((d) => d.modelName === modelName && d.outcome === 'ACTED');
  }
}

class RecordingEvents {
  decided: DecisionRecord[] = [];
  commands: Array<{ command: trainerV1.TrainModel; causationId: string }> = [];
  async retrainingDecided(_m: EntityManager, decision: DecisionRecord): Promise<void> {
    this.decided.push(decision);
  }
  async trainModel(_m: EntityManager, command: trainerV1.TrainModel, causationId: string): Promise<string> {
    this.commands.push({ command, causationId });
    return `command-${this.commands.length}`;
  }
}

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

  const transactions = {
    run: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
      const manager: FakeManager = { releases: [] };
      try {
        return await work(manager as unknown as EntityManager);
      } finally {
        for (const release of manager.releases) release();
      }
    },
  } as unknown as TransactionRunner;

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
