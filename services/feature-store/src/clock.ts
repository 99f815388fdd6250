/** The time, as a port: TTL expiry and apply times are tested at chosen instants. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
