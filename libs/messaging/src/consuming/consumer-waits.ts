import { type LoggerService } from '@nestjs/common';
import { backoffDelay, type BackoffPolicy, sleep } from '@flywheel/persistence';
import { errorMessage } from './dead-letter';

export interface ProcessControl {
  /** Keeps the group membership alive during long waits; throws when the group rebalances. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer stops: waits end at once and the record is left for redelivery. */
  signal: AbortSignal;
}

/** Waiting for the dead-letter topic to accept a record (Kafka down) never gives up. */
const DEAD_LETTER_BACKOFF: BackoffPolicy = { baseDelayMs: 500, factor: 2, maxDelayMs: 30_000, jitter: 0.2 };
const HEARTBEAT_SLICE_MS = 1_000;

/** Sleeps `ms` in slices, heartbeating between them; false if the consumer is stopping. */
export async function waitWithHeartbeats(ms: number, control: ProcessControl): Promise<boolean> {
  const until = Date.now() + ms;
  while (!control.signal.aborted) {
    const left = until - Date.now();
    if (left <= 0) return true;
    await sleep(Math.min(left, HEARTBEAT_SLICE_MS), control.signal);
    if (!control.signal.aborted) await control.heartbeat();
  }
  return false;
}

/**
 * Sends a dead letter, retrying until the dead-letter topic takes it or the consumer stops:
 * dropping the record is never an option. False when the consumer stopped first.
 */
export async function deadLetterUntilAccepted(
  send: () => Promise<void>,
  control: ProcessControl,
  logger: LoggerService,
  where: string,
): Promise<boolean> {
  for (let retry = 1; ; retry++) {
    try {
      await send();
      return true;
    } catch (sendError) {
      const delay = backoffDelay(DEAD_LETTER_BACKOFF, retry);
      logger.error(`${where}: cannot park the record in the dead-letter topic, retrying in ${delay} ms: ${errorMessage(sendError)}`);
      if (!(await waitWithHeartbeats(delay, control))) return false;
    }
  }
}
