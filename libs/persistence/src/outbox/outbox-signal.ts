import {
  type DataSource,
  type EntityManager,
  EventSubscriber,
  type EntitySubscriberInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

type Listener = () => void;

/** Tells the relays of one data source, in this process, that new outbox rows are committed. */
export class OutboxSignal {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}

const signals = new WeakMap<DataSource, OutboxSignal>();
/** Transactions (by their query runner) that wrote outbox rows and have not ended yet. */
const pendingWrites = new WeakSet<QueryRunner>();

export function outboxSignalFor(dataSource: DataSource): OutboxSignal {
  let signal = signals.get(dataSource);
  if (!signal) signals.set(dataSource, (signal = new OutboxSignal()));
  return signal;
}

/**
 * Records that `manager` wrote outbox rows. Waking the relay before the commit would find
 * nothing (the rows are invisible until then), so a transaction's write is announced by
 * {@link OutboxCommitSubscriber} once it commits, and forgotten if it rolls back.
 */
export function noteOutboxWrite(manager: EntityManager): void {
  const runner = manager.queryRunner;
  if (runner?.isTransactionActive) pendingWrites.add(runner);
  else outboxSignalFor(manager.dataSource).notify();
}

@EventSubscriber()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint also reports a commit; only the outermost commit makes rows visible.
    if (event.queryRunner.isTransactionActive) return;
    if (pendingWrites.delete(event.queryRunner)) outboxSignalFor(event.dataSource).notify();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) pendingWrites.delete(event.queryRunner);
  }
}
