import { Logger, type LoggerService } from '@nestjs/common';
import { type DataSource, type EntityManager } from 'typeorm';
import { withDefaults } from '@flywheel/platform';
import { backoffDelay, type BackoffPolicy, sleep } from '../backoff/backoff';
import { type PendingOutboxRecord } from './outbox-record';
import { chunksUnder, fitsOneRequest, producedRecordBytes } from './produce-request-size';
import { type TableChanges } from '../table-changes/table-changes';
import { outboxSignalFor } from './outbox-signal';
import { type OutboxTransport } from './outbox-transport';

/** Where the relay reports its backlog (the platform maps it to Prometheus gauges). */
export interface OutboxMetricsSink {
  /** Unpublished rows, and the age of the oldest one (0 when none). */
  setOutboxBacklog(rows: number, oldestAgeSeconds: number): void;
  recordOutboxPublished(rows: number): void;
  /** Rows set aside because they could not be published (optional for older sinks). */
  setOutboxParked?(rows: number): void;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  transport: OutboxTransport;
  /** Rows per transaction and Kafka request. */
  batchSize?: number;
  /**
   * Commits of outbox rows by other processes (the outbox table's trigger NOTIFYs); without it
   * only this process's commits wake the relay and the poll finds the rest.
   */
  changes?: TableChanges;
  /** Fallback for a notification that was missed (a lost listener connection). */
  pollIntervalMs?: number;
  /** Waits after failed publications (Kafka down, a rejected record). */
  backoff?: BackoffPolicy;
  /** Published rows are kept this long (for inspection), then deleted. */
  retentionMs?: number;
  /**
   * The largest record batch the broker accepts (Apache Kafka's `message.max.bytes`, 1 MiB by
   * default): produce requests are cut under it, and a single larger event is parked at once.
   */
  maxMessageBytes?: number;
  /** Failed publications of one row before it is parked and the rows behind it go on. */
  maxAttempts?: number;
  logger?: LoggerService;
  metrics?: OutboxMetricsSink;
}

export const OUTBOX_RELAY_DEFAULTS = {
  batchSize: 200,
  // A commit wakes the relay at once (in this process directly, in another through NOTIFY): the
  // poll is only a safety net, so an idle relay costs a query every half minute.
  pollIntervalMs: 30_000,
  backoff: { baseDelayMs: 500, factor: 2, maxDelayMs: 30_000, jitter: 0.2 } satisfies BackoffPolicy,
  retentionMs: 24 * 3600_000,
  maxMessageBytes: 1024 * 1024,
  maxAttempts: 5,
};

const PRUNE_INTERVAL_MS = 600_000;
const PRUNE_BATCH = 10_000;
// Prometheus scrapes every 15 s or so: a fresher figure would only cost idle queries.
const BACKLOG_REPORT_INTERVAL_MS = 5_000;

type BatchOutcome =
  | { kind: 'published'; rows: number; fetched: number }
  | { kind: 'empty' }
  | { kind: 'busy' }
  | { kind: 'failed'; error: unknown; published?: number };

/** While idle the backlog is known to be empty; parked rows are recounted this often. */
const IDLE_PARKED_REPORT_INTERVAL_MS = 60_000;

/** Rows the relay gave up on, for health checks and metrics. */
export interface ParkedOutbox {
  readonly rows: number;
  /** The newest parked row's reason. */
  readonly latestReason: string | undefined;
}

/**
 * Publishes outbox rows in id order and marks them published, at least once: a crash after
 * Kafka acknowledged a batch but before the mark committed publishes that batch again on
 * restart, and consumers dedupe by event id.
 *
 * Each batch is one transaction that holds a transaction-scoped advisory lock (one per schema)
 * and locks its rows with FOR UPDATE SKIP LOCKED. The row locks alone would keep two relays from
 * publishing the same row, but a second relay would then skip ahead and publish later rows of
 * the same key before earlier ones; the advisory lock makes the others wait instead, so the
 * order in Kafka is the order in the table. Rows of one aggregate get ids in commit order as
 * long as writers lock the aggregate, which any state change does.
 */
export class OutboxRelay {
  private readonly options: Required<Omit<OutboxRelayOptions, 'metrics' | 'changes'>> & Pick<OutboxRelayOptions, 'metrics' | 'changes'>;
  private readonly stopController = new AbortController();
  private wake: (() => void) | undefined;
  private wakeRequested = false;
  private readonly unsubscribe: Array<() => void> = [];
  private loop: Promise<void> | undefined;
  private lastPrune = 0;
  private lastBacklogReport = 0;

