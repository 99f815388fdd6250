/**
 * What a label of ground truth must be, wherever it comes from (SubmitFeedback, or plain JSON on
 * `flywheel.feedback`): one set of rules, so that both doors refuse the same things alike.
 */
import { type Value } from './generated/flywheel/common/v1/common';
import { type Feedback } from './generated/flywheel/monitor/v1/monitor';

/** A request id as callers may give it: the join key of predictions and their feedback. */
export const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
export const REQUEST_ID_RULE = 'must be 1 to 128 printable ASCII characters without spaces';
/** A label's time may run this far ahead of the receiver's clock (clocks differ); further is a mistake. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const MAX_STRING_LABEL = 1000;

/** What is wrong with one label, `field: reason` (fields as the proto names them); undefined when nothing is. */
export function feedbackProblem(feedback: Pick<Feedback, 'requestId' | 'label' | 'labelTime'>, now: Date): string | undefined {
  if (!REQUEST_ID.test(feedback.requestId)) return `request_id: ${REQUEST_ID_RULE}`;
  const value = labelValueProblem(feedback.label);
  if (value) return `label: ${value}`;
  const time = feedback.labelTime;
  if (time && !(time.getTime() <= now.getTime() + MAX_CLOCK_AHEAD_MS))
    return `label_time: ${Number.isNaN(time.getTime()) ? 'is not an instant' : `is ${time.toISOString()}, in the future`}`;
  return undefined;
}

function labelValueProblem(value: Value | undefined): string | undefined {
  if (value?.numberValue !== undefined) return Number.isFinite(value.numberValue) ? undefined : 'must be a finite number';
  if (value?.stringValue !== undefined)
    return value.stringValue.length > 0 && value.stringValue.length <= MAX_STRING_LABEL
      ? undefined
      : `a text label must be 1 to ${MAX_STRING_LABEL} characters`;
  if (value?.boolValue !== undefined) return undefined;
  return 'is required: a number, a text or a boolean';
}
