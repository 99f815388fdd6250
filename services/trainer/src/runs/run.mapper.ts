import { durationFromMillis, trainerV1 } from '@flywheel/contracts';
import { rawParamsToValues } from './model-spec';
import { type RunRecord, type RunState } from './run-record';
import { type RunComparison } from './runs.service';

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

/** The state a ListRuns filter names; null for an unknown status. */
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
    trials: run.trials.map((trial) => ({
      params: rawParamsToValues(trial.params),
      metricValue: trial.metricValue,
      rows: trial.rows,
      runId: trial.runId,
    })),
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
    parentRunId: run.parentRunId ?? '',
  });
}

export function comparisonToProto(comparison: RunComparison): trainerV1.CompareRunsResponse {
  return {
    runs: comparison.runs.map(runToProto),
    metricNames: comparison.metricNames,
    differingParams: comparison.differingParams,
    bestRunId: comparison.bestRunId,
  };
}
