import { type BrokerSecurity, KAFKA_CLUSTER, type KafkaAcl, type KafkaAclOperation, type KafkaAclResource } from '@flywheel/contracts';

/** The name of the one cluster resource, as in Kafka. */
export const CLUSTER_NAME = KAFKA_CLUSTER;
/** The literal name that matches every resource of its type. */
export const WILDCARD = '*';
/** The principal prefix of SASL users; 'User:*' matches every authenticated user. */
export const USER_PRINCIPAL_PREFIX = 'User:';
const WILDCARD_PRINCIPAL = 'User:*';

/**
 * Operations that an ACL grants besides its own (Kafka's AclAuthorizer): Read, Write, Delete
 * and Alter imply Describe; AlterConfigs implies DescribeConfigs; All implies everything.
 */
const IMPLIED_BY: Partial<Record<KafkaAclOperation, readonly KafkaAclOperation[]>> = {
  describe: ['read', 'write', 'delete', 'alter'],
  'describe-configs': ['alter-configs'],
};

function grants(granted: KafkaAclOperation, wanted: KafkaAclOperation): boolean {
  return granted === wanted || granted === 'all' || (IMPLIED_BY[wanted]?.includes(granted) ?? false);
}

function matchesName(acl: KafkaAcl, name: string): boolean {
  if (acl.pattern === 'prefixed') return name.startsWith(acl.name);
  return acl.name === WILDCARD || acl.name === name;
}

/**
 * Kafka's authorisation rules on allow-only bindings: a request is allowed when the principal
 * is a super user, or some binding of its principal (or 'User:*') for the resource type
 * matches the resource name (literally, by prefix, or by the literal '*') and grants the
 * operation. Nothing matching means refused (allow.everyone.if.no.acl.found=false). Pure.
 */
export class KafkaAuthorizer {
  private superUsers: ReadonlySet<string> = new Set();
  private byResource = new Map<KafkaAclResource, KafkaAcl[]>();

  constructor(security: Pick<BrokerSecurity, 'acls' | 'superUsers'>) {
    this.replace(security);
  }

  /** The bindings from now on, for every connection's next request (as Kafka applies CreateAcls/DeleteAcls). */
  replace(security: Pick<BrokerSecurity, 'acls' | 'superUsers'>): void {
    const byResource = new Map<KafkaAclResource, KafkaAcl[]>();
    for (const acl of security.acls) {
      const list = byResource.get(acl.resource) ?? [];
      list.push(acl);
      byResource.set(acl.resource, list);
    }
    this.superUsers = new Set(security.superUsers ?? []);
    this.byResource = byResource;
  }

  authorize(principal: string, operation: KafkaAclOperation, resource: KafkaAclResource, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    return (this.byResource.get(resource) ?? []).some(
      (acl) => this.appliesTo(acl, principal) && grants(acl.operation, operation) && matchesName(acl, name),
    );
  }

  /**
   * Whether some binding grants `operation` on at least one resource of the type (Kafka's
   * authorizeByResourceType, used by InitProducerId: an idempotent producer needs Write on
   * some topic).
   */
  authorizeAny(principal: string, operation: KafkaAclOperation, resource: KafkaAclResource): boolean {
    if (this.superUsers.has(principal)) return true;
    return (this.byResource.get(resource) ?? []).some(
      (acl) => this.appliesTo(acl, principal) && (acl.operation === operation || acl.operation === 'all'),
    );
  }

  private appliesTo(acl: KafkaAcl, principal: string): boolean {
    return acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL;
  }
}
