import { Injectable } from '@nestjs/common';

/**
 * Time as a port. Wall-clock instants stamp records, events, TTLs, cooldowns and windows; the
 * monotonic reading measures latencies. Every service injects this one, so a test moves time
 * with a {@link ManualClock} instead of waiting.
 */
export abstract class Clock {
  abstract now(): Date;
  /** Milliseconds from an arbitrary origin that never goes backwards. */
  abstract monotonicMs(): number;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  monotonicMs(): number {
    return performance.now();
  }
}

/** A clock that stands still until told to move: for tests of time-dependent decisions. */
export class ManualClock extends Clock {
  private current: number;
  private monotonic = 0;
  /** Milliseconds each `monotonicMs` reading moves on by itself: the latency of a simulated call. */
  stepMs = 0;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    super();
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  monotonicMs(): number {
    const reading = this.monotonic;
    this.monotonic += this.stepMs;
    return reading;
  }

  /** Moves both readings forward. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('a clock does not go backwards');
    this.current += ms;
    this.monotonic += ms;
  }

  /** Jumps the wall clock to an instant (the monotonic reading follows when it moves forward). */
  set(instant: Date | string | number): void {
    const next = new Date(instant).getTime();
    if (next > this.current) this.monotonic += next - this.current;
    this.current = next;
  }
}
