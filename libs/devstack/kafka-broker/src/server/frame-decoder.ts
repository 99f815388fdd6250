import { MalformedRequestError } from '../protocol/reader';

/**
 * Splits a TCP byte stream into size-prefixed Kafka frames. Incoming chunks are only joined
 * once a whole frame is there, so a multi-megabyte produce costs one copy, not one per chunk.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;

  /** Lowered while a connection is unauthenticated; raised once it is. */
  constructor(public maxFrameBytes: number) {}

  /** Adds received bytes and returns every frame they complete (without the size prefix). */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        this.frameSize = this.take(4).readInt32BE(0);
        if (this.frameSize < 0 || this.frameSize > this.maxFrameBytes) {
          throw new MalformedRequestError(`frame of ${this.frameSize} bytes is outside 0..${this.maxFrameBytes}`);
        }
      }
      if (this.buffered < this.frameSize) break;
      frames.push(this.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0];
        const used = Math.min(chunk.length, n - filled);
        chunk.copy(out, filled, 0, used);
        filled += used;
        if (used === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(used);
      }
    }
    this.buffered -= n;
    return out;
  }
}
