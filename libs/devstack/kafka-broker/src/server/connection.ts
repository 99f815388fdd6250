import { type Socket } from 'node:net';
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

interface Slot {
  done: boolean;
  parts: Buffer[] | null;
  correlationId: number;
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

  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly logger: ConnectionLogger,
    maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
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
    let header: RequestHeader;
    const reader = new Reader(frame);
    try {
      header = { apiKey: reader.int16(), apiVersion: reader.int16(), correlationId: reader.int32(), clientId: null };
      header.clientId = reader.nullableString();
    } catch (error) {
      this.fail(error);
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
      const size = slot.parts.reduce((sum, part) => sum + part.length, 4);
      const head = Buffer.allocUnsafe(8);
      head.writeInt32BE(size, 0);
      head.writeInt32BE(slot.correlationId, 4);
      this.socket.write(head);
      for (const part of slot.parts) this.socket.write(part);
    }
    if (corked) this.socket.uncork();
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
