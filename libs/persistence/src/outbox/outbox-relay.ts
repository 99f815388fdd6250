import { Logger, type LoggerService } from '@nestjs/common';
import { type DataSource, type EntityManager } from 'typeorm';
import { withDefaults } from '@flywheel/platform';
import { backoffDelay, type BackoffPolicy, sleep } from '../backoff/backoff';
import { type PendingOutboxRecord } from './outbox-record';
import { outboxSignalFor } from './outbox-signal';
import { type OutboxTransport } from './outbox-transport';

/** Where the relay reports its backlog (the platform maps it to Prometheus gauges). */
export interface OutboxMetricsSink {
  /** Unpublished rows, and the age of the oldest one (0 when none). */
  setOutboxBacklog(rows: number, oldestAgeSeconds: number): void;
  recordOutboxPublished(rows: number): void;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  transport: OutboxTransport;
  /** Rows per transaction and Kafka request. */
  batchSize?: number;
  /** Fallback when no in-process commit wakes the relay (rows written by another process). */
  pollIntervalMs?: number;
  /** Waits after failed publications (Kafka down, a rejected record). */
  backoff?: BackoffPolicy;
  /** Published rows are kept this long (for inspection), then deleted. */
  retentionMs?: number;
  logger?: LoggerService;
  metrics?: OutboxMetricsSink;
}

export const OUTBOX_RELAY_DEFAULTS = {
  batchSize: 200,
  pollIntervalMs: 1_000,
  backoff: { baseDelayMs: 500, factor: 2, maxDelayMs: 30_000, jitter: 0.2 } satisfies BackoffPolicy,
  retentionMs: 24 * 3600_000,
};

const PRUNE_INTERVAL_MS = 600_000;
const PRUNE_BATCH = 10_000;
const BACKLOG_REPORT_INTERVAL_MS = 1_000;

type BatchOutcome = { kind: 'published'; rows: number } | { kind: 'empty' } | { kind: 'busy' } | { kind: 'failed'; error: unknown };

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
  private readonly options: Required<Omit<OutboxRelayOptions, 'metrics'>> & Pick<OutboxRelayOptions, 'metrics'>;
  private readonly stopController = new AbortController();
  private wake: (() => void) | undefined;
  private wakeRequested = false;
  private unsubscribe: (() => void) | undefined;
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
    this.unsubscribe = outboxSignalFor(this.options.dataSource).subscribe(() => {
      this.wakeRequested = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  /** Finishes the batch in flight (publish and mark), then disconnects from Kafka. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wake?.();
    this.unsubscribe?.();
    await this.loop;
    await this.options.transport.disconnect().catch((error) => this.options.logger.warn(`outbox relay: disconnect failed: ${describe(error)}`));
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
      await this.housekeeping();
      if (outcome.kind === 'failed') {
        failures++;
        const delay = backoffDelay(backoff, failures);
        logger.warn(`outbox relay: publication failed (attempt ${failures}), retrying in ${delay} ms: ${describe(outcome.error)}`);
        await sleep(delay, this.stopController.signal);
        continue;
      }
      failures = 0;
      if (outcome.kind === 'published' && outcome.rows === this.options.batchSize) continue;
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

  /** One batch: lock, publish, mark — all in one transaction. Exposed for drains and tests. */
  async publishBatch(): Promise<BatchOutcome> {
    const { dataSource, transport, batchSize, metrics } = this.options;
    const outcome = await dataSource.transaction(async (manager): Promise<BatchOutcome> => {
      if (!(await tryRelayLock(manager))) return { kind: 'busy' };
      const rows: PendingOutboxRecord[] = await manager.query(
        `SELECT id, topic, key, value, headers FROM outbox
          WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return { kind: 'empty' };
      const ids = rows.map((row) => String(row.id));
      try {
        await transport.publish(rows);
      } catch (error) {
        await manager.query(`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [
          ids,
          describe(error).slice(0, 2000),
        ]);
        return { kind: 'failed', error };
      }
      await manager.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
      return { kind: 'published', rows: rows.length };
    });
    if (outcome.kind === 'published') metrics?.recordOutboxPublished(outcome.rows);
    return outcome;
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    try {
      if (this.options.metrics && now - this.lastBacklogReport >= BACKLOG_REPORT_INTERVAL_MS) {
        this.lastBacklogReport = now;
        const backlog = await outboxBacklog(this.options.dataSource.manager);
        this.options.metrics.setOutboxBacklog(backlog.rows, backlog.oldestAgeSeconds);
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

/** Unpublished rows and the age of the oldest. */
export async function outboxBacklog(manager: EntityManager): Promise<{ rows: number; oldestAgeSeconds: number }> {
  const [row] = await manager.query(
    `SELECT count(*)::int AS rows,
            coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
       FROM outbox WHERE published_at IS NULL`,
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
