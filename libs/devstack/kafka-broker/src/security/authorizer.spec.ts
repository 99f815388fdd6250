import { type KafkaAcl, type KafkaAclOperation } from '@flywheel/contracts';
import { KafkaAuthorizer } from './authorizer';

const acl = (
  principal: string,
  resource: KafkaAcl['resource'],
  name: string,
  operation: KafkaAclOperation,
  pattern: KafkaAcl['pattern'] = 'literal',
): KafkaAcl => ({
  principal,
  resource,
  pattern,
  name,
  operation,
});

describe('KafkaAuthorizer', () => {
  it('refuses everything when no binding matches (allow.everyone.if.no.acl.found=false)', () => {
    const authorizer = new KafkaAuthorizer({ acls: [] });
    expect(authorizer.authorize('User:alice', 'read', 'topic', 't')).toBe(false);
    expect(authorizer.authorize('User:alice', 'describe', 'cluster', 'kafka-cluster')).toBe(false);
  });

  it('matches a literal name exactly, and only for its resource type and principal', () => {
    const authorizer = new KafkaAuthorizer({ acls: [acl('User:alice', 'topic', 'orders', 'read')] });
    expect(authorizer.authorize('User:alice', 'read', 'topic', 'orders')).toBe(true);
    expect(authorizer.authorize('User:alice', 'read', 'topic', 'orders2')).toBe(false);
    expect(authorizer.authorize('User:alice', 'read', 'group', 'orders')).toBe(false);
    expect(authorizer.authorize('User:bob', 'read', 'topic', 'orders')).toBe(false);
    expect(authorizer.authorize('User:alice', 'write', 'topic', 'orders')).toBe(false);
  });

  it('matches a prefixed name by prefix', () => {
    const authorizer = new KafkaAuthorizer({ acls: [acl('User:ingestion', 'topic', 'flywheel.ingest.', 'write', 'prefixed')] });
    expect(authorizer.authorize('User:ingestion', 'write', 'topic', 'flywheel.ingest.claims')).toBe(true);
    expect(authorizer.authorize('User:ingestion', 'write', 'topic', 'flywheel.ingest.')).toBe(true);
    expect(authorizer.authorize('User:ingestion', 'write', 'topic', 'flywheel.registry.events')).toBe(false);
  });

  it("treats a literal '*' as every name, and a prefixed '*' as the character", () => {
    const literal = new KafkaAuthorizer({ acls: [acl('User:alice', 'group', '*', 'read')] });
    expect(literal.authorize('User:alice', 'read', 'group', 'any-group')).toBe(true);
    const prefixed = new KafkaAuthorizer({ acls: [acl('User:alice', 'group', '*', 'read', 'prefixed')] });
    expect(prefixed.authorize('User:alice', 'read', 'group', 'any-group')).toBe(false);
    expect(prefixed.authorize('User:alice', 'read', 'group', '*group')).toBe(true);
  });

  it("applies a 'User:*' binding to every principal", () => {
    const authorizer = new KafkaAuthorizer({ acls: [acl('User:*', 'topic', 'public', 'read')] });
    expect(authorizer.authorize('User:anyone', 'read', 'topic', 'public')).toBe(true);
  });

  it.each<[KafkaAclOperation, KafkaAclOperation, boolean]>([
    ['read', 'describe', true],
    ['write', 'describe', true],
    ['delete', 'describe', true],
    ['alter', 'describe', true],
    ['create', 'describe', false],
    ['describe-configs', 'describe', false],
    ['alter-configs', 'describe-configs', true],
    ['alter-configs', 'describe', false],
    ['all', 'describe', true],
    ['all', 'write', true],
    ['all', 'idempotent-write', true],
    ['describe', 'read', false],
    ['write', 'read', false],
    ['read', 'write', false],
    ['alter', 'alter-configs', false],
  ])('an ACL for %s grants %s: %s', (granted, wanted, expected) => {
    const authorizer = new KafkaAuthorizer({ acls: [acl('User:alice', 'topic', 't', granted)] });
    expect(authorizer.authorize('User:alice', wanted, 'topic', 't')).toBe(expected);
  });

  it('lets super users do everything, without any binding', () => {
    const authorizer = new KafkaAuthorizer({ acls: [], superUsers: ['User:admin'] });
    expect(authorizer.authorize('User:admin', 'delete', 'topic', 'anything')).toBe(true);
    expect(authorizer.authorize('User:admin', 'alter', 'cluster', 'kafka-cluster')).toBe(true);
    expect(authorizer.authorizeAny('User:admin', 'write', 'topic')).toBe(true);
    expect(authorizer.authorize('User:alice', 'delete', 'topic', 'anything')).toBe(false);
  });

  it('answers whether any resource of a type allows an operation (authorizeByResourceType)', () => {
    const authorizer = new KafkaAuthorizer({
      acls: [acl('User:producer', 'topic', 'out.', 'write', 'prefixed'), acl('User:reader', 'topic', 'in', 'read')],
    });
    expect(authorizer.authorizeAny('User:producer', 'write', 'topic')).toBe(true);
    expect(authorizer.authorizeAny('User:reader', 'write', 'topic')).toBe(false);
    expect(authorizer.authorizeAny('User:reader', 'read', 'topic')).toBe(true);
  });
});
