/**
 * kafkajs 2.2.4 encoded each varint through an array and a Buffer of its own, and each header
 * through an encoder of its own (a zero-filled 512-byte buffer, then copied): for an event of
 * seven CloudEvents headers that was most of what producing it cost. `patches/kafkajs+2.2.4.patch`
 * writes varints in place and a record's headers into the record's one buffer, applied by `npm ci`.
 * The bytes must be the Kafka protocol's, as before: they are checked here against an encoding
 * written from the protocol's description alone, and read back by kafkajs's own decoder. Reading,
 * kafkajs copied the headers' object once per header, and took a header named `toString` for one
 * already seen; the patch fills one object with own properties. It also parsed and printed a
 * Long for each record's offset and timestamp, and summed a Long per byte of a varlong; the patch
 * uses numbers where they are exact (below 2^53; varlongs of up to 7 bytes).
 */
// Internal modules of kafkajs, the ones the patch changes (no types are published for them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeVarInt(value: number): unknown;
  writeUVarInt(value: number): unknown;
  buffer: Buffer;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | Array<string | Buffer>>;
}) => { buffer: Buffer };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  batch: { firstOffset: string; firstTimestamp: string; magicByte: number },
) => {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers: Record<string, Buffer | Buffer[]>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;

/** LEB128 of an unsigned integer, as the protocol describes it (BigInt: no 32-bit tricks). */
function unsignedVarint(value: bigint): number[] {
  const bytes: number[] = [];
  do {
    const low = Number(value & 0x7fn);
    value >>= 7n;
    bytes.push(value > 0n ? low | 0x80 : low);
  } while (value > 0n);
  return bytes;
}

/** Kafka's signed varints and varlongs: zig-zag, then LEB128. */
const zigZag = (value: bigint) => (value >= 0n ? 2n * value : -2n * value - 1n);
const varint = (value: number | bigint) => unsignedVarint(zigZag(BigInt(value)));

function varintBytes(bytes: Buffer | null): number[] {
  return bytes === null ? varint(-1) : [...varint(bytes.length), ...bytes];
}

/** A record (v2 message format) from the protocol's description. */
function expectedRecord(record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}): Buffer {
  const body = [
    0, // attributes
    ...varint(record.timestampDelta),
    ...varint(record.offsetDelta),
    ...varintBytes(record.key),
    ...varintBytes(record.value),
    ...varint(record.headers.length),
    ...record.headers.flatMap(([key, value]) => [...varintBytes(Buffer.from(key, 'utf8')), ...varintBytes(value)]),
  ];
  return Buffer.from([...varint(body.length), ...body]);
}

describe('kafkajs record encoding (patched)', () => {
  it('writes every varint as zig-zag LEB128, at each length from 1 to 5 bytes', () => {
    const values = [0, 1, -1, 63, -64, 64, -65, 300, -300, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 27, 2 ** 31 - 1, -(2 ** 31)];
    let seed = 11;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      values.push((seed % 2 === 0 ? 1 : -1) * Math.floor(seed / 2 ** (seed % 31)));
    }
    for (const value of values) {
      const encoder = new Encoder();
      encoder.writeVarInt(value);
      expect([value, [...encoder.buffer]]).toEqual([value, varint(value)]);
    }
    // Unsigned, as the flexible versions' lengths are: up to 2^32 - 1 in five bytes.
    for (const value of [0, 127, 128, 2 ** 32 - 1]) {
      const encoder = new Encoder();
      encoder.writeUVarInt(value);
      expect([...encoder.buffer]).toEqual(unsignedVarint(BigInt(value)));
    }
  });

  it("writes a record with its headers as the protocol describes, and kafkajs's decoder reads it back", () => {
    const headers: Array<[string, Buffer]> = [
      ['ce_specversion', Buffer.from('1.0')],
      ['ce_id', Buffer.from('5f0c6c8e-2f7c-4a59-9a53-0d3c0f6f9b1e')],
      ['ce_type', Buffer.from('flywheel.deployer.v1.PredictionLogged')],
      ['übersicht', Buffer.from('wert ✓')],
      ['binary', Buffer.from([0, 255, 1, 254])],
      ['long', Buffer.alloc(300, 0x61)],
    ];
    const record = {
      offsetDelta: 70,
      timestampDelta: 1_234_567,
      key: Buffer.from('request-1'),
      value: Buffer.alloc(600, 7),
      headers,
    };
    const encoded = encodeRecord({
      ...record,
      headers: Object.fromEntries(headers.map(([key, value]) => [key, key === 'binary' ? value : value.toString('utf8')])),
    }).buffer;
    expect(encoded.equals(expectedRecord(record))).toBe(true);

    // The batch decoder reads a record's length itself, then the record's body.
    const decoded = decodeRecord(new Decoder(encoded.subarray(varintLength(encoded))), {
      firstOffset: '1000',
      firstTimestamp: '1700000000000',
      magicByte: 2,
    });
    expect(decoded.key?.toString()).toBe('request-1');
    expect(decoded.value?.equals(record.value)).toBe(true);
    expect(decoded.offset).toBe('1070');
    expect(decoded.timestamp).toBe(String(1_700_000_000_000 + 1_234_567));
    expect(Object.fromEntries(Object.entries(decoded.headers).map(([key, value]) => [key, (value as Buffer).toString('hex')]))).toEqual(
      Object.fromEntries(headers.map(([key, value]) => [key, value.toString('hex')])),
    );
  });

  it('writes a header given several values once per value, and a record without key, value or headers', () => {
    const encoded = encodeRecord({ key: null, value: null, headers: { a: ['1', '2'], b: Buffer.from([9]) } }).buffer;
    expect(
      encoded.equals(
        expectedRecord({
          offsetDelta: 0,
          timestampDelta: 0,
          key: null,
          value: null,
          headers: [
            ['a', Buffer.from('1')],
            ['a', Buffer.from('2')],
            ['b', Buffer.from([9])],
          ],
        }),
      ),
    ).toBe(true);
    expect(
      encodeRecord({ key: 'k', value: 'v' }).buffer.equals(
        expectedRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }),
      ),
    ).toBe(true);
  });

  it('allocates one buffer for a record, however many headers and varints it has (eight and more before)', () => {
    const record = {
      key: Buffer.from('key'),
      value: Buffer.alloc(200, 1),
      headers: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`ce_header_${i}`, `value ${i}`])),
      offsetDelta: 3,
      timestampDelta: 5,
    };
    const alloc = jest.spyOn(Buffer, 'alloc');
    const from = jest.spyOn(Buffer, 'from');
    try {
      encodeRecord(record);
      expect(alloc).toHaveBeenCalledTimes(1);
      expect(from).not.toHaveBeenCalled();
    } finally {
      alloc.mockRestore();
      from.mockRestore();
    }
  });
});

