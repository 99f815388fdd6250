import { type Socket } from 'node:net';
import { ApiKey } from '../protocol/api';
import { MalformedRequestError, Reader } from '../protocol/reader';
import { FrameDecoder } from './frame-decoder';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ConnectionInfo {
  clientHost: string;
}

/** The answer's body parts (without size and correlation id), or null when none is due (acks=0). */
export type RequestHandler = (
  header: RequestHeader,
  body: Reader,
  connection: ConnectionInfo,
) => Promise<Buffer[] | null> | Buffer[] | null;

/** Closes the connection after logging: what a real broker does for requests it cannot parse. */
export class ConnectionClosingError extends Error {}

/**
 * Where a connection stands in SASL authentication (Kafka's SaslServerAuthenticator states):
 * - handshake: only ApiVersions and SaslHandshake are accepted;
 * - authenticate: after a v1 handshake, only SaslAuthenticate;
 * - raw-token: after a v0 handshake, the next frames are bare SASL tokens, not requests;
 * - authenticated: every API; SASL requests again close the connection (no re-authentication);
 * - failed: the failure answer is sent, then the connection is closed.
 * The handlers of SaslHandshake and SaslAuthenticate move the stage on.
 */
export interface ConnectionAuthenticator {
  readonly stage: 'handshake' | 'authenticate' | 'raw-token' | 'authenticated' | 'failed';
  /** Answers a bare token (v0 handshake); null when authentication failed. */
  rawToken(token: Buffer): Buffer | null;
}

/**
 * Kafka's sasl.server.max.receive.size: the largest frame taken from a client that has not
 * authenticated yet, so that an anonymous peer cannot make the broker buffer 100 MB requests.
 */
export const MAX_UNAUTHENTICATED_FRAME_BYTES = 512 * 1024;

/*
 * ApiVersions may come more than once before the handshake: librdkafka asks with v3 first and,
 * told our range, again with v0. After a v1 handshake only SaslAuthenticate is valid (Kafka's
 * AUTHENTICATE state).
 */
const ALLOWED_BEFORE_AUTHENTICATION: Record<string, readonly number[]> = {
  handshake: [ApiKey.ApiVersions, ApiKey.SaslHandshake],
  authenticate: [ApiKey.SaslAuthenticate],
};

interface Slot {
  done: boolean;
  parts: Buffer[] | null;
  correlationId: number;
  /** A bare SASL token answer: size-prefixed, without a correlation id. */
  raw?: boolean;
}

export interface ConnectionLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One client connection. Clients pipeline requests and match answers by order, so requests
 * are handled concurrently (a Fetch long-poll or a JoinGroup may wait) but answered strictly
 * in the order they arrived.
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private closed = false;
  readonly info: ConnectionInfo;

  /**
   * `authenticator` null: every client is served without authentication (the anonymous
   * broker); otherwise nothing but authentication is served until it says so.
   */
  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly logger: ConnectionLogger,
    private readonly maxFrameBytes: number,
    private readonly authenticator: ConnectionAuthenticator | null = null,
  ) {
    this.decoder = new FrameDecoder(authenticator ? Math.min(maxFrameBytes, MAX_UNAUTHENTICATED_FRAME_BYTES) : maxFrameBytes);
    this.info = { clientHost: socket.remoteAddress ?? 'unknown' };
    socket.setNoDelay(true);
    socket.on('data', (data) => this.onData(data));
    socket.on('error', () => this.close());
    socket.on('close', () => (this.closed = true));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(data);
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.authenticator?.stage === 'raw-token') {
      this.onRawToken(this.authenticator, frame);
      return;
    }
    let header: RequestHeader;
    const reader = new Reader(frame);
    try {
      header = { apiKey: reader.int16(), apiVersion: reader.int16(), correlationId: reader.int32(), clientId: null };
      header.clientId = reader.nullableString();
    } catch (error) {
      this.fail(error);
      return;
    }
    const refusal = this.authenticationRefusal(header.apiKey);
    if (refusal) {
      this.fail(new ConnectionClosingError(refusal), header);
      return;
    }
    const slot: Slot = { done: false, parts: null, correlationId: header.correlationId };
    this.queue.push(slot);
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.handler(header, reader, this.info);
    } catch (error) {
      this.fail(error, header);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (parts) => this.complete(slot, parts),
        (error) => this.fail(error, header),
      );
    } else {
      this.complete(slot, result);
    }
  }

  /** Why the connection's authentication stage forbids this request, or null when it may run. */
  private authenticationRefusal(apiKey: number): string | null {
    const stage = this.authenticator?.stage;
    if (stage === undefined) return null;
    if (stage === 'authenticated') {
      const sasl = apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate;
      return sasl ? 'SASL request on an authenticated connection (re-authentication is not enabled)' : null;
    }
    if (stage === 'failed') return 'request after failed authentication';
    return ALLOWED_BEFORE_AUTHENTICATION[stage]?.includes(apiKey) ? null : `api key ${apiKey} before authentication (stage ${stage})`;
  }

  private onRawToken(authenticator: ConnectionAuthenticator, token: Buffer): void {
    let answer: Buffer | null;
    try {
      answer = authenticator.rawToken(token);
    } catch (error) {
      this.fail(error);
      return;
    }
    // Kafka answers a failed bare-token exchange by closing the connection, without a message.
    if (answer === null) {
      this.close();
      return;
    }
    this.queue.push({ done: true, parts: [answer], correlationId: 0, raw: true });
    this.flush();
  }

  private complete(slot: Slot, parts: Buffer[] | null): void {
    slot.done = true;
    slot.parts = parts;
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0].done) {
      const slot = this.queue.shift() as Slot;
      if (slot.parts === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      const headBytes = slot.raw ? 4 : 8;
      const size = slot.parts.reduce((sum, part) => sum + part.length, headBytes - 4);
      const head = Buffer.allocUnsafe(headBytes);
      head.writeInt32BE(size, 0);
      if (!slot.raw) head.writeInt32BE(slot.correlationId, 4);
      this.socket.write(head);
      for (const part of slot.parts) this.socket.write(part);
    }
    if (corked) this.socket.uncork();
    this.afterAuthentication();
  }

  /** Lifts the unauthenticated frame limit once authenticated; ends a failed connection once its answer is out. */
  private afterAuthentication(): void {
    const stage = this.authenticator?.stage;
    if (stage === 'authenticated') this.decoder.maxFrameBytes = this.maxFrameBytes;
    if (stage === 'failed' && this.queue.length === 0) {
      this.closed = true;
      this.socket.end();
    }
  }

  private fail(error: unknown, header?: RequestHeader): void {
    const expected = error instanceof MalformedRequestError || error instanceof ConnectionClosingError;
    this.logger.warn(expected ? 'closing connection: bad request' : 'closing connection: request failed', {
      client: this.info.clientHost,
      apiKey: header?.apiKey,
      apiVersion: header?.apiVersion,
      error: error instanceof Error ? (expected ? error.message : error.stack) : String(error),
    });
    this.close();
  }
}
