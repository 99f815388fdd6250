import { type BrokerSecurity, type KafkaAcl } from '@flywheel/contracts';
import { startTestBroker, type TestBroker } from '../testing';

/** Topics and groups the secured suites use; every ACL below is a prefix of these. */
export const SECURE_TOPIC_PREFIX = 'secure.';
export const SECURE_GROUP_PREFIX = 'secure-';

/**
 * The principals of the secured suites, each short of one right, so that every refusal a
 * client can meet is met by exactly one of them:
 * - producer: Write on the topics (and so Describe, and InitProducerId for idempotence);
 * - consumer: Read on the topics and the groups: consumes, joins and commits;
 * - describer: Describe on the topics, Read on the groups: joins, but may not fetch or commit;
 * - loner: Read on the topics, Describe on the groups: finds the coordinator, may not join;
 * - outsider: authenticates, but no ACL names it;
 * - admin: a super user.
 */
export const PASSWORDS = {
  producer: 'producer-secret-1',
  consumer: 'consumer-secret-2',
  describer: 'describer-secret-3',
  loner: 'loner-secret-4',
  outsider: 'outsider-secret-5',
  admin: 'admin-secret-6',
} as const;
export type SecureUser = keyof typeof PASSWORDS;

/** A binding on every topic (or group) of the suites. */
function onAll(resource: 'topic' | 'group', principal: string, operation: KafkaAcl['operation']): KafkaAcl {
  const name = resource === 'topic' ? SECURE_TOPIC_PREFIX : SECURE_GROUP_PREFIX;
  return { principal: `User:${principal}`, resource, pattern: 'prefixed', name, operation };
}
const topics = (principal: string, operation: KafkaAcl['operation']) => onAll('topic', principal, operation);
const groups = (principal: string, operation: KafkaAcl['operation']) => onAll('group', principal, operation);

export const SECURITY: BrokerSecurity = {
  users: Object.entries(PASSWORDS).map(([name, password]) => ({ name, password })),
  acls: [
    topics('producer', 'write'),
    topics('producer', 'create'),
    topics('consumer', 'read'),
    groups('consumer', 'read'),
    topics('describer', 'describe'),
    groups('describer', 'read'),
    topics('loner', 'read'),
    groups('loner', 'describe'),
  ],
  superUsers: ['User:admin'],
};

export function credential(user: SecureUser, password: string = PASSWORDS[user]) {
  return { username: user, password };
}

/** A broker that requires SCRAM-SHA-512 and applies SECURITY, on a free loopback port. */
export function startSecureBroker(): Promise<TestBroker> {
  return startTestBroker({ security: SECURITY, defaultPartitions: 1 });
}
