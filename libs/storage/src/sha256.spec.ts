import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { Sha256Meter, sha256Hex, sha256OfStream } from './sha256';

describe('sha256 helpers', () => {
  it('matches the known digest of "abc" and of nothing', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.alloc(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a stream exactly as the whole buffer, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), async (chunks) => {
        const buffers = chunks.map((c) => Buffer.from(c));
        const whole = Buffer.concat(buffers);
        expect(await sha256OfStream(Readable.from(buffers))).toEqual({ sha256: sha256Hex(whole), size: whole.length });
        const meter = new Sha256Meter();
        const passed: Buffer[] = [];
        meter.on('data', (c: Buffer) => passed.push(c));
        await pipeline(Readable.from(buffers), meter);
        expect(meter.result()).toEqual({ sha256: sha256Hex(whole), size: whole.length });
        expect(Buffer.concat(passed).equals(whole)).toBe(true);
      }),
    );
  });

  it('has no result before the stream ends', () => {
    expect(() => new Sha256Meter().result()).toThrow(/not ended/);
  });
});
