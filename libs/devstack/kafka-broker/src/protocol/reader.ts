/** Thrown when a request body is shorter than its fields claim; the connection is then closed. */
export class MalformedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

/**
 * Reads the Kafka protocol's big-endian primitive types from one request frame. Byte fields
 * are returned as views on the frame, not copies: produced record batches are stored verbatim.
 */
export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new MalformedRequestError(`request truncated: need ${n} bytes at offset ${this.pos} of ${this.buf.length}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a JS number: offsets and timestamps stay far below 2^53. */
  int64(): number {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < -1) throw new MalformedRequestError(`invalid string length ${length}`);
    this.need(length);
    const v = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return v;
  }

  string(): string {
    const v = this.nullableString();
    if (v === null) throw new MalformedRequestError('null where a string is required');
    return v;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < -1) throw new MalformedRequestError(`invalid bytes length ${length}`);
    return this.slice(length);
  }

  /** The next `length` bytes, as a view on the frame. */
  private slice(length: number): Buffer {
    this.need(length);
    const v = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return v;
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  /** Kafka's unsigned varint (flexible versions); at most 5 bytes, as an int32 needs. */
  unsignedVarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.int8() & 0xff;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > 0x7fffffff) throw new MalformedRequestError(`varint ${value} out of range`);
        return value;
      }
    }
    throw new MalformedRequestError('varint longer than 5 bytes');
  }

  /** COMPACT_NULLABLE_BYTES: length + 1 as an unsigned varint, 0 for null. */
  compactNullableBytes(): Buffer | null {
    const length = this.unsignedVarint() - 1;
    return length === -1 ? null : this.slice(length);
  }

  compactBytes(): Buffer {
    const v = this.compactNullableBytes();
    if (v === null) throw new MalformedRequestError('null where bytes are required');
    return v;
  }

  /** Skips a tagged-field section: this broker knows no tag, and unknown tags are to be ignored. */
  skipTaggedFields(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      this.unsignedVarint(); // tag
      const size = this.unsignedVarint();
      this.need(size);
      this.pos += size;
    }
  }

  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const length = this.int32();
    if (length === -1) return null;
    // Each element takes at least one byte: a larger count is a lie that would allocate wildly.
    if (length < -1 || length > this.remaining) throw new MalformedRequestError(`invalid array length ${length}`);
    const out = new Array<T>(length);
    for (let i = 0; i < length; i++) out[i] = item(this);
    return out;
  }

  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
}
