import { Inject, Injectable } from '@nestjs/common';
import { DeploymentChangedEvent, type deployerV1 } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';

/** Where DeploymentChanged goes: the outbox, in the transaction of the change. A port for unit tests. */
export abstract class DeploymentEvents {
  /**
   * Appends the event and returns its id. `causationId` undefined: the event being consumed, if
   * any; null: a root (an API call).
   */
  abstract publish(manager: EntityManager, change: deployerV1.DeploymentChanged, causationId?: string | null): Promise<string>;
}

@Injectable()
export class OutboxDeploymentEvents extends DeploymentEvents {
  constructor(@Inject(EventPublisher) private readonly publisher: EventPublisher) {
    super();
  }

  async publish(manager: EntityManager, change: deployerV1.DeploymentChanged, causationId?: string | null): Promise<string> {
    const envelope = await this.publisher.publish(manager, DeploymentChangedEvent, change, { key: change.deployment, causationId });
    return envelope.id;
  }
}
