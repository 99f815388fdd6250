import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The events a consumer has applied. Written in the handler's own transaction, so a
 * redelivered event finds its row and has no second effect.
 */
@Entity({ name: 'processed_events' })
export class ProcessedEventEntity {
  /** The consumer (its group name): two consumers of one event each apply it once. */
  @PrimaryColumn({ type: 'text' })
  consumer!: string;

  /** The event's `ce_id`, or `<topic>/<partition>/<offset>` for a raw record. */
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
