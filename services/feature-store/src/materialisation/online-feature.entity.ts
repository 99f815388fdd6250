import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type StoredValues } from '../feature-views/feature-values';

/** The latest record of one entity for one view revision: what online serving reads. */
@Entity({ name: 'online_features' })
export class OnlineFeatureEntity {
  @PrimaryColumn({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @PrimaryColumn({ type: 'integer' })
  revision!: number;

  @PrimaryColumn({ name: 'entity_key', type: 'text' })
  entityKey!: string;

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime!: Date;

  @Column({ name: 'dataset_version', type: 'integer' })
  datasetVersion!: number;

  @Column({ name: 'row_index', type: 'integer' })
  rowIndex!: number;

  @Column({ name: 'values', type: 'jsonb' })
  values!: StoredValues;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
