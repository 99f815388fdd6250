import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One audit row. Who, what and why are columns a person can query; the full comparison behind
 * a promotion decision is its protobuf encoding, and its two headline values are columns too.
 */
@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  /** bigserial: the order entries were written in; pg returns int8 as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'uuid' })
  id!: string;

  @Column({ type: 'timestamptz' })
  time!: Date;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ type: 'integer', default: 0 })
  version!: number;

  @Column({ type: 'text', default: '' })
  alias!: string;

  @Column({ name: 'previous_version', type: 'integer', default: 0 })
  previousVersion!: number;

  /** An `AuditAction` name, e.g. `AUDIT_ACTION_ALIAS_SET`. */
  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'actor_team', type: 'text', default: '' })
  actorTeam!: string;

  @Column({ name: 'actor_token_id', type: 'text', default: '' })
  actorTokenId!: string;

  @Column({ name: 'actor_service', type: 'text', default: '' })
  actorService!: string;

  @Column({ type: 'jsonb', default: () => `'[]'::jsonb` })
  reasons!: string[];

  @Column({ type: 'text', nullable: true })
  metric!: string | null;

  @Column({ name: 'champion_value', type: 'double precision', nullable: true })
  championValue!: number | null;

  @Column({ name: 'challenger_value', type: 'double precision', nullable: true })
  challengerValue!: number | null;

  @Column({ type: 'bytea', nullable: true })
  comparison!: Buffer | null;

  @Column({ name: 'event_id', type: 'text', default: '' })
  eventId!: string;

  @Column({ name: 'cause_event_id', type: 'text', default: '' })
  causeEventId!: string;
}
