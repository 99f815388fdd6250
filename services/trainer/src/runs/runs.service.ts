import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, trainerV1 } from '@flywheel/contracts';
import { TransactionRunner } from '@flywheel/persistence';
import { type CallerIdentity, Clock, InvalidArgumentException, type OffsetPage, offsetPageOf } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { TrainerEvents } from '../system/trainer-events';
import { metricLowerIsBetter, normaliseSpec, validateSpec } from './model-spec';
import { type RunFilter, type RunRecord } from './run-record';
import { type CancelRun, type SubmitTraining } from './run-requests';
import { RunsException, RunsExceptionCode } from './runs.exception';
import { RunsRepository } from './runs.repository';
import { type CommandAdmission } from './train-command-gate';

/** Seeds the trainer picks are positive 31-bit integers: exact everywhere, and 0 stays "pick one". */
const MAX_PICKED_SEED = 2 ** 31 - 1;

/** Tells the training worker that a run was queued, so it need not wait for its next poll. */
export abstract class QueueSignal {
  abstract poke(): void;
}

/** A TrainModel command, as the trainer acts on it. */
export interface TrainCommand {
  /** The command's event id: its run's cause, one run per command whatever redelivers it. */
  readonly eventId: string;
  /** The service that sent it, e.g. `monitor`. */
  readonly sender: string;
  readonly spec: trainerV1.ModelSpec | undefined;
  readonly trigger: trainerV1.RunTrigger;
  /** The retraining decision it carries out; empty when not sent by the policy. */
  readonly decisionId: string;
  /** Why it was sent, in words. */
  readonly reason: string;
}

export interface RunComparison {
  readonly runs: RunRecord[];
  readonly metricNames: string[];
  readonly differingParams: string[];
  readonly bestRunId: string;
}

