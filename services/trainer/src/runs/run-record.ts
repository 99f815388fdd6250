import { type commonV1, type trainerV1 } from '@flywheel/contracts';
import { type RawParam } from './model-spec';

export type RunState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** Run and decision ids are UUIDs. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which runs to list; an absent field matches every run. */
export interface RunFilter {
  readonly modelName?: string;
  readonly status?: RunState;
}

export interface TrialRecord {
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metricValue: number;
  /** Training rows the trial fitted on (fewer in a halving search's early rounds); absent in runs recorded before it was kept. */
  readonly rows?: number;
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
  readonly trials: readonly TrialRecord[];
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
