import { MalformedRequestError } from '../protocol/reader';
import { FrameDecoder } from './frame-decoder';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

describe('FrameDecoder', () => {
  it('reassembles frames split at every byte boundary', () => {
    const a = Buffer.from('first request');
    const b = Buffer.alloc(3000, 1);
    const stream = Buffer.concat([frame(a), frame(b), frame(Buffer.alloc(0))]);
    for (const step of [1, 3, 7, 4096]) {
      const decoder = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...decoder.push(stream.subarray(i, i + step)));
      expect(out.map((f) => f.length)).toEqual([a.length, b.length, 0]);
      expect(out[0].equals(a)).toBe(true);
      expect(out[1].equals(b)).toBe(true);
    }
  });

  it('refuses a frame larger than the limit or with a negative size', () => {
    expect(() => new FrameDecoder(100).push(frame(Buffer.alloc(101)))).toThrow(MalformedRequestError);
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(MalformedRequestError);
  });
});
