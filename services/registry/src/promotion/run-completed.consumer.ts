import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, RunCompletedEvent, Topics, type trainerV1 } from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { RunRegistrar } from './run-registrar';

/** The registry's consumer group on the trainer's events; other trainer events are acknowledged unhandled. */
export const RUN_COMPLETED_GROUP = 'registry.run-completed';

@Injectable()
export class RunCompletedConsumer {
  constructor(@Inject(RunRegistrar) private readonly registrar: RunRegistrar) {}

  @ConsumeEvent({ topic: Topics.trainerEvents, types: [RunCompletedEvent], group: RUN_COMPLETED_GROUP })
  async onRunCompleted(event: EventEnvelope<trainerV1.RunCompleted>, manager: EntityManager): Promise<void> {
    await this.registrar.register(event, manager);
  }
}
