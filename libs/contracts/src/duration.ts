import { type Duration } from './generated/google/protobuf/duration';

/** A google.protobuf.Duration from milliseconds. */
export function durationFromMillis(ms: number): Duration {
  if (!Number.isFinite(ms)) {
    throw new RangeError(`duration: ${ms} is not a finite number of milliseconds`);
  }
  const seconds = Math.trunc(ms / 1000);
  // Protobuf requires nanos to have the sign of seconds; Math.trunc keeps that.
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return { seconds, nanos };
}

/** Milliseconds of a google.protobuf.Duration; unset counts as `fallbackMs`. */
export function durationToMillis(duration: Duration | null | undefined, fallbackMs = 0): number {
  if (duration == null) {
    return fallbackMs;
  }
  return duration.seconds * 1000 + duration.nanos / 1e6;
}
