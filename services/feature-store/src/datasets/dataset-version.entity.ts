import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type ingestionV1 } from '@flywheel/contracts';
import { bigintAsNumber } from '@flywheel/persistence';

/** A committed dataset version, recorded from its DatasetVersionCommitted event. */
@Entity({ name: 'dataset_versions' })
export class DatasetVersionEntity {
  @PrimaryColumn({ type: 'text' })
  dataset!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'object_key', type: 'text' })
  objectKey!: string;

  @Column({ name: 'object_sha256', type: 'text' })
  objectSha256!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ name: 'row_count', type: 'bigint', transformer: bigintAsNumber })
  rowCount!: number;

  @Column({ type: 'jsonb' })
  contract!: ingestionV1.DataContract;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'committed_at', type: 'timestamptz', nullable: true })
  committedAt!: Date | null;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;
}
