import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';

/** A model's retraining policy; the spec to retrain, when set, as its protobuf encoding. */
@Entity({ name: 'retraining_policies' })
export class RetrainingPolicyEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ name: 'cooldown_ms', type: 'bigint', transformer: bigintAsNumber })
  cooldownMs!: number;

  @Column({ name: 'daily_budget', type: 'integer' })
  dailyBudget!: number;

  @Column({ name: 'min_new_rows', type: 'bigint', transformer: bigintAsNumber })
  minNewRows!: number;

  @Column({ type: 'bytea', nullable: true })
  spec!: Buffer | null;

  @Column({ name: 'on_drift', type: 'boolean' })
  onDrift!: boolean;

  @Column({ name: 'on_performance_degraded', type: 'boolean' })
  onPerformanceDegraded!: boolean;

  @Column({ name: 'updated_by', type: 'text', default: '' })
  updatedBy!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
