import { type commonV1, type trainerV1 } from '@flywheel/contracts';
import { type RawParam } from './model-spec';

export type RunState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** Run and decision ids are UUIDs. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which runs to list; an absent field matches every run. */
export interface RunFilter {
  readonly modelName?: string;
  readonly status?: RunState;
  /** Only the trials of this search run; absent: only runs that are not trials. */
  readonly parentRunId?: string;
}

/** A trial of a search, as the search ran it. */
export interface TrialOutcome {
  readonly params: Readonly<Record<string, RawParam>>;
  /** Its score on the validation split, by the spec's metric. */
  readonly metricValue: number;
  /** Training rows it fitted on: fewer in a halving search's early rounds. */
  readonly rows: number;
  readonly startedAt: Date;
  readonly endedAt: Date;
}

/** A trial as a search run lists it; the trial's own run (a child run) holds the rest. */
export interface TrialRecord {
  readonly runId: string;
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metricValue: number;
  /** Training rows the trial fitted on; 0 in runs recorded before it was kept. */
  readonly rows: number;
}

/** A run as the trainer keeps it: the experiment-tracking record and its place in the job queue. */
export interface RunRecord {
  readonly id: string;
  readonly modelName: string;
  readonly requestId: string | null;
  /** The TrainModel command that started it; null for an API call. */
  readonly causeEventId: string | null;
  readonly decisionId: string | null;
  readonly status: RunState;
  readonly trigger: trainerV1.RunTrigger;
  readonly spec: trainerV1.ModelSpec;
  readonly seed: number;
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metrics: Readonly<Record<string, number>>;
  /** A search's trials, in the order they were tried; empty for a run without a search, and for a trial. */
  readonly trials: readonly TrialRecord[];
  /** For a trial: the search run it belongs to. */
  readonly parentRunId: string | null;
  readonly artifact: commonV1.ObjectRef | null;
  readonly lineage: commonV1.TrainingLineage | null;
  readonly holdout: commonV1.Holdout | null;
  readonly failureCode: trainerV1.FailureCode | null;
  readonly error: string;
  readonly actor: commonV1.Actor;
  readonly attempts: number;
  readonly durationMs: number | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
}
