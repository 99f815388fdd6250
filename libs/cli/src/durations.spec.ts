import fc from 'fast-check';
import { durationSeconds, formatDuration } from './durations';

describe('durations as people write them', () => {
  it('reads units, combinations and plain seconds', () => {
    expect(['90', '90s', '30m', '2h', '7d', '1h30m', '1d2h3m4s'].map(durationSeconds)).toEqual([90, 90, 1800, 7200, 604_800, 5400, 93_784]);
  });

  it('refuses anything else', () => {
    expect(['', '1 hour', '1.5h', '-5s', 'h', '5x', '1e3'].map(durationSeconds)).toEqual(Array(7).fill(undefined));
  });

  it('writes largest units first, and reads back what it writes', () => {
    expect([0, 59, 60, 5400, 86_400, 93_784, 1.5].map(formatDuration)).toEqual(['0s', '59s', '1m', '1h30m', '1d', '1d2h3m4s', '1.5s']);
    fc.assert(fc.property(fc.nat(10 ** 9), (seconds) => durationSeconds(formatDuration(seconds)) === seconds));
  });
});
