import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per model: the spec of its last successful run (what the policy retrains) and the row
 * the retraining policy locks, so that concurrent triggers for a model decide one at a time.
 */
@Entity({ name: 'model_states' })
export class ModelStateEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @Column({ name: 'last_success_run_id', type: 'uuid', nullable: true })
  lastSuccessRunId!: string | null;

  @Column({ name: 'last_spec', type: 'bytea', nullable: true })
  lastSpec!: Buffer | null;

  @Column({ type: 'text', nullable: true })
  dataset!: string | null;

  @Column({ name: 'dataset_version_to', type: 'integer', nullable: true })
  datasetVersionTo!: number | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
