import { crc32c } from './crc32c';

/** Bit-at-a-time CRC-32C: slow but obviously the definition. */
function referenceCrc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it.each([
    ['the check value of "123456789"', Buffer.from('123456789'), 0xe3069283],
    ['no bytes', Buffer.alloc(0), 0],
    ['32 zero bytes (RFC 3720)', Buffer.alloc(32, 0), 0x8a9136aa],
    ['32 0xff bytes (RFC 3720)', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 incrementing bytes (RFC 3720)', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
    ['32 decrementing bytes (RFC 3720)', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ])('matches the known value for %s', (_name, input, expected) => {
    expect(crc32c(input)).toBe(expected);
  });

  it('agrees with the bitwise definition on every length and alignment', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 17) {
        expect(crc32c(data, start, end)).toBe(referenceCrc32c(data.subarray(start, end)));
      }
    }
  });

  it('checks only the requested range', () => {
    const framed = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yyy')]);
    expect(crc32c(framed, 2, 11)).toBe(0xe3069283);
  });
});
