/**
 * Time as the deployer sees it: wall-clock instants for records and events, and a monotonic
 * reading for latencies. A port, so the rollout state machine is tested with a fake clock.
 */
export abstract class Clock {
  abstract now(): Date;
  /** Milliseconds from an arbitrary origin that never goes backwards. */
  abstract monotonicMs(): number;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  monotonicMs(): number {
    return performance.now();
  }
}
