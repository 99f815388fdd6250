import { ProcessedEventEntity } from '../processed-events/processed-event.entity';
import { CreateOutbox1760000000000 } from './migrations/1760000000000-create-outbox';
import { OutboxParking1760000000001 } from './migrations/1760000000001-outbox-parking';
import { OutboxNotify1760000000002 } from './migrations/1760000000002-outbox-notify';
import { OutboxMessageEntity } from './outbox-message.entity';
import { OutboxCommitSubscriber } from './outbox-signal';

/** What every service's data source carries for the outbox and idempotent consumers. */
export const OUTBOX_ENTITIES = [OutboxMessageEntity, ProcessedEventEntity] as const;
export const OUTBOX_MIGRATIONS = [CreateOutbox1760000000000, OutboxParking1760000000001, OutboxNotify1760000000002] as const;
export const OUTBOX_SUBSCRIBERS = [OutboxCommitSubscriber] as const;
