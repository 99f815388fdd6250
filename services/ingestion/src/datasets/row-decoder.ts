/** A Row's values as plain JavaScript: numbers, strings, booleans, Dates (timestamps), null (no kind set). */
export type RowValues = Record<string, number | string | boolean | Date | null>;

// Wire types (protobuf encoding).
const VARINT = 0;
const BIT64 = 1;
const LENGTH_DELIMITED = 2;
const BIT32 = 5;

/**
 * Decodes a `flywheel.common.v1.Row` message straight into its values, without the Value objects
 * of the generated decoder (on a 20-column row, most of the garbage a decode makes) and with a
 * reader that allocates nothing per field. A valid message gives the values the generated code
 * gives: a map entry without a value is left out, a later entry for a key replaces an earlier
 * one, a field with an unknown number or an unexpected wire type is skipped; where a Value sets
 * more than one member of its oneof, the last one wins; invalid UTF-8 in a string reads as
 * U+FFFD, as protobuf-js and the generated code read it. What is not a valid encoding throws:
 * bytes that end early, a nested message overrunning its length, field number 0, groups and wire
 * types protobuf does not define.
 */
export function decodeRowValues(bytes: Uint8Array): RowValues {
  const reader = new RowReader(bytes);
  let present = 0;
  let entry = 0;
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
      const end = reader.limit();
      let key = '';
      let value: RowValues[string] | undefined;
      while (reader.pos < end) {
        const entryTag = reader.varint();
        if (entryTag === ((1 << 3) | LENGTH_DELIMITED)) key = reader.key(entry);
        else if (entryTag === ((2 << 3) | LENGTH_DELIMITED)) value = readValue(reader, reader.limit());
        else reader.skip(entryTag);
      }
      reader.close(end);
      entry++;
      if (value !== undefined) {
        entryKeys[present] = key;
        entryValues[present++] = value;
      }
    } else {
      reader.skip(tag);
    }
  }
  const shape = shapeOf(present);
  const values = { ...shape.template };
  // In order: a key given twice keeps its first place and takes its last value, as assignment does.
  for (let i = 0; i < present; i++) values[shape.names[i]!] = entryValues[i]!;
  // The first row's clone, filled, becomes the template: its layout now holds the kinds of values
  // (numbers unboxed, texts) the rows have, which a template of nulls would make every clone change.
  if (!shape.filled) {
    shape.template = { ...values };
    shape.filled = true;
  }
  entryKeys.length = Math.min(entryKeys.length, MAX_KEYS_REMEMBERED);
  entryValues.length = Math.min(entryValues.length, MAX_KEYS_REMEMBERED);
  return values;
}

/** The row being decoded: its present entries' keys and values, in order. */
const entryKeys: string[] = [];
const entryValues: Array<RowValues[string]> = [];

/**
 * Rows' objects are cloned from a template holding their keys. An object given its properties one
 * by one under computed names leaves V8's fast mode past a dozen of them (a dictionary then, which
 * every later read, `for…in` and JSON.stringify of the row pays for); a clone of a parsed object
 * keeps its fast layout. The templates of the last few key sequences are kept: a batch's rows
 * mostly name the same columns, optional ones sometimes left out. A template's properties are
 * defined, not assigned, so a key such as `__proto__` is an own property like any other.
 */
interface Shape {
  readonly keys: string[];
  /** `keys` as the template's own property names (V8's internalised strings: a store finds them at once). */
  readonly names: string[];
  template: RowValues;
  filled: boolean;
}
const MAX_SHAPES = 16;
const shapes: Shape[] = [];

