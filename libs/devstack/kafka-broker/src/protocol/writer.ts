const CHUNK = 16 * 1024;
/**
 * Most answers (heartbeats, empty long-poll fetches, commits) are a few hundred bytes: they start
 * in a small slice of Node's shared buffer pool instead of a fresh 16 KiB allocation each.
 */
const FIRST_CHUNK = 1024;
const NO_CHUNK = Buffer.alloc(0);
/** Byte fields at least this large are referenced, not copied (fetched record batches). */
const ZERO_COPY_THRESHOLD = 4096;

/**
 * Builds one response frame. Small fields go into a scratch chunk; large byte fields are kept
 * as references so that a Fetch answer does not copy megabytes of stored batches.
 */
export class Writer {
  private readonly chunks: Buffer[] = [];
  private current = Buffer.allocUnsafe(FIRST_CHUNK);
  private pos = 0;
  private total = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.current.length) return;
    this.flushCurrent();
    this.current = Buffer.allocUnsafe(Math.max(CHUNK, n));
  }

  /** Ends the current chunk; the next one is allocated only when something is written to it. */
  private flushCurrent(): void {
    if (this.pos > 0) this.chunks.push(this.current.subarray(0, this.pos));
    this.current = NO_CHUNK;
    this.pos = 0;
  }

  int8(v: number): this {
    this.ensure(1);
    this.current.writeInt8(v, this.pos);
    this.pos += 1;
    this.total += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.current.writeInt16BE(v, this.pos);
    this.pos += 2;
    this.total += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.current.writeInt32BE(v, this.pos);
    this.pos += 4;
    this.total += 4;
    return this;
  }

  int64(v: number): this {
    this.ensure(8);
    this.current.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    this.total += 8;
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const length = Buffer.byteLength(v, 'utf8');
    this.int16(length);
    this.ensure(length);
    this.current.write(v, this.pos, 'utf8');
    this.pos += length;
    this.total += length;
    return this;
  }

  string(v: string): this {
    return this.nullableString(v);
  }

  raw(v: Buffer): this {
    if (v.length >= ZERO_COPY_THRESHOLD) {
      this.flushCurrent();
      this.chunks.push(v);
    } else {
      this.ensure(v.length);
      v.copy(this.current, this.pos);
      this.pos += v.length;
    }
    this.total += v.length;
    return this;
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.int32(v.length).raw(v);
  }

  bytes(v: Buffer): this {
    return this.nullableBytes(v);
  }

  /** Kafka's unsigned varint (flexible versions). */
  unsignedVarint(v: number): this {
    let rest = v;
    while (rest >= 0x80) {
      this.int8((((rest & 0x7f) | 0x80) << 24) >> 24);
      rest = Math.floor(rest / 128);
    }
    return this.int8((rest << 24) >> 24);
  }

  /** COMPACT_NULLABLE_STRING: byte length + 1 as an unsigned varint, 0 for null. */
  compactNullableString(v: string | null): this {
    if (v === null) return this.unsignedVarint(0);
    return this.compactBytes(Buffer.from(v, 'utf8'));
  }

  compactBytes(v: Buffer): this {
    return this.unsignedVarint(v.length + 1).raw(v);
  }

  /** An empty tagged-field section: the broker sends no optional fields. */
  noTaggedFields(): this {
    return this.unsignedVarint(0);
  }

  nullableArray<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    return this.nullableArray(items, write);
  }

  get length(): number {
    return this.total;
  }

  /** The frame's parts, in order; the caller writes them with one corked socket write. */
  finish(): Buffer[] {
    this.flushCurrent();
    return this.chunks;
  }
}
