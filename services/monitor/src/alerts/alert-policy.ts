/** What to do about a bad window given the alert already open for the same version and kind. */
export type NotifyDecision = 'raise' | 'renotify' | 'suppress';

/**
 * One shift must not publish an event per window forever: while an alert is open, further bad
 * windows only count against it, and the event is published again once the cooldown since the
 * last publication has passed (so a problem nobody fixed is not forgotten either).
 */
export function decideNotification(open: { notifyTime: Date } | null, now: Date, cooldownMs: number): NotifyDecision {
  if (open === null) return 'raise';
  return now.getTime() - open.notifyTime.getTime() >= cooldownMs ? 'renotify' : 'suppress';
}
