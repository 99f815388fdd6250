import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, TrainModelCommand, type trainerV1, Topics } from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { RetrainingService } from '../retraining/retraining.service';
import { RunsService } from './runs.service';

export const TRAIN_COMMANDS_GROUP = 'trainer.train-commands';

/** TrainModel commands become queued runs; the worker trains them outside this transaction. */
@Injectable()
export class TrainCommandConsumer {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(RetrainingService) private readonly retraining: RetrainingService,
  ) {}

  @ConsumeEvent({ topic: Topics.trainerCommands, types: [TrainModelCommand], group: TRAIN_COMMANDS_GROUP })
  async onTrainModel(event: EventEnvelope<trainerV1.TrainModel>, manager: EntityManager): Promise<void> {
    const command = {
      eventId: event.id,
      sender: event.source.replace(/^flywheel\//, ''),
      spec: event.data.spec,
      trigger: event.data.trigger,
      decisionId: event.data.decisionId,
    };
    await this.runs.enqueueCommand(manager, command, (decisionId) => this.retraining.runIdOfDecision(manager, decisionId));
  }
}
