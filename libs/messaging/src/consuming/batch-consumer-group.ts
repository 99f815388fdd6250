import { type LoggerService } from '@nestjs/common';
import { type EachBatchPayload } from 'kafkajs';
import { type MessagingMetricsSink } from '../metrics/messaging-metrics';
import { type ConsumedRecord, consumedRecord } from './consumed-record';
import { deadLetterUntilAccepted, type ProcessControl, waitWithHeartbeats } from './consumer-waits';
import { GroupConsumer, type GroupConsumerSettings } from './group-consumer';
import { buildDeadLetter, type DeadLetter, errorClass, errorMessage } from './dead-letter';
import { nextStep, type RetryPolicy } from './retry-policy';

/** Consecutive records of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
}

/**
 * Applies a batch and makes its effects durable before it resolves. It must be idempotent per
 * record (a batch is redelivered after a crash or a rebalance, possibly overlapping one already
 * applied): the usual way is to store the partition's next offset with the effects, in one
 * transaction, and skip records below it. Data it cannot accept is the handler's to quarantine;
 * a throw means the platform failed (database down, a bug) and the batch is retried.
 */
export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface BatchConsumerGroupSettings extends GroupConsumerSettings {
  handle: BatchHandler;
  retry: RetryPolicy;
  /** Parks a record the handler failed on, alone, after its retries, in `<its topic>.dlq`. */
  deadLetter(sourceTopic: string, letter: DeadLetter): Promise<void>;
  metrics: MessagingMetricsSink;
  logger: LoggerService;
  clock: () => Date;
  /** Largest batch handed to the handler; a larger fetch is applied in slices of this size. */
  maxRecordsPerBatch: number;
}

/**
 * One kafkajs consumer for one group that hands whole batches to its handler: the way to keep
 * up with a topic when each record is cheap and a transaction per record is not. A failed batch
 * is retried with the policy's backoff; when it still fails, its records are retried one by one,
 * so that only a record the platform cannot apply is parked in the dead-letter topic and the
 * rest go on. Offsets are committed to Kafka only after the handler resolved.
 */
export class BatchConsumerGroup extends GroupConsumer<BatchConsumerGroupSettings> {
  protected async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { metrics, group, maxRecordsPerBatch } = this.settings;
    const control = this.controlOf(payload);
    let next: bigint | undefined;
    for (let start = 0; start < batch.messages.length; start += maxRecordsPerBatch) {
      if (!isRunning() || isStale() || control.signal.aborted) break;
      const slice = batch.messages.slice(start, start + maxRecordsPerBatch);
      const records = slice.map((message) => consumedRecord(batch.topic, batch.partition, message));
      const started = performance.now();
      const outcome = await this.apply({ topic: batch.topic, partition: batch.partition, records }, control);
      if (outcome === 'interrupted') break;
      metrics.recordBatchConsumed(group, batch.topic, records.length, outcome.deadLettered, (performance.now() - started) / 1000);
      const last = slice[slice.length - 1]!.offset;
      resolveOffset(last);
      next = BigInt(last) + 1n;
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    if (next !== undefined) {
      const lag = BigInt(batch.highWatermark) - next;
      metrics.setConsumerLag(group, batch.topic, batch.partition, Number(lag > 0n ? lag : 0n));
    }
  }

  /** The batch applied (possibly record by record), or interrupted by a stop. */
  private async apply(batch: ConsumedBatch, control: ProcessControl): Promise<{ deadLettered: number } | 'interrupted'> {
    const whole = await this.withRetries(batch, control);
    if (whole === 'applied' || whole === 'interrupted') return whole === 'applied' ? { deadLettered: 0 } : whole;
    if (batch.records.length === 1)
      return (await this.park(batch.records[0]!, whole.error, whole.attempts, control)) ? { deadLettered: 1 } : 'interrupted';
    this.settings.logger.warn(
      `${this.where(batch)}: the batch keeps failing (${errorMessage(whole.error)}); applying its records one by one`,
    );
    let deadLettered = 0;
    for (const record of batch.records) {
      const single = { topic: batch.topic, partition: batch.partition, records: [record] };
      const result = await this.withRetries(single, control);
      if (result === 'interrupted') return result;
      if (result === 'applied') continue;
      if (!(await this.park(record, result.error, result.attempts, control))) return 'interrupted';
      deadLettered++;
    }
    return { deadLettered };
  }

  private async withRetries(
    batch: ConsumedBatch,
    control: ProcessControl,
  ): Promise<'applied' | 'interrupted' | { error: unknown; attempts: number }> {
    const { handle, retry, logger } = this.settings;
    // Bounded by the policy: every failure either schedules a retry or gives up.
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(batch);
        return 'applied';
      } catch (error) {
        const step = nextStep(retry, attempt, error);
        if (step.kind === 'dead-letter') return { error, attempts: attempt };
        logger.warn(
          `${this.where(batch)}: failed (attempt ${attempt}/${retry.maxAttempts}), retrying in ${step.delayMs} ms: ${errorMessage(error)}`,
        );
        if (!(await waitWithHeartbeats(step.delayMs, control))) return 'interrupted';
      }
    }
  }

  private async park(record: ConsumedRecord, error: unknown, attempts: number, control: ProcessControl): Promise<boolean> {
    const { group, clock, logger, deadLetter } = this.settings;
    const where = `${group} ${record.topic}[${record.partition}]@${record.offset}`;
    logger.error(`${where}: failed ${attempts} time(s), parking it: ${errorClass(error)}: ${errorMessage(error)}`);
    const letter = buildDeadLetter(record, { error, consumer: group, attempts, failedAt: clock() });
    return deadLetterUntilAccepted(() => deadLetter(record.topic, letter), control, logger, where);
  }

  private where(batch: ConsumedBatch): string {
    const first = batch.records[0]?.offset;
    const last = batch.records[batch.records.length - 1]?.offset;
    return `${this.settings.group} ${batch.topic}[${batch.partition}]@${first}..${last}`;
  }
}
