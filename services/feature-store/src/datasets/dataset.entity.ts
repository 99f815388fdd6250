import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type ingestionV1 } from '@flywheel/contracts';

/** A dataset as the DatasetRegistered event (or the ingestion service) describes it. */
@Entity({ name: 'datasets' })
export class DatasetEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  contract!: ingestionV1.DataContract;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
