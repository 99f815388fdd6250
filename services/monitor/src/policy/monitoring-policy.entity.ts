import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type monitorV1 } from '@flywheel/contracts';

/** A model's monitoring policy as SetMonitoringPolicy stored it (defaults filled in). */
@Entity({ name: 'monitoring_policies' })
export class MonitoringPolicyEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ type: 'jsonb' })
  policy!: monitorV1.MonitoringPolicy;

  @Column({ name: 'update_time', type: 'timestamptz', default: () => 'now()' })
  updateTime!: Date;
}
