import { AsyncLocalStorage } from 'node:async_hooks';

const consumed = new AsyncLocalStorage<string>();

/** Runs `work` as the handling of event `eventId`, so that what it publishes names it as cause. */
export function runAsConsequenceOf<T>(eventId: string, work: () => T): T {
  return consumed.run(eventId, work);
}

/** The id of the event being handled, if any: the default causation id of a published event. */
export function currentCausationId(): string | null {
  return consumed.getStore() ?? null;
}
