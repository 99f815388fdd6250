import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';

/** The claim, then the outcome, of materialising one dataset version for one view revision. */
@Entity({ name: 'materialisations' })
export class MaterialisationEntity {
  @PrimaryColumn({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @PrimaryColumn({ type: 'integer' })
  revision!: number;

  @PrimaryColumn({ name: 'dataset_version', type: 'integer' })
  datasetVersion!: number;

  @Column({ name: 'row_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  rowCount!: number;

  @Column({ name: 'entity_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  entityCount!: number;

  @Column({ name: 'skipped_rows', type: 'bigint', default: 0, transformer: bigintAsNumber })
  skippedRows!: number;

  @Column({ name: 'snapshot_key', type: 'text', nullable: true })
  snapshotKey!: string | null;

  @Column({ name: 'snapshot_sha256', type: 'text', nullable: true })
  snapshotSha256!: string | null;

  @Column({ name: 'event_time_start', type: 'timestamptz', nullable: true })
  eventTimeStart!: Date | null;

  @Column({ name: 'event_time_end', type: 'timestamptz', nullable: true })
  eventTimeEnd!: Date | null;

  @Column({ name: 'materialised_at', type: 'timestamptz', default: () => 'now()' })
  materialisedAt!: Date;
}
