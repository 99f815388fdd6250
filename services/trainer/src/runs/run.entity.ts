import { type commonV1 } from '@flywheel/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';
import { type RawParam } from './model-spec';
import { type RunState } from './run-record';

/**
 * A row of `runs`: the experiment-tracking record and its place in the job queue. Protobuf
 * messages (spec, lineage, holdout) are kept as their encoding, enums by name. A search's
 * trials are runs too (children of the search's run), written when the search succeeds.
 */
@Entity({ name: 'runs' })
export class RunEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'request_id', type: 'text', nullable: true, unique: true })
  requestId!: string | null;

  @Column({ name: 'cause_event_id', type: 'text', nullable: true, unique: true })
  causeEventId!: string | null;

  @Column({ name: 'decision_id', type: 'uuid', nullable: true })
  decisionId!: string | null;

  @Column({ type: 'text' })
  status!: RunState;

  @Column({ type: 'text' })
  trigger!: string;

  @Column({ type: 'bytea' })
  spec!: Buffer;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  seed!: number;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  params!: Record<string, RawParam>;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  metrics!: Record<string, number>;

  /** Set on a trial of a search: its search's run. */
  @Column({ name: 'parent_run_id', type: 'uuid', nullable: true })
  parentRunId!: string | null;

  /** A trial's place in its search, from 1. */
  @Column({ name: 'trial_number', type: 'integer', nullable: true })
  trialNumber!: number | null;

  /** Training rows a trial fitted on. */
  @Column({ name: 'trial_rows', type: 'integer', nullable: true })
  trialRows!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  artifact!: commonV1.ObjectRef | null;

  @Column({ type: 'bytea', nullable: true })
  lineage!: Buffer | null;

  @Column({ type: 'bytea', nullable: true })
  holdout!: Buffer | null;

  @Column({ name: 'failure_code', type: 'text', nullable: true })
  failureCode!: string | null;

  @Column({ type: 'text', default: '' })
  error!: string;

  @Column({ name: 'actor_team', type: 'text', default: '' })
  actorTeam!: string;

  @Column({ name: 'actor_token_id', type: 'text', default: '' })
  actorTokenId!: string;

  @Column({ name: 'actor_service', type: 'text', default: '' })
  actorService!: string;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'duration_ms', type: 'double precision', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
