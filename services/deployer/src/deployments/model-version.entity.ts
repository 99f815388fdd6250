import { bigintAsNumber } from '@flywheel/persistence';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A model version announced by an alias move: enough to load it again after a restart or for a rollback. */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ name: 'model_name', type: 'text' })
  modelName!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'artifact_key', type: 'text' })
  artifactKey!: string;

  @Column({ name: 'artifact_sha256', type: 'text' })
  artifactSha256!: string;

  @Column({ name: 'artifact_size_bytes', type: 'bigint', transformer: bigintAsNumber })
  artifactSizeBytes!: number;

  @Column({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
