import { Inject, Injectable } from '@nestjs/common';
import {
  durationFromMillis,
  RetrainingDecidedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  TrainModelCommand,
  trainerV1,
} from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { decisionToProto } from '../retraining/retraining.mapper';
import { type DecisionRecord } from '../retraining/retraining.repository';
import { rawParamsToValues } from '../runs/model-spec';
import { type RunRecord } from '../runs/run-record';

/**
 * What the trainer tells the rest of the platform, always written to the outbox in the
 * transaction of the state change it reports. A port, so that deciders are tested without Kafka.
 */
export abstract class TrainerEvents {
  abstract runCompleted(manager: EntityManager, run: RunRecord): Promise<void>;
  abstract runFailed(manager: EntityManager, run: RunRecord): Promise<void>;
  abstract retrainingDecided(manager: EntityManager, decision: DecisionRecord, causationId: string): Promise<void>;
  /** Returns the command's event id. */
  abstract trainModel(manager: EntityManager, command: trainerV1.TrainModel, causationId: string): Promise<string>;
}

@Injectable()
export class OutboxTrainerEvents extends TrainerEvents {
  constructor(@Inject(EventPublisher) private readonly publisher: EventPublisher) {
    super();
  }

  async runCompleted(manager: EntityManager, run: RunRecord): Promise<void> {
    await this.publisher.publish(
      manager,
      RunCompletedEvent,
      trainerV1.RunCompleted.fromPartial({
        runId: run.id,
        modelName: run.modelName,
        spec: run.spec,
        params: rawParamsToValues(run.params),
        metrics: { ...run.metrics },
        artifact: run.artifact ?? undefined,
        lineage: run.lineage ?? undefined,
        holdout: run.holdout ?? undefined,
        duration: durationFromMillis(run.durationMs ?? 0),
        trigger: run.trigger,
        completeTime: run.endedAt ?? undefined,
      }),
      // A run is caused by the command that asked for it; an API call makes it a root.
      { key: run.modelName, causationId: run.causeEventId },
    );
  }

  async runFailed(manager: EntityManager, run: RunRecord): Promise<void> {
    await this.publisher.publish(
      manager,
      RunFailedEvent,
      trainerV1.RunFailed.fromPartial({
        runId: run.id,
        modelName: run.modelName,
        spec: run.spec,
        failureCode: run.failureCode ?? trainerV1.FailureCode.FAILURE_CODE_INTERNAL,
        error: run.error,
        trigger: run.trigger,
        duration: durationFromMillis(run.durationMs ?? 0),
        failTime: run.endedAt ?? undefined,
      }),
      { key: run.modelName, causationId: run.causeEventId },
    );
  }

  async retrainingDecided(manager: EntityManager, decision: DecisionRecord, causationId: string): Promise<void> {
    await this.publisher.publish(
      manager,
      RetrainingDecidedEvent,
      { decision: decisionToProto(decision) },
      { key: decision.modelName, causationId },
    );
  }

  async trainModel(manager: EntityManager, command: trainerV1.TrainModel, causationId: string): Promise<string> {
    const modelName = command.spec?.modelName ?? '';
    const envelope = await this.publisher.publish(manager, TrainModelCommand, command, { key: modelName, causationId });
    return envelope.id;
  }
}
