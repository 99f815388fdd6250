import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, TrainModelCommand, type trainerV1, Topics } from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { RunsService, type TrainCommand } from './runs.service';
import { TrainCommandGate } from './train-command-gate';

export const TRAIN_COMMANDS_GROUP = 'trainer.train-commands';

/** TrainModel commands the gate admits become queued runs; the worker trains them outside this transaction. */
@Injectable()
export class TrainCommandConsumer {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(TrainCommandGate) private readonly gate: TrainCommandGate,
  ) {}

  @ConsumeEvent({ topic: Topics.trainerCommands, types: [TrainModelCommand], group: TRAIN_COMMANDS_GROUP })
  async onTrainModel(event: EventEnvelope<trainerV1.TrainModel>, manager: EntityManager): Promise<void> {
    const command: TrainCommand = {
      eventId: event.id,
      sender: event.source.replace(/^flywheel\//, ''),
      spec: event.data.spec,
      trigger: event.data.trigger,
      decisionId: event.data.decisionId,
      reason: event.data.reason,
    };
    const admission = await this.gate.admit(manager, command);
    if (admission) await this.runs.enqueueCommand(manager, command, admission);
  }
}
