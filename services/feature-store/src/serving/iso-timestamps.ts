const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Instants (epoch milliseconds) as `Date.prototype.toISOString` writes them. A training set's
 * times fall on few days, so each day's date is written once and the time of day from tables:
 * a tenth of `toISOString`'s cost for a column of them.
 */
export function isoTimestamps(times: ArrayLike<number>): string[] {
  const out = new Array<string>(times.length);
  let day = Number.NaN;
  let date = '';
  for (let i = 0; i < times.length; i++) {
    // As a Date does (TimeClip): fractions of a millisecond are cut toward zero.
    const t = Math.trunc(times[i]);
    // Outside a Date's range toISOString throws; let it say so.
    if (!(Math.abs(t) <= 8.64e15)) {
      out[i] = new Date(t).toISOString();
      continue;
    }
    const d = Math.floor(t / DAY_MS);
    if (d !== day) {
      day = d;
      const midnight = new Date(d * DAY_MS).toISOString();
      date = midnight.slice(0, midnight.indexOf('T') + 1);
    }
    const ofDay = t - d * DAY_MS;
    const seconds = Math.floor(ofDay / 1000);
    out[i] =
      date +
      TWO_DIGITS[Math.floor(seconds / 3600)] +
      ':' +
      TWO_DIGITS[Math.floor(seconds / 60) % 60] +
      ':' +
      TWO_DIGITS[seconds % 60] +
      '.' +
      THREE_DIGITS[ofDay % 1000] +
      'Z';
  }
  return out;
}
