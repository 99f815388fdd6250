import { randomBytes } from 'node:crypto';
import {
  type BrokerSecurity,
  KAFKA_ACL_OPERATIONS,
  KAFKA_ACL_RESOURCES,
  type KafkaAclOperation,
  type KafkaAclResource,
} from '@flywheel/contracts';
import { z } from 'zod';
import { MAX_USERNAME_BYTES, scramCredential, type ScramCredential, type ScramServerOptions } from './scram';
import { CLUSTER_NAME, USER_PRINCIPAL_PREFIX, WILDCARD } from './authorizer';

/** Bounds on a users file: a development broker has a handful of users, not a directory. */
const MAX_USERS = 1000;
const MAX_ACLS = 10_000;
const MAX_PASSWORD_CHARS = 1024;
/** Kafka's longest topic name is 249; groups and transactional ids are bounded here alike. */
const MAX_RESOURCE_NAME_CHARS = 255;

/** The operations Kafka accepts per resource type (kafka-acls refuses the others). */
const OPERATIONS: Record<KafkaAclResource, readonly KafkaAclOperation[]> = {
  topic: ['read', 'write', 'create', 'delete', 'alter', 'describe', 'describe-configs', 'alter-configs', 'all'],
  group: ['read', 'describe', 'delete', 'all'],
  cluster: ['create', 'alter', 'describe', 'describe-configs', 'alter-configs', 'idempotent-write', 'all'],
  'transactional-id': ['write', 'describe', 'all'],
};

const printable = (what: string, max: number) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`);

const principal = printable('principal', MAX_USERNAME_BYTES + USER_PRINCIPAL_PREFIX.length).refine(
  (p) => p.startsWith(USER_PRINCIPAL_PREFIX) && p.length > USER_PRINCIPAL_PREFIX.length,
  `principal must be 'User:<name>' or 'User:*'`,
);

const schema = z
  .object({
    users: z
      .array(
        z.strictObject({
          name: printable('user name', MAX_USERNAME_BYTES).refine(
            (n) => Buffer.byteLength(n) <= MAX_USERNAME_BYTES,
            'user name is over 255 bytes',
          ),
          password: z
            .string()
            .min(1, 'password must not be empty')
            .max(MAX_PASSWORD_CHARS, `password must be at most ${MAX_PASSWORD_CHARS} characters`),
        }),
      )
      .max(MAX_USERS, `at most ${MAX_USERS} users`),
    acls: z
      .array(
        z
          .strictObject({
            principal,
            resource: z.enum(KAFKA_ACL_RESOURCES),
            pattern: z.enum(['literal', 'prefixed']),
            name: printable('resource name', MAX_RESOURCE_NAME_CHARS),
            operation: z.enum(KAFKA_ACL_OPERATIONS),
          })
          .refine((acl) => OPERATIONS[acl.resource].includes(acl.operation), {
            message: 'operation is not valid for this resource type',
            path: ['operation'],
          })
          .refine((acl) => acl.resource !== 'cluster' || (acl.pattern === 'literal' && acl.name === CLUSTER_NAME), {
            message: `the cluster resource is named '${CLUSTER_NAME}' (literal)`,
            path: ['name'],
          })
          .refine((acl) => acl.pattern === 'literal' || acl.name !== WILDCARD, {
            message: `'${WILDCARD}' is a literal wildcard, not a prefix`,
            path: ['name'],
          }),
      )
      .max(MAX_ACLS, `at most ${MAX_ACLS} ACLs`),
    superUsers: z.array(principal).max(MAX_USERS).optional(),
  })
  .strict()
  .refine((s) => new Set(s.users.map((u) => u.name)).size === s.users.length, { message: 'user names must be unique', path: ['users'] });

/** Checks broker security settings once, at start; the message names the offending field. */
export function parseBrokerSecurity(value: unknown): BrokerSecurity {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid broker security settings: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

/**
 * The SCRAM credentials of the configured users, derived once at start; passwords are not kept.
 * Unknown names get a decoy salt from a secret that lives as long as the broker.
 */
export class ScramUserStore implements ScramServerOptions {
  private readonly credentials = new Map<string, ScramCredential>();
  readonly decoySecret = randomBytes(32);

  constructor(users: BrokerSecurity['users']) {
    this.replace(users);
  }

  /** The users from now on: a removed user's next authentication fails, a new one's succeeds. */
  replace(users: BrokerSecurity['users']): void {
    const next = new Map(users.map((user) => [user.name, scramCredential(user.password)] as const));
    this.credentials.clear();
    for (const [name, credential] of next) this.credentials.set(name, credential);
  }

  lookup(username: string): ScramCredential | undefined {
    return this.credentials.get(username);
  }
}
