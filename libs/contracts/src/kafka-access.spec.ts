import { ConsumedEvents } from './consumed-events';
import { topicFor } from './events';
import {
  allServiceAcls,
  KAFKA_SERVICES,
  type KafkaAcl,
  type KafkaService,
  MAX_TEAM_TOPICS,
  producerAcls,
  SERVICE_KAFKA_ACCESS,
  serviceAcls,
  teamProducerUser,
} from './kafka-access';
import { FIXED_TOPICS, Topics } from './topics';

const CONSUMED_EVENTS: Record<KafkaService, keyof typeof ConsumedEvents> = {
  ingestion: 'ingestion',
  'feature-store': 'featureStore',
  trainer: 'trainer',
  registry: 'registry',
  deployer: 'deployer',
  monitor: 'monitor',
};

/** Whether `principal` may do `operation` on the topic `name`, by Kafka's matching of literal and prefixed ACLs. */
function allows(acls: KafkaAcl[], principal: string, resource: KafkaAcl['resource'], name: string, operation: KafkaAcl['operation']) {
  return acls.some(
    (acl) =>
      acl.principal === principal &&
      acl.resource === resource &&
      acl.operation === operation &&
      (acl.pattern === 'literal' ? acl.name === name || acl.name === '*' : name.startsWith(acl.name)),
  );
}

const writers = (topic: string) => KAFKA_SERVICES.filter((s) => allows(allServiceAcls(), `User:${s}`, 'topic', topic, 'write')).sort();
const readers = (topic: string) => KAFKA_SERVICES.filter((s) => allows(allServiceAcls(), `User:${s}`, 'topic', topic, 'read')).sort();

describe('the Kafka access table', () => {
  it.each(KAFKA_SERVICES)('%s consumes exactly the topics of the event types ConsumedEvents registers for it', (service) => {
    const fromEvents = new Set(
      ConsumedEvents[CONSUMED_EVENTS[service]]()
        .typeNames()
        .map((type) => topicFor(type)),
    );
    const fromTable = SERVICE_KAFKA_ACCESS[service].consumes.map((c) => c.topic).filter((t) => t.pattern === 'literal');
    expect(new Set(fromTable.map((t) => t.name))).toEqual(fromEvents);
  });

  it('gives every fixed topic exactly one writer, and the deployer alone the prediction log and the feedback', () => {
    const owners = Object.fromEntries(FIXED_TOPICS.map((topic) => [topic, writers(topic)]));
    expect(owners).toEqual({
      [Topics.ingestionEvents]: ['ingestion'],
      [Topics.featureStoreEvents]: ['feature-store'],
      [Topics.trainerEvents]: ['trainer'],
      [Topics.trainerCommands]: ['trainer'],
      [Topics.registryEvents]: ['registry'],
      [Topics.deployerEvents]: ['deployer'],
      [Topics.predictions]: ['deployer'],
      // Labels come from the teams that learn the truth, through SubmitFeedback: the deployer checks and publishes them.
      [Topics.feedback]: ['deployer'],
      [Topics.monitorEvents]: ['monitor'],
    });
  });

  it('lets a consumer write the dead letters of what it reads, and nobody read them', () => {
    expect(writers(Topics.dlqTopic(Topics.trainerEvents))).toEqual(['registry']);
    expect(writers(Topics.dlqTopic(Topics.registryEvents))).toEqual(['deployer', 'monitor']);
    expect(writers(Topics.dlqTopic(Topics.ingestTopic('claims')))).toEqual(['ingestion']);
    expect(readers(Topics.dlqTopic(Topics.registryEvents))).toEqual([]);
  });

  it('lets only ingestion read raw records, in its per-dataset groups', () => {
    expect(readers(Topics.ingestTopic('claims'))).toEqual(['ingestion']);
    const acls = serviceAcls('ingestion');
    expect(allows(acls, 'User:ingestion', 'group', 'ingestion.raw.claims', 'read')).toBe(true);
    expect(allows(acls, 'User:ingestion', 'group', 'monitor.predictions', 'read')).toBe(false);
    expect(allows(acls, 'User:ingestion', 'topic', Topics.registryEvents, 'read')).toBe(false);
  });

  it('writes the ACLs of a service as kafka-acls --producer/--consumer would', () => {
    const acls = serviceAcls('registry');
    expect(acls).toEqual(
      expect.arrayContaining<KafkaAcl>([
        { principal: 'User:registry', resource: 'topic', pattern: 'literal', name: Topics.registryEvents, operation: 'write' },
        { principal: 'User:registry', resource: 'topic', pattern: 'literal', name: Topics.trainerEvents, operation: 'read' },
        { principal: 'User:registry', resource: 'group', pattern: 'literal', name: 'registry.run-completed', operation: 'read' },
        { principal: 'User:registry', resource: 'cluster', pattern: 'literal', name: 'kafka-cluster', operation: 'idempotent-write' },
      ]),
    );
    expect(acls.filter((acl) => acl.operation === 'write').map((acl) => acl.name)).toEqual([
      Topics.registryEvents,
      Topics.dlqTopic(Topics.trainerEvents),
    ]);
    expect(new Set(acls.map((acl) => JSON.stringify(acl))).size).toBe(acls.length);
  });
});

