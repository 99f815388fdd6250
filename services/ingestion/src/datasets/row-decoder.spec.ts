import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { commonV1 } from '@flywheel/contracts';
import { rowToObject } from '../testing/row-values';
import { decodeRowValues } from './row-decoder';

/** The generated decoder's reading of a Row, as plain values (the reference). */
const reference = (bytes: Uint8Array) => rowToObject(commonV1.Row.decode(bytes));

describe('decodeRowValues', () => {
  it('reads every kind of value as the generated decoder does', () => {
    const row: commonV1.Row = {
      values: {
        n: { numberValue: -1.25e-7 },
        zero: { numberValue: 0 },
        s: { stringValue: 'ü, "x" 🚀' },
        empty: { stringValue: '' },
        t: { boolValue: true },
        f: { boolValue: false },
        at: { timestampValue: new Date('2026-02-03T04:05:06.789Z') },
        before1970: { timestampValue: new Date('1960-01-01T00:00:00.5Z') },
        none: {},
      },
    };
    const bytes = commonV1.Row.encode(row).finish();
    expect(decodeRowValues(bytes)).toEqual(reference(bytes));
    expect(decodeRowValues(bytes)).toMatchObject({ zero: 0, empty: '', f: false, none: null });
  });

  it('agrees with the generated decoder on rows of random values', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const values: Record<string, commonV1.Value> = {};
      for (let c = 0; c < 1 + Math.floor(random() * 25); c++) {
        const kind = Math.floor(random() * 5);
        values[`c${Math.floor(random() * 30)}`] =
          kind === 0
            ? { numberValue: (random() - 0.5) * 10 ** Math.floor(random() * 20) }
            : kind === 1
              ? {
                  stringValue: String.fromCharCode(
                    ...Array.from({ length: Math.floor(random() * 12) }, () => 32 + Math.floor(random() * 2000)),
                  ),
                }
              : kind === 2
                ? { boolValue: random() < 0.5 }
                : kind === 3
                  ? { timestampValue: new Date(Math.floor((random() - 0.3) * 4e12)) }
                  : {};
      }
      const bytes = commonV1.Row.encode({ values }).finish();
      expect(decodeRowValues(bytes)).toEqual(reference(bytes));
    }
  });

  it('skips unknown fields, drops entries without a value, lets a later entry and a later member win', () => {
    const writer = new BinaryWriter();
    const entry = (build: (w: BinaryWriter) => void) => {
      const inner = new BinaryWriter();
      build(inner);
      writer.tag(1, WireType.LengthDelimited).bytes(inner.finish());
    };
    entry((w) =>
      w
        .tag(1, WireType.LengthDelimited)
        .string('a')
        .tag(2, WireType.LengthDelimited)
        .bytes(commonV1.Value.encode({ numberValue: 1 }).finish()),
    );
    entry((w) =>
      w
        .tag(1, WireType.LengthDelimited)
        .string('a')
        .tag(2, WireType.LengthDelimited)
        .bytes(commonV1.Value.encode({ numberValue: 2 }).finish()),
    );
    entry((w) => w.tag(1, WireType.LengthDelimited).string('no value'));
    entry((w) => {
      const value = new BinaryWriter()
        .tag(1, WireType.Bit64)
        .double(5)
        .tag(9, WireType.Varint)
        .uint32(1)
        .tag(2, WireType.LengthDelimited)
        .string('last');
      w.tag(1, WireType.LengthDelimited)
        .string('b')
        .tag(3, WireType.Varint)
        .uint32(42)
        .tag(2, WireType.LengthDelimited)
        .bytes(value.finish());
    });
    writer.tag(7, WireType.LengthDelimited).string('unknown field of Row');
    expect(decodeRowValues(writer.finish())).toEqual({ a: 2, b: 'last' });
  });

  it('throws where the generated decoder throws on bytes cut short, and agrees where they still form a row', () => {
    const bytes = commonV1.Row.encode({
      values: { at: { timestampValue: new Date('2026-01-01T00:00:00Z') }, s: { stringValue: 'abc' } },
    }).finish();
    let thrown = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      let expected: ReturnType<typeof reference> | undefined;
      try {
        expected = reference(part);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        expect(() => decodeRowValues(part)).toThrow();
        thrown++;
      } else {
        expect(decodeRowValues(part)).toEqual(expected);
      }
    }
    expect(thrown).toBeGreaterThan(bytes.length / 2);
  });

  it('refuses what is no valid encoding: field number 0, groups, a nested message overrunning its length', () => {
    expect(() => decodeRowValues(Uint8Array.from([0x00, 0x01]))).toThrow('field number 0 is not valid');
    expect(() => decodeRowValues(Uint8Array.from([0x0b, 0x0c]))).toThrow('wire type 3 is not one a Row holds');
    // An entry of 3 bytes whose key claims 2 of them after its own 2-byte header.
    expect(() => decodeRowValues(Uint8Array.from([0x0a, 0x03, 0x0a, 0x02, 0x61, 0x62]))).toThrow('overruns its length');
  });

  it('never makes more than 6 bytes of JSON per byte of the message, plus the braces (the bound validation relies on)', () => {
    const worst: Array<Record<string, commonV1.Value>> = [
      { '\u0001': {} },
      { '': { stringValue: '\u0000\u001f\u0002' } },
      { a: { numberValue: -1.7976931348623157e308 } },
      { b: { numberValue: 5e-324 } },
      { '': { boolValue: false } },
      { '': { timestampValue: new Date(0) } },
      { t: { timestampValue: new Date(8.64e15) } },
      { k: { stringValue: '"\\'.repeat(50) } },
    ];
    const bytesOf = (values: Record<string, commonV1.Value>) => commonV1.Row.encode({ values }).finish();
    const samples = [...worst.map(bytesOf), bytesOf(Object.assign({}, ...worst) as Record<string, commonV1.Value>)];
    // Invalid UTF-8: one byte read as U+FFFD, three bytes of JSON.
    samples.push(Uint8Array.from([0x0a, 0x07, 0x0a, 0x01, 0xff, 0x12, 0x02, 0x10, 0x01]));
    for (const bytes of samples) {
      const json = Buffer.byteLength(JSON.stringify(decodeRowValues(bytes)));
      expect(json).toBeLessThanOrEqual(6 * bytes.byteLength + 2);
    }
  });

  it('gives each row its own object, with its own keys in order, whichever rows came before', () => {
    const bytesOf = (values: Record<string, commonV1.Value>) => commonV1.Row.encode({ values }).finish();
    // More key sequences than the decoder keeps templates of, each seen again after the others.
    const rows = Array.from({ length: 40 }, (_, i) => {
      const values: Record<string, commonV1.Value> = {};
      for (let c = 0; c < 20; c++) if ((i >> (c % 5)) % 2 === 0 || c === 0) values[`c${(c * (i + 1)) % 23}`] = { numberValue: i * 100 + c };
      return bytesOf(values);
    });
    for (const round of [1, 2]) {
      for (const [i, bytes] of rows.entries()) {
        const values = decodeRowValues(bytes);
        expect([round, i, Object.keys(values)]).toEqual([round, i, Object.keys(reference(bytes))]);
        expect(values).toEqual(reference(bytes));
      }
    }
    // A row's object is its own: changing one changes no later row.
    const first = decodeRowValues(rows[0]!);
    first.c0 = 'changed';
    expect(decodeRowValues(rows[0]!)).toEqual(reference(rows[0]!));
  });

  it("keeps a `__proto__` key as a column like any other, never as the object's prototype", () => {
    const bytes = commonV1.Row.encode({
      values: { ['__proto__']: { timestampValue: new Date(0) }, constructor: { stringValue: 'x' }, a: { numberValue: 1 } },
    }).finish();
    const values = decodeRowValues(bytes);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.keys(values).sort()).toEqual(['__proto__', 'a', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toEqual(new Date(0));
  });
});
