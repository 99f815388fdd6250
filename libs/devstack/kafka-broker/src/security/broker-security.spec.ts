import { parseBrokerSecurity } from './broker-security';

const valid = {
  users: [{ name: 'ingestion', password: 'pw' }],
  acls: [{ principal: 'User:ingestion', resource: 'topic', pattern: 'prefixed', name: 'flywheel.ingest.', operation: 'write' }],
  superUsers: ['User:admin'],
};

describe('parseBrokerSecurity', () => {
  it('accepts users, ACLs and super users', () => {
    expect(parseBrokerSecurity(valid)).toEqual(valid);
  });

  it.each([
    ['a non-object', 'users', /\(root\)/],
    ['no users list', { acls: [] }, /users/],
    ['an unknown field', { ...valid, extra: 1 }, /extra|unrecognized/i],
    ['an empty password', { ...valid, users: [{ name: 'a', password: '' }] }, /users\.0\.password: password must not be empty/],
    ['a huge password', { ...valid, users: [{ name: 'a', password: 'x'.repeat(2000) }] }, /at most 1024/],
    ['a username over 255 bytes', { ...valid, users: [{ name: 'é'.repeat(200), password: 'p' }] }, /over 255 bytes/],
    ['a control character in a name', { ...valid, users: [{ name: 'a\nb', password: 'p' }] }, /control characters/],
    ['the same user twice', { ...valid, users: [valid.users[0], valid.users[0]] }, /unique/],
    ['a principal without User:', { ...valid, acls: [{ ...valid.acls[0], principal: 'ingestion' }] }, /User:<name>/],
    [
      'an operation the resource does not have',
      { ...valid, acls: [{ ...valid.acls[0], resource: 'group', operation: 'write' }] },
      /not valid/,
    ],
    [
      'a cluster ACL on another name',
      { ...valid, acls: [{ ...valid.acls[0], resource: 'cluster', pattern: 'literal', name: 'x', operation: 'create' }] },
      /kafka-cluster/,
    ],
    ["a prefixed '*'", { ...valid, acls: [{ ...valid.acls[0], name: '*' }] }, /literal wildcard/],
    [
      'too many users',
      { ...valid, users: Array.from({ length: 1001 }, (_, i) => ({ name: `u${i}`, password: 'p' })) },
      /at most 1000 users/,
    ],
  ])('refuses %s with a message naming the field', (_name, value, message) => {
    expect(() => parseBrokerSecurity(value)).toThrow(message);
  });
});
