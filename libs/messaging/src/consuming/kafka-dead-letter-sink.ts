import { dlqTopic } from '@flywheel/contracts';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { ensureTopics, type TopicSpec } from '../kafka/topic-admin';
import { type DeadLetter } from './dead-letter';

/**
 * Sends dead letters to `<topic>.dlq`, acknowledged by all in-sync replicas. A dead-letter topic
 * is created on first use when it does not exist yet: records of pattern-subscribed topics
 * (e.g. a dataset registered after boot) can fail before anyone created their DLQ.
 */
export class KafkaDeadLetterSink {
  private producer: Producer | undefined;
  private readonly ensured = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly dlqSpec: (dlq: string) => TopicSpec,
  ) {}

  async connect(): Promise<void> {
    this.producer ??= this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  /** Marks topics created at boot, so no admin round trip is needed for them. */
  markEnsured(topics: Iterable<string>): void {
    for (const topic of topics) this.ensured.add(topic);
  }

  send(sourceTopic: string, letter: DeadLetter): Promise<void> {
    return this.sendAll(sourceTopic, [letter]);
  }

  /** Parks several records of one topic with one produce request. */
  async sendAll(sourceTopic: string, letters: readonly DeadLetter[]): Promise<void> {
    if (!this.producer) throw new Error('dead-letter sink is not connected');
    const topic = dlqTopic(sourceTopic);
    if (!this.ensured.has(topic)) {
      await ensureTopics(this.kafka, [this.dlqSpec(topic)]);
      this.ensured.add(topic);
    }
    await this.producer.send({ topic, acks: -1, messages: letters.map((l) => ({ key: l.key, value: l.value, headers: l.headers })) });
  }

  async disconnect(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
