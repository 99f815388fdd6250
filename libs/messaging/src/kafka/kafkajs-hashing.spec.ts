/**
 * kafkajs 2.2.4 computed the default partitioner's murmur2 with a Long allocated at every step
 * (4 µs for a request id) and a record batch's CRC-32C one byte at a time; every produced
 * message pays both. `patches/kafkajs+2.2.4.patch` computes murmur2 in 32-bit integers
 * (Math.imul) and the checksum eight bytes a step. A message's partition must stay the one the
 * Java client picks (a prediction and its label are keyed alike to meet on one partition), and a
 * batch's checksum the one a broker verifies: both are checked here against references written
 * from the algorithms' descriptions alone, and the Java client's own test vectors.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';

// Internal modules of kafkajs, the ones the patch changes (no types are published for them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

/** murmur2 as Kafka's Utils.murmur2 describes it, in BigInt arithmetic truncated to 32 bits. */
function referenceMurmur2(data: Buffer): number {
  const m = 0x5bd1e995n;
  const int = (x: bigint) => BigInt.asIntN(32, x);
  const shr = (x: bigint, n: bigint) => BigInt.asUintN(32, x) >> n;
  let h = int(0x9747b28cn ^ BigInt(data.length));
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = BigInt(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)) | (BigInt(data[i + 3]) << 24n);
    k = int(k * m);
    k = int(k ^ shr(k, 24n));
    k = int(k * m);
    h = int(int(h * m) ^ k);
  }
  const rest = data.length % 4;
  if (rest >= 3) h = int(h ^ (BigInt(data[whole + 2]) << 16n));
  if (rest >= 2) h = int(h ^ (BigInt(data[whole + 1]) << 8n));
  if (rest >= 1) h = int(int(h ^ BigInt(data[whole])) * m);
  h = int(h ^ shr(h, 13n));
  h = int(h * m);
  return Number(int(h ^ shr(h, 15n)));
}

/** CRC-32C bit by bit from its reflected polynomial. */
function referenceCrc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs hashing (patched)', () => {
  it("gives the Java client's murmur2 for its test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it('gives the reference murmur2 for keys of every length remainder, as bytes or as text', () => {
    for (let i = 0; i < 2_000; i++) {
      const key = randomBytes(i % 67);
      expect(murmur2(key)).toBe(referenceMurmur2(key));
      const text = `req-${key.toString('base64')}-ü`;
      expect(murmur2(text)).toBe(referenceMurmur2(Buffer.from(text)));
    }
  });

  it('keeps the default partitioner on the partition the Java client picks', () => {
    const partition = Partitioners.DefaultPartitioner()({
      topic: 't',
      partitionMetadata: Array.from({ length: 12 }, (_, p) => ({
        partitionId: p,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      })),
      message: { key: 'foobar', value: null },
    });
    // Java: Utils.toPositive(murmur2(key)) % numPartitions.
    expect(partition).toBe((-790332482 & 0x7fffffff) % 12);
  });

  it('checksums a record batch as CRC-32C does, at every length around the eight-byte step', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let length = 0; length < 300; length++) {
      const data = randomBytes(length);
      expect(crc32C(data)).toBe(referenceCrc32c(data));
    }
    const large = randomBytes(100_003);
    expect(crc32C(large)).toBe(referenceCrc32c(large));
  });
});
