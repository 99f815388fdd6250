import { VarintReader, varintSize, writeVarint } from './varint';

describe('zigzag varints', () => {
  it.each([
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [300, [0xd8, 0x04]],
  ])('encodes %d as Kafka does', (value, bytes) => {
    const buf = Buffer.alloc(10);
    expect(writeVarint(buf, 0, value)).toBe(bytes.length);
    expect([...buf.subarray(0, bytes.length)]).toEqual(bytes);
    expect(varintSize(value)).toBe(bytes.length);
  });

  it('round-trips int32 limits and millisecond timestamps', () => {
    const values = [2 ** 31 - 1, -(2 ** 31), 1_700_000_000_000, -1_700_000_000_000, 2 ** 52, -(2 ** 52)];
    const buf = Buffer.alloc(values.length * 10);
    let pos = 0;
    for (const v of values) pos = writeVarint(buf, pos, v);
    const reader = new VarintReader(buf, 0, pos);
    expect(values.map(() => reader.varint())).toEqual(values);
    expect(reader.pos).toBe(pos);
  });

  it('refuses to read past the end', () => {
    expect(() => new VarintReader(Buffer.from([0x80, 0x80]), 0, 2).varint()).toThrow(RangeError);
    expect(() => new VarintReader(Buffer.from([0x04, 0x61]), 0, 2).bytes()).toThrow(RangeError);
  });
});
