import { Inject, Injectable } from '@nestjs/common';
import { FeedbackEvent, type monitorV1 } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';

/** Where SubmitFeedback's labels go: Feedback events on `flywheel.feedback`. A port for unit tests. */
export abstract class FeedbackEvents {
  /** Publishes every label, all or none, each keyed by its request id (as the prediction it belongs to). */
  abstract publishAll(labels: readonly monitorV1.Feedback[]): Promise<void>;
}

/** Through the outbox, in one transaction: a call that succeeded published every label it accepted. */
@Injectable()
export class OutboxFeedbackEvents extends FeedbackEvents {
  constructor(
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
  ) {
    super();
  }

  async publishAll(labels: readonly monitorV1.Feedback[]): Promise<void> {
    await this.transactions.run(async (manager) => {
      for (const label of labels) await this.publisher.publish(manager, FeedbackEvent, label, { key: label.requestId, causationId: null });
    });
  }
}
