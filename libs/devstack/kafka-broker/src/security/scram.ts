import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** The one mechanism the broker enables: no TLS listener, so PLAIN would send passwords in clear. */
export const SCRAM_SHA_512 = 'SCRAM-SHA-512';
/** RFC 7677 and Kafka's minimum; also the default of kafka-configs. */
export const SCRAM_ITERATIONS = 4096;

/*
 * Bounds on what a client may send before it is authenticated. A SCRAM-SHA-512 message from a
 * well-behaved client is under 300 bytes; anything far larger is an attack, not a login.
 */
export const MAX_SCRAM_MESSAGE_BYTES = 1024;
export const MAX_USERNAME_BYTES = 255;
const MIN_CLIENT_NONCE_CHARS = 8;
const MAX_CLIENT_NONCE_CHARS = 256;
const SALT_BYTES = 32;
const SERVER_NONCE_BYTES = 24;
const SHA512_BYTES = 64;

/** What the broker keeps of a user: never the password (RFC 5802 §3). */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha512', key).update(data).digest();
}

function sha512(data: Buffer): Buffer {
  return createHash('sha512').update(data).digest();
}

/** Derives the salted credential from a password (RFC 5802 §3, with SHA-512). */
export function scramCredential(password: string, salt = randomBytes(SALT_BYTES), iterations = SCRAM_ITERATIONS): ScramCredential {
  if (iterations < SCRAM_ITERATIONS) throw new Error(`SCRAM iterations must be at least ${SCRAM_ITERATIONS}`);
  // Passwords are used as UTF-8 after NFKC, the part of SASLprep that changes real passwords.
  const salted = pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, SHA512_BYTES, 'sha512');
  return {
    salt,
    iterations,
    storedKey: sha512(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** A failed exchange; the message goes to the broker's log, the client sees one fixed message. */
export class ScramAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramAuthenticationError';
  }
}

/** Splits "a=1,b=2" into attributes, refusing what RFC 5802's grammar does not allow. */
function attributes(message: string): Array<[string, string]> {
  return message.split(',').map((part) => {
    if (!/^[a-zA-Z]=/.test(part)) throw new ScramAuthenticationError(`malformed SCRAM attribute '${part.slice(0, 40)}'`);
    return [part[0], part.slice(2)];
  });
}

/** RFC 5802 saslname: ',' and '=' are sent as '=2C' and '=3D'; any other '=' is an error. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramAuthenticationError('malformed username encoding');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function utf8(token: Buffer): string {
  if (token.length > MAX_SCRAM_MESSAGE_BYTES) {
    throw new ScramAuthenticationError(`SCRAM message of ${token.length} bytes exceeds ${MAX_SCRAM_MESSAGE_BYTES}`);
  }
  const text = token.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(token) || text.includes('\0'))
    throw new ScramAuthenticationError('SCRAM message is not UTF-8 text');
  return text;
}

export interface ScramServerOptions {
  /** The stored credential of a user, or undefined for an unknown name. */
  lookup(username: string): ScramCredential | undefined;
  /**
   * Salt for names that are not users: derived from a per-broker secret, so that asking twice
   * gives the same salt and the exchange of an unknown user looks like that of a known one.
   */
  decoySecret: Buffer;
  randomNonce?: () => string;
}

/**
 * The server side of one SCRAM-SHA-512 exchange (RFC 5802, RFC 7677): client-first →
 * server-first, client-final → server-final. An unknown user is answered with a decoy salt and
 * fails at the proof, exactly like a wrong password, so that names cannot be enumerated.
 */
export class ScramServerExchange {
  private stage: 'client-first' | 'client-final' | 'done' = 'client-first';
  private authenticated = false;
  private username = '';
  private credential: ScramCredential | undefined;
  private decoy!: ScramCredential;
  private nonce = '';
  private clientNonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';

  constructor(private readonly options: ScramServerOptions) {}

  /** The authenticated user's name once `step` has returned the server-final message. */
  get authenticatedUser(): string | null {
    return this.authenticated ? this.username : null;
  }

