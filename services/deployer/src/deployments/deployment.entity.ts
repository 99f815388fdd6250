import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type CanaryPolicyValues } from './deployment';

@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ type: 'text' })
  alias!: string;

  @Column({ type: 'text' })
  state!: string;

  @Column({ name: 'stable_version', type: 'integer' })
  stableVersion!: number;

  @Column({ name: 'previous_stable_version', type: 'integer' })
  previousStableVersion!: number;

  @Column({ name: 'canary_version', type: 'integer' })
  canaryVersion!: number;

  @Column({ name: 'canary_traffic_share', type: 'double precision' })
  canaryTrafficShare!: number;

  @Column({ name: 'canary_start_time', type: 'timestamptz', nullable: true })
  canaryStartTime!: Date | null;

  @Column({ name: 'canary_event_id', type: 'text', nullable: true })
  canaryEventId!: string | null;

  @Column({ type: 'jsonb' })
  policy!: CanaryPolicyValues;

  @Column({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
