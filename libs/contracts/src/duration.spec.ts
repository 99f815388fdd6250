import { durationFromMillis, durationToMillis } from './duration';

describe('durations', () => {
  it.each([0, 1, 999, 1000, 1500, 86_400_000, -1500])('round-trips %d ms', (ms) => {
    expect(durationToMillis(durationFromMillis(ms))).toBe(ms);
  });

  it('splits into seconds and nanos with one sign', () => {
    expect(durationFromMillis(1500)).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(durationFromMillis(-1500)).toEqual({ seconds: -1, nanos: -500_000_000 });
  });

  it('uses the fallback for an unset duration (proto-loader gives null, ts-proto undefined)', () => {
    expect(durationToMillis(undefined, 60_000)).toBe(60_000);
    expect(durationToMillis(null, 60_000)).toBe(60_000);
  });

  it('refuses a non-finite number', () => {
    expect(() => durationFromMillis(Number.NaN)).toThrow('duration: NaN is not a finite number');
  });
});
