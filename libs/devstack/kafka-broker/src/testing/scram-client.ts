import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The client side of SCRAM-SHA-512 (RFC 5802), written from the RFC independently of the
 * broker's code, for tests that must send what no real client would (wrong proofs, replays).
 */
export class ScramTestClient {
  readonly clientNonce: string;
  readonly clientFirstBare: string;
  serverFirst = '';
  private authMessage = '';
  private serverKey = Buffer.alloc(0);

  constructor(
    readonly username: string,
    private readonly password: string,
    clientNonce = randomBytes(18).toString('base64'),
  ) {
    this.clientNonce = clientNonce;
    const saslName = username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.clientFirstBare = `n=${saslName},r=${clientNonce}`;
  }

  clientFirst(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** The client-final message for `serverFirst`; `nonce` overrides the one the server sent. */
  clientFinal(serverFirst: Buffer | string, nonce?: string): Buffer {
    this.serverFirst = serverFirst.toString();
    const attrs = Object.fromEntries(this.serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const storedKey = createHash('sha512').update(clientKey).digest();
    this.serverKey = createHmac('sha512', salted).update('Server Key').digest();
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce ?? attrs.r}`;
    this.authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = createHmac('sha512', storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** The server-final message this client expects: proves that the server knew the password too. */
  expectedServerFinal(): string {
    return `v=${createHmac('sha512', this.serverKey).update(this.authMessage).digest('base64')}`;
  }
}
