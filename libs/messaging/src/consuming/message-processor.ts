import { type LoggerService } from '@nestjs/common';
import { decodeConsumedEvent, type EventEnvelope } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { runAsConsequenceOf } from '../trace/causation';
import { isTraceparent, newTraceparent, type TraceContext } from '../trace/trace-context';
import { type ConsumeOutcome, type MessagingMetricsSink } from '../metrics/messaging-metrics';
import { type ConsumedRecord } from './consumed-record';
import { deadLetterUntilAccepted, type ProcessControl, waitWithHeartbeats } from './consumer-waits';
import { buildDeadLetter, type DeadLetter, errorClass, errorMessage } from './dead-letter';
import { type DeliveryPlanner } from './delivery-plan';
import { type HandlerBinding } from './handler-binding';
import { nextStep, type RetryPolicy } from './retry-policy';

/** The I/O a processor needs, as ports: unit tests replace them, the consumer wires real ones. */
export interface ProcessorPorts {
  /** Runs `work` in one database transaction. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** Claims (consumer, event id) in that transaction; false if it was processed before. */
  claim(manager: EntityManager, consumer: string, eventId: string): Promise<boolean>;
  /** Parks a record in `<its topic>.dlq`. */
  deadLetter(sourceTopic: string, letter: DeadLetter): Promise<void>;
  traceContext: TraceContext;
  metrics: MessagingMetricsSink;
  logger: LoggerService;
  clock: () => Date;
}

/** What the consumer loop does with the record's offset afterwards. */
export type ProcessResult = ConsumeOutcome | 'interrupted';

export type { ProcessControl };

/**
 * Applies one consumed record for one consumer group: validate, dedupe and handle in one
 * transaction, retry with backoff, park in the dead-letter topic. Every outcome except
 * `interrupted` means the record is done and its offset may be committed.
 */
export class MessageProcessor {
  constructor(
    private readonly group: string,
    private readonly planner: DeliveryPlanner,
    private readonly defaultRetry: RetryPolicy,
    private readonly ports: ProcessorPorts,
  ) {}

  async process(record: ConsumedRecord, control: ProcessControl): Promise<ProcessResult> {
    const started = performance.now();
    const result = await this.apply(record, control);
    if (result !== 'interrupted') {
      this.ports.metrics.recordConsumed(this.group, record.topic, result, (performance.now() - started) / 1000);
    }
    return result;
  }

  private async apply(record: ConsumedRecord, control: ProcessControl): Promise<ProcessResult> {
    const plan = this.planner.plan(record);
    if (plan.kind === 'raw') {
      const header = record.headers.traceparent;
      const traceparent = header && isTraceparent(header) ? header : null;
      return this.handleWithRetries(
        record,
        plan.binding,
        plan.dedupeId,
        traceparent,
        null,
        (manager) => plan.binding.handle(record, manager),
        control,
      );
    }
    let event: EventEnvelope;
    try {
      event = decodeConsumedEvent(record, plan.registry);
    } catch (error) {
      this.ports.logger.error(`${this.where(record)}: invalid event, parking it: ${errorMessage(error)}`);
      return this.park(record, error, 1, control);
    }
    if (plan.kind === 'validate-only') return 'ignored';
    const { binding } = plan;
    return this.handleWithRetries(
      record,
      binding,
      event.id,
      event.traceparent,
      event.id,
      (manager) => binding.handle(event as EventEnvelope<never>, manager),
      control,
    );
  }

  private async handleWithRetries(
    record: ConsumedRecord,
    binding: HandlerBinding,
    dedupeId: string,
    traceparent: string | null,
    causationId: string | null,
    handle: (manager: EntityManager) => Promise<void>,
    control: ProcessControl,
  ): Promise<ProcessResult> {
    const policy: RetryPolicy = { ...this.defaultRetry, ...binding.retry };
    const { transaction, claim, traceContext } = this.ports;
    const once = () =>
      transaction(async (manager): Promise<'applied' | 'duplicate'> => {
        if (!(await claim(manager, this.group, dedupeId))) return 'duplicate';
        await handle(manager);
        return 'applied';
      });
    const traced = () =>
      traceContext.run(traceparent ?? newTraceparent(), () => (causationId ? runAsConsequenceOf(causationId, once) : once()));
    // Bounded by the policy: every failure either schedules a retry (attempt < maxAttempts) or parks.
    for (let attempt = 1; ; attempt++) {
      try {
        return await traced();
      } catch (error) {
        const step = nextStep(policy, attempt, error);
        if (step.kind === 'dead-letter') {
          this.ports.logger.error(
            `${this.where(record)}: ${binding.name} failed ${attempt} time(s), parking it: ${errorClass(error)}: ${errorMessage(error)}`,
          );
          return this.park(record, error, attempt, control);
        }
        this.ports.logger.warn(
          `${this.where(record)}: ${binding.name} failed (attempt ${attempt}/${policy.maxAttempts}), retrying in ${step.delayMs} ms: ${errorMessage(error)}`,
        );
        if (!(await waitWithHeartbeats(step.delayMs, control))) return 'interrupted';
      }
    }
  }

  private async park(record: ConsumedRecord, error: unknown, attempts: number, control: ProcessControl): Promise<ProcessResult> {
    const letter = buildDeadLetter(record, { error, consumer: this.group, attempts, failedAt: this.ports.clock() });
    const parked = await deadLetterUntilAccepted(
      () => this.ports.deadLetter(record.topic, letter),
      control,
      this.ports.logger,
      this.where(record),
    );
    return parked ? 'dead-lettered' : 'interrupted';
  }

  private where(record: ConsumedRecord): string {
    return `${this.group} ${record.topic}[${record.partition}]@${record.offset}`;
  }
}
