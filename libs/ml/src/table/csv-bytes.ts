const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
/**
 * Scaled decimals stay below this, so that two decimals 10^-f apart are at least 4 ulps of the
 * value apart: at most one of them can round to it (see {@link CsvBytes.number}).
 */
const SCALED_LIMIT = 2 ** 50;
const DAY_MS = 86_400_000;
/** A Date's range: ±10^8 days around 1970. */
const MAX_INSTANT_MS = 8.64e15;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * CSV written straight into UTF-8 bytes, field by field: the same bytes as the text
 * `formatCsv` writes, encoded, without a string per field, per line or for the whole. Building
 * a version's file or a training set is mostly this, and most of its fields are numbers.
 */
export class CsvBytes {
  private bytes: Buffer;
  private length = 0;
  private lineStart = 0;
  private fieldsInLine = 0;
  private readonly delimiterCode: number;
  /** The delimiter's UTF-8: one byte, unless it is beyond ASCII. */
  private readonly delimiterBytes: Buffer;
  /** The day of the last instant written, and its date as toISOString writes it (through the `T`). */
  private isoDay = Number.NaN;
  private isoDate = '';

  constructor(
    expectedBytes = 64 * 1024,
    private readonly delimiter = ',',
    private readonly lineEnding: '\n' | '\r\n' = '\n',
  ) {
    this.bytes = Buffer.allocUnsafeSlow(Math.max(64, expectedBytes));
    this.delimiterCode = delimiter.charCodeAt(0);
    this.delimiterBytes = Buffer.from(delimiter, 'utf8');
  }

  /** An empty field: a missing value. */
  empty(): void {
    this.startField();
  }

  /**
   * A number in its shortest round-trip form, as `String(v)` writes it; NaN is an empty field.
   * Integers and decimals of up to 15 places are written digit by digit. Below 2^50 at f
   * places, round(|v|·10^f) is the one decimal of f places that can read back as v (any other is
   * 4 ulps or more away), so whether it does is one division. The fewest places that do give
   * the shortest decimal, the one `String` writes: tried first for 1 to 3 places (prices,
   * measures); otherwise the most places that fit tell at once whether any will, and the
   * decimal found there, its trailing zeros taken off, is the shortest (a shorter one, padded
   * with zeros, would be a second decimal of that many places). Anything else goes through
   * `String`.
   */
  number(v: number): void {
    this.startField();
    if (v !== v) return;
    const a = v < 0 ? -v : v;
    if (a < SCALED_LIMIT && Number.isInteger(a)) {
      this.reserve(17);
      if (v < 0) this.bytes[this.length++] = 0x2d;
      this.digits(a, 0);
      return;
    }
    if (a >= 1e-6 && a < 1e14) {
      for (let f = 1; f <= 3; f++) {
        const scale = POW10[f];
        const scaled = a * scale;
        if (scaled >= SCALED_LIMIT) break;
        const m = Math.round(scaled);
        if (m / scale === a) return this.decimal(v, m, f);
      }
      let f = POW10.length - 1;
      while (f > 3 && a * POW10[f] >= SCALED_LIMIT) f--;
      if (f > 3) {
        let m = Math.round(a * POW10[f]);
        if (m / POW10[f] === a) {
          while (m % 10 === 0) {
            m /= 10;
            f--;
          }
          return this.decimal(v, m, f);
        }
      }
    }
    this.ascii(String(v));
  }

  /** The decimal m·10^-f, with v's sign: m / 10^f is never within half an ulp above a whole number here, so its floor is exact. */
  private decimal(v: number, m: number, f: number): void {
    const scale = POW10[f];
    const whole = Math.floor(m / scale);
    this.reserve(20);
    if (v < 0) this.bytes[this.length++] = 0x2d;
    this.digits(whole, 0);
    this.bytes[this.length++] = 0x2e;
    this.digits(m - whole * scale, f);
  }

