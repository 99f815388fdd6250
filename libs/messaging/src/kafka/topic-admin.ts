import { type Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  /** Omitted: the broker's default. */
  partitions?: number;
  /** Omitted: the broker's default. */
  replicationFactor?: number;
  configEntries?: Array<{ name: string; value: string }>;
}

/**
 * Creates the topics that do not exist yet and waits for their leaders. Existing topics are left
 * alone (their partition count is never changed here: that reshuffles keys). Safe when several
 * services race to create the same topic.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const wanted = new Map<string, TopicSpec>();
  for (const spec of specs) if (!wanted.has(spec.topic)) wanted.set(spec.topic, spec);
  if (wanted.size === 0) return [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...wanted.values()].filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions ?? -1,
        replicationFactor: spec.replicationFactor ?? -1,
        configEntries: spec.configEntries,
      })),
    });
    return missing.map((spec) => spec.topic);
  } finally {
    await admin.disconnect();
  }
}
