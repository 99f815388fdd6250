/*
 * Who may do what on Kafka. The same principals and ACLs are applied to the embedded broker
 * (libs/devstack/kafka-broker) and to Apache Kafka, so these shapes follow Kafka's own:
 * SCRAM-SHA-512 users and allow-only ACL bindings.
 */

/** A SCRAM-SHA-512 user; the broker keeps only the salted credential derived from the password. */
export interface KafkaUser {
  name: string;
  password: string;
}

export type KafkaAclResource = 'topic' | 'group' | 'cluster' | 'transactional-id';

export type KafkaAclOperation =
  'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'describe-configs' | 'alter-configs' | 'idempotent-write' | 'all';

/** Allow-only, as Kafka's ALLOW bindings: what no binding allows is refused. */
export interface KafkaAcl {
  /** 'User:ingestion', or 'User:*' for every authenticated user. */
  principal: string;
  resource: KafkaAclResource;
  pattern: 'literal' | 'prefixed';
  /** Topic or group name, 'kafka-cluster' for the cluster, or '*' (literal) for every resource of the type. */
  name: string;
  operation: KafkaAclOperation;
}

export interface BrokerSecurity {
  users: KafkaUser[];
  acls: KafkaAcl[];
  /** Principals ('User:admin') that every operation allows. */
  superUsers?: string[];
}
