import { ScramTestClient } from '../testing/scram-client';
import {
  MAX_SCRAM_MESSAGE_BYTES,
  SCRAM_ITERATIONS,
  ScramAuthenticationError,
  scramCredential,
  ScramServerExchange,
  type ScramCredential,
} from './scram';

// One derivation for the file: PBKDF2 at 4096 rounds is the slow part of every test.
const ALICE = scramCredential('alice-secret');
const users = new Map<string, ScramCredential>([['alice', ALICE]]);
const options = { lookup: (name: string) => users.get(name), decoySecret: Buffer.from('decoy-secret-for-tests') };

function exchange(): ScramServerExchange {
  return new ScramServerExchange(options);
}

describe('scramCredential', () => {
  it('keeps a salted credential with at least 4096 iterations, not the password', () => {
    expect(ALICE.iterations).toBeGreaterThanOrEqual(4096);
    expect(ALICE.salt.length).toBeGreaterThanOrEqual(16);
    expect(JSON.stringify(ALICE)).not.toContain('alice-secret');
    // Fresh salt per derivation: the same password never gives the same stored key twice.
    expect(scramCredential('alice-secret').storedKey.equals(ALICE.storedKey)).toBe(false);
  });

  it('refuses fewer iterations than RFC 7677 asks for', () => {
    expect(() => scramCredential('x', Buffer.alloc(16), SCRAM_ITERATIONS - 1)).toThrow(/at least 4096/);
  });
});