/** The length of the varint a record starts with (its size): the decoder reads the body after it. */
function varintLength(bytes: Buffer): number {
  let n = 0;
  while (bytes[n]! & 0x80) n++;
  return n + 1;
}

describe('kafkajs record decoding (patched)', () => {
  const read = (headers: Array<[string, Buffer]>) => {
    const encoded = expectedRecord({ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('v'), headers });
    return decodeRecord(new Decoder(encoded.subarray(varintLength(encoded))), { firstOffset: '0', firstTimestamp: '0', magicByte: 2 })
      .headers;
  };

  it("adds a record's deltas to its batch's first offset and timestamp exactly, below 2^53 and past it", () => {
    const decodeIn = (batch: { firstOffset: string; firstTimestamp: string }, offsetDelta: number, timestampDelta: number) => {
      const encoded = expectedRecord({ offsetDelta, timestampDelta, key: null, value: Buffer.from('v'), headers: [] });
      const { offset, timestamp } = decodeRecord(new Decoder(encoded.subarray(varintLength(encoded))), { ...batch, magicByte: 2 });
      return [offset, timestamp];
    };
    const exact = (base: string, delta: number) => String(BigInt(base) + BigInt(delta));
    const batches = [
      { firstOffset: '0', firstTimestamp: '-1' },
      { firstOffset: '1000', firstTimestamp: '1700000000000' },
      { firstOffset: String(2n ** 53n - 10n), firstTimestamp: String(2n ** 53n - 3n) },
      { firstOffset: '9223372036854775000', firstTimestamp: '-9223372036854775000' },
    ];
    const deltas: Array<[number, number]> = [
      [0, 0],
      [70, -5_000],
      [9, 2],
      [807, 2 ** 40],
      [2_147_483_647, -(2 ** 40)],
      // The longest varlongs read in a number (7 bytes), and the shortest read through Long (8 and more).
      [1, 2 ** 48 - 1],
      [1, -(2 ** 48)],
      [1, 2 ** 48],
      [1, -(2 ** 52)],
      [1, Number.MAX_SAFE_INTEGER],
    ];
    // Batches in turn and back again: each record is read against its own batch.
    for (const batch of [...batches, ...batches.reverse()]) {
      for (const [offsetDelta, timestampDelta] of deltas) {
        expect(decodeIn(batch, offsetDelta, timestampDelta)).toEqual([
          exact(batch.firstOffset, offsetDelta),
          exact(batch.firstTimestamp, timestampDelta),
        ]);
      }
    }
  });

  it('reads a header given once as its value, and one given several times as their values in order', () => {
    const headers = read([
      ['a', Buffer.from('1')],
      ['b', Buffer.from('x')],
      ['a', Buffer.from('2')],
      ['a', Buffer.from('3')],
    ]);
    expect(Object.keys(headers)).toEqual(['a', 'b']);
    expect((headers.a as Buffer[]).map(String)).toEqual(['1', '2', '3']);
    expect(String(headers.b)).toBe('x');
  });

  it('reads headers named like members of Object.prototype as headers, never touching the prototype', () => {
    const headers = read([
      ['__proto__', Buffer.from('p')],
      ['toString', Buffer.from('t')],
      ['constructor', Buffer.from('c')],
    ]);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['__proto__', 'toString', 'constructor']);
    expect(Object.values(headers).map(String)).toEqual(['p', 't', 'c']);
  });
});
