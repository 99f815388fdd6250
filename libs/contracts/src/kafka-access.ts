/**
 * Who may do what on Kafka: the types shared with the embedded broker (`BrokerConfig.security`)
 * and THE access table of the six services, from which both the embedded broker's ACLs and the
 * Apache Kafka init script (deploy/kafka/kafka-acl-commands.ts) are generated, so the two
 * cannot disagree. Pure data and functions: no I/O.
 */
import { datasetOfIngestTopic, DLQ_SUFFIX, dlqTopic, INGEST_TOPIC_PREFIX, isDlqTopic, Topics } from './topics';

/** A SCRAM-SHA-512 user of the broker. */
export interface KafkaUser {
  name: string;
  password: string;
}

/** Kafka's ACL resource types and operations, as values too: whoever reads ACLs from a file checks them against these. */
export const KAFKA_ACL_RESOURCES = ['topic', 'group', 'cluster', 'transactional-id'] as const;
export const KAFKA_ACL_OPERATIONS = [
  'read',
  'write',
  'create',
  'delete',
  'alter',
  'describe',
  'describe-configs',
  'alter-configs',
  'idempotent-write',
  'all',
] as const;
export type KafkaAclResource = (typeof KAFKA_ACL_RESOURCES)[number];
export type KafkaAclOperation = (typeof KAFKA_ACL_OPERATIONS)[number];

/** Allow-only, as Kafka's ALLOW bindings. */
export interface KafkaAcl {
  /** 'User:ingestion' (or 'User:*'). */
  principal: string;
  resource: KafkaAclResource;
  pattern: 'literal' | 'prefixed';
  /** Topic / group / 'kafka-cluster' / '*' (literal wildcard). */
  name: string;
  operation: KafkaAclOperation;
}

export interface BrokerSecurity {
  users: KafkaUser[];
  acls: KafkaAcl[];
  /** e.g. 'User:admin': bypasses every ACL. */
  superUsers?: string[];
}

/** Kafka's name for the one cluster resource. */
export const KAFKA_CLUSTER = 'kafka-cluster';

/** The operator's principal: the launcher and the compose init container act as it. */
export const KAFKA_ADMIN_USER = 'admin';

/** A topic or group name, exact or as a prefix (Kafka's LITERAL and PREFIXED patterns). */
export interface KafkaResourceName {
  readonly name: string;
  readonly pattern: 'literal' | 'prefixed';
}

export interface ConsumedTopic {
  readonly topic: KafkaResourceName;
  /** The consumer groups the service reads the topic in. */
  readonly groups: readonly KafkaResourceName[];
}

export interface ServiceKafkaAccess {
  /** The SCRAM user name; its principal is `User:<user>`. */
  readonly user: string;
  /** What the service publishes (events, commands, the prediction log), not its dead letters. */
  readonly produces: readonly KafkaResourceName[];
  /** What it reads; it also writes `<topic>.dlq` of each (see `deadLetterTopicsOf`). */
  readonly consumes: readonly ConsumedTopic[];
}

const literal = (name: string): KafkaResourceName => ({ name, pattern: 'literal' });
const prefixed = (name: string): KafkaResourceName => ({ name, pattern: 'prefixed' });
const consumes = (topic: string | KafkaResourceName, ...groups: Array<string | KafkaResourceName>): ConsumedTopic => ({
  topic: typeof topic === 'string' ? literal(topic) : topic,
  groups: groups.map((g) => (typeof g === 'string' ? literal(g) : g)),
});

/**
 * The groups of a `replicas: 'each'` handler, one per replica (`deployer.feedback.<instance>`,
 * messaging's replicaGroup): a prefix, the dot included, so no other group shares it.
 */
const eachReplica = (group: string): KafkaResourceName => prefixed(`${group}.`);

/** Every raw-records topic `flywheel.ingest.<dataset>` (and, unavoidably for a prefix, their `.dlq`). */
export const INGEST_TOPICS: KafkaResourceName = prefixed(INGEST_TOPIC_PREFIX);

/**
 * THE table. Derived from the code (each service's `MessagingModule.forService({ topics })`,
 * `@ConsumeEvent({ topic, group })`, the ingestion's per-dataset consumers and the deployer's
 * prediction log); kafka-access.spec.ts and libs/testing's kafka-access-table.spec.ts check it
 * against ConsumedEvents and the services' sources, so it cannot drift from them.
 */
