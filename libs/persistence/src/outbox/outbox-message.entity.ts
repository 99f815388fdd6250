import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One Kafka record waiting to be published, written in the same transaction as the state change
 * that caused it. The record is opaque here (bytes and string headers): building it is the
 * messaging library's business, publishing it is the relay's.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['id'], { where: 'published_at IS NULL AND parked_at IS NULL' })
@Index('outbox_parked_idx', ['id'], { where: 'parked_at IS NOT NULL' })
@Index('outbox_published_at_idx', ['publishedAt'], { where: 'published_at IS NOT NULL' })
export class OutboxMessageEntity {
  /** bigserial: publication order. pg returns int8 as a string, which keeps it exact. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ type: 'bytea', nullable: true })
  key!: Buffer | null;

  @Column({ type: 'bytea', nullable: true })
  value!: Buffer | null;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  headers!: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** Failed publication attempts so far (a published row keeps its count). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** Set when the row was given up on (too large, or refused after every retry); it is not sent. */
  @Column({ name: 'parked_at', type: 'timestamptz', nullable: true })
  parkedAt!: Date | null;

  @Column({ name: 'parked_reason', type: 'text', nullable: true })
  parkedReason!: string | null;
}
