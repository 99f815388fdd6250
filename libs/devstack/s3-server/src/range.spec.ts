import { resolveRange } from './range';

describe('ranges', () => {
  it('resolves S3 byte ranges', () => {
    expect(resolveRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(resolveRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
    expect(resolveRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(resolveRange(undefined, 100)).toBeUndefined();
    expect(() => resolveRange('bytes=100-', 100)).toThrow(expect.objectContaining({ code: 'InvalidRange', status: 416 }));
  });
});