function shapeOf(present: number): Shape {
  for (let s = 0; s < shapes.length; s++) {
    const shape = shapes[s]!;
    if (shape.keys.length !== present) continue;
    let same = true;
    for (let i = 0; i < present; i++) {
      if (shape.keys[i] !== entryKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return shape;
  }
  const keys = entryKeys.slice(0, present);
  const template = JSON.parse(`{${[...new Set(keys)].map((key) => `${JSON.stringify(key)}:null`).join(',')}}`) as RowValues;
  const own = new Map(Object.keys(template).map((name) => [name, name]));
  const shape: Shape = { keys, names: keys.map((key) => own.get(key)!), template, filled: false };
  // A row of hundreds of columns (hostile, most likely) is given its object, but no template is kept of it.
  if (present > MAX_KEYS_REMEMBERED) return shape;
  shapes.unshift(shape);
  if (shapes.length > MAX_SHAPES) shapes.pop();
  return shape;
}

function readValue(reader: RowReader, end: number): RowValues[string] {
  let value: RowValues[string] = null;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === ((1 << 3) | BIT64)) value = reader.double();
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) value = reader.string();
    else if (tag === ((3 << 3) | VARINT)) value = reader.varint() !== 0;
    else if (tag === ((4 << 3) | LENGTH_DELIMITED)) value = readTimestamp(reader, reader.limit());
    else reader.skip(tag);
  }
  reader.close(end);
  return value;
}

function readTimestamp(reader: RowReader, end: number): Date {
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === ((1 << 3) | VARINT)) seconds = reader.int64();
    else if (tag === ((2 << 3) | VARINT)) nanos = reader.int32();
    else reader.skip(tag);
  }
  reader.close(end);
  return new Date(seconds * 1_000 + nanos / 1_000_000);
}

/**
 * The column names of the rows decoded last, by position: the rows of a batch name the same
 * columns in the same order, so a name is compared byte for byte with the one before and reused
 * (one string, already a property key) instead of being decoded again.
 */
const MAX_KEYS_REMEMBERED = 256;
const SHORT_TEXT = 12;
const lastKeys: Array<{ bytes: Uint8Array; text: string } | undefined> = [];

/** Reads protobuf's encoding from a byte array, every read checked against its end. */
class RowReader {
  pos = 0;
  readonly end: number;
  private readonly buffer: Buffer;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.byteLength;
  }

  /** An unsigned varint of up to 32 bits (longer ones, as protobuf writes negative int32s, keep their low 32 bits). */
  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new RangeError('premature end of the message');
      const byte = this.buffer[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    throw new RangeError('a varint longer than 10 bytes');
  }

  int32(): number {
    return this.varint() | 0;
  }

  /** A signed 64-bit varint as a number; beyond 2^53 it throws, as the generated code does. */
  int64(): number {
    const start = this.pos;
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.end) throw new RangeError('premature end of the message');
      if (shift >= 70n) throw new RangeError('a varint longer than 10 bytes');
      const byte = this.buffer[this.pos++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
    }
    const signed = BigInt.asIntN(64, value);
    if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`a 64-bit integer beyond 2^53 at byte ${start}`);
    }
    return Number(signed);
  }

  double(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  string(): string {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    // Short ASCII texts (categories, codes) are read here: calling into the native decoder
    // costs more than the bytes.
    if (length <= SHORT_TEXT) {
      let text = '';
      for (let i = start; i < start + length; i++) {
        const byte = this.buffer[i]!;
        if (byte >= 0x80) return this.buffer.toString('utf8', start, start + length);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return this.buffer.toString('utf8', start, start + length);
  }

  /** A map entry's key: the `entry`-th of the row. */
  key(entry: number): string {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    const last = lastKeys[entry];
    if (last !== undefined && last.bytes.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (last.bytes[i] !== this.buffer[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return last.text;
    }
    const text = this.buffer.toString('utf8', start, start + length);
    if (entry < MAX_KEYS_REMEMBERED) lastKeys[entry] = { bytes: Uint8Array.prototype.slice.call(this.buffer, start, start + length), text };
    return text;
  }

  /** The end of a length-delimited field whose length comes next. */
  limit(): number {
    const length = this.varint();
    this.need(length);
    return this.pos + length;
  }

  /** Checks that a nested message ended where its length said. */
  close(end: number): void {
    if (this.pos !== end) throw new RangeError('a nested message overruns its length');
  }

  skip(tag: number): void {
    if (tag >>> 3 === 0) throw new RangeError('field number 0 is not valid');
    switch (tag & 7) {
      case VARINT:
        this.varint();
        return;
      case BIT64:
        this.need(8);
        this.pos += 8;
        return;
      case LENGTH_DELIMITED:
        this.pos = this.limit();
        return;
      case BIT32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new RangeError(`wire type ${tag & 7} is not one a Row holds`);
    }
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new RangeError('premature end of the message');
  }
}