describe('producerAcls', () => {
  const fraud = `User:${teamProducerUser('fraud')}`;

  it('grants a team write on its ingest topics and read on what it may watch, in its own group', () => {
    const acls = producerAcls(fraud, [Topics.ingestTopic('claims')], [Topics.dlqTopic(Topics.ingestTopic('claims'))], 'fraud.dlq-watch');
    expect(acls).toEqual([
      { principal: fraud, resource: 'topic', pattern: 'literal', name: 'flywheel.ingest.claims', operation: 'write' },
      { principal: fraud, resource: 'topic', pattern: 'literal', name: 'flywheel.ingest.claims', operation: 'describe' },
      { principal: fraud, resource: 'topic', pattern: 'literal', name: 'flywheel.ingest.claims.dlq', operation: 'read' },
      { principal: fraud, resource: 'topic', pattern: 'literal', name: 'flywheel.ingest.claims.dlq', operation: 'describe' },
      { principal: fraud, resource: 'group', pattern: 'literal', name: 'fraud.dlq-watch', operation: 'read' },
    ]);
  });

  it('lets a team write ground truth to flywheel.feedback, as plain JSON or enveloped', () => {
    expect(producerAcls(fraud, [Topics.feedback]).map((acl) => `${acl.operation} ${acl.name}`)).toEqual([
      'write flywheel.feedback',
      'describe flywheel.feedback',
    ]);
  });

  it.each([
    [Topics.registryEvents, /may write only flywheel.ingest/],
    [Topics.dlqTopic(Topics.feedback), /may write only flywheel.ingest/],
    [Topics.predictions, /may write only flywheel.ingest/],
    [Topics.dlqTopic(Topics.ingestTopic('claims')), /may write only flywheel.ingest/],
    ['flywheel.ingest.', /may write only flywheel.ingest/],
    ['flywheel.ingest.Claims', /may write only flywheel.ingest/],
    ['flywheel.ingest.a/../b', /may write only flywheel.ingest/],
  ])('refuses to let a team write %s', (topic, message) => {
    expect(() => producerAcls(fraud, [topic])).toThrow(message);
  });

  it('refuses reads of commands, the prediction log, feedback and service dead letters', () => {
    for (const topic of [Topics.trainerCommands, Topics.predictions, Topics.feedback, Topics.dlqTopic(Topics.registryEvents)]) {
      expect(() => producerAcls(fraud, [Topics.ingestTopic('claims')], [topic])).toThrow(/a team may read its ingest topics/);
    }
  });

  it("refuses another team's or a service's consumer group", () => {
    const claims = [Topics.ingestTopic('claims')];
    expect(() => producerAcls(fraud, claims, claims, 'monitor.predictions')).toThrow('group: must be fraud or start with fraud.');
    expect(() => producerAcls(fraud, claims, claims, 'fraudster.x')).toThrow('group: must be fraud or start with fraud.');
    expect(() => producerAcls(fraud, claims, [], 'fraud')).toThrow('group: given without a topic to consume');
  });

  it('refuses hostile principals, team names and too many topics', () => {
    expect(() => producerAcls('User:*', [Topics.ingestTopic('claims')])).toThrow('principal: must be User:<name>');
    expect(() => producerAcls(fraud, [])).toThrow('at least one');
    expect(() => teamProducerUser('Fraud;admin')).toThrow('team: must match');
    expect(() => teamProducerUser('x'.repeat(64))).toThrow('team: must match');
    const many = Array.from({ length: MAX_TEAM_TOPICS + 1 }, (_, i) => Topics.ingestTopic(`d${i}`));
    expect(() => producerAcls(fraud, many)).toThrow(`at most ${MAX_TEAM_TOPICS} topics`);
  });
});
