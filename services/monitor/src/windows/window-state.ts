import { CategoricalWindow, type DataProfile, type FeatureWindow, NumericWindow, createWindows } from '@flywheel/ml';
import { OTHER_CATEGORY } from '../reference/profile-codec';

/** A feature value as journalled: numbers, text, booleans, instants (epoch ms) or missing. */
export type JournalValue = number | string | boolean | { t: number } | null;

/** One prediction as it is folded into a window. */
export interface PredictionEntry {
  readonly requestId: string;
  readonly inputs: Readonly<Record<string, JournalValue>>;
  /** Class label (classification) as a comparable key, or null for regression. */
  readonly outputKey: string | null;
  readonly outputNumber: number | null;
}

/** One label joined to its prediction. */
export interface LabelEntry {
  readonly requestId: string;
  readonly truthKey: string | null;
  readonly predictedKey: string | null;
  readonly truthNumber: number | null;
  readonly predictedNumber: number | null;
}

/** Labels that arrived while a window was open: enough for accuracy, the confusion matrix and RMSE. */
export interface LabelTally {
  labelled: number;
  correct: number;
  /** `truth\u0001predicted` → count, for classification metrics of the library. */
  confusion: Record<string, number>;
  squaredError: number;
  absoluteError: number;
  numeric: number;
}

/**
 * The streaming summary of one window: per-feature summaries binned on the reference profile
 * (the library's window classes: O(1) per prediction, no rows kept), output class counts for
 * prediction drift, and the label tally. Its size depends on the profile, not on the window.
 */
export interface WindowSummary {
  readonly features: Map<string, FeatureWindow>;
  readonly outputs: Map<string, number>;
  readonly labels: LabelTally;
  predictions: number;
  startTime: number | null;
  lastTime: number | null;
  lastEventId: string | null;
}

export function emptyTally(): LabelTally {
  return { labelled: 0, correct: 0, confusion: {}, squaredError: 0, absoluteError: 0, numeric: 0 };
}

export function emptyWindow(profile: DataProfile): WindowSummary {
  return {
    features: createWindows(profile.features),
    outputs: new Map(),
    labels: emptyTally(),
    predictions: 0,
    startTime: null,
    lastTime: null,
    lastEventId: null,
  };
}

export function numericValue(value: JournalValue | undefined): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return value.trim() === '' ? NaN : Number(value);
  return value.t;
}

export function categoryValue(value: JournalValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  return new Date(value.t).toISOString();
}

/** Two class keys name the same class (booleans and 0/1 labels compare equal). */
export function sameClass(a: string, b: string): boolean {
  if (a === b) return true;
  const truthy = (k: string) => (k === 'true' || k === '1' ? 1 : k === 'false' || k === '0' ? 0 : null);
  const x = truthy(a);
  return x !== null && x === truthy(b);
}

/** Adds one prediction: one O(1) update per feature (binary search over fixed bins for numbers). */
export function addPrediction(window: WindowSummary, entry: PredictionEntry, time: number, eventId: string): void {
  for (const [name, w] of window.features) {
    const value = entry.inputs[name];
    if (w.type === 'numeric') w.add(numericValue(value));
    else {
      const category = categoryValue(value);
      w.add(
        category === null || category in w.profile.frequencies || !(OTHER_CATEGORY in w.profile.frequencies) ? category : OTHER_CATEGORY,
      );
    }
  }
  if (entry.outputKey !== null) window.outputs.set(entry.outputKey, (window.outputs.get(entry.outputKey) ?? 0) + 1);
  window.predictions++;
  window.startTime ??= time;
  window.lastTime = Math.max(window.lastTime ?? time, time);
  window.lastEventId = eventId;
}

