import { randomUUID } from 'node:crypto';
import { appendToOutbox } from '@flywheel/persistence';
import { encodeEvent, type EventEnvelope, type EventType, topicFor } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { currentCausationId } from '../trace/causation';
import { childTraceparent, type TraceContext } from '../trace/trace-context';

export interface PublishOptions {
  /** Aggregate id: the Kafka key, which keeps one entity's events in order. */
  key: string;
  /** Defaults to the type's topic in the contracts (`topicFor`). */
  topic?: string;
  /**
   * The event that caused this one. Defaults to the event being handled when publishing from a
   * consumer; `null` marks a root (e.g. an API call).
   */
  causationId?: string | null;
  /** Defaults to a child of the current trace context (or a new trace). */
  traceparent?: string | null;
}

export interface EventPublisherSettings {
  /** The service name; events carry `ce_source: flywheel/<service>`. */
  service: string;
  traceContext: TraceContext;
  clock?: () => Date;
}

/**
 * Publishes events through the transactional outbox: `publish` encodes the envelope and appends
 * it to the outbox with the caller's `manager`, so the event exists if and only if the caller's
 * transaction commits. Nothing is sent to Kafka here; the relay does that.
 */
export class EventPublisher {
  private readonly source: string;

  constructor(private readonly settings: EventPublisherSettings) {
    this.source = `flywheel/${settings.service}`;
  }

  async publish<T>(manager: EntityManager, type: EventType<T>, data: T, options: PublishOptions): Promise<EventEnvelope<T>> {
    const topic = options.topic ?? topicFor(type as EventType<unknown>);
    const envelope: EventEnvelope<T> = {
      id: randomUUID(),
      source: this.source,
      type: type.typeName,
      time: (this.settings.clock ?? (() => new Date()))(),
      key: options.key,
      causationId: options.causationId === undefined ? currentCausationId() : options.causationId,
      traceparent: options.traceparent === undefined ? childTraceparent(this.settings.traceContext.current()) : options.traceparent,
      data,
    };
    const { type: _type, ...rest } = envelope;
    const record = encodeEvent(type, rest);
    await appendToOutbox(manager, [{ topic, ...record }]);
    return envelope;
  }
}
