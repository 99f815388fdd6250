import { connect, type Socket } from 'node:net';
import { Reader } from '../protocol/reader';
import { Writer } from '../protocol/writer';
import { FrameDecoder } from '../server/frame-decoder';

/**
 * A bare Kafka-protocol client for tests that must send what no well-behaved client would:
 * odd versions, truncated bodies, garbage frames.
 */
export class RawKafkaClient {
  private readonly decoder = new FrameDecoder(1 << 30);
  private readonly waiting: Array<(frame: Buffer) => void> = [];
  private correlationId = 0;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data) => {
      for (const frame of this.decoder.push(data)) this.waiting.shift()?.(frame);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static connect(address: string): Promise<RawKafkaClient> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host, () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends bytes as they are, without a size prefix. */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends one request and resolves with the response body after the correlation id. */
  request(apiKey: number, apiVersion: number, body: (w: Writer) => void): Promise<Reader> {
    const correlationId = ++this.correlationId;
    const w = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-client');
    body(w);
    const payload = Buffer.concat(w.finish());
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([size, payload]));
    return new Promise((resolve, reject) => {
      this.closed.then(() => reject(new Error('connection closed by the broker')));
      this.waiting.push((frame) => {
        const reader = new Reader(frame);
        const answered = reader.int32();
        if (answered !== correlationId) reject(new Error(`correlation id ${answered}, expected ${correlationId}`));
        else resolve(reader);
      });
    });
  }

  /** Sends a bare size-prefixed frame (a SASL token after a v0 handshake) and resolves with the bare answer. */
  exchangeRaw(token: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    this.socket.write(Buffer.concat([size, token]));
    return new Promise((resolve, reject) => {
      this.closed.then(() => reject(new Error('connection closed by the broker')));
      this.waiting.push(resolve);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
