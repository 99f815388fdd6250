import { Inject, Injectable } from '@nestjs/common';
import { AliasMovedEvent, type EventEnvelope, type registryV1, Topics } from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { RolloutService } from './rollout.service';

/** Follows aliases: each AliasMoved once (deduplicated by event id), in the transaction of its effects. */
@Injectable()
export class AliasMovedConsumer {
  constructor(@Inject(RolloutService) private readonly rollout: RolloutService) {}

  @ConsumeEvent({ topic: Topics.registryEvents, types: [AliasMovedEvent], group: 'deployer.alias-moved' })
  async onAliasMoved(event: EventEnvelope<registryV1.AliasMoved>, manager: EntityManager): Promise<void> {
    await this.rollout.onAliasMoved(event, manager);
  }
}
