import { randomUUID } from 'node:crypto';
import { type commonV1, trainerV1 } from '@flywheel/contracts';
import { type RawParam, rawParamsToValues } from './model-spec';
import { type RunRecord, type TrialOutcome } from './run-record';

/** A trial's own run, as it is written beside its search's. */
export interface NewTrialRun {
  readonly id: string;
  readonly parentRunId: string;
  /** Its place in the search, from 1. */
  readonly trialNumber: number;
  readonly modelName: string;
  readonly trigger: trainerV1.RunTrigger;
  readonly spec: trainerV1.ModelSpec;
  readonly seed: number;
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly rows: number;
  readonly actor: commonV1.Actor;
  readonly startedAt: Date;
  readonly endedAt: Date;
}

/**
 * The spec a trial trained: its search's, without the search space and with the trial's
 * parameters, so that submitting it fits that trial again (on every training row).
 */
export function trialSpec(search: trainerV1.ModelSpec, params: Readonly<Record<string, RawParam>>): trainerV1.ModelSpec {
  return trainerV1.ModelSpec.fromPartial({ ...search, searchSpace: undefined, params: rawParamsToValues(params) });
}

/** The child runs of a search run, one per trial, numbered in the order they were tried. */
export function trialRuns(search: RunRecord, trials: readonly TrialOutcome[]): NewTrialRun[] {
  return trials.map((trial, i) => ({
    id: randomUUID(),
    parentRunId: search.id,
    trialNumber: i + 1,
    modelName: search.modelName,
    trigger: search.trigger,
    spec: trialSpec(search.spec, trial.params),
    seed: search.seed,
    params: trial.params,
    metrics: { [search.spec.metric]: trial.metricValue },
    rows: trial.rows,
    actor: search.actor,
    startedAt: trial.startedAt,
    endedAt: trial.endedAt,
  }));
}
