import { type EffectivePolicy } from '../policy/monitoring-policy';
import { type Judgement, type Reference, judgeWindow } from './window-judge';
import { type LabelEntry, type PredictionEntry, type WindowSummary, addLabel, addPrediction, emptyWindow } from './window-state';

/** A committed prediction or joined label, in the order it is folded. */
export type JournalEntry =
  | {
      readonly kind: 'prediction';
      readonly eventId: string;
      readonly time: number;
      readonly deployment: string;
      readonly entry: PredictionEntry;
    }
  | { readonly kind: 'label'; readonly eventId: string; readonly time: number; readonly deployment: string; readonly entry: LabelEntry };

export interface OpenWindow {
  readonly windowId: string;
  readonly sequence: number;
  deployment: string;
  readonly summary: WindowSummary;
}

export interface ClosedWindow {
  readonly window: OpenWindow;
  /** The event whose arrival closed it (the last prediction for a window closed by time). */
  readonly closedBy: string;
  readonly reason: 'size' | 'time';
  readonly start: Date;
  readonly end: Date;
  readonly judgement: Judgement;
}

export interface FoldContext {
  readonly reference: Reference;
  readonly policy: EffectivePolicy;
  readonly newId: () => string;
  readonly now: () => Date;
}

/**
 * Folds journal entries into a version's open window, closing it when it reaches the policy's
 * size, or its duration with at least the minimum size (judged by event time here, by the clock
 * in {@link closeIfExpired}). A closed window is judged at once and a new one opened.
 */
export function foldEntries(
  context: FoldContext,
  open: OpenWindow,
  entries: readonly JournalEntry[],
): { open: OpenWindow; closed: ClosedWindow[] } {
  const closed: ClosedWindow[] = [];
  let current = open;
  let reference = context.reference;
  for (const item of entries) {
    if (item.kind === 'label') {
      addLabel(current.summary, item.entry);
      continue;
    }
    const summary = current.summary;
    if (
      summary.startTime !== null &&
      summary.predictions >= context.policy.minWindowSize &&
      item.time - summary.startTime >= context.policy.windowDurationMs
    ) {
      // This prediction belongs to the next window; the one before it ends by time.
      const result = close({ ...context, reference }, current, 'time', summary.lastEventId ?? item.eventId, new Date(item.time));
      closed.push(result.closed);
      reference = result.reference;
      current = result.next;
    }
    current.deployment = item.deployment || current.deployment;
    addPrediction(current.summary, item.entry, item.time, item.eventId);
    if (current.summary.predictions >= context.policy.windowSize) {
      const result = close({ ...context, reference }, current, 'size', item.eventId, new Date(item.time));
      closed.push(result.closed);
      reference = result.reference;
      current = result.next;
    }
  }
  return { open: current, closed };
}

/** Closes a window that has outlived its duration by the clock, if it holds enough predictions. */
export function closeIfExpired(context: FoldContext, open: OpenWindow, now: Date): { open: OpenWindow; closed: ClosedWindow | null } {
  const summary = open.summary;
  if (summary.startTime === null || summary.predictions < context.policy.minWindowSize) return { open, closed: null };
  if (now.getTime() - summary.startTime < context.policy.windowDurationMs) return { open, closed: null };
  const result = close(context, open, 'time', summary.lastEventId ?? '', now);
  return { open: result.next, closed: result.closed };
}

function close(
  context: FoldContext,
  window: OpenWindow,
  reason: 'size' | 'time',
  closedBy: string,
  end: Date,
): { closed: ClosedWindow; next: OpenWindow; reference: Reference } {
  const start = new Date(window.summary.startTime ?? end.getTime());
  const endTime = new Date(Math.max(end.getTime(), window.summary.lastTime ?? 0, start.getTime()));
  const judgement = judgeWindow({
    reference: context.reference,
    policy: context.policy,
    window: window.summary,
    reportId: context.newId(),
    start,
    end: endTime,
    now: context.now(),
  });
  const reference = judgement.newBaseline ? { ...context.reference, predictionBaseline: judgement.newBaseline } : context.reference;
  return {
    closed: { window, closedBy, reason, start, end: endTime, judgement },
    next: {
      windowId: context.newId(),
      sequence: window.sequence + 1,
      deployment: window.deployment,
      summary: emptyWindow(context.reference.profile),
    },
    reference,
  };
}