export const SERVICE_KAFKA_ACCESS = {
  ingestion: {
    user: 'ingestion',
    produces: [literal(Topics.ingestionEvents)],
    // One group per dataset, `ingestion.raw.<dataset>` (rawGroupOf), started as datasets register.
    consumes: [consumes(INGEST_TOPICS, prefixed('ingestion.raw.'))],
  },
  'feature-store': {
    user: 'feature-store',
    produces: [literal(Topics.featureStoreEvents)],
    consumes: [
      consumes(Topics.ingestionEvents, 'feature-store.ingestion-events'),
      // Its own events, as what invalidates its online cache (in every replica).
      consumes(Topics.featureStoreEvents, eachReplica('feature-store.online-cache')),
    ],
  },
  trainer: {
    user: 'trainer',
    // The retraining policy turns drift into train commands; runs report on the events topic.
    produces: [literal(Topics.trainerEvents), literal(Topics.trainerCommands)],
    consumes: [
      consumes(Topics.trainerCommands, 'trainer.train-commands'),
      consumes(Topics.monitorEvents, 'trainer.retraining-policy'),
      consumes(Topics.ingestionEvents, 'trainer.dataset-versions'),
    ],
  },
  registry: {
    user: 'registry',
    produces: [literal(Topics.registryEvents)],
    consumes: [consumes(Topics.trainerEvents, 'registry.run-completed')],
  },
  deployer: {
    user: 'deployer',
    // Feedback too: labels sent with SubmitFeedback go out through its outbox.
    produces: [literal(Topics.deployerEvents), literal(Topics.predictions), literal(Topics.feedback)],
    consumes: [
      consumes(Topics.registryEvents, 'deployer.alias-moved'),
      // Labels for the canary figures each replica keeps of what it served.
      consumes(Topics.feedback, eachReplica('deployer.feedback')),
      // What invalidates each replica's cache of online features.
      consumes(Topics.featureStoreEvents, eachReplica('deployer.online-features')),
    ],
  },
  monitor: {
    user: 'monitor',
    produces: [literal(Topics.monitorEvents)],
    consumes: [
      consumes(Topics.predictions, 'monitor.predictions'),
      consumes(Topics.feedback, 'monitor.feedback'),
      consumes(Topics.deployerEvents, 'monitor.deployments'),
      consumes(Topics.registryEvents, 'monitor.references'),
    ],
  },
} as const satisfies Record<string, ServiceKafkaAccess>;

export type KafkaService = keyof typeof SERVICE_KAFKA_ACCESS;
export const KAFKA_SERVICES = Object.keys(SERVICE_KAFKA_ACCESS) as KafkaService[];

export function principalOf(user: string): string {
  return `User:${user}`;
}

/**
 * The dead-letter topics a service writes: `<topic>.dlq` of each topic it consumes. A prefix
 * covers its own dead letters (`flywheel.ingest.` matches `flywheel.ingest.<dataset>.dlq`).
 */
export function deadLetterTopicsOf(access: ServiceKafkaAccess): KafkaResourceName[] {
  return access.consumes.map(({ topic }) => (topic.pattern === 'prefixed' ? topic : literal(dlqTopic(topic.name))));
}

function topicAcls(principal: string, topic: KafkaResourceName, operations: readonly KafkaAclOperation[]): KafkaAcl[] {
  return operations.map((operation) => ({ principal, resource: 'topic', pattern: topic.pattern, name: topic.name, operation }));
}

function groupAcl(principal: string, group: KafkaResourceName): KafkaAcl {
  return { principal, resource: 'group', pattern: group.pattern, name: group.name, operation: 'read' };
}

