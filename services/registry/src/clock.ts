import { Injectable } from '@nestjs/common';

/** Time as a port, so decisions stamped with it are testable. */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
