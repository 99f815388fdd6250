/** The time source of window expiry and alert cooldowns (a port, so tests can move time). */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
