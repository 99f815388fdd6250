import { type commonV1 } from '@flywheel/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@flywheel/persistence';

/** A committed, immutable version: its CSV object in the store and its profile. */
@Entity({ name: 'dataset_versions' })
export class DatasetVersionEntity {
  @PrimaryColumn({ type: 'text' })
  dataset!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'row_count', type: 'bigint', transformer: bigintAsNumber })
  rowCount!: number;

  @Column({ name: 'cumulative_rows', type: 'bigint', transformer: bigintAsNumber })
  cumulativeRows!: number;

  @Column({ name: 'object_key', type: 'text' })
  objectKey!: string;

  @Column({ type: 'text' })
  sha256!: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: bigintAsNumber })
  sizeBytes!: number;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ type: 'jsonb' })
  profile!: commonV1.DataProfile;

  @Column({ name: 'event_time_start', type: 'timestamptz', nullable: true })
  eventTimeStart!: Date | null;

  @Column({ name: 'event_time_end', type: 'timestamptz', nullable: true })
  eventTimeEnd!: Date | null;

  /** The CommitTrigger that cut the version. */
  @Column({ type: 'integer' })
  trigger!: number;

  @CreateDateColumn({ name: 'committed_at', type: 'timestamptz' })
  committedAt!: Date;

  @Column({ name: 'quarantined_count', type: 'bigint', transformer: bigintAsNumber })
  quarantinedCount!: number;
}
