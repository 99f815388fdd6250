import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which versions a deployment serves, as of its latest DeploymentChanged. */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ type: 'text' })
  deployment!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'stable_version', type: 'int' })
  stableVersion!: number;

  @Column({ name: 'canary_version', type: 'int' })
  canaryVersion!: number;

  @Column({ name: 'update_time', type: 'timestamptz' })
  updateTime!: Date;
}