/** Runs: submitted by API or command, queued for the worker, read and compared. */
@Injectable()
export class RunsService {
  constructor(
    @Inject(RunsRepository) private readonly runs: RunsRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(TrainerEvents) private readonly events: TrainerEvents,
    @Inject(QueueSignal) private readonly queue: QueueSignal,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** SubmitTraining: queues a run, or returns the run of an earlier call with the same request id. */
  async submit({ spec: checked, requestId }: SubmitTraining, caller: CallerIdentity | undefined): Promise<RunRecord> {
    const run = await this.transactions.run(async (manager) => {
      const earlier = requestId ? await this.runs.findByRequestId(manager, requestId) : null;
      const inserted =
        earlier ??
        (await this.runs.insert(manager, {
          id: randomUUID(),
          modelName: checked.spec.modelName,
          requestId,
          causeEventId: null,
          decisionId: null,
          trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
          spec: checked.spec,
          seed: checked.spec.seed || pickSeed(),
          actor: { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '', service: '' },
          createdAt: this.clock.now(),
        }));
      // Null: a concurrent call with the same request id won the insert; its run is committed now.
      const run = inserted ?? (await this.runs.findByRequestId(manager, requestId!));
      if (!run) throw new Error(`run of request ${requestId} vanished`);
      if (!sameSpec(run.spec, checked.spec)) {
        throw new RunsException(
          `request_id "${requestId}" was already used for a different spec (run ${run.id})`,
          RunsExceptionCode.REQUEST_ID_REUSED,
        );
      }
      return run;
    });
    this.queue.poke();
    return run;
  }

  /**
   * A TrainModel command the gate admitted: queues its run in the consumer's transaction. A spec
   * that cannot be trained becomes a failed run (and RunFailed), so the asker hears why.
   */
  async enqueueCommand(manager: EntityManager, command: TrainCommand, admission: CommandAdmission): Promise<RunRecord | null> {
    const spec = normaliseSpec(command.spec);
    const byPolicy = command.trigger === trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY;
    const runId = admission.runId;
    let checkedSpec = spec;
    let invalid: string | null = null;
    try {
      checkedSpec = validateSpec(spec, 'spec').spec;
    } catch (error) {
      if (!(error instanceof InvalidArgumentException)) throw error;
      invalid = error.message;
    }
    const run = await this.runs.insert(manager, {
      id: runId,
      modelName: spec.modelName,
      requestId: null,
      causeEventId: command.eventId,
      decisionId: admission.decisionId,
      trigger: byPolicy ? trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY : trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
      spec: checkedSpec,
      seed: checkedSpec.seed || pickSeed(),
      actor: { team: '', tokenId: '', service: byPolicy ? 'trainer' : command.sender },
      createdAt: this.clock.now(),
    });
    if (!run) return this.runs.findByCauseEventId(manager, command.eventId);
    if (invalid === null) return run;
    const failed = await this.runs.fail(manager, run.id, null, {
      failureCode: trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      error: invalid,
      durationMs: 0,
      endedAt: this.clock.now(),
    });
    if (failed) await this.events.runFailed(manager, failed);
    return failed;
  }

  /**
   * CancelRun: the run fails as CANCELLED (with RunFailed) in one transaction, whoever holds it;
   * the trainer training it hears of it through the runs table's notification and stops.
   */
  async cancel({ runId, reason }: CancelRun, caller: CallerIdentity | undefined): Promise<RunRecord> {
    const cancelled = await this.transactions.run(async (manager) => {
      const now = this.clock.now();
      const current = await this.runs.findForUpdate(manager, runId);
      if (!current) throw new RunsException(`run ${runId} not found`, RunsExceptionCode.RUN_NOT_FOUND);
      const by = caller?.team ? `team ${caller.team}` : 'a caller without a team';
      const failed = await this.runs.fail(manager, runId, null, {
        failureCode: trainerV1.FailureCode.FAILURE_CODE_CANCELLED,
        error: `cancelled by ${by}${reason ? `: ${reason}` : ''}`,
        durationMs: current.startedAt ? Math.max(0, now.getTime() - current.startedAt.getTime()) : 0,
        endedAt: now,
      });
      if (!failed) {
        throw new RunsException(
          `run ${runId} has already ${current.status === 'SUCCEEDED' ? 'succeeded' : 'failed'}: there is nothing to cancel`,
          RunsExceptionCode.RUN_ENDED,
        );
      }
      await this.events.runFailed(manager, failed);
      return failed;
    });
    return cancelled;
  }

  async get(runId: string): Promise<RunRecord> {
    const run = await this.runs.get(runId);
    if (!run) throw new RunsException(`run ${runId} not found`, RunsExceptionCode.RUN_NOT_FOUND);
    return run;
  }

  async list(filter: RunFilter, page: OffsetPage): Promise<{ items: RunRecord[]; page: commonV1.PageResponse }> {
    const rows = await this.runs.list(filter, page.offset, page.limit + 1);
    return offsetPageOf(rows, page);
  }

  /** Runs side by side; `runIds` are distinct run ids. */
  async compare(runIds: readonly string[]): Promise<RunComparison> {
    const found = new Map((await this.runs.getMany(runIds)).map((run) => [run.id, run]));
    const missing = runIds.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new RunsException(`run${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found`, RunsExceptionCode.RUN_NOT_FOUND);
    return compareRuns(runIds.map((id) => found.get(id)!));
  }
}

/** Side by side: every metric name, the parameters whose values differ, and the best run by the shared metric. */
export function compareRuns(runs: RunRecord[]): RunComparison {
  const metricNames = [...new Set(runs.flatMap((run) => Object.keys(run.metrics)))].sort();
  const paramNames = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort();
  const differingParams = paramNames.filter((name) => new Set(runs.map((run) => JSON.stringify(run.params[name] ?? null))).size > 1);
  const metric = runs[0]!.spec.metric;
  let bestRunId = '';
  if (metric && runs.every((run) => run.spec.metric === metric && run.metrics[metric] !== undefined)) {
    const sign = metricLowerIsBetter(metric) ? -1 : 1;
    const best = runs.reduce((a, b) => (sign * b.metrics[metric]! > sign * a.metrics[metric]! ? b : a));
    bestRunId = best.id;
  }
  return { runs, metricNames, differingParams, bestRunId };
}

function sameSpec(a: trainerV1.ModelSpec, b: trainerV1.ModelSpec): boolean {
  return Buffer.from(trainerV1.ModelSpec.encode(a).finish()).equals(Buffer.from(trainerV1.ModelSpec.encode(b).finish()));
}

function pickSeed(): number {
  return randomInt(1, MAX_PICKED_SEED);
}
