import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One completed run registered as a version. The full `ModelVersion` message (lineage, params,
 * holdout, training profile) is kept as its protobuf encoding in `payload`, which evolves with
 * the contract; the columns beside it are what SQL needs to find and join versions.
 */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'run_id', type: 'text' })
  runId!: string;

  @Column({ name: 'artifact_key', type: 'text' })
  artifactKey!: string;

  @Column({ name: 'artifact_sha256', type: 'text' })
  artifactSha256!: string;

  @Column({ type: 'text' })
  metric!: string;

  @Column({ type: 'text' })
  dataset!: string;

  @Column({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @Column({ name: 'feature_view_revision', type: 'integer' })
  featureViewRevision!: number;

  @Column({ type: 'jsonb' })
  metrics!: Record<string, number>;

  @Column({ type: 'bytea' })
  payload!: Buffer;

  @CreateDateColumn({ name: 'create_time', type: 'timestamptz' })
  createTime!: Date;
}
