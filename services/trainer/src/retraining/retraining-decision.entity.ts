import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';

/** What the policy decided on one trigger; decline reasons are stored by enum name. */
@Entity({ name: 'retraining_decisions' })
// A trigger is decided once per model, whatever redelivers it.
@Unique(['modelName', 'triggerEventId'])
export class RetrainingDecisionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ type: 'text' })
  outcome!: 'ACTED' | 'DECLINED';

  @Column({ name: 'decline_reasons', type: 'text', array: true })
  declineReasons!: string[];

  @Column({ type: 'text', array: true })
  reasons!: string[];

  @Column({ name: 'trigger_event_id', type: 'text' })
  triggerEventId!: string;

  @Column({ name: 'trigger_event_type', type: 'text' })
  triggerEventType!: string;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId!: string | null;

  @Column({ name: 'new_rows', type: 'bigint', transformer: bigintAsNumber })
  newRows!: number;

  @Column({ name: 'runs_today', type: 'integer' })
  runsToday!: number;

  @Column({ name: 'cooldown_until', type: 'timestamptz', nullable: true })
  cooldownUntil!: Date | null;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;
}
