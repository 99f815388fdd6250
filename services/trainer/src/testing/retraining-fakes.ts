// Fakes of the retraining policy's ports for unit tests: no database, no Kafka.
import { type trainerV1 } from '@flywheel/contracts';
import { type TransactionRunner } from '@flywheel/persistence';
import { type EntityManager } from 'typeorm';
import { type PolicySettings } from '../retraining/retraining-policy';
import { type DecisionRecord, type LastSuccess, RetrainingRepository } from '../retraining/retraining.repository';

/** A fake transaction: holds the model locks it took until it ends, as a row lock would. */
export interface FakeManager {
  releases: Array<() => void>;
}

/** The repository in memory, with a per-model lock that makes concurrent deciders wait like `SELECT … FOR UPDATE`. */
export class InMemoryRetrainingRepository extends RetrainingRepository {
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
  async decision(_m: EntityManager, decisionId: string): Promise<DecisionRecord | null> {
    return this.decisions.find((d) => d.id === decisionId) ?? null;
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

export class RecordingEvents {
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

/** Transactions of fake managers: each releases the model locks it took when its work ends. */
export const fakeLockingTransactions = {
  run: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
    const manager: FakeManager = { releases: [] };
    try {
      return await work(manager as unknown as EntityManager);
    } finally {
      for (const release of manager.releases) release();
    }
  },
} as unknown as TransactionRunner;
