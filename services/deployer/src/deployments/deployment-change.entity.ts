import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One change of a deployment, appended in the transaction that made it (with the new state and
 * its DeploymentChanged event). The event is kept whole as its protobuf encoding in `change`; the
 * columns beside it are what SQL needs to find and page changes.
 */
@Entity({ name: 'deployment_changes' })
export class DeploymentChangeEntity {
  /** The DeploymentChanged event's id. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  deployment!: string;

  @Column({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'change_time', type: 'timestamptz' })
  changeTime!: Date;

  /** The DeploymentChanged message, protobuf-encoded. */
  @Column({ type: 'bytea' })
  change!: Buffer;
}