  /** Answers the client's next message; throws ScramAuthenticationError to end the exchange. */
  step(token: Buffer): Buffer {
    switch (this.stage) {
      case 'client-first':
        return Buffer.from(this.clientFirst(utf8(token)), 'utf8');
      case 'client-final':
        return Buffer.from(this.clientFinal(utf8(token)), 'utf8');
      default:
        throw new ScramAuthenticationError('SCRAM exchange already complete');
    }
  }

  private clientFirst(message: string): string {
    // gs2-header: channel binding flag, optional authzid, then client-first-bare.
    const match = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!match) throw new ScramAuthenticationError('malformed client-first message');
    if (match[1].startsWith('p=')) throw new ScramAuthenticationError('channel binding is not supported');
    this.gs2Header = `${match[1]},${match[2] ?? ''},`;
    this.clientFirstBare = match[3];
    const attrs = attributes(this.clientFirstBare);
    if (attrs.length < 2 || attrs[0][0] !== 'n' || attrs[1][0] !== 'r') {
      throw new ScramAuthenticationError('client-first message must start with n= and r=');
    }
    if (attrs.slice(2).some(([key]) => key === 'm')) throw new ScramAuthenticationError('mandatory SCRAM extension not supported');
    const username = decodeSaslName(attrs[0][1]);
    if (username === '' || Buffer.byteLength(username, 'utf8') > MAX_USERNAME_BYTES) {
      throw new ScramAuthenticationError('username is empty or longer than 255 bytes');
    }
    const authzid = match[2] ? decodeSaslName(match[2].slice(2)) : null;
    if (authzid !== null && authzid !== username) throw new ScramAuthenticationError('authorization id differs from the username');
    const clientNonce = attrs[1][1];
    if (
      !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce) ||
      clientNonce.length < MIN_CLIENT_NONCE_CHARS ||
      clientNonce.length > MAX_CLIENT_NONCE_CHARS
    ) {
      throw new ScramAuthenticationError('client nonce must be 8 to 256 printable characters without a comma');
    }
    this.username = username;
    this.clientNonce = clientNonce;
    this.credential = this.options.lookup(username);
    const credential = this.credential ?? this.decoyFor(username);
    this.nonce = clientNonce + (this.options.randomNonce?.() ?? randomBytes(SERVER_NONCE_BYTES).toString('base64url'));
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.stage = 'client-final';
    return this.serverFirst;
  }

  private decoyFor(username: string): ScramCredential {
    // Only salt and iterations are shown; the keys are random, so no proof can match them.
    const salt = hmac(this.options.decoySecret, username).subarray(0, SALT_BYTES);
    this.decoy = { salt, iterations: SCRAM_ITERATIONS, storedKey: randomBytes(SHA512_BYTES), serverKey: randomBytes(SHA512_BYTES) };
    return this.decoy;
  }

  private clientFinal(message: string): string {
    this.stage = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramAuthenticationError('client-final message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.length < 2 || attrs[0][0] !== 'c' || attrs[1][0] !== 'r') {
      throw new ScramAuthenticationError('client-final message must start with c= and r=');
    }
    if (attrs[0][1] !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) {
      throw new ScramAuthenticationError('channel binding does not match the client-first message');
    }
    // The nonce must be the one this exchange issued: a replayed client-final carries another.
    // librdkafka (up to at least 2.x) sends its own nonce again in front of it, and Kafka accepts
    // that (ScramSaslServer checks endsWith); so do we, but for exactly that prefix only.
    const sent = Buffer.from(attrs[1][1], 'utf8');
    const issued = Buffer.from(this.nonce, 'utf8');
    const librdkafka = Buffer.from(this.clientNonce + this.nonce, 'utf8');
    if (!constantTimeEqual(sent, issued) && !constantTimeEqual(sent, librdkafka)) {
      throw new ScramAuthenticationError('nonce does not match the one issued');
    }
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const credential = this.credential ?? this.decoy;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(credential.storedKey, authMessage);
    const valid =
      proof.length === SHA512_BYTES &&
      constantTimeEqual(sha512(xor(proof, clientSignature)), credential.storedKey) &&
      this.credential !== undefined;
    if (!valid) throw new ScramAuthenticationError('invalid credentials');
    this.authenticated = true;
    return `v=${hmac(credential.serverKey, authMessage).toString('base64')}`;
  }
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
