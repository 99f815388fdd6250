import { ErrorCode } from '../protocol/error-codes';
import { type SaslAuthenticateResponse, type SaslHandshakeResponse } from '../protocol/messages';
import { type ConnectionAuthenticator } from '../server/connection';
import { USER_PRINCIPAL_PREFIX } from './authorizer';
import { SCRAM_SHA_512, ScramAuthenticationError, ScramServerExchange, type ScramServerOptions } from './scram';

export const ENABLED_MECHANISMS = [SCRAM_SHA_512];
/** What every failed login is told, whatever went wrong: the details go to the broker's log only. */
export const AUTHENTICATION_FAILED_MESSAGE = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${SCRAM_SHA_512}`;

export interface SaslFailureLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One connection's SASL state, as Kafka's SaslServerAuthenticator keeps it: a handshake picks the
 * mechanism (v0: the tokens then travel as bare frames, v1: in SaslAuthenticate requests), one
 * SCRAM exchange runs, and the connection is then authenticated or failed (and closed).
 */
export class SaslSession implements ConnectionAuthenticator {
  stage: ConnectionAuthenticator['stage'] = 'handshake';
  private principalName: string | null = null;
  private exchange: ScramServerExchange | null = null;

  constructor(
    private readonly users: ScramServerOptions,
    private readonly logger: SaslFailureLogger,
    private readonly clientHost: string,
  ) {}

  get principal(): string | null {
    return this.principalName;
  }

  handshake(mechanism: string, version: number): SaslHandshakeResponse {
    if (!ENABLED_MECHANISMS.includes(mechanism)) {
      this.logger.warn('sasl mechanism refused', { client: this.clientHost, mechanism: mechanism.slice(0, 64) });
      // As Kafka's SaslServerAuthenticator: the answer names the enabled mechanisms, then the
      // connection is closed (the client reconnects with one of them).
      this.stage = 'failed';
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ENABLED_MECHANISMS };
    }
    this.exchange = new ScramServerExchange(this.users);
    this.stage = version === 0 ? 'raw-token' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: ENABLED_MECHANISMS };
  }

  authenticate(token: Buffer): SaslAuthenticateResponse {
    const answer = this.step(token);
    if (answer === null) {
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: AUTHENTICATION_FAILED_MESSAGE,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: answer, sessionLifetimeMs: 0 };
  }

  rawToken(token: Buffer): Buffer | null {
    return this.step(token);
  }

  /** The next server message, or null when the exchange failed (the connection is then closed). */
  private step(token: Buffer): Buffer | null {
    const exchange = this.exchange;
    if (!exchange) throw new Error('SASL token before a handshake');
    try {
      const answer = exchange.step(token);
      const user = exchange.authenticatedUser;
      if (user !== null) {
        this.principalName = `${USER_PRINCIPAL_PREFIX}${user}`;
        this.stage = 'authenticated';
      }
      return answer;
    } catch (error) {
      if (!(error instanceof ScramAuthenticationError)) throw error;
      this.stage = 'failed';
      this.logger.warn('sasl authentication failed', { client: this.clientHost, mechanism: SCRAM_SHA_512, reason: error.message });
      return null;
    }
  }
}