  constructor(options: OutboxRelayOptions) {
    this.options = withDefaults<OutboxRelay['options']>(
      { ...OUTBOX_RELAY_DEFAULTS, logger: new Logger(OutboxRelay.name), dataSource: options.dataSource, transport: options.transport },
      options,
    );
  }

  /** Starts publishing in the background; {@link stop} ends it. */
  start(): void {
    if (this.loop) throw new Error('outbox relay already started');
    const wake = () => {
      this.wakeRequested = true;
      this.wake?.();
    };
    this.unsubscribe.push(outboxSignalFor(this.options.dataSource).subscribe(wake));
    if (this.options.changes) this.unsubscribe.push(this.options.changes.onChange('outbox', wake));
    this.loop = this.run();
  }

  /** Finishes the batch in flight (publish and mark), then disconnects from Kafka. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wake?.();
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.loop;
    await this.options.transport
      .disconnect()
      .catch((error) => this.options.logger.warn(`outbox relay: disconnect failed: ${describe(error)}`));
  }

  /** The rows given up on so far (they stay until a person re-queues or deletes them). */
  parked(): Promise<ParkedOutbox> {
    return outboxParked(this.options.dataSource.manager);
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    const { backoff, logger, pollIntervalMs } = this.options;
    let failures = 0;
    while (!this.stopping && !(await this.tryConnect())) {
      failures++;
      await sleep(backoffDelay(backoff, failures), this.stopController.signal);
    }
    failures = 0;
    while (!this.stopping) {
      this.wakeRequested = false;
      let outcome: BatchOutcome;
      try {
        outcome = await this.publishBatch();
      } catch (error) {
        // The database itself failed (connection lost, timeout): nothing was marked.
        outcome = { kind: 'failed', error };
      }
      await this.housekeeping(outcome);
      if (outcome.kind === 'failed') {
        failures++;
        const delay = backoffDelay(backoff, failures);
        logger.warn(`outbox relay: publication failed (attempt ${failures}), retrying in ${delay} ms: ${describe(outcome.error)}`);
        await sleep(delay, this.stopController.signal);
        continue;
      }
      failures = 0;
      if (outcome.kind === 'published' && outcome.fetched === this.options.batchSize) continue;
      if (outcome.kind === 'published' || this.wakeRequested) continue;
      await this.waitForWake(pollIntervalMs);
    }
  }

  private async tryConnect(): Promise<boolean> {
    try {
      await this.options.transport.connect();
      return true;
    } catch (error) {
      this.options.logger.warn(`outbox relay: cannot connect to Kafka: ${describe(error)}`);
      return false;
    }
  }

