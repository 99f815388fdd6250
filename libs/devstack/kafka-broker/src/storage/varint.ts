/**
 * Zigzag varints as used inside Kafka records. Numbers rather than bigints: every value we
 * encode (lengths, offset and timestamp deltas) is far inside the safe-integer range, and
 * plain arithmetic keeps record building and decoding allocation-free.
 */

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function varintSize(n: number): number {
  let z = zigzag(n);
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Writes `n` at `pos` and returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = zigzag(n);
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Sequential reader over a buffer; `read*` throw a RangeError past `end`. */
export class VarintReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  varint(): number {
    let z = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('varint runs past the end of the record');
      const byte = this.buf[this.pos++];
      z += (byte & 0x7f) * scale;
      if (byte < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      scale *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  int8(): number {
    if (this.pos >= this.end) throw new RangeError('record truncated');
    return this.buf.readInt8(this.pos++);
  }

  /** A length-prefixed byte string; a negative length means null. */
  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.pos + length > this.end) throw new RangeError('record field runs past the end of the record');
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }
}
