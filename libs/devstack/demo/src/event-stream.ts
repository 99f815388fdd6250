import { randomUUID } from 'node:crypto';
import { type Consumer, type Kafka } from 'kafkajs';
import { ConsumedEvents, decodeEvent, type EventEnvelope, type EventType, Topics } from '@flywheel/contracts';

/** The topics whose events tell the story of the loop (not the prediction log nor labels: too busy). */
export const STORY_TOPICS = [
  Topics.ingestionEvents,
  Topics.featureStoreEvents,
  Topics.trainerCommands,
  Topics.trainerEvents,
  Topics.registryEvents,
  Topics.deployerEvents,
  Topics.monitorEvents,
] as const;

export interface StreamedEvent<T = unknown> extends EventEnvelope<T> {
  topic: string;
  /** When this process read it. */
  receivedAt: number;
}

/**
 * Every platform event as it is published, read with a throw-away consumer group from the start
 * of the topics: the scenario's source of truth for what happened and what caused what
 * (`causationId`), and what the timeline prints.
 */
export class EventStream {
  readonly events: StreamedEvent[] = [];
  private readonly byId = new Map<string, StreamedEvent>();
  private consumer?: Consumer;
  private readonly listeners: Array<(event: StreamedEvent) => void> = [];

  constructor(private readonly kafka: Kafka) {}

  onEvent(listener: (event: StreamedEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // Idempotent: the services may have created them already.
      await admin.createTopics({ topics: STORY_TOPICS.map((topic) => ({ topic })), waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const registry = ConsumedEvents.all();
    this.consumer = this.kafka.consumer({ groupId: `demo-timeline-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...STORY_TOPICS], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
        let envelope: EventEnvelope;
        try {
          envelope = decodeEvent({ key: message.key, value: message.value, headers }, registry);
        } catch {
          return; // not an event of ours (e.g. a dead letter): nothing to tell
        }
        if (this.byId.has(envelope.id)) return;
        const event: StreamedEvent = { ...envelope, topic, receivedAt: Date.now() };
        this.events.push(event);
        this.byId.set(event.id, event);
        for (const listener of this.listeners) listener(event);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  get(id: string | null | undefined): StreamedEvent | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  ofType<T>(type: EventType<T>, where: (data: T, event: StreamedEvent<T>) => boolean = () => true): StreamedEvent<T>[] {
    return (this.events as StreamedEvent<T>[]).filter((e) => e.type === type.typeName && where(e.data, e));
  }

  /** Waits until an event of `type` satisfies `where`; throws `StepTimeout` naming `what` otherwise. */
  async waitFor<T>(
    type: EventType<T>,
    where: (data: T, event: StreamedEvent<T>) => boolean,
    timeoutMs: number,
    what: string,
    tick?: () => Promise<void>,
  ): Promise<StreamedEvent<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.ofType(type, where)[0];
      if (found) return found;
      if (Date.now() > deadline) throw new StepTimeout(what, timeoutMs);
      if (tick) await tick();
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A step of the scenario that did not happen in time. */
export class StepTimeout extends Error {
  constructor(
    readonly step: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for: ${step}`);
    this.name = 'StepTimeout';
  }
}