/** Kafka's ACLs compare as values; one binding listed twice is one binding. */
function distinct(acls: KafkaAcl[]): KafkaAcl[] {
  const seen = new Set<string>();
  return acls.filter((acl) => {
    const key = [acl.principal, acl.resource, acl.pattern, acl.name, acl.operation].join('\u0000');
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * One service's ACLs, as `kafka-acls --producer/--consumer` would add them: write, describe and
 * create on what it publishes and on its dead letters; read and describe on what it consumes
 * (create too: the first service up creates the topics it needs, see ensureTopics), read on its
 * groups; idempotent-write on the cluster for the outbox relay's idempotent producer.
 */
export function serviceAcls(service: KafkaService): KafkaAcl[] {
  const access: ServiceKafkaAccess = SERVICE_KAFKA_ACCESS[service];
  const principal = principalOf(access.user);
  return distinct([
    ...[...access.produces, ...deadLetterTopicsOf(access)].flatMap((topic) => topicAcls(principal, topic, ['write', 'describe', 'create'])),
    ...access.consumes.flatMap(({ topic, groups }) => [
      ...topicAcls(principal, topic, ['read', 'describe', 'create']),
      ...groups.map((group) => groupAcl(principal, group)),
    ]),
    { principal, resource: 'cluster', pattern: 'literal', name: KAFKA_CLUSTER, operation: 'idempotent-write' },
  ]);
}

/** The ACLs of all six services. */
export function allServiceAcls(): KafkaAcl[] {
  return KAFKA_SERVICES.flatMap(serviceAcls);
}

export class KafkaAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaAccessError';
  }
}

/** A team name, as it becomes part of a SCRAM user name (`<team>-producer`) and group names. */
export const TEAM_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** The SCRAM user of a team's data producer. */
export function teamProducerUser(team: string): string {
  if (!TEAM_NAME_PATTERN.test(team)) {
    throw new KafkaAccessError(`team: must match ${TEAM_NAME_PATTERN.source}, got ${JSON.stringify(team)}`);
  }
  return `${team}-producer`;
}

/** Events topics (not commands, not the prediction log or feedback): what anyone may watch. */
const READABLE_EVENT_TOPICS: readonly string[] = [
  Topics.ingestionEvents,
  Topics.featureStoreEvents,
  Topics.trainerEvents,
  Topics.registryEvents,
  Topics.deployerEvents,
  Topics.monitorEvents,
];

/** A team may read its ingest topics, their dead letters (what ingestion refused) and the events topics. */
function mayConsume(topic: string): boolean {
  const raw = isDlqTopic(topic) ? topic.slice(0, -DLQ_SUFFIX.length) : topic;
  return datasetOfIngestTopic(raw) !== null || (!isDlqTopic(topic) && READABLE_EVENT_TOPICS.includes(topic));
}

/** Bounds what one command may grant; a producer of more datasets than this is several teams. */
export const MAX_TEAM_TOPICS = 64;

/**
 * A team's data producer: write on its `flywheel.ingest.<dataset>` topics and on
 * `flywheel.feedback` (ground truth, plain JSON like raw data) and nothing else,
 * optionally read on topics it may watch in its own consumer group (`<team>` or `<team>.…`, so
 * it can never join a service's group and take its partitions). Refuses anything else.
 */
export function producerAcls(principal: string, produce: readonly string[], consume: readonly string[] = [], group?: string): KafkaAcl[] {
  if (!/^User:[a-z][a-z0-9-]{0,79}$/.test(principal)) {
    throw new KafkaAccessError(`principal: must be User:<name>, got ${JSON.stringify(principal)}`);
  }
  if (produce.length === 0)
    throw new KafkaAccessError('produce: at least one topic (flywheel.ingest.<dataset> or flywheel.feedback) is required');
  if (produce.length + consume.length > MAX_TEAM_TOPICS) {
    throw new KafkaAccessError(`at most ${MAX_TEAM_TOPICS} topics per producer, got ${produce.length + consume.length}`);
  }
  for (const topic of produce) {
    if (datasetOfIngestTopic(topic) === null && topic !== Topics.feedback) {
      throw new KafkaAccessError(
        `produce: a team may write only flywheel.ingest.<dataset> topics and ${Topics.feedback}, not ${JSON.stringify(topic)}`,
      );
    }
  }
  for (const topic of consume) {
    if (!mayConsume(topic)) {
      throw new KafkaAccessError(
        `consume: a team may read its ingest topics, their .dlq and the events topics, not ${JSON.stringify(topic)}`,
      );
    }
  }
  const team = principal.slice('User:'.length).replace(/-producer$/, '');
  if (group !== undefined && group !== team && !(group.startsWith(`${team}.`) && /^[a-z0-9._-]{1,200}$/.test(group))) {
    throw new KafkaAccessError(`group: must be ${team} or start with ${team}., got ${JSON.stringify(group)}`);
  }
  if (group !== undefined && consume.length === 0) throw new KafkaAccessError('group: given without a topic to consume');
  return distinct([
    ...produce.flatMap((topic) => topicAcls(principal, literal(topic), ['write', 'describe'])),
    ...consume.flatMap((topic) => topicAcls(principal, literal(topic), ['read', 'describe'])),
    ...(group === undefined ? [] : [groupAcl(principal, literal(group))]),
  ]);
}