  /**
   * An instant (epoch milliseconds) as `Date.prototype.toISOString` writes it; NaN is an empty
   * field. Instants of a column fall on few days: each day's date is formatted once, the time of
   * day written digit by digit.
   */
  instant(t: number): void {
    this.startField();
    if (t !== t) return;
    if (!(Math.abs(t) <= MAX_INSTANT_MS)) {
      // A Date cannot hold it: toISOString throws its RangeError.
      this.ascii(new Date(t).toISOString());
      return;
    }
    // As a Date does (TimeClip): fractions of a millisecond are cut toward zero.
    const ms = Math.trunc(t);
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.isoDay) {
      const midnight = new Date(day * DAY_MS).toISOString();
      this.isoDay = day;
      this.isoDate = midnight.slice(0, midnight.indexOf('T') + 1);
    }
    this.ascii(this.isoDate);
    const ofDay = ms - day * DAY_MS;
    const seconds = Math.floor(ofDay / 1000);
    this.reserve(13);
    this.digits(Math.floor(seconds / 3600), 2);
    this.bytes[this.length++] = 0x3a; // :
    this.digits(Math.floor(seconds / 60) % 60, 2);
    this.bytes[this.length++] = 0x3a;
    this.digits(seconds % 60, 2);
    this.bytes[this.length++] = 0x2e; // .
    this.digits(ofDay % 1000, 3);
    this.bytes[this.length++] = 0x5a; // Z
  }

  /** A text field, quoted (its quotes doubled) when it holds the delimiter, a quote, CR or LF. */
  text(value: string): void {
    this.startField();
    const n = value.length;
    this.reserve(n);
    const bytes = this.bytes;
    const at = this.length;
    // Plain ASCII, the usual field, is copied unit by unit; anything else is encoded whole.
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80 || c === QUOTE || c === this.delimiterCode || c === LF || c === CR) {
        const field = quote(value, this.delimiter);
        this.reserve(field.length * 3);
        this.length += this.bytes.write(field, this.length, 'utf8');
        return;
      }
      bytes[at + i] = c;
    }
    this.length = at + n;
  }

  /** A field already encoded (a text field's bytes, quoted as {@link text} would). */
  encoded(field: Uint8Array): void {
    this.startField();
    const n = field.length;
    this.reserve(n);
    // Most are a few bytes: copied unit by unit rather than through a native call.
    if (n > 32) this.bytes.set(field, this.length);
    else for (let k = 0; k < n; k++) this.bytes[this.length + k] = field[k];
    this.length += n;
  }

  /** Ends a record. A record of one empty field is written `""`: as a blank line, readers would skip it. */
  endRecord(): void {
    this.reserve(4);
    if (this.fieldsInLine === 1 && this.length === this.lineStart) {
      this.bytes[this.length++] = QUOTE;
      this.bytes[this.length++] = QUOTE;
    }
    if (this.lineEnding === '\r\n') this.bytes[this.length++] = CR;
    this.bytes[this.length++] = LF;
    this.lineStart = this.length;
    this.fieldsInLine = 0;
  }

  /** The bytes written, in memory of their own (they can move to another thread whole). */
  finish(): Buffer {
    if (this.length === this.bytes.length) return this.bytes;
    const out = Buffer.allocUnsafeSlow(this.length);
    this.bytes.copy(out, 0, 0, this.length);
    return out;
  }

  private startField(): void {
    if (this.fieldsInLine++ > 0) {
      if (this.delimiterBytes.length === 1) {
        this.reserve(1);
        this.bytes[this.length++] = this.delimiterCode;
      } else {
        this.reserve(this.delimiterBytes.length);
        this.length += this.delimiterBytes.copy(this.bytes, this.length);
      }
    }
  }

  /** A whole number below 2^53, at least `width` digits (zeros in front). */
  private digits(n: number, width: number): void {
    const bytes = this.bytes;
    let count = 1;
    while (count < POW10.length && n >= POW10[count]) count++;
    if (count < width) count = width;
    let at = this.length + count;
    this.length = at;
    // Above 2^31 by doubles, down to where 32-bit integer arithmetic (a multiplication for a
    // division by 10) takes over.
    while (n > 0x7fffffff) {
      const q = Math.floor(n / 10);
      bytes[--at] = 0x30 + (n - q * 10);
      n = q;
    }
    let small = n | 0;
    while (at > this.length - count) {
      const q = (small / 10) | 0;
      bytes[--at] = 0x30 + (small - q * 10);
      small = q;
    }
  }

  /** Text known to be ASCII (a number's or a date's): short, so copied unit by unit rather than through a native call. */
  private ascii(value: string): void {
    const n = value.length;
    this.reserve(n);
    const bytes = this.bytes;
    const at = this.length;
    for (let i = 0; i < n; i++) bytes[at + i] = value.charCodeAt(i);
    this.length = at + n;
  }

  private reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.length + size, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

const NEEDS_QUOTES_WITH_COMMA = /[",\n\r]/;

/** A text field as CSV writes it: quoted, its quotes doubled, when it holds the delimiter, a quote, CR or LF. */
export function quote(value: string, delimiter = ','): string {
  let needs = false;
  if (delimiter === ',') {
    needs = NEEDS_QUOTES_WITH_COMMA.test(value);
  } else {
    for (let k = 0; k < value.length && !needs; k++) {
      const c = value[k];
      needs = c === delimiter || c === '"' || c === '\n' || c === '\r';
    }
  }
  return needs ? `"${value.replace(/"/g, '""')}"` : value;
}
