import { type commonV1, durationFromMillis, trainerV1 } from '@flywheel/contracts';
import { rawParamsToValues, type RawParam } from './model-spec';

export type RunState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface TrialRecord {
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metricValue: number;
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

export function runStatus(state: RunState): trainerV1.RunStatus {
  switch (state) {
    case 'QUEUED':
      return trainerV1.RunStatus.RUN_STATUS_QUEUED;
    case 'RUNNING':
      return trainerV1.RunStatus.RUN_STATUS_RUNNING;
    case 'SUCCEEDED':
      return trainerV1.RunStatus.RUN_STATUS_SUCCEEDED;
    case 'FAILED':
      return trainerV1.RunStatus.RUN_STATUS_FAILED;
  }
}

export function runStateOf(status: trainerV1.RunStatus): RunState | null {
  switch (status) {
    case trainerV1.RunStatus.RUN_STATUS_QUEUED:
      return 'QUEUED';
    case trainerV1.RunStatus.RUN_STATUS_RUNNING:
      return 'RUNNING';
    case trainerV1.RunStatus.RUN_STATUS_SUCCEEDED:
      return 'SUCCEEDED';
    case trainerV1.RunStatus.RUN_STATUS_FAILED:
      return 'FAILED';
    default:
      return null;
  }
}

/** The contract's view of a run. */
export function runToProto(run: RunRecord): trainerV1.Run {
  return trainerV1.Run.fromPartial({
    runId: run.id,
    spec: run.spec,
    status: runStatus(run.status),
    trigger: run.trigger,
    causeEventId: run.causeEventId ?? '',
    params: rawParamsToValues(run.params),
    metrics: { ...run.metrics },
    trials: run.trials.map((trial) => ({ params: rawParamsToValues(trial.params), metricValue: trial.metricValue })),
    artifact: run.artifact ?? undefined,
    lineage: run.lineage ?? undefined,
    holdout: run.holdout ?? undefined,
    duration: run.durationMs === null ? undefined : durationFromMillis(run.durationMs),
    createTime: run.createdAt,
    startTime: run.startedAt ?? undefined,
    endTime: run.endedAt ?? undefined,
    failureCode: run.failureCode ?? trainerV1.FailureCode.FAILURE_CODE_UNSPECIFIED,
    error: run.error,
    actor: run.actor,
  });
}
