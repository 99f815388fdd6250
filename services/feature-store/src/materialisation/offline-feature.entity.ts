import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { type StoredValues } from '../feature-views/feature-values';

/** One materialised record in the offline store: every version's rows, for as-of joins. */
@Entity({ name: 'offline_features' })
@Index('offline_features_as_of_idx', ['featureView', 'revision', 'entityKey', 'eventTime'])
export class OfflineFeatureEntity {
  @PrimaryColumn({ name: 'feature_view', type: 'text' })
  featureView!: string;

  @PrimaryColumn({ type: 'integer' })
  revision!: number;

  @PrimaryColumn({ name: 'dataset_version', type: 'integer' })
  datasetVersion!: number;

  @PrimaryColumn({ name: 'row_index', type: 'integer' })
  rowIndex!: number;

  @Column({ name: 'entity_key', type: 'text' })
  entityKey!: string;

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime!: Date;

  @Column({ name: 'values', type: 'jsonb' })
  values!: StoredValues;
}