  /**
   * One batch: lock, publish, mark — all in one transaction. Exposed for drains and tests.
   *
   * Rows go out in outbox order, in produce requests cut under `maxMessageBytes`. A row larger
   * than that can never be sent: it is parked at once. When a request fails, its rows are sent one
   * by one so the row at fault is found; it counts an attempt and the batch stops there (what
   * follows waits, keeping the order); after `maxAttempts` it is parked and the rest goes on.
   */
  async publishBatch(): Promise<BatchOutcome> {
    const { dataSource, metrics } = this.options;
    const outcome = await dataSource.transaction(async (manager): Promise<BatchOutcome> => {
      if (!(await tryRelayLock(manager))) return { kind: 'busy' };
      const rows: Array<PendingOutboxRecord & { attempts: number }> = await manager.query(
        `SELECT id, topic, key, value, headers, attempts FROM outbox
          WHERE published_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (rows.length === 0) return { kind: 'empty' };
      const sendable: typeof rows = [];
      for (const row of rows) {
        const bytes = producedRecordBytes(row);
        if (!fitsOneRequest(bytes, this.options.maxMessageBytes)) {
          await this.park(
            manager,
            row.id,
            `event of ${bytes} bytes exceeds the largest message the broker accepts (${this.options.maxMessageBytes} bytes)`,
          );
        } else {
          sendable.push(row);
        }
      }
      let published = 0;
      for (const chunk of chunksUnder(sendable, this.options.maxMessageBytes)) {
        const sent = await this.publishChunk(manager, chunk);
        published += sent.published;
        if (sent.error !== undefined) return { kind: 'failed', error: sent.error, published };
      }
      return { kind: 'published', rows: published, fetched: rows.length };
    });
    const published = outcome.kind === 'published' ? outcome.rows : outcome.kind === 'failed' ? (outcome.published ?? 0) : 0;
    if (published > 0) metrics?.recordOutboxPublished(published);
    return outcome;
  }

  /** Sends one produce request; on failure, row by row to find and count the row at fault. */
  private async publishChunk(
    manager: EntityManager,
    chunk: ReadonlyArray<PendingOutboxRecord & { attempts: number }>,
  ): Promise<{ published: number; error?: unknown }> {
    try {
      await this.options.transport.publish(chunk);
      await markPublished(
        manager,
        chunk.map((row) => String(row.id)),
      );
      return { published: chunk.length };
    } catch (error) {
      if (chunk.length === 1) return this.countFailure(manager, chunk[0], error);
    }
    let published = 0;
    for (const row of chunk) {
      try {
        await this.options.transport.publish([row]);
        await markPublished(manager, [String(row.id)]);
        published += 1;
      } catch (error) {
        const outcome = await this.countFailure(manager, row, error);
        if (outcome.error !== undefined) return { published, error: outcome.error };
      }
    }
    return { published };
  }

  /** Counts a failed attempt; parks the row after its last one, so what follows can go on. */
  private async countFailure(
    manager: EntityManager,
    row: PendingOutboxRecord & { attempts: number },
    error: unknown,
  ): Promise<{ published: number; error?: unknown }> {
    const attempts = Number(row.attempts) + 1;
    await manager.query(`UPDATE outbox SET attempts = $2, last_error = $3 WHERE id = $1`, [
      row.id,
      attempts,
      describe(error).slice(0, 2000),
    ]);
    if (attempts < this.options.maxAttempts) return { published: 0, error };
    await this.park(manager, row.id, `not published after ${attempts} attempts: ${describe(error).slice(0, 1000)}`);
    return { published: 0 };
  }

  private async park(manager: EntityManager, id: string, reason: string): Promise<void> {
    await manager.query(`UPDATE outbox SET parked_at = now(), parked_reason = $2 WHERE id = $1`, [id, reason]);
    this.options.logger.error(`outbox relay: parked event ${id}: ${reason}`);
  }

  private async housekeeping(outcome: BatchOutcome): Promise<void> {
    const now = Date.now();
    const { metrics } = this.options;
    try {
      // An empty round proves the backlog empty (the relay holds the relay lock; uncommitted rows
      // are not backlog yet): an idle relay reports it without asking the database.
      const idle = outcome.kind === 'empty';
      if (metrics && idle) metrics.setOutboxBacklog(0, 0);
      const reportEvery = idle ? IDLE_PARKED_REPORT_INTERVAL_MS : BACKLOG_REPORT_INTERVAL_MS;
      if (metrics && now - this.lastBacklogReport >= reportEvery) {
        this.lastBacklogReport = now;
        if (!idle) {
          const backlog = await outboxBacklog(this.options.dataSource.manager);
          metrics.setOutboxBacklog(backlog.rows, backlog.oldestAgeSeconds);
        }
        metrics.setOutboxParked?.((await this.parked()).rows);
      }
      if (now - this.lastPrune >= PRUNE_INTERVAL_MS) {
        this.lastPrune = now;
        await this.options.dataSource.query(
          `DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1) LIMIT $2)`,
          [this.options.retentionMs / 1000, PRUNE_BATCH],
        );
      }
    } catch (error) {
      this.options.logger.warn(`outbox relay: housekeeping failed: ${describe(error)}`);
    }
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (this.wakeRequested || this.stopping) done();
    });
  }
}

/** Parked rows and the newest one's reason. */
export async function outboxParked(manager: EntityManager): Promise<ParkedOutbox> {
  const [row] = await manager.query(
    `SELECT (SELECT count(*)::int FROM outbox WHERE parked_at IS NOT NULL) AS rows,
            (SELECT parked_reason FROM outbox WHERE parked_at IS NOT NULL ORDER BY id DESC LIMIT 1) AS reason`,
  );
  return { rows: row.rows, latestReason: row.reason ?? undefined };
}

async function markPublished(manager: EntityManager, ids: readonly string[]): Promise<void> {
  await manager.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
}

/** Unpublished rows and the age of the oldest. */
export async function outboxBacklog(manager: EntityManager): Promise<{ rows: number; oldestAgeSeconds: number }> {
  const [row] = await manager.query(
    `SELECT count(*)::int AS rows,
            coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
       FROM outbox WHERE published_at IS NULL AND parked_at IS NULL`,
  );
  return { rows: row.rows, oldestAgeSeconds: row.age };
}

async function tryRelayLock(manager: EntityManager): Promise<boolean> {
  const [row] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext('flywheel.outbox:' || current_schema())) AS locked`);
  return row.locked === true;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