/** Adds one joined label to the window open when it arrived. */
export function addLabel(window: WindowSummary, entry: LabelEntry): void {
  const tally = window.labels;
  if (entry.truthNumber !== null && entry.predictedNumber !== null && entry.truthKey === null) {
    const error = entry.predictedNumber - entry.truthNumber;
    tally.squaredError += error * error;
    tally.absoluteError += Math.abs(error);
    tally.numeric++;
    tally.labelled++;
    return;
  }
  if (entry.truthKey === null || entry.predictedKey === null) return;
  tally.labelled++;
  if (sameClass(entry.truthKey, entry.predictedKey)) tally.correct++;
  const key = `${entry.truthKey}\u0001${entry.predictedKey}`;
  tally.confusion[key] = (tally.confusion[key] ?? 0) + 1;
}

interface SerializedNumeric {
  readonly kind: 'numeric';
  readonly counts: number[];
  readonly sums: number[];
  readonly count: number;
  readonly missing: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number;
  readonly m2: number;
  readonly distinct: Array<[number, number]> | null;
}

interface SerializedCategorical {
  readonly kind: 'categorical';
  readonly frequencies: Array<[string, number]>;
  readonly count: number;
  readonly missing: number;
}

export interface SerializedWindow {
  readonly features: Record<string, SerializedNumeric | SerializedCategorical>;
  readonly outputs: Array<[string, number]>;
  readonly labels: LabelTally;
  readonly predictions: number;
  readonly startTime: number | null;
  readonly lastTime: number | null;
  readonly lastEventId: string | null;
}

/**
 * The fields of NumericWindow that its public API does not expose but a restart needs
 * (Welford's running mean and M2, the exact counts of few distinct values). They are plain
 * properties at run time; the library has no (de)serialiser for its windows yet.
 */
interface NumericWindowInternals {
  welfordMean: number;
  welfordM2: number;
  distinct: Map<number, number> | null;
}

export function serializeWindow(window: WindowSummary): SerializedWindow {
  const features: SerializedWindow['features'] = {};
  for (const [name, w] of window.features) {
    if (w.type === 'numeric') {
      const internals = w as unknown as NumericWindowInternals;
      features[name] = {
        kind: 'numeric',
        counts: Array.from(w.counts),
        sums: Array.from(w.sums),
        count: w.count,
        missing: w.missing,
        min: Number.isFinite(w.min) ? w.min : null,
        max: Number.isFinite(w.max) ? w.max : null,
        mean: internals.welfordMean,
        m2: internals.welfordM2,
        distinct: internals.distinct === null ? null : [...internals.distinct.entries()],
      };
    } else {
      features[name] = { kind: 'categorical', frequencies: [...w.frequencies.entries()], count: w.count, missing: w.missing };
    }
  }
  return {
    features,
    outputs: [...window.outputs.entries()],
    labels: window.labels,
    predictions: window.predictions,
    startTime: window.startTime,
    lastTime: window.lastTime,
    lastEventId: window.lastEventId,
  };
}

/** A window summary back from its serialised form, on the same reference profile. */
export function restoreWindow(profile: DataProfile, saved: SerializedWindow): WindowSummary {
  const window = emptyWindow(profile);
  for (const [name, w] of window.features) {
    const s = saved.features[name];
    if (s === undefined) continue;
    if (w instanceof NumericWindow && s.kind === 'numeric' && s.counts.length === w.counts.length) {
      w.counts.set(s.counts);
      w.sums.set(s.sums);
      w.count = s.count;
      w.missing = s.missing;
      w.min = s.min ?? Infinity;
      w.max = s.max ?? -Infinity;
      const internals = w as unknown as NumericWindowInternals;
      internals.welfordMean = s.mean;
      internals.welfordM2 = s.m2;
      internals.distinct = s.distinct === null ? null : new Map(s.distinct);
    } else if (w instanceof CategoricalWindow && s.kind === 'categorical') {
      for (const [value, count] of s.frequencies) w.frequencies.set(value, count);
      w.count = s.count;
      w.missing = s.missing;
    }
  }
  for (const [key, count] of saved.outputs) window.outputs.set(key, count);
  Object.assign(window.labels, saved.labels);
  window.predictions = saved.predictions;
  window.startTime = saved.startTime;
  window.lastTime = saved.lastTime;
  window.lastEventId = saved.lastEventId;
  return window;
}
