import { FIXED_TOPICS, InvalidTopicError, Topics, datasetOfIngestTopic, dlqTopic, ingestTopic, isDlqTopic } from './topics';

describe('Topics', () => {
  it('follows flywheel.<area>.<events|commands> for every fixed topic', () => {
    expect(FIXED_TOPICS).toEqual([
      'flywheel.ingestion.events',
      'flywheel.featurestore.events',
      'flywheel.trainer.events',
      'flywheel.trainer.commands',
      'flywheel.registry.events',
      'flywheel.deployer.events',
      'flywheel.predictions',
      'flywheel.feedback',
      'flywheel.monitor.events',
    ]);
    expect(new Set(FIXED_TOPICS).size).toBe(FIXED_TOPICS.length);
  });
});

describe('ingestTopic', () => {
  it.each(['claims', 'c', 'claims_2024-q1', 'a'.repeat(63)])('accepts %s', (dataset) => {
    expect(ingestTopic(dataset)).toBe(`flywheel.ingest.${dataset}`);
    expect(Topics.ingestTopic(dataset)).toBe(`flywheel.ingest.${dataset}`);
    expect(datasetOfIngestTopic(ingestTopic(dataset))).toBe(dataset);
  });

  it.each(['', 'Claims', '1claims', '_claims', 'claims.v2', 'claims/../x', 'a'.repeat(64), 'clé', 'claims '])(
    'refuses %j, naming the rule',
    (dataset) => {
      expect(() => ingestTopic(dataset)).toThrow(InvalidTopicError);
      expect(() => ingestTopic(dataset)).toThrow(`dataset: must match ^[a-z][a-z0-9_-]{0,62}$, got ${JSON.stringify(dataset)}`);
    },
  );

  it('recognises only raw-record topics', () => {
    expect(datasetOfIngestTopic('flywheel.ingestion.events')).toBeNull();
    expect(datasetOfIngestTopic('flywheel.ingest.claims.dlq')).toBeNull();
    expect(datasetOfIngestTopic('flywheel.ingest.')).toBeNull();
  });
});

describe('dlqTopic', () => {
  it('appends .dlq', () => {
    expect(dlqTopic(Topics.registryEvents)).toBe('flywheel.registry.events.dlq');
    expect(Topics.dlqTopic(ingestTopic('claims'))).toBe('flywheel.ingest.claims.dlq');
    expect(isDlqTopic('flywheel.ingest.claims.dlq')).toBe(true);
    expect(isDlqTopic(Topics.feedback)).toBe(false);
  });

  it('refuses a dead-letter topic of a dead-letter topic', () => {
    expect(() => dlqTopic('flywheel.feedback.dlq')).toThrow('topic: flywheel.feedback.dlq is already a dead-letter topic');
  });

  it.each(['', '.', '..', 'a b', 'a/b', 'ü'])('refuses the invalid topic %j', (topic) => {
    expect(() => dlqTopic(topic)).toThrow(`topic: not a valid Kafka topic name: ${JSON.stringify(topic)}`);
  });

  it("refuses a result longer than Kafka's limit", () => {
    expect(dlqTopic('t'.repeat(245))).toHaveLength(249);
    expect(() => dlqTopic('t'.repeat(246))).toThrow("longer than Kafka's 249 characters");
  });
});