describe('ScramServerExchange', () => {
  it('authenticates the right password and proves itself with the server signature', () => {
    const server = exchange();
    const client = new ScramTestClient('alice', 'alice-secret');
    const serverFirst = server.step(client.clientFirst()).toString();
    expect(serverFirst).toMatch(new RegExp(`^r=${client.clientNonce.replace(/[+/]/g, '\\$&')}[^,]+,s=[A-Za-z0-9+/=]+,i=4096$`));
    const serverFinal = server.step(client.clientFinal(serverFirst)).toString();
    expect(serverFinal).toBe(client.expectedServerFinal());
    expect(server.authenticatedUser).toBe('alice');
  });

  it('refuses a wrong password at the proof', () => {
    const server = exchange();
    const client = new ScramTestClient('alice', 'wrong');
    const serverFirst = server.step(client.clientFirst());
    expect(() => server.step(client.clientFinal(serverFirst))).toThrow(new ScramAuthenticationError('invalid credentials'));
    expect(server.authenticatedUser).toBeNull();
  });

  it('answers an unknown user like a known one (stable decoy salt) and fails it at the proof', () => {
    const first = exchange()
      .step(new ScramTestClient('mallory', 'x', 'nonce-aaaaaaaa').clientFirst())
      .toString();
    const again = exchange()
      .step(new ScramTestClient('mallory', 'x', 'nonce-aaaaaaaa').clientFirst())
      .toString();
    const salt = (m: string) => /,s=([^,]+),/.exec(m)?.[1];
    expect(salt(first)).toBe(salt(again));
    expect(first).toMatch(/,i=4096$/);
    const server = exchange();
    const client = new ScramTestClient('mallory', 'x');
    const serverFirst = server.step(client.clientFirst());
    expect(() => server.step(client.clientFinal(serverFirst))).toThrow(new ScramAuthenticationError('invalid credentials'));
  });

  it('refuses a client-final that carries another nonce (a replay of an earlier exchange)', () => {
    const earlier = exchange();
    const client = new ScramTestClient('alice', 'alice-secret', 'fixed-client-nonce');
    const recorded = client.clientFinal(earlier.step(client.clientFirst()));
    const server = exchange();
    server.step(client.clientFirst());
    expect(() => server.step(recorded)).toThrow(/nonce does not match/);
  });

  it("accepts librdkafka's client-final, which repeats the client nonce in front of the issued one, and no other prefix", () => {
    const run = (prefix: (client: ScramTestClient) => string) => {
      const server = exchange();
      const client = new ScramTestClient('alice', 'alice-secret');
      const serverFirst = server.step(client.clientFirst()).toString();
      const issued = /^r=([^,]+)/.exec(serverFirst)![1];
      server.step(client.clientFinal(serverFirst, prefix(client) + issued));
      return server.authenticatedUser;
    };
    expect(run((client) => client.clientNonce)).toBe('alice');
    expect(() => run(() => 'x')).toThrow(/nonce does not match/);
  });

  it('refuses a client-final whose nonce lacks the server part', () => {
    const server = exchange();
    const client = new ScramTestClient('alice', 'alice-secret');
    const serverFirst = server.step(client.clientFirst());
    expect(() => server.step(client.clientFinal(serverFirst, client.clientNonce))).toThrow(/nonce does not match/);
  });

  it.each([
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['no gs2 header', Buffer.from('n=alice,r=abcdefghij')],
    ['channel binding required', Buffer.from('p=tls-unique,,n=alice,r=abcdefghij')],
    ['missing nonce', Buffer.from('n,,n=alice')],
    ['short nonce', Buffer.from('n,,n=alice,r=abc')],
    ['nonce with a control character', Buffer.from('n,,n=alice,r=abcdefgh\u0001ij')],
    ['empty username', Buffer.from('n,,n=,r=abcdefghij')],
    ['bad username escape', Buffer.from('n,,n=al=ice,r=abcdefghij')],
    ['mandatory extension', Buffer.from('n,,n=alice,r=abcdefghij,m=ext')],
    ['authzid of another user', Buffer.from('n,a=admin,n=alice,r=abcdefghij')],
    ['username over 255 bytes', Buffer.from(`n,,n=${'u'.repeat(256)},r=abcdefghij`)],
    ['huge message', Buffer.from(`n,,n=alice,r=${'a'.repeat(MAX_SCRAM_MESSAGE_BYTES)}`)],
    ['empty message', Buffer.alloc(0)],
  ])('refuses a hostile client-first: %s', (_name, token) => {
    expect(() => exchange().step(token)).toThrow(ScramAuthenticationError);
  });

  it.each([
    ['garbage', () => Buffer.from('\u0000\u0001garbage')],
    ['truncated (no proof)', () => Buffer.from('c=biws,r=abc')],
    ['wrong channel binding', () => Buffer.from('c=eSws,r=abc,p=AAAA')],
    ['short proof', () => Buffer.from('c=biws,r=NONCE,p=AAAA')],
    ['huge', () => Buffer.alloc(MAX_SCRAM_MESSAGE_BYTES + 1, 0x61)],
  ])('refuses a hostile client-final: %s', (_name, token) => {
    const server = exchange();
    const client = new ScramTestClient('alice', 'alice-secret');
    const serverFirst = server.step(client.clientFirst()).toString();
    const nonce = /^r=([^,]+)/.exec(serverFirst)![1];
    expect(() => server.step(Buffer.from(token().toString().replace('NONCE', nonce)))).toThrow(ScramAuthenticationError);
    expect(server.authenticatedUser).toBeNull();
  });

  it('ends after one exchange: a further message is refused', () => {
    const server = exchange();
    const client = new ScramTestClient('alice', 'alice-secret');
    server.step(client.clientFinal(server.step(client.clientFirst())));
    expect(() => server.step(client.clientFirst())).toThrow(/already complete/);
  });

  it('decodes =2C and =3D in usernames', () => {
    const name = 'team=a,b';
    const credential = scramCredential('pw');
    const server = new ScramServerExchange({ lookup: (n) => (n === name ? credential : undefined), decoySecret: Buffer.alloc(8) });
    const client = new ScramTestClient(name, 'pw');
    server.step(client.clientFinal(server.step(client.clientFirst())));
    expect(server.authenticatedUser).toBe(name);
  });
});
